--[[
  Decide once whether a turn's escalation is posted on its own or folded into the summary. Each
  limit is a sorted set of the turns posted on their own in its scope (score: when), trimmed to
  the window; a turn leaves it when it is decided (the review notifier removes it), so the
  limits bound the escalations posted and still undecided, among those of the last window.
  A variable number of keys: the caller passes how many first.

  KEYS[1]  turn     HASH the escalated turn (the decision is kept on it, `notice:<platform>`)
  KEYS[2]  episode  STRING the summary being extended (the window)
  KEYS[3..] posted  ZSET one per limit that applies to the turn

  ARGV[1] the turn's field for this platform's decision (`notice:<platform>`)
  ARGV[2] the window, ms
  ARGV[3] now, ms
  ARGV[4] the summary records' retention, seconds
  ARGV[5] the prefix of the folded-turns sets (completed with the episode)
  ARGV[6] the turn id
  ARGV[7..] the limits, one per posted set, in the same order

  Returns {decision, fresh}: decision 'post' | 'fold:<episode>' | 'gone'; fresh 1 when decided now
]]
local turnKey, episodeKey = KEYS[1], KEYS[2]
local field, windowMs, now, retentionSeconds, foldedPrefix, turnId = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6]

if redis.call('EXISTS', turnKey) == 0 then return {'gone', 0} end
local previous = redis.call('HGET', turnKey, field)
if previous then return {previous, 0} end
local sets = #KEYS - 2
local admit = true
for i = 1, sets do
  local postedKey = KEYS[i + 2]
  redis.call('ZREMRANGEBYSCORE', postedKey, '-inf', now - windowMs)
  if redis.call('ZCARD', postedKey) >= tonumber(ARGV[6 + i]) then
    admit = false
    break
  end
end
local decision = 'post'
if admit then
  for i = 1, sets do
    redis.call('ZADD', KEYS[i + 2], now, turnId)
    redis.call('PEXPIRE', KEYS[i + 2], windowMs)
  end
else
  local episode = redis.call('GET', episodeKey) or ARGV[3]
  redis.call('SET', episodeKey, episode, 'PX', windowMs)
  local foldedKey = foldedPrefix .. episode
  redis.call('ZADD', foldedKey, now, turnId)
  redis.call('EXPIRE', foldedKey, retentionSeconds)
  decision = 'fold:' .. episode
end
redis.call('HSET', turnKey, field, decision)
return {decision, 1}
