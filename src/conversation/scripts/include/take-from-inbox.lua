-- Messages left the inbox: keep its byte count (the state's `inboxBytes`) right, and drop it
-- when the inbox is empty.
local function took_from_inbox(stateKey, inboxKey, items)
  if redis.call('LLEN', inboxKey) == 0 then
    redis.call('HDEL', stateKey, 'inboxBytes')
    return
  end
  local bytes = 0
  for i = 1, #items do bytes = bytes + #items[i] end
  if redis.call('HINCRBY', stateKey, 'inboxBytes', -bytes) < 0 then redis.call('HDEL', stateKey, 'inboxBytes') end
end
