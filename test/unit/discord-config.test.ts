import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';

const base = { OPENAI_BASE_URL: 'http://127.0.0.1:1/v1', ADAPTERS: 'discord' };

describe('Discord configuration from the environment', () => {
  it('reads every DISCORD_ variable', () => {
    const config = loadConfig({
      file: '/nonexistent-countersign.yaml',
      env: {
        ...base,
        DISCORD_BOT_TOKEN: 'token',
        DISCORD_API_URL: 'http://127.0.0.1:4000/api',
        DISCORD_APPLICATION_ID: '123456789012345678',
        DISCORD_REVIEW_CHANNEL: '223456789012345678',
        DISCORD_REVIEWER_ROLE: '323456789012345678',
        DISCORD_REVIEWERS: '423456789012345678, 523456789012345678',
        DISCORD_IGNORE_BOTS: 'false',
        DISCORD_REQUEST_TIMEOUT_MS: '5000',
      },
    });
    expect(config.discord).toEqual({
      botToken: 'token',
      apiUrl: 'http://127.0.0.1:4000/api',
      applicationId: '123456789012345678',
      reviewChannel: '223456789012345678',
      reviewerRole: '323456789012345678',
      reviewers: ['423456789012345678', '523456789012345678'],
      ignoreBots: false,
      requestTimeoutMs: 5000,
    });
  });

  it('defaults to ignoring bots and no reviewers', () => {
    const config = loadConfig({ file: '/nonexistent-countersign.yaml', env: { ...base, DISCORD_BOT_TOKEN: 'token' } });
    expect(config.discord).toMatchObject({ ignoreBots: true, reviewers: [] });
  });

  it('names the variable of an id that is not a snowflake', () => {
    expect(() => loadConfig({ file: '/nonexistent-countersign.yaml', env: { ...base, DISCORD_REVIEW_CHANNEL: '#review' } })).toThrow(
      /environment DISCORD_REVIEW_CHANNEL: discord\.reviewChannel: must be a Discord id/,
    );
  });
});
