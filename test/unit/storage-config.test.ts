import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { INBOX_DEFAULTS, RETENTION_DEFAULTS, REVIEW_NOTIFICATION_DEFAULTS } from '../../src/config/storage-schema.js';
import { configProblems, LOCAL_ENV, NO_CONFIG_FILE, writeConfigFile } from '../helpers/config-file.js';

describe('retention, inbox and review notification settings', () => {
  it('have bounded defaults: every retention finite, the inbox capped, the notification limits on', () => {
    const config = loadConfig({ file: NO_CONFIG_FILE, env: LOCAL_ENV });
    expect(config.retention).toEqual(RETENTION_DEFAULTS);
    expect(config.retention.conversationSeconds).toBe(30 * 24 * 3600);
    expect(config.retention.turnSeconds).toBe(7 * 24 * 3600);
    expect(config.retention.reviewedTurnSeconds).toBeGreaterThan(config.retention.turnSeconds);
    expect(config.inbox).toEqual(INBOX_DEFAULTS);
    expect(config.reviewNotifications).toEqual(REVIEW_NOTIFICATION_DEFAULTS);
    for (const limit of ['perPlatform', 'perConversation', 'perUser', 'perRule'] as const) expect(config.reviewNotifications[limit]).toBeGreaterThan(0);
  });

  it('are read from the file and the environment (which wins); 0 lifts a notification limit', () => {
    const file = writeConfigFile(
      ['retention:', '  conversationSeconds: 3600', '  turnSeconds: 60', 'inbox:', '  maxMessages: 10', 'reviewNotifications:', '  perUser: 0', '  dashboardUrl: https://bot.example.com/review'].join('\n'),
    );
    const config = loadConfig({ file, env: { ...LOCAL_ENV, RETENTION_TURN_SECONDS: '120', INBOX_MAX_BYTES: '65536', REVIEW_NOTIFY_PER_PLATFORM: '0' } });
    expect(config.retention).toMatchObject({ conversationSeconds: 3600, turnSeconds: 120, reviewedTurnSeconds: RETENTION_DEFAULTS.reviewedTurnSeconds });
    expect(config.inbox).toEqual({ maxMessages: 10, maxBytes: 65536 });
    expect(config.reviewNotifications).toMatchObject({ perUser: 0, perPlatform: 0, perConversation: 2, dashboardUrl: 'https://bot.example.com/review' });
  });

  it('countersign.example.yaml shows the defaults of these sections', () => {
    const config = loadConfig({ file: 'countersign.example.yaml', env: { ...LOCAL_ENV, OPENAI_API_KEY: 'sk-test' }, required: true });
    expect(config.retention).toEqual(RETENTION_DEFAULTS);
    expect(config.inbox).toEqual(INBOX_DEFAULTS);
    expect(config.reviewNotifications).toEqual(REVIEW_NOTIFICATION_DEFAULTS);
  });

  it('refuses values that would unbound storage or make no sense, naming the field and its source', () => {
    const problems = configProblems(() =>
      loadConfig({ file: NO_CONFIG_FILE, env: { ...LOCAL_ENV, RETENTION_CONVERSATION_SECONDS: '0', INBOX_MAX_MESSAGES: '-1', INBOX_MAX_BYTES: '12', REVIEW_NOTIFY_PER_RULE: 'lots', REVIEW_DASHBOARD_URL: 'not a url' } }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^environment RETENTION_CONVERSATION_SECONDS: retention\.conversationSeconds: /),
        expect.stringMatching(/^environment INBOX_MAX_MESSAGES: inbox\.maxMessages: /),
        expect.stringMatching(/^environment INBOX_MAX_BYTES: inbox\.maxBytes: /),
        expect.stringMatching(/^environment REVIEW_NOTIFY_PER_RULE: reviewNotifications\.perRule: /),
        expect.stringMatching(/^environment REVIEW_DASHBOARD_URL: reviewNotifications\.dashboardUrl: /),
      ]),
    );
  });
});
