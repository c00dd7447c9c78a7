import { describe, expect, it } from 'vitest';
import { mapSlackEvent, slackTextToPlain } from '../../adapters/slack/slack-event-mapper.js';

const BOT = 'U0BOT';
const envelope = (event: Record<string, unknown>) => ({ type: 'event_callback', team_id: 'T1', event_id: 'Ev1', event });
const options = { botUserId: BOT, botId: 'B0BOT' };

describe('mapSlackEvent', () => {
  it('maps a channel mention to a message of the thread it starts', () => {
    const mapped = mapSlackEvent(
      envelope({ type: 'app_mention', user: 'U1', text: `<@${BOT}> hello`, ts: '10.1', channel: 'C1', client_msg_id: 'c-1', user_profile: { display_name: 'Ann' } }),
      options,
    );
    expect(mapped).toEqual({
      kind: 'message',
      eventId: 'Ev1',
      teamId: 'T1',
      clientMessageId: 'c-1',
      requiresThread: false,
      message: {
        id: 'T1:C1:10.1',
        conversation: { platform: 'slack', id: 'T1:C1:10.1', route: { team: 'T1', channel: 'C1', threadTs: '10.1' } },
        user: { id: 'U1', name: 'Ann' },
        text: 'hello',
        platformData: { channel: 'C1', ts: '10.1', threadTs: '10.1', eventId: 'Ev1', clientMessageId: 'c-1' },
      },
    });
  });

  it('puts a mention inside a thread into that thread', () => {
    const mapped = mapSlackEvent(envelope({ type: 'app_mention', user: 'U1', text: `<@${BOT}> and?`, ts: '10.5', thread_ts: '10.1', channel: 'C1' }), options);
    expect(mapped.kind === 'message' && mapped.message.conversation.id).toBe('T1:C1:10.1');
    expect(mapped.kind === 'message' && mapped.message.id).toBe('T1:C1:10.5');
  });

  it('takes direct messages, and thread replies only subject to participation', () => {
    const dm = mapSlackEvent(envelope({ type: 'message', channel_type: 'im', user: 'U1', text: 'hi', ts: '11.1', channel: 'D1' }), options);
    expect(dm.kind === 'message' && dm.requiresThread).toBe(false);
    const reply = mapSlackEvent(envelope({ type: 'message', channel_type: 'channel', user: 'U1', text: 'more', ts: '11.2', thread_ts: '10.1', channel: 'C1' }), options);
    expect(reply.kind === 'message' && reply.requiresThread).toBe(true);
  });

  it.each([
    ['channel chatter', { type: 'message', channel_type: 'channel', user: 'U1', text: 'hi all', ts: '1.1', channel: 'C1' }],
    ['an edit', { type: 'message', subtype: 'message_changed', channel_type: 'im', channel: 'D1', ts: '1.2', message: { text: 'x' } }],
    ['a deletion', { type: 'message', subtype: 'message_deleted', channel_type: 'im', channel: 'D1', ts: '1.3' }],
    ['a join', { type: 'message', subtype: 'channel_join', user: 'U1', channel_type: 'channel', channel: 'C1', ts: '1.4', text: 'joined' }],
    ['its own message', { type: 'message', channel_type: 'im', user: BOT, text: 'mine', ts: '1.5', channel: 'D1' }],
    ['its own bot id', { type: 'message', channel_type: 'im', bot_id: 'B0BOT', text: 'mine', ts: '1.6', channel: 'D1' }],
    ['another bot', { type: 'message', channel_type: 'im', user: 'U9', bot_id: 'B9', text: 'beep', ts: '1.7', channel: 'D1' }],
    ['a bare mention', { type: 'app_mention', user: 'U1', text: `<@${BOT}>  `, ts: '1.8', channel: 'C1' }],
    ['another event type', { type: 'reaction_added', user: 'U1', reaction: 'x' }],
  ])('ignores %s', (_name, event) => {
    expect(mapSlackEvent(envelope(event), options).kind).toBe('ignored');
  });

  it('takes other bots when told to', () => {
    const mapped = mapSlackEvent(envelope({ type: 'message', subtype: 'bot_message', channel_type: 'im', bot_id: 'B9', text: 'beep', ts: '1.7', channel: 'D1' }), {
      ...options,
      ignoreBots: false,
    });
    expect(mapped.kind === 'message' && mapped.message.user).toEqual({ id: 'B9' });
  });

  it('ignores malformed payloads instead of throwing', () => {
    for (const body of [null, 'text', { type: 'event_callback' }, { type: 'event_callback', team_id: 'T1', event_id: 'E', event: { type: 'message', ts: 5 } }]) {
      expect(mapSlackEvent(body, options).kind).toBe('ignored');
    }
  });
});

describe('slackTextToPlain', () => {
  it('makes mentions, channels and links readable and undoes escapes last', () => {
    expect(slackTextToPlain(`<@${BOT}> ask <@U2> in <#C1|general> about <https://x.io|the docs> or <mailto:a@b.io|a@b.io> <!here>`, BOT)).toBe(
      'ask @U2 in #general about the docs (https://x.io) or a@b.io (mailto:a@b.io) @here',
    );
    expect(slackTextToPlain('1 &lt; 2 &amp;&amp; 3 &gt; 2, literally &amp;lt;', BOT)).toBe('1 < 2 && 3 > 2, literally &lt;');
  });
});
