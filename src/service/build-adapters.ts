import type { WebAuthenticate } from '../../adapters/web/conversation-access.js';
import { createWebAdapter } from '../../adapters/web/web-adapter.js';
import type { Config } from '../config/schema.js';
import type { ChatAdapter } from '../core/ports.js';

/** The adapters the configuration names; Slack and Discord load their SDKs only when used. */
export async function buildAdapters(config: Config, web: { authenticate?: WebAuthenticate } | undefined): Promise<ChatAdapter[]> {
  const adapters: ChatAdapter[] = [];
  for (const name of config.adapters) {
    if (name === 'web') adapters.push(createWebAdapter({ maxMessageChars: config.turn.maxMessageChars, ...config.web, ...web }));
    if (name === 'slack') {
      const { createSlackAdapter } = await import('../../adapters/slack/slack-adapter.js');
      adapters.push(createSlackAdapter({ ...config.slack }));
    }
    if (name === 'discord') {
      const { createDiscordAdapter } = await import('../../adapters/discord/discord-adapter.js');
      adapters.push(createDiscordAdapter({ ...config.discord }));
    }
  }
  return adapters;
}
