--[[
  Record an approval of the turn's reply, unless messages arrived meanwhile: then, up to
  maxFolds times, fold them into the turn instead (the reply must answer them too).

  KEYS[1] state   HASH the conversation's state
  KEYS[2] inbox   LIST messages waiting
  KEYS[3] turn    HASH the turn
  KEYS[4] outbox  HASH the delivery record the approval creates

  ARGV[1] the turn id
  ARGV[2] maxFolds
  ARGV[3] now, ms
  ARGV[4] the turn's fields to store, a JSON array of field, value, ...
  ARGV[5..] the outbox record's fields and values (an issued approval, src/delivery/approval.ts)

  Returns {'approved'} | {'stale', newMessagesJson} | {'gone'} (the turn is no longer the conversation's)
]]
--- @include "include/take-from-inbox.lua"
local stateKey, inboxKey, turnKey, outboxKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local turnId, maxFolds, now, turnFields = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]

if redis.call('HGET', stateKey, 'turn') ~= turnId then return {'gone'} end
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
redis.call('HSET', outboxKey, unpack(ARGV, 5))
return {'approved'}
