--[[
  Record an approved tool call in the action ledger, once.

  A call that has no record yet gets one in state "approved", with the idempotency key the
  caller drew (kept for every later attempt). A record that is still "approved" (nothing has
  run) takes a newer approval's arguments and source, and keeps its key. A record in any other
  state is left as it is: once a call started, the first approval that ran is the one that counts.
  An approved record expires after the retention (nothing ran: nothing is lost); begin-action.lua
  removes the expiry when the call starts.

    KEYS[1] the call's record (HASH)

    ARGV[1] the approved arguments (JSON)
    ARGV[2] a new idempotency key (used only when the record is new)
    ARGV[3] now (epoch ms)
    ARGV[4] retention of an approved record, seconds
    ARGV[5...] field, value, ... of the approval (callId, turnId, step, index, tool, source,
            sourceName, effect, idempotent, rerun, approvedBy)

  Returns { state, "created" | "replaced" | "existing" }
]]
local recordKey = KEYS[1]

local argumentsJson = ARGV[1]
local newKey = ARGV[2]
local now = ARGV[3]
local retentionSeconds = tonumber(ARGV[4])

local function writeApproval()
  for i = 5, #ARGV, 2 do
    redis.call("HSET", recordKey, ARGV[i], ARGV[i + 1])
  end
end

local state = redis.call("HGET", recordKey, "state")
if not state then
  redis.call("HSET", recordKey, "state", "approved", "arguments", argumentsJson, "key", newKey,
    "approvedAt", now, "attempts", "0")
  writeApproval()
  redis.call("EXPIRE", recordKey, retentionSeconds)
  return { "approved", "created" }
end

if state == "approved" then
  if redis.call("HGET", recordKey, "arguments") == argumentsJson then
    return { state, "existing" }
  end
  redis.call("HSET", recordKey, "arguments", argumentsJson, "approvedAt", now)
  writeApproval()
  redis.call("EXPIRE", recordKey, retentionSeconds)
  return { state, "replaced" }
end

return { state, "existing" }
