-- The conversation's retention (docs/data-model.md): its state and history never expire while a
-- turn is open or a human holds it; otherwise they expire `ttl` seconds after this, the last
-- activity. Every script that sets or clears `turn` or `held` ends with it, inside the same
-- script, so no expiry can be set between a check and a change of another script.
local function retain_conversation(stateKey, historyKey, ttl)
  if redis.call('HEXISTS', stateKey, 'turn') == 1 or redis.call('HEXISTS', stateKey, 'held') == 1 then
    redis.call('PERSIST', stateKey)
    redis.call('PERSIST', historyKey)
  else
    redis.call('EXPIRE', stateKey, ttl)
    redis.call('EXPIRE', historyKey, ttl)
  end
end
