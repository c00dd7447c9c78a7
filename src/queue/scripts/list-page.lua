--[[
  A page of an adapter's list by position: position 0 is the first item ever appended, and items
  trimmed away still count, so a position names the same item for good.

  KEYS[1] list     LIST the adapter's list
  KEYS[2] trimmed  STRING how many items were trimmed away from its front

  ARGV[1] before: the page ends before this position (-1: at the end)
  ARGV[2] limit: the most items

  Returns {first, oldest, total, item...}: the position of the first item returned, of the oldest
  item kept, the number of items ever appended, then the items, oldest first
]]
local listKey, trimmedKey = KEYS[1], KEYS[2]
local before, limit = tonumber(ARGV[1]), tonumber(ARGV[2])

local trimmed = tonumber(redis.call('GET', trimmedKey) or '0')
local total = trimmed + redis.call('LLEN', listKey)
if before < 0 or before > total then before = total end
local first = math.max(before - limit, trimmed)
local result = {first, trimmed, total}
if before > first then
  local items = redis.call('LRANGE', listKey, first - trimmed, before - trimmed - 1)
  for _, item in ipairs(items) do result[#result + 1] = item end
end
return result
