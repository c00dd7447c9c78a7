import { describe, expect, it } from 'vitest';
import { type DiscordMessageData, discordChannelOf, discordConversationId, mapDiscordMessage } from '../../adapters/discord/discord-message-mapper.js';

const BOT = '900000000000000001';
const base: DiscordMessageData = {
  id: '100000000000000001',
  channelId: '200000000000000001',
  guildId: '300000000000000001',
  channelKind: 'guild-text',
  type: 0,
  author: { id: '400000000000000001', username: 'ann', globalName: 'Ann' },
  content: `<@${BOT}> where is my order?`,
  mentionedUsers: {},
};

describe('mapDiscordMessage', () => {
  it('maps a mention to an InboundMessage in guild:channel, without the bot mention', () => {
    const mapping = mapDiscordMessage(base, { botUserId: BOT });
    expect(mapping).toEqual({
      accepted: true,
      mentioned: true,
      message: {
        id: base.id,
        conversation: { platform: 'discord', id: `${base.guildId}:${base.channelId}`, route: { channelId: base.channelId, guildId: base.guildId } },
        user: { id: base.author.id, name: 'Ann' },
        text: 'where is my order?',
        platformData: { messageId: base.id, channelId: base.channelId, channelKind: 'guild-text', guildId: base.guildId },
      },
    });
  });

  it('accepts the legacy nickname mention form and names other mentioned users', () => {
    const mapping = mapDiscordMessage(
      { ...base, content: `<@!${BOT}> ask <@500000000000000001> and <@600000000000000001>`, mentionedUsers: { '500000000000000001': 'Bob' } },
      { botUserId: BOT },
    );
    expect(mapping.accepted && mapping.message.text).toBe('ask @Bob and <@600000000000000001>');
  });

  it('maps direct messages to @me:channel without a mention', () => {
    const mapping = mapDiscordMessage({ ...base, guildId: null, channelKind: 'dm', content: 'hello' }, { botUserId: BOT });
    expect(mapping.accepted && mapping.message.conversation.id).toBe(`@me:${base.channelId}`);
    expect(mapping.accepted && mapping.message.conversation.route).toEqual({ channelId: base.channelId });
  });

  it('answers thread messages only where the bot takes part', () => {
    const thread = { ...base, channelKind: 'thread' as const, content: 'follow-up' };
    expect(mapDiscordMessage(thread, { botUserId: BOT })).toEqual({ accepted: false, reason: 'not-addressed' });
    expect(mapDiscordMessage(thread, { botUserId: BOT, botInThread: true }).accepted).toBe(true);
  });

  it('ignores its own messages, bots and webhooks (unless allowed), system messages, unaddressed and empty ones', () => {
    expect(mapDiscordMessage({ ...base, author: { id: BOT, username: 'me', bot: true } }, { botUserId: BOT })).toEqual({ accepted: false, reason: 'own' });
    const bot = { ...base, author: { id: '700000000000000001', username: 'other', bot: true } };
    expect(mapDiscordMessage(bot, { botUserId: BOT })).toEqual({ accepted: false, reason: 'bot' });
    expect(mapDiscordMessage(bot, { botUserId: BOT, ignoreBots: false }).accepted).toBe(true);
    expect(mapDiscordMessage({ ...base, webhookId: '800000000000000001' }, { botUserId: BOT })).toEqual({ accepted: false, reason: 'bot' });
    expect(mapDiscordMessage({ ...base, type: 7 }, { botUserId: BOT })).toEqual({ accepted: false, reason: 'system' });
    expect(mapDiscordMessage({ ...base, content: 'no mention' }, { botUserId: BOT })).toEqual({ accepted: false, reason: 'not-addressed' });
    expect(mapDiscordMessage({ ...base, content: `<@${BOT}>   ` }, { botUserId: BOT })).toEqual({ accepted: false, reason: 'empty' });
    expect(mapDiscordMessage({ ...base, id: 'not-a-snowflake' }, { botUserId: BOT })).toEqual({ accepted: false, reason: 'invalid' });
  });

  it('prefers the member name, then the global name, then the username', () => {
    const named = (extra: Partial<DiscordMessageData>) => {
      const mapping = mapDiscordMessage({ ...base, ...extra }, { botUserId: BOT });
      return mapping.accepted ? mapping.message.user.name : null;
    };
    expect(named({ memberName: 'Annie' })).toBe('Annie');
    expect(named({})).toBe('Ann');
    expect(named({ author: { id: '400000000000000001', username: 'ann' } })).toBe('ann');
  });
});

describe('conversation ids', () => {
  it('round-trips the channel', () => {
    expect(discordConversationId('1', '22')).toBe('1:22');
    expect(discordConversationId(null, '22')).toBe('@me:22');
    expect(discordChannelOf('@me:22')).toBe('22');
    expect(() => discordChannelOf('nonsense')).toThrow();
  });
});
