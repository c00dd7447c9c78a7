import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { configProblems, LOCAL_ENV, NO_CONFIG_FILE, writeConfigFile } from '../helpers/config-file.js';

describe('the web: section', () => {
  it('is empty by default: the web adapter holds the defaults', () => {
    expect(loadConfig({ file: NO_CONFIG_FILE, env: LOCAL_ENV }).web).toEqual({});
  });

  it('takes the limits from WEB_* variables, 0 included, over the file', () => {
    const file = writeConfigFile('web:\n  limits:\n    perClient: { messagesPerMinute: 5 }\n  conversationTokens: off\n');
    const config = loadConfig({
      file,
      env: {
        ...LOCAL_ENV,
        WEB_MESSAGES_PER_MINUTE: '0',
        WEB_CONVERSATIONS_PER_MINUTE: '3',
        WEB_GLOBAL_MESSAGES_PER_MINUTE: '100',
        WEB_GLOBAL_CONVERSATIONS_PER_MINUTE: '0',
        WEB_TRANSCRIPT_KEEP: '80',
      },
    });
    expect(config.web).toEqual({
      conversationTokens: false,
      transcriptKeep: 80,
      limits: { perClient: { messagesPerMinute: 0, conversationsPerMinute: 3 }, global: { messagesPerMinute: 100, conversationsPerMinute: 0 } },
    });
  });

  it('reads conversationTokens as on/off or true/false', () => {
    for (const [value, expected] of [['on', true], ['off', false], ['true', true], ['false', false]] as const) {
      expect(loadConfig({ file: NO_CONFIG_FILE, env: { ...LOCAL_ENV, WEB_CONVERSATION_TOKENS: value } }).web.conversationTokens).toBe(expected);
    }
    expect(loadConfig({ file: writeConfigFile('web:\n  conversationTokens: false\n'), env: LOCAL_ENV }).web.conversationTokens).toBe(false);
  });

  it('reads showReview (WEB_SHOW_REVIEW) as on/off; unset, the web adapter keeps it off', () => {
    expect(loadConfig({ file: NO_CONFIG_FILE, env: LOCAL_ENV }).web.showReview).toBeUndefined();
    expect(loadConfig({ file: NO_CONFIG_FILE, env: { ...LOCAL_ENV, WEB_SHOW_REVIEW: 'on' } }).web.showReview).toBe(true);
    expect(loadConfig({ file: writeConfigFile('web:\n  showReview: on\n'), env: { ...LOCAL_ENV, WEB_SHOW_REVIEW: 'off' } }).web.showReview).toBe(false);
    expect(configProblems(() => loadConfig({ file: NO_CONFIG_FILE, env: { ...LOCAL_ENV, WEB_SHOW_REVIEW: 'sometimes' } })).join('\n')).toMatch(/WEB_SHOW_REVIEW.*must be on or off/);
  });

  it('names every bad value and where it came from', () => {
    const file = writeConfigFile('web:\n  pageSize: 300\n  maxPageSize: 100\n  transcriptKeep: 0\n  limits:\n    perMinute: 3\n');
    const problems = configProblems(() => loadConfig({ file, env: { ...LOCAL_ENV, WEB_MESSAGES_PER_MINUTE: '-1', WEB_CONVERSATION_TOKENS: 'maybe' } }));
    expect(problems).toEqual(
      expect.arrayContaining([
        'environment WEB_MESSAGES_PER_MINUTE: web.limits.perClient.messagesPerMinute: must be 0 (no limit) or more',
        'environment WEB_CONVERSATION_TOKENS: web.conversationTokens: must be on or off',
        `${file}: web.limits: unknown field "perMinute" (the fields here: perClient, global)`,
        expect.stringMatching(/web\.transcriptKeep: /),
      ]),
    );
    // The page sizes are checked once the fields themselves are valid.
    const sizes = configProblems(() => loadConfig({ file: writeConfigFile('web:\n  pageSize: 300\n  maxPageSize: 100\n'), env: LOCAL_ENV }));
    expect(sizes).toEqual([expect.stringMatching(/web\.pageSize: must not exceed maxPageSize \(100\)$/)]);
  });
});
