--[[
  Release a lock this process holds (and only then).

  KEYS[1] lock  STRING the lock, its value the owner

  ARGV[1] the owner id

  Returns 1 released, 0 not ours (expired and taken, or gone)
]]
local lockKey, owner = KEYS[1], ARGV[1]
if redis.call('GET', lockKey) == owner then return redis.call('DEL', lockKey) end
return 0
