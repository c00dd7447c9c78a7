--[[
  Record a call's outcome, after the tool answered (or did not).

  Only the worker holding the started call records it. "done" and "failed" start the record's
  retention; "unknown" (a call that may have run and is not safe to run again) never expires
  until a human resolves it (resolveAction). A real outcome that arrives after another worker
  marked the call "unknown" replaces the "unknown" (the outcome is known after all).

    KEYS[1] the call's record (HASH)

    ARGV[1] owner (this worker's id)
    ARGV[2] the new state: "done" | "failed" | "unknown"
    ARGV[3] the result (JSON)
    ARGV[4] now (epoch ms)
    ARGV[5] retention of a finished record, seconds

  Returns "recorded" | "late" (replaced an "unknown") | "stale" (another worker owns the call now, or
    it is already finished: nothing written)
]]
local recordKey = KEYS[1]

local owner = ARGV[1]
local newState = ARGV[2]
local resultJson = ARGV[3]
local now = ARGV[4]
local retentionSeconds = tonumber(ARGV[5])

local state = redis.call("HGET", recordKey, "state")
local holder = redis.call("HGET", recordKey, "owner")
if holder ~= owner then
  return "stale"
end

if state == "started" then
  redis.call("HSET", recordKey, "state", newState, "result", resultJson, "finishedAt", now)
  if newState == "unknown" then
    redis.call("HSET", recordKey, "unknownAt", now)
    redis.call("PERSIST", recordKey)
  else
    redis.call("EXPIRE", recordKey, retentionSeconds)
  end
  return "recorded"
end

if state == "unknown" and newState ~= "unknown" then
  redis.call("HSET", recordKey, "state", newState, "result", resultJson, "finishedAt", now, "lateOutcome", "1")
  redis.call("EXPIRE", recordKey, retentionSeconds)
  return "late"
end

return "stale"
