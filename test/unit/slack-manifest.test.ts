/**
 * slack-app-manifest.yaml asks for exactly the scopes and events the adapter uses: every Web API
 * method the adapter calls is covered by a scope, and no scope is there without a use.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/** Web API method -> the bot scopes it needs (any one of them, by conversation type). */
const METHOD_SCOPES: Record<string, string[]> = {
  'auth.test': [],
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'reactions.add': ['reactions:write'],
  'reactions.remove': ['reactions:write'],
  'conversations.replies': ['channels:history', 'groups:history', 'im:history'],
  'conversations.history': ['channels:history', 'groups:history'],
  'views.open': [],
  'usergroups.users.list': ['usergroups:read'],
};
/** Event -> the scope that delivers it. */
const EVENT_SCOPES: Record<string, string> = {
  app_mention: 'app_mentions:read',
  'message.channels': 'channels:history',
  'message.groups': 'groups:history',
  'message.im': 'im:history',
};

interface Manifest {
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { request_url?: string; bot_events: string[] }; interactivity: { is_enabled: boolean; request_url?: string } };
}

const manifest = parse(readFileSync('slack-app-manifest.yaml', 'utf8')) as Manifest;
const source = readdirSync('adapters/slack')
  .filter((file) => file.endsWith('.ts'))
  .map((file) => readFileSync(`adapters/slack/${file}`, 'utf8'))
  .join('\n');
// Every Web API method name written in the adapter's files (they are all string literals there).
const calledMethods = [...new Set([...source.matchAll(/'((?:auth|apps|chat|conversations|reactions|usergroups|users|views|files)\.[A-Za-z.]+)'/g)].map((match) => match[1]!))];

describe('slack-app-manifest.yaml', () => {
  it('finds the methods the adapter calls', () => {
    expect(calledMethods).toEqual(expect.arrayContaining(['auth.test', 'chat.postMessage', 'conversations.replies', 'views.open', 'reactions.add', 'reactions.remove']));
  });

  it('covers every method the adapter calls with a scope', () => {
    const scopes = new Set(manifest.oauth_config.scopes.bot);
    for (const method of calledMethods) {
      expect(METHOD_SCOPES, `a scope entry for ${method}`).toHaveProperty([method]);
      const needed = METHOD_SCOPES[method]!;
      if (needed.length) expect(needed.some((scope) => scopes.has(scope)), method).toBe(true);
    }
  });

  it('asks for no scope without a use', () => {
    const used = new Set([...calledMethods.flatMap((method) => METHOD_SCOPES[method] ?? []), ...Object.values(EVENT_SCOPES)]);
    expect(manifest.oauth_config.scopes.bot.filter((scope) => !used.has(scope))).toEqual([]);
  });

  it('subscribes to exactly the events the adapter handles, on the events endpoint', () => {
    expect(new Set(manifest.settings.event_subscriptions.bot_events)).toEqual(new Set(Object.keys(EVENT_SCOPES)));
    expect(manifest.settings.event_subscriptions.request_url).toMatch(/\/slack\/events$/);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.interactivity.request_url).toMatch(/\/slack\/events$/);
  });
});
