--[[
  A human's answer for a call whose outcome is unknown: it took effect ("done") or it did not
  ("failed"). Only an "unknown" record is resolved; its retention starts now.

    KEYS[1] the call's record (HASH)

    ARGV[1] the outcome: "done" | "failed"
    ARGV[2] the result to record (JSON)
    ARGV[3] the resolution: who and why (JSON)
    ARGV[4] now (epoch ms)
    ARGV[5] retention of a resolved record, seconds

  Returns "resolved", or the record's state when it is not "unknown" ("missing" when there is none)
]]
local recordKey = KEYS[1]

local outcome = ARGV[1]
local resultJson = ARGV[2]
local resolutionJson = ARGV[3]
local now = ARGV[4]
local retentionSeconds = tonumber(ARGV[5])

local state = redis.call("HGET", recordKey, "state")
if not state then
  return "missing"
end
if state ~= "unknown" then
  return state
end
redis.call("HSET", recordKey, "state", outcome, "result", resultJson, "resolution", resolutionJson,
  "resolvedAt", now, "finishedAt", now)
redis.call("EXPIRE", recordKey, retentionSeconds)
return "resolved"
