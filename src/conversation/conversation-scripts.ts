/**
 * The Lua scripts behind the conversation store. Each state change of a conversation is one
 * script, so it is atomic against other workers and processes, and costs one round trip.
 */

/**
 * KEYS: seen, inbox, pending. ARGV: ttlSeconds, messageJson, conversationKey, now.
 * -> 1 accepted; 0 duplicate; 2 duplicate, and the conversation has work waiting (its job may
 * have been lost between an accept and its enqueue: the caller queues it again)
 */
export const ACCEPT = `
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) == false then
  if redis.call('ZSCORE', KEYS[3], ARGV[3]) then return 2 end
  return 0
end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], 'NX', ARGV[4], ARGV[3])
return 1`;

/**
 * Read the history tail that fits a character budget (newest kept, oldest out), as a JSON array.
 * Shared by BEGIN_TURN. Entries are returned oldest first.
 */
const HISTORY_TAIL = `
local function history_tail(key, keep, budget)
  local entries = redis.call('LRANGE', key, -keep, -1)
  local total, first = 0, #entries + 1
  for i = #entries, 1, -1 do
    total = total + #entries[i]
    if total > budget then break end
    first = i
  end
  if first > #entries then return '[]' end
  return '[' .. table.concat(entries, ',', first, #entries) .. ']'
end`;

/**
 * Start or resume the conversation's turn.
 * KEYS: state, inbox, history, pending, turnKeyPrefix (prefix:turn:), ready
 * ARGV: newTurnId, now, maxMessages, conversationKey, conversationJson, keep, historyBudgetChars
 * -> {'resume', turnId, history, turns} | {'ready', turnId, ''} | {'held', turnId} | {'empty'} | {'new', turnId, messagesJson, history, turns}
 * (`turns`: turns the conversation has finished so far)
 */
export const BEGIN_TURN = `${HISTORY_TAIL}
local current = redis.call('HGET', KEYS[1], 'turn')
if current then
  if redis.call('HGET', KEYS[5] .. current, 'status') == 'escalated' then return {'held', current} end
  return {'resume', current, history_tail(KEYS[3], tonumber(ARGV[6]), tonumber(ARGV[7])), redis.call('HGET', KEYS[1], 'turns') or '0'}
end
local ready = redis.call('LINDEX', KEYS[6], 0)
if ready then return {'ready', ready, ''} end
local held = redis.call('HGET', KEYS[1], 'held')
if held then
  redis.call('ZREM', KEYS[4], ARGV[4])
  return {'held', held}
end
local items = redis.call('LRANGE', KEYS[2], 0, tonumber(ARGV[3]) - 1)
if #items == 0 then
  redis.call('ZREM', KEYS[4], ARGV[4])
  return {'empty'}
end
redis.call('LTRIM', KEYS[2], #items, -1)
local messages = '[' .. table.concat(items, ',') .. ']'
redis.call('HSET', KEYS[5] .. ARGV[1], 'status', 'drafting', 'conversation', ARGV[5], 'messages', messages,
  'drafts', '[]', 'revisions', '0', 'folds', '0', 'createdAt', ARGV[2], 'updatedAt', ARGV[2])
redis.call('HSET', KEYS[1], 'turn', ARGV[1])
return {'new', ARGV[1], messages, history_tail(KEYS[3], tonumber(ARGV[6]), tonumber(ARGV[7])), redis.call('HGET', KEYS[1], 'turns') or '0'}`;

/**
 * Record the critic's approval unless messages arrived meanwhile (then fold them in instead).
 * KEYS: state, inbox, turn, outbox. ARGV: turnId, maxFolds, now, turnFieldsJson(array), ...outboxFields
 * -> {'approved'} | {'stale', newMessagesJson} | {'gone'}
 */
export const APPROVE_IF_FRESH = `
if redis.call('HGET', KEYS[1], 'turn') ~= ARGV[1] then return {'gone'} end
local folds = tonumber(redis.call('HGET', KEYS[3], 'folds') or '0')
if folds < tonumber(ARGV[2]) and redis.call('LLEN', KEYS[2]) > 0 then
  local items = redis.call('LRANGE', KEYS[2], 0, -1)
  redis.call('LTRIM', KEYS[2], #items, -1)
  local added = table.concat(items, ',')
  local messages = redis.call('HGET', KEYS[3], 'messages')
  messages = string.sub(messages, 1, -2) .. (messages == '[]' and '' or ',') .. added .. ']'
  redis.call('HSET', KEYS[3], 'messages', messages, 'folds', tostring(folds + 1), 'updatedAt', ARGV[3])
  return {'stale', '[' .. added .. ']'}
end
local fields = cjson.decode(ARGV[4])
redis.call('HSET', KEYS[3], 'status', 'approved', 'updatedAt', ARGV[3], unpack(fields))
redis.call('HSET', KEYS[4], unpack(ARGV, 5))
return {'approved'}`;

/**
 * Hold the turn for a human.
 * KEYS: state, turn, reviewPending, outbox (holding message, may be unused), pending
 * ARGV: turnId, now, holdConversation ('1'|'0'), turnFieldsJson(array), conversationKey, hasHolding ('1'|'0'), ...outboxFields
 */
export const ESCALATE = `
if redis.call('HGET', KEYS[1], 'turn') ~= ARGV[1] then return 0 end
local fields = cjson.decode(ARGV[4])
redis.call('HSET', KEYS[2], 'status', 'escalated', 'updatedAt', ARGV[2], unpack(fields))
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
if ARGV[6] == '1' then redis.call('HSET', KEYS[4], unpack(ARGV, 7)) end
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[1], 'held', ARGV[1])
else
  redis.call('HDEL', KEYS[1], 'turn')
  redis.call('ZADD', KEYS[5], ARGV[2], ARGV[5])
end
return 1`;

/**
 * Close a turn: its messages and reply into the history, the conversation released. Returns 2
 * when nothing else waits in the conversation (the worker can stop without another round trip).
 * KEYS: state, turn, history, ready, inbox, pending.
 * ARGV: turnId, status, now, keep, detached ('1' for a ready-list turn), conversationKey, ...historyEntries
 */
export const FINALIZE = `
if ARGV[5] == '1' then
  if redis.call('LINDEX', KEYS[4], 0) ~= ARGV[1] then return 0 end
  redis.call('LPOP', KEYS[4])
else
  if redis.call('HGET', KEYS[1], 'turn') ~= ARGV[1] then return 0 end
  redis.call('HDEL', KEYS[1], 'turn')
end
if redis.call('HGET', KEYS[1], 'held') == ARGV[1] then redis.call('HDEL', KEYS[1], 'held') end
redis.call('HINCRBY', KEYS[1], 'turns', 1)
redis.call('HSET', KEYS[2], 'status', ARGV[2], 'updatedAt', ARGV[3])
if #ARGV > 6 then
  redis.call('RPUSH', KEYS[3], unpack(ARGV, 7))
  redis.call('LTRIM', KEYS[3], -tonumber(ARGV[4]), -1)
end
if redis.call('LLEN', KEYS[5]) == 0 and redis.call('LLEN', KEYS[4]) == 0 then
  redis.call('ZREM', KEYS[6], ARGV[6])
  return 2
end
return 1`;
