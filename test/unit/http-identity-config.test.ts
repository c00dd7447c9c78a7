// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in these strings is the config interpolation under test, not a template mistake
/**
 * The `http:` section and the review identity settings: defaults, the environment, trusted
 * proxies, named reviewer tokens from the file and from a reviewers file, and errors that name
 * the problem (file and line) but never a token.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { configPath, configProblems, LOCAL_ENV, NO_CONFIG_FILE, writeConfigFile } from '../helpers/config-file.js';

const TOKEN_A = 'a-token-of-ada-0123456789';
const TOKEN_B = 'b-token-of-bob-0123456789';

describe('the http section', () => {
  it('has sane defaults: time-outs on, a connection cap, no trusted proxy, auto cookies, guess limits', () => {
    const config = loadConfig({ file: NO_CONFIG_FILE, env: LOCAL_ENV });
    expect(config.http).toEqual({
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      idleTimeoutMs: 30_000,
      maxConnections: 1000,
      trustProxy: false,
      secureCookies: 'auto',
      allowedOrigins: [],
      authLimits: { perClient: 10, global: 100, windowSeconds: 600 },
    });
    expect(config.review.session).toEqual({ idleSeconds: 43_200, absoluteSeconds: 86_400 });
    expect(config.review.reviewers).toEqual([]);
  });

  it('takes its settings from the environment', () => {
    const config = loadConfig({
      file: NO_CONFIG_FILE,
      env: {
        ...LOCAL_ENV,
        HTTP_REQUEST_TIMEOUT_MS: '8000',
        HTTP_HEADERS_TIMEOUT_MS: '4000',
        HTTP_IDLE_TIMEOUT_MS: '9000',
        HTTP_MAX_CONNECTIONS: '50',
        TRUST_PROXY: '10.0.0.5, 10.1.0.0/16',
        SECURE_COOKIES: 'always',
        ALLOWED_ORIGINS: 'https://review.example.com',
        REVIEW_AUTH_FAILURES_PER_CLIENT: '3',
        REVIEW_AUTH_FAILURES_GLOBAL: '30',
        REVIEW_AUTH_WINDOW_SECONDS: '60',
        REVIEW_SESSION_IDLE_SECONDS: '600',
        REVIEW_SESSION_ABSOLUTE_SECONDS: '3600',
      },
    });
    expect(config.http).toEqual({
      requestTimeoutMs: 8000,
      headersTimeoutMs: 4000,
      idleTimeoutMs: 9000,
      maxConnections: 50,
      trustProxy: ['10.0.0.5', '10.1.0.0/16'],
      secureCookies: 'always',
      allowedOrigins: ['https://review.example.com'],
      authLimits: { perClient: 3, global: 30, windowSeconds: 60 },
    });
    expect(config.review.session).toEqual({ idleSeconds: 600, absoluteSeconds: 3600 });
    expect(loadConfig({ file: NO_CONFIG_FILE, env: { ...LOCAL_ENV, TRUST_PROXY: 'true' } }).http.trustProxy).toBe(true);
  });

  it('refuses a hop count, bad addresses, header time-outs longer than the request time-out, and origins with more than an origin', () => {
    const hop = configProblems(() => loadConfig({ file: NO_CONFIG_FILE, env: { ...LOCAL_ENV, TRUST_PROXY: '2' } }));
    expect(hop).toEqual([expect.stringMatching(/^environment TRUST_PROXY: http\.trustProxy: a hop count cannot tell the proxy from a client/)]);
    const bad = configProblems(() => loadConfig({ file: writeConfigFile('http:\n  trustProxy: [10.0.0.0/33, proxy.local]\n'), env: LOCAL_ENV }));
    expect(bad).toEqual([expect.stringContaining('http.trustProxy[0]: must be an IP address or a CIDR block'), expect.stringContaining('http.trustProxy[1]: must be an IP address or a CIDR block')]);
    const timeouts = configProblems(() => loadConfig({ file: writeConfigFile('http:\n  requestTimeoutMs: 5000\n  headersTimeoutMs: 6000\n'), env: LOCAL_ENV }));
    expect(timeouts).toEqual([expect.stringContaining('http.headersTimeoutMs: must not exceed requestTimeoutMs (5000)')]);
    const origins = configProblems(() => loadConfig({ file: writeConfigFile('http:\n  allowedOrigins: ["https://user@review.example.com", "https://review.example.com/path"]\n'), env: LOCAL_ENV }));
    expect(origins).toHaveLength(2);
    for (const problem of origins) expect(problem).toContain('must be an origin');
  });
});

describe('named reviewer tokens', () => {
  it('come from the file, with ${VAR} secrets, and from a reviewers file (name:token and JSON lines, comments)', () => {
    const reviewersFile = writeConfigFile(`# reviewers\n\ncarol:${'c'.repeat(20)}\n{"name": "Dan O'Brien", "token": "${'d'.repeat(24)}"}\n  erin@example.com : ${'e'.repeat(16)}:with-colon  \n`, 'list');
    const config = loadConfig({
      file: writeConfigFile(`review:\n  token: \${REVIEW_TOKEN}\n  reviewers:\n    - { name: ada, token: "\${ADA_TOKEN}" }\n    - { name: Bob Smith, token: "${TOKEN_B}" }\n  reviewersFile: ${reviewersFile}\n`),
      env: { ...LOCAL_ENV, REVIEW_TOKEN: 'shared-token-1', ADA_TOKEN: TOKEN_A },
    });
    expect(config.review.token).toBe('shared-token-1');
    expect(config.review.reviewers).toEqual([
      { name: 'ada', token: TOKEN_A },
      { name: 'Bob Smith', token: TOKEN_B },
      { name: 'carol', token: 'c'.repeat(20) },
      { name: "Dan O'Brien", token: 'd'.repeat(24) },
      // Split at the first colon: a token may hold colons, a name may not.
      { name: 'erin@example.com', token: `${'e'.repeat(16)}:with-colon` },
    ]);
    expect(loadConfig({ file: NO_CONFIG_FILE, env: { ...LOCAL_ENV, REVIEW_REVIEWERS_FILE: reviewersFile } }).review.reviewers).toHaveLength(3);
  });

  it('a bad reviewers file: every problem with its line, and no token in any message', () => {
    const secret = 'super-secret-token-that-must-not-leak';
    const reviewersFile = writeConfigFile(
      [
        '# a comment',
        `no colon here ${secret}`,
        `{"name": "json", "token": "${secret}"`,
        `bad/name:${secret}`,
        'shorty:tooshort',
        `{"name": "x", "token": "${secret}", "role": "admin"}`,
        `ok:${secret}`,
        `OK:${secret}x`,
        `twin:${secret}`,
      ].join('\n'),
      'list',
    );
    const problems = configProblems(() => loadConfig({ file: NO_CONFIG_FILE, env: { ...LOCAL_ENV, REVIEW_REVIEWERS_FILE: reviewersFile } }));
    expect(problems).toEqual([
      `${reviewersFile}: line 2: expected name:token or a JSON object`,
      `${reviewersFile}: line 3: not valid JSON (expected {"name": "...", "token": "..."})`,
      `${reviewersFile}: line 4: name: must be 1 to 60 letters, digits, spaces or . _ @ + ' -, starting with a letter or digit`,
      `${reviewersFile}: line 5: token: must be at least 16 characters (generate one with: openssl rand -hex 24)`,
      `${reviewersFile}: line 6: (line): unknown field role`,
      `${reviewersFile}: line 8: the name "OK" is already given at ${reviewersFile}: line 7 (names must be unique, ignoring case)`,
      `${reviewersFile}: line 9: "twin" has the same token as the reviewer at ${reviewersFile}: line 7 (each reviewer needs their own)`,
    ]);
    for (const problem of problems) expect(problem).not.toContain(secret.slice(0, 12));
    const missing = configProblems(() => loadConfig({ file: NO_CONFIG_FILE, env: { ...LOCAL_ENV, REVIEW_REVIEWERS_FILE: configPath('nope.list') } }));
    expect(missing).toEqual([`${configPath('nope.list')}: (file): cannot read the reviewers file (ENOENT)`]);
  });

  it('refuses a short token and a reviewer holding the shared token, without printing either', () => {
    const problems = configProblems(() =>
      loadConfig({
        file: writeConfigFile(`review:\n  token: the-shared-review-token\n  reviewers:\n    - { name: ada, token: the-shared-review-token }\n    - { name: bob, token: short }\n`),
        env: LOCAL_ENV,
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/review\.reviewers\[1\]\.token: must be at least 16 characters/),
    ]);
    const shared = configProblems(() => loadConfig({ file: writeConfigFile('review:\n  token: the-shared-review-token\n  reviewers:\n    - { name: ada, token: the-shared-review-token }\n'), env: LOCAL_ENV }));
    expect(shared).toEqual([expect.stringContaining('review.reviewers.0: "ada" has the shared review token (REVIEW_TOKEN) as their own')]);
    for (const problem of [...problems, ...shared]) expect(problem).not.toContain('the-shared-review-token');
  });

  it('a trusted header needs the proxy named by its addresses, and cannot be a header that means something else', () => {
    const withoutProxy = configProblems(() => loadConfig({ file: NO_CONFIG_FILE, env: { ...LOCAL_ENV, REVIEW_TRUSTED_HEADER: 'X-Forwarded-User' } }));
    expect(withoutProxy).toEqual([expect.stringContaining("review.trustedHeader: needs http.trustProxy to list the proxy's own addresses")]);
    const trustAll = configProblems(() => loadConfig({ file: NO_CONFIG_FILE, env: { ...LOCAL_ENV, REVIEW_TRUSTED_HEADER: 'X-Forwarded-User', TRUST_PROXY: 'true' } }));
    expect(trustAll).toEqual([expect.stringContaining('with true anyone who reaches the service could name themselves')]);
    const reserved = configProblems(() => loadConfig({ file: NO_CONFIG_FILE, env: { ...LOCAL_ENV, REVIEW_TRUSTED_HEADER: 'Authorization', TRUST_PROXY: '10.0.0.5' } }));
    expect(reserved).toEqual([expect.stringContaining('review.trustedHeader: this header means something else')]);
    const config = loadConfig({ file: NO_CONFIG_FILE, env: { ...LOCAL_ENV, REVIEW_TRUSTED_HEADER: 'X-Forwarded-User', TRUST_PROXY: '10.0.0.5' } });
    expect(config.review.trustedHeader).toBe('x-forwarded-user');
  });
});
