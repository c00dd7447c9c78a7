--[[
  Start or resume the conversation's turn: the one step a worker takes before it works on a
  conversation. In order: a turn in progress (resume it, or find it held for a human), a
  resolved turn of a conversation that was not held (deliver it), a hold, the inbox (a new turn
  of up to maxMessages messages), or nothing.

  KEYS[1] state       HASH `turn` (the turn in progress), `held` (the escalated turn holding it), `turns`
  KEYS[2] inbox       LIST messages waiting
  KEYS[3] history     LIST history entries
  KEYS[4] pending     ZSET the reconciler's index of conversations with work
  KEYS[5] turnPrefix  the prefix of turn hashes (`<prefix>:turn:`), completed with a turn id
  KEYS[6] ready       LIST resolved turns to deliver in a conversation that was not held

  ARGV[1] the new turn's id (used only for a new turn)
  ARGV[2] now, ms
  ARGV[3] the most messages one turn takes from the inbox
  ARGV[4] the conversation key
  ARGV[5] the conversation, JSON (stored on a new turn)
  ARGV[6] history entries kept
  ARGV[7] the history's character budget to read
  ARGV[8] the conversation's retention, seconds

  Returns {'resume', turnId, historyJson, turnsSoFar}
          {'held', turnId}
          {'ready', turnId, ''}
          {'new', turnId, messagesJson, historyJson, turnsSoFar}
          {'empty'}
]]
--- @include "include/history-tail.lua"
--- @include "include/retain-conversation.lua"
--- @include "include/take-from-inbox.lua"
local stateKey, inboxKey, historyKey, pendingKey, turnPrefix, readyKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local newTurnId, now, maxMessages, conversation = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local conversationJson, keep, historyBudget, conversationTtl = ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8]

local current = redis.call('HGET', stateKey, 'turn')
if current then
  if redis.call('HGET', turnPrefix .. current, 'status') == 'escalated' then return {'held', current} end
  return {'resume', current, history_tail(historyKey, keep, historyBudget), redis.call('HGET', stateKey, 'turns') or '0'}
end
local ready = redis.call('LINDEX', readyKey, 0)
if ready then return {'ready', ready, ''} end
local held = redis.call('HGET', stateKey, 'held')
if held then
  redis.call('ZREM', pendingKey, conversation)
  return {'held', held}
end
local items = redis.call('LRANGE', inboxKey, 0, maxMessages - 1)
if #items == 0 then
  redis.call('ZREM', pendingKey, conversation)
  retain_conversation(stateKey, historyKey, conversationTtl)
  return {'empty'}
end
redis.call('LTRIM', inboxKey, #items, -1)
took_from_inbox(stateKey, inboxKey, items)
local messages = '[' .. table.concat(items, ',') .. ']'
redis.call('HSET', turnPrefix .. newTurnId, 'status', 'drafting', 'conversation', conversationJson, 'messages', messages,
  'drafts', '[]', 'revisions', '0', 'folds', '0', 'createdAt', now, 'updatedAt', now)
redis.call('HSET', stateKey, 'turn', newTurnId)
retain_conversation(stateKey, historyKey, conversationTtl)
return {'new', newTurnId, messages, history_tail(historyKey, keep, historyBudget), redis.call('HGET', stateKey, 'turns') or '0'}
