/**
 * The Lua scripts behind the conversation store. Each state change of a conversation is one
 * script, so it is atomic against other workers and processes, and costs one round trip.
 */

/**
 * Accept a message once into its conversation's inbox, within the inbox's bounds. A message past
 * them is refused and not remembered as seen, so a client may send it again later.
 * KEYS: seen, inbox, pending, state. ARGV: ttlSeconds, messageJson, conversationKey, now, maxMessages, maxBytes
 * -> 1 accepted; 0 duplicate; 2 duplicate, and the conversation has work waiting (its job may
 * have been lost between an accept and its enqueue: the caller queues it again); -1 refused (inbox full)
 */
export const ACCEPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('ZSCORE', KEYS[3], ARGV[3]) then return 2 end
  return 0
end
local waiting = redis.call('LLEN', KEYS[2])
local bytes = tonumber(redis.call('HGET', KEYS[4], 'inboxBytes') or '0')
if waiting >= tonumber(ARGV[5]) or (waiting > 0 and bytes + #ARGV[2] > tonumber(ARGV[6])) then
  redis.call('HINCRBY', KEYS[4], 'refused', 1)
  return -1
end
redis.call('SET', KEYS[1], '1', 'EX', ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('HINCRBY', KEYS[4], 'inboxBytes', #ARGV[2])
-- Waiting messages keep their conversation: the state does not expire under them.
redis.call('PERSIST', KEYS[4])
redis.call('ZADD', KEYS[3], 'NX', ARGV[4], ARGV[3])
return 1`;

/**
 * The conversation's retention (docs/data-model.md): its state and history never expire while
 * a turn is open or a human holds it; otherwise they expire `ttl` seconds after this, the last
 * activity. Every script that sets or clears `turn` or `held` ends with it, inside the same
 * script, so no expiry can be set between a check and a change of another script.
 */
const RETAIN_CONVERSATION = `
local function retain_conversation(state, history, ttl)
  if redis.call('HEXISTS', state, 'turn') == 1 or redis.call('HEXISTS', state, 'held') == 1 then
    redis.call('PERSIST', state)
    redis.call('PERSIST', history)
  else
    redis.call('EXPIRE', state, ttl)
    redis.call('EXPIRE', history, ttl)
  end
end`;

/** Messages leave the inbox: keep its byte count (state `inboxBytes`) right, and reset it when empty. */
const TAKE_FROM_INBOX = `
local function took_from_inbox(state, inbox, items)
  if redis.call('LLEN', inbox) == 0 then
    redis.call('HDEL', state, 'inboxBytes')
    return
  end
  local bytes = 0
  for i = 1, #items do bytes = bytes + #items[i] end
  if redis.call('HINCRBY', state, 'inboxBytes', -bytes) < 0 then redis.call('HDEL', state, 'inboxBytes') end
end`;

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
 * ARGV: newTurnId, now, maxMessages, conversationKey, conversationJson, keep, historyBudgetChars, conversationTtl
 * -> {'resume', turnId, history, turns} | {'ready', turnId, ''} | {'held', turnId} | {'empty'} | {'new', turnId, messagesJson, history, turns}
 * (`turns`: turns the conversation has finished so far)
 */
export const BEGIN_TURN = `${HISTORY_TAIL}${RETAIN_CONVERSATION}${TAKE_FROM_INBOX}
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
  retain_conversation(KEYS[1], KEYS[3], ARGV[8])
  return {'empty'}
end
redis.call('LTRIM', KEYS[2], #items, -1)
took_from_inbox(KEYS[1], KEYS[2], items)
local messages = '[' .. table.concat(items, ',') .. ']'
redis.call('HSET', KEYS[5] .. ARGV[1], 'status', 'drafting', 'conversation', ARGV[5], 'messages', messages,
  'drafts', '[]', 'revisions', '0', 'folds', '0', 'createdAt', ARGV[2], 'updatedAt', ARGV[2])
redis.call('HSET', KEYS[1], 'turn', ARGV[1])
retain_conversation(KEYS[1], KEYS[3], ARGV[8])
return {'new', ARGV[1], messages, history_tail(KEYS[3], tonumber(ARGV[6]), tonumber(ARGV[7])), redis.call('HGET', KEYS[1], 'turns') or '0'}`;

/**
 * Record the critic's approval unless messages arrived meanwhile (then fold them in instead).
 * KEYS: state, inbox, turn, outbox. ARGV: turnId, maxFolds, now, turnFieldsJson(array), ...outboxFields
 * -> {'approved'} | {'stale', newMessagesJson} | {'gone'}
 */
export const APPROVE_IF_FRESH = `${TAKE_FROM_INBOX}
if redis.call('HGET', KEYS[1], 'turn') ~= ARGV[1] then return {'gone'} end
local folds = tonumber(redis.call('HGET', KEYS[3], 'folds') or '0')
if folds < tonumber(ARGV[2]) and redis.call('LLEN', KEYS[2]) > 0 then
  local items = redis.call('LRANGE', KEYS[2], 0, -1)
  redis.call('LTRIM', KEYS[2], #items, -1)
  took_from_inbox(KEYS[1], KEYS[2], items)
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
 * The escalated turn never expires while it waits (it gets its expiry when it closes).
 * KEYS: state, turn, reviewPending, outbox (holding message, may be unused), pending, history
 * ARGV: turnId, now, holdConversation ('1'|'0'), turnFieldsJson(array), conversationKey, hasHolding ('1'|'0'), conversationTtl, ...outboxFields
 */
export const ESCALATE = `${RETAIN_CONVERSATION}
if redis.call('HGET', KEYS[1], 'turn') ~= ARGV[1] then return 0 end
local fields = cjson.decode(ARGV[4])
redis.call('HSET', KEYS[2], 'status', 'escalated', 'updatedAt', ARGV[2], unpack(fields))
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
if ARGV[6] == '1' then redis.call('HSET', KEYS[4], unpack(ARGV, 8)) end
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[1], 'held', ARGV[1])
else
  redis.call('HDEL', KEYS[1], 'turn')
  redis.call('ZADD', KEYS[5], ARGV[2], ARGV[5])
end
retain_conversation(KEYS[1], KEYS[6], ARGV[7])
return 1`;

/**
 * Close a turn: its messages and reply into the history, the conversation released. Returns 2
 * when nothing else waits in the conversation (the worker can stop without another round trip).
 * The closed turn expires after `turnTtl`, or `reviewedTurnTtl` when a human resolved it.
 * KEYS: state, turn, history, ready, inbox, pending.
 * ARGV: turnId, status, now, keep, detached ('1' for a ready-list turn), conversationKey, turnTtl, reviewedTurnTtl, conversationTtl, ...historyEntries
 */
export const FINALIZE = `${RETAIN_CONVERSATION}
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
redis.call('EXPIRE', KEYS[2], redis.call('HEXISTS', KEYS[2], 'resolution') == 1 and ARGV[8] or ARGV[7])
if #ARGV > 9 then
  redis.call('RPUSH', KEYS[3], unpack(ARGV, 10))
  redis.call('LTRIM', KEYS[3], -tonumber(ARGV[4]), -1)
end
retain_conversation(KEYS[1], KEYS[3], ARGV[9])
if redis.call('LLEN', KEYS[5]) == 0 and redis.call('LLEN', KEYS[4]) == 0 then
  redis.call('ZREM', KEYS[6], ARGV[6])
  return 2
end
return 1`;
