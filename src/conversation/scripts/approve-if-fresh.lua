--[[
  Record an approval of the turn's reply, unless messages arrived meanwhile: then, up to
  maxFolds times, fold them into the turn instead (the reply must answer them too).

  Two runs of one turn can overlap: a turn handed back at shutdown (or whose lock lapsed on a
  starved machine) is taken over as a stalled job while the old run still goes on. Each run knows
  only the messages it folded in itself, so an approval counts the messages its draft answered:
  a draft that answered fewer than the stored turn holds is behind (another run folded some in)
  and is not approved, and a turn that is no longer drafting (the other run approved it, or
  escalated it) is not approved again.

  KEYS[1] state   HASH the conversation's state
  KEYS[2] inbox   LIST messages waiting
  KEYS[3] turn    HASH the turn
  KEYS[4] outbox  HASH the delivery record the approval creates

  ARGV[1] the turn id
  ARGV[2] maxFolds
  ARGV[3] now, ms
  ARGV[4] the turn's fields to store, a JSON array of field, value, ...
  ARGV[5] how many of the turn's messages the draft answered
  ARGV[6..] the outbox record's fields and values (an issued approval, src/delivery/approval.ts)

  Returns {'approved'}
          {'stale', newMessagesJson}   late messages folded in now
          {'behind', storedMessagesJson} the stored turn holds messages the draft did not answer
          {'gone'}                     the turn is no longer the conversation's, or no longer drafting
]]
--- @include "include/take-from-inbox.lua"
local stateKey, inboxKey, turnKey, outboxKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local turnId, maxFolds, now, turnFields, answered = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], tonumber(ARGV[5])

if redis.call('HGET', stateKey, 'turn') ~= turnId then return {'gone'} end
if redis.call('HGET', turnKey, 'status') ~= 'drafting' then return {'gone'} end
local stored = redis.call('HGET', turnKey, 'messages') or '[]'
if #cjson.decode(stored) > answered then return {'behind', stored} end
local folds = tonumber(redis.call('HGET', turnKey, 'folds') or '0')
if folds < maxFolds and redis.call('LLEN', inboxKey) > 0 then
  local items = redis.call('LRANGE', inboxKey, 0, -1)
  redis.call('LTRIM', inboxKey, #items, -1)
  took_from_inbox(stateKey, inboxKey, items)
  local added = table.concat(items, ',')
  local messages = redis.call('HGET', turnKey, 'messages')
  messages = string.sub(messages, 1, -2) .. (messages == '[]' and '' or ',') .. added .. ']'
  redis.call('HSET', turnKey, 'messages', messages, 'folds', tostring(folds + 1), 'updatedAt', now)
  return {'stale', '[' .. added .. ']'}
end
redis.call('HSET', turnKey, 'status', 'approved', 'updatedAt', now, unpack(cjson.decode(turnFields)))
redis.call('HSET', outboxKey, unpack(ARGV, 6))
return {'approved'}
