/**
 * The "working on it" signal on Discord: the typing indicator, which Discord shows for about
 * 10 s per request and cannot be stopped, so it is renewed until the turn says it is done (or a
 * limit passes, in case that never comes).
 */
import { type Client, Routes } from 'discord.js';
import type { Logger } from 'pino';
import type { ChatAdapter } from '../../src/core/ports.js';
import { conversationKey } from '../../src/core/types.js';
import { callDiscord } from './discord-errors.js';
import { discordChannelOfConversation } from './discord-reply-delivery.js';

export interface DiscordTypingIndicatorOptions {
  client: Client;
  logger: Logger;
  /** How often the indicator is renewed while working. @defaultValue 8000 */
  intervalMs?: number;
  /** Longest it is kept up without news. @defaultValue 30 minutes */
  limitMs?: number;
}

export interface DiscordTypingIndicator {
  setWorking: NonNullable<ChatAdapter['setWorking']>;
  /** Stop every indicator (the adapter stops). */
  stopAll(): void;
}

export function createDiscordTypingIndicator(options: DiscordTypingIndicatorOptions): DiscordTypingIndicator {
  const intervalMs = options.intervalMs ?? 8000;
  const limitMs = options.limitMs ?? 30 * 60_000;
  const timers = new Map<string, NodeJS.Timeout>();

  function stop(key: string): void {
    const timer = timers.get(key);
    if (timer) clearInterval(timer);
    timers.delete(key);
  }

  return {
    stopAll() {
      for (const key of [...timers.keys()]) stop(key);
    },
    async setWorking(conversation, _replyTo, working) {
      const key = conversationKey(conversation);
      stop(key);
      if (!working) return;
      const channelId = discordChannelOfConversation(conversation);
      const started = Date.now();
      const type = async () => {
        try {
          await callDiscord('show the typing indicator', () => options.client.rest.post(Routes.channelTyping(channelId)));
        } catch (error) {
          options.logger.debug({ err: error, channelId }, 'discord typing indicator failed');
        }
      };
      const timer = setInterval(() => {
        if (Date.now() - started > limitMs) return stop(key);
        void type();
      }, intervalMs);
      timer.unref();
      timers.set(key, timer);
      await type();
    },
  };
}
