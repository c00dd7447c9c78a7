-- The newest history entries whose stored JSON fits a character budget, oldest first, as one
-- JSON array (the exact cut for the models is made later, in the unit the operator chose).
local function history_tail(historyKey, keep, budget)
  local entries = redis.call('LRANGE', historyKey, -keep, -1)
  local total, first = 0, #entries + 1
  for i = #entries, 1, -1 do
    total = total + #entries[i]
    if total > budget then break end
    first = i
  end
  if first > #entries then return '[]' end
  return '[' .. table.concat(entries, ',', first, #entries) .. ']'
end
