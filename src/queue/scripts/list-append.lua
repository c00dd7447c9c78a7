--[[
  Append to an adapter's list in one atomic step: optionally once (guarded by a key set in the
  same step), then trim it to its newest `keep` items, counting what was trimmed away (that count
  keeps list positions stable for a page read), then (re)start the expiry of the list and count.

  KEYS[1] list     LIST the adapter's list (a web transcript, say)
  KEYS[2] trimmed  STRING how many items were ever trimmed away from its front
  KEYS[3] once     STRING the idempotency marker of this append (the list itself when unused)

  ARGV[1] the value
  ARGV[2] the expiry of the list, its count and the marker, seconds
  ARGV[3] keep: the most items kept (0 = no cap)
  ARGV[4] with a once marker: '1' | '0'

  Returns 1 appended, 0 already appended (the marker was set)
]]
local listKey, trimmedKey, onceKey = KEYS[1], KEYS[2], KEYS[3]
local value, ttl, keep, hasOnce = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]

if hasOnce == '1' and redis.call('SET', onceKey, '1', 'NX', 'EX', ttl) == false then return 0 end
local length = redis.call('RPUSH', listKey, value)
if keep > 0 and length > keep then
  redis.call('LTRIM', listKey, length - keep, -1)
  redis.call('INCRBY', trimmedKey, length - keep)
end
redis.call('EXPIRE', listKey, ttl)
if redis.call('EXISTS', trimmedKey) == 1 then redis.call('EXPIRE', trimmedKey, ttl) end
return 1
