--[[
  Hold the turn for a human: it joins the review queue; with holdConversation the conversation
  waits for the decision, otherwise it goes on (and the decision is delivered later through the
  ready list). The escalated turn never expires while it waits (it gets its expiry when it closes).
  A turn can be escalated again after a human resolved a tool call of it and it went on: the
  earlier resolution is dropped, so the turn is pending again, and only pending; its holding
  message was posted the first time and is not written again.

  KEYS[1] state    HASH the conversation's state
  KEYS[2] turn     HASH the turn
  KEYS[3] review   ZSET the pending review queue
  KEYS[4] holding  HASH the holding message's delivery record (unused without one)
  KEYS[5] pending  ZSET the reconciler's index of conversations with work
  KEYS[6] history  LIST history entries (for the retention)
  KEYS[7] resolved ZSET resolved turns by time (a turn escalated again leaves it)

  ARGV[1] the turn id
  ARGV[2] now, ms
  ARGV[3] hold the conversation: '1' | '0'
  ARGV[4] the turn's fields to store, a JSON array of field, value, ...
  ARGV[5] the conversation key
  ARGV[6] with a holding message: '1' | '0'
  ARGV[7] the conversation's retention, seconds
  ARGV[8..] the holding message's delivery record (an issued approval)

  Returns 1 escalated, 0 the turn is no longer the conversation's
]]
--- @include "include/retain-conversation.lua"
local stateKey, turnKey, reviewKey, holdingKey, pendingKey, historyKey, resolvedKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local turnId, now, hold, turnFields, conversation, hasHolding, conversationTtl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]

if redis.call('HGET', stateKey, 'turn') ~= turnId then return 0 end
redis.call('HDEL', turnKey, 'resolution')
redis.call('HSET', turnKey, 'status', 'escalated', 'updatedAt', now, unpack(cjson.decode(turnFields)))
redis.call('ZREM', resolvedKey, turnId)
redis.call('ZADD', reviewKey, now, turnId)
-- One holding message per turn: a turn escalated again keeps the record (and the post) it has.
if hasHolding == '1' and redis.call('EXISTS', holdingKey) == 0 then redis.call('HSET', holdingKey, unpack(ARGV, 8)) end
if hold == '1' then
  redis.call('HSET', stateKey, 'held', turnId)
else
  redis.call('HDEL', stateKey, 'turn')
  redis.call('ZADD', pendingKey, now, conversation)
end
retain_conversation(stateKey, historyKey, conversationTtl)
return 1
