--[[
  Close a turn: its messages and reply into the history, the conversation released. The closed
  turn expires after turnTtl, or reviewedTurnTtl when a human resolved it.

  KEYS[1] state    HASH the conversation's state
  KEYS[2] turn     HASH the turn
  KEYS[3] history  LIST history entries
  KEYS[4] ready    LIST resolved turns of a conversation that was not held
  KEYS[5] inbox    LIST messages waiting
  KEYS[6] pending  ZSET the reconciler's index of conversations with work

  ARGV[1] the turn id
  ARGV[2] its final status: 'posted' | 'rejected'
  ARGV[3] now, ms
  ARGV[4] history entries kept
  ARGV[5] detached: '1' for a turn from the ready list, '0' for the conversation's current turn
  ARGV[6] the conversation key
  ARGV[7] turnTtl, seconds
  ARGV[8] reviewedTurnTtl, seconds
  ARGV[9] the conversation's retention, seconds
  ARGV[10..] history entries to append, JSON each

  Returns 2 closed, and nothing else waits in the conversation (the worker can stop without
          another round trip); 1 closed; 0 not this conversation's turn (already closed)
]]
--- @include "include/retain-conversation.lua"
local stateKey, turnKey, historyKey, readyKey, inboxKey, pendingKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local turnId, status, now, keep, detached, conversation = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6]
local turnTtl, reviewedTurnTtl, conversationTtl = ARGV[7], ARGV[8], ARGV[9]

if detached == '1' then
  if redis.call('LINDEX', readyKey, 0) ~= turnId then return 0 end
  redis.call('LPOP', readyKey)
else
  if redis.call('HGET', stateKey, 'turn') ~= turnId then return 0 end
  redis.call('HDEL', stateKey, 'turn')
end
if redis.call('HGET', stateKey, 'held') == turnId then redis.call('HDEL', stateKey, 'held') end
redis.call('HINCRBY', stateKey, 'turns', 1)
redis.call('HSET', turnKey, 'status', status, 'updatedAt', now)
redis.call('EXPIRE', turnKey, redis.call('HEXISTS', turnKey, 'resolution') == 1 and reviewedTurnTtl or turnTtl)
if #ARGV > 9 then
  redis.call('RPUSH', historyKey, unpack(ARGV, 10))
  redis.call('LTRIM', historyKey, -keep, -1)
end
retain_conversation(stateKey, historyKey, conversationTtl)
if redis.call('LLEN', inboxKey) == 0 and redis.call('LLEN', readyKey) == 0 then
  redis.call('ZREM', pendingKey, conversation)
  return 2
end
return 1
