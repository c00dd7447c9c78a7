import { PermissionFlagsBits, PermissionsBitField } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { DISCORD_BOT_PERMISSIONS, discordInviteUrl } from '../../adapters/discord/discord-invite-url.js';
import { discordNonce } from '../../adapters/discord/discord-nonce.js';

describe('discordInviteUrl', () => {
  it('asks for the bot scope with exactly the permissions the adapter uses', () => {
    const url = new URL(discordInviteUrl('123456789012345678'));
    expect(url.origin + url.pathname).toBe('https://discord.com/oauth2/authorize');
    expect(url.searchParams.get('client_id')).toBe('123456789012345678');
    expect(url.searchParams.get('scope')).toBe('bot');
    const granted = new PermissionsBitField(BigInt(url.searchParams.get('permissions')!));
    expect(granted.toArray().sort()).toEqual(['EmbedLinks', 'ReadMessageHistory', 'SendMessages', 'SendMessagesInThreads', 'ViewChannel']);
    expect(granted.has(PermissionFlagsBits.Administrator)).toBe(false);
    expect(url.searchParams.get('permissions')).toBe(DISCORD_BOT_PERMISSIONS.toString());
    expect(DISCORD_BOT_PERMISSIONS).toBe(274877991936n);
  });

  it('refuses an application id that is not a snowflake', () => {
    expect(() => discordInviteUrl('my-app')).toThrow(/snowflake/);
  });
});

describe('discordNonce', () => {
  it('is deterministic, distinct per key and at most 25 characters', () => {
    expect(discordNonce('turn-1:0')).toBe(discordNonce('turn-1:0'));
    expect(discordNonce('turn-1:0')).not.toBe(discordNonce('turn-1:1'));
    const nonces = Array.from({ length: 1000 }, (_, index) => discordNonce(`turn-${index}:holding:${index % 3}`));
    expect(nonces.every((nonce) => nonce.length <= 25 && /^[0-9a-z]+$/.test(nonce))).toBe(true);
    expect(new Set(nonces).size).toBe(1000);
  });
});
