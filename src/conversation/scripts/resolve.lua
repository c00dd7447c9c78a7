--[[
  A human's decision on an escalated turn, once: the turn is approved (with the delivery record
  of the text to post) or rejected, leaves the review queue for the resolved index, and its
  conversation gets the work of delivering it: the held conversation's own turn, or, when the
  conversation went on meanwhile, the ready list.

  KEYS[1] turn      HASH the turn
  KEYS[2] review    ZSET the pending review queue
  KEYS[3] resolved  ZSET resolved turns by time
  KEYS[4] outbox    HASH the delivery record of the approved text (unused on a reject)
  KEYS[5] state     HASH the conversation's state
  KEYS[6] ready     LIST resolved turns of a conversation that was not held
  KEYS[7] pending   ZSET the reconciler's index of conversations with work

  ARGV[1] the turn id
  ARGV[2] now, ms
  ARGV[3] the new status: 'approved' | 'rejected'
  ARGV[4] the turn's fields to store, a JSON array of field, value, ...
  ARGV[5] the conversation key
  ARGV[6] with a delivery record: '1' | '0'
  ARGV[7..] the delivery record's fields and values (an issued approval)

  Returns {'ok'} | {'missing'} | {'conflict', currentStatus}
]]
local turnKey, reviewKey, resolvedKey, outboxKey, stateKey, readyKey, pendingKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local turnId, now, status, turnFields, conversation, hasOutbox = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]

local current = redis.call('HGET', turnKey, 'status')
if not current then return {'missing'} end
if current ~= 'escalated' then return {'conflict', current} end
redis.call('HSET', turnKey, 'status', status, 'updatedAt', now, unpack(cjson.decode(turnFields)))
redis.call('ZREM', reviewKey, turnId)
redis.call('ZADD', resolvedKey, now, turnId)
if hasOutbox == '1' then redis.call('HSET', outboxKey, unpack(ARGV, 7)) end
if redis.call('HGET', stateKey, 'turn') ~= turnId then redis.call('RPUSH', readyKey, turnId) end
redis.call('ZADD', pendingKey, now, conversation)
return {'ok'}
