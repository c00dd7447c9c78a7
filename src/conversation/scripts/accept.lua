--[[
  Accept a message once into its conversation's inbox, within the inbox's bounds. A message past
  them is refused and not remembered as seen, so a client may send it again later.

  KEYS[1] seen      STRING the message id's dedupe marker
  KEYS[2] inbox     LIST   messages waiting for the next turn
  KEYS[3] pending   ZSET   conversations with work that may lack a queued job (the reconciler's index)
  KEYS[4] state     HASH   the conversation's state (`inboxBytes`, `refused`)

  ARGV[1] dedupe time to live, seconds
  ARGV[2] the message, JSON
  ARGV[3] the conversation key
  ARGV[4] now, ms
  ARGV[5] inbox.maxMessages
  ARGV[6] inbox.maxBytes

  Returns  1 accepted
           0 a duplicate
           2 a duplicate, and the conversation has work waiting (its job may have been lost
             between an accept and its enqueue: the caller queues it again)
          -1 refused: the inbox is full
]]
local seenKey, inboxKey, pendingKey, stateKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local ttl, message, conversation, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local maxMessages, maxBytes = tonumber(ARGV[5]), tonumber(ARGV[6])

if redis.call('EXISTS', seenKey) == 1 then
  if redis.call('ZSCORE', pendingKey, conversation) then return 2 end
  return 0
end
local waiting = redis.call('LLEN', inboxKey)
local bytes = tonumber(redis.call('HGET', stateKey, 'inboxBytes') or '0')
if waiting >= maxMessages or (waiting > 0 and bytes + #message > maxBytes) then
  redis.call('HINCRBY', stateKey, 'refused', 1)
  return -1
end
redis.call('SET', seenKey, '1', 'EX', ttl)
redis.call('RPUSH', inboxKey, message)
redis.call('HINCRBY', stateKey, 'inboxBytes', #message)
-- Waiting messages keep their conversation: the state does not expire under them.
redis.call('PERSIST', stateKey)
redis.call('ZADD', pendingKey, 'NX', now, conversation)
return 1
