--[[
  Start (or take over) an approved call, before the tool is called.

  "approved": the call starts (state "started", this worker's lease, no expiry from now on:
  until its outcome is recorded the record is what stops a second run).
  "started" under another worker's live lease: busy (that worker is still calling).
  "started" otherwise (the lease ran out, or this worker's own earlier attempt died): the call
  may have run. It is run again, with the same idempotency key, only when it is safe to
  (rerun = "1": a read, or an idempotent tool); otherwise the record becomes "unknown" and the
  call is never run again without a human.
  "done", "failed": finished (the caller reuses the recorded result). "unknown": unknown.

    KEYS[1] the call's record (HASH)

    ARGV[1] owner (this worker's id)
    ARGV[2] now (epoch ms)
    ARGV[3] lease, ms (the call's time limit and a margin)

  Returns { "run" | "rerun" | "busy" | "finished" | "unknown" | "missing", attempts }
]]
local recordKey = KEYS[1]

local owner = ARGV[1]
local now = tonumber(ARGV[2])
local leaseMs = tonumber(ARGV[3])

local state = redis.call("HGET", recordKey, "state")
if not state then
  return { "missing", 0 }
end
local attempts = tonumber(redis.call("HGET", recordKey, "attempts") or "0")
if state == "done" or state == "failed" then
  return { "finished", attempts }
end
if state == "unknown" then
  return { "unknown", attempts }
end

local function take(decision)
  attempts = attempts + 1
  redis.call("HSET", recordKey, "state", "started", "owner", owner,
    "leaseUntil", tostring(now + leaseMs), "attempts", tostring(attempts), "startedAt", tostring(now))
  redis.call("PERSIST", recordKey)
  return { decision, attempts }
end

if state == "approved" then
  return take("run")
end

-- state == "started": an attempt began and recorded no outcome.
local holder = redis.call("HGET", recordKey, "owner")
local leaseUntil = tonumber(redis.call("HGET", recordKey, "leaseUntil") or "0")
if holder ~= owner and leaseUntil > now then
  return { "busy", attempts }
end
if redis.call("HGET", recordKey, "rerun") == "1" then
  return take("rerun")
end
redis.call("HSET", recordKey, "state", "unknown", "unknownAt", tostring(now))
return { "unknown", attempts }
