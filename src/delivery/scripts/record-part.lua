--[[
  Record a sent part. Once the last part is sent the record starts to expire: a record that is
  gone means "nothing to send" (deliver finds no state), so its expiry can never cause a second
  post; an unsent record never expires.

  KEYS[1] outbox  HASH the delivery record

  ARGV[1] the part's index
  ARGV[2] the platform's id of the posted message
  ARGV[3] this is the last part: '1' | '0'
  ARGV[4] now, ms
  ARGV[5] the record's retention once sent, seconds

  Returns 1
]]
local outboxKey = KEYS[1]
local part, messageId, isLast, now, retentionSeconds = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

redis.call('HSET', outboxKey, 'sent', tostring(tonumber(part) + 1), 'id:' .. part, messageId)
if isLast == '1' then
  redis.call('HSET', outboxKey, 'state', 'sent', 'sentAt', now)
  redis.call('EXPIRE', outboxKey, retentionSeconds)
end
return 1
