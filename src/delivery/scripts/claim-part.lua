--[[
  Claim one part of a delivery before sending it. A claim held by another live worker is
  respected (its lease); a claim that exists but expired, or our own, means an earlier attempt
  may have reached the platform, so the adapter must look before it posts again.

  KEYS[1] outbox  HASH the delivery record (src/delivery/approval.ts writes it)

  ARGV[1] the part's index
  ARGV[2] this worker's owner id
  ARGV[3] now, ms
  ARGV[4] the lease, ms
  ARGV[5] the rendered parts, JSON (kept from the first claim, so recovery sends the same parts)

  Returns 'done' (already sent) | 'busy' (another live worker) | 'fresh' | 'recover' (look first)
]]
local outboxKey = KEYS[1]
local part, owner, now, leaseMs, parts = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]

if redis.call('HGET', outboxKey, 'state') == 'sent' then return 'done' end
if redis.call('HSETNX', outboxKey, 'parts', parts) == 1 then redis.call('HSET', outboxKey, 'partCount', tostring(#cjson.decode(parts))) end
local sent = tonumber(redis.call('HGET', outboxKey, 'sent') or '0')
if sent > tonumber(part) then return 'done' end
local field = 'claim:' .. part
local claim = redis.call('HGET', outboxKey, field)
local result = 'fresh'
if claim then
  local claimOwner, expires = string.match(claim, '^(.-)|(%d+)$')
  if claimOwner ~= owner and tonumber(expires) > now then return 'busy' end
  result = 'recover'
end
redis.call('HSET', outboxKey, field, owner .. '|' .. tostring(now + leaseMs))
return result
