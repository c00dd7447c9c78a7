/**
 * The `tools:` section of countersign.yaml (CONTRACT.md "Tools and actions"): stdio and
 * Streamable HTTP servers, the per-tool policy, and messages that name the server and the field
 * and never show a header, an environment value or a URL.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { TOOLS_DEFAULTS } from '../../src/config/tools-schema.js';
import { configProblems, LOCAL_ENV, NO_CONFIG_FILE, writeConfigFile } from '../helpers/config-file.js';

const configFile = (lines: string[]) => writeConfigFile(`${lines.join('\n')}\n`);

/** The problems of loading `file` (which must exist). */
const problemsOf = (file: string, env: Record<string, string> = {}) => configProblems(() => loadConfig({ file, env: { ...LOCAL_ENV, ...env }, required: true }));

describe('tools configuration', () => {
  it('is empty by default', () => {
    const config = loadConfig({ file: NO_CONFIG_FILE, env: LOCAL_ENV });
    expect(config.tools).toEqual({ servers: [], policy: {}, ...TOOLS_DEFAULTS });
  });

  it("reads CONTRACT.md's example: a stdio server, a Streamable HTTP server with a header from the environment, and a policy", () => {
    const file = configFile([
      'tools:',
      '  servers:',
      '    - name: airline',
      '      command: node',
      '      args: [path/to/server.mjs, 7000]',
      '      env: { DATA_DIR: /data, WORKERS: 2 }',
      '    - name: billing',
      '      url: http://127.0.0.1:7000/mcp',
      `      headers: { Authorization: "Bearer \${BILLING_TOKEN}" }`,
      '  policy:',
      '    send_certificate: { effect: write, idempotent: false }',
      '    get_user_details: { effect: read, critic: never }',
    ]);
    const config = loadConfig({ file, env: { ...LOCAL_ENV, BILLING_TOKEN: 'tok-123456', TOOLS_CALL_TIMEOUT_MS: '5000' } });
    expect(config.tools.servers).toEqual([
      { name: 'airline', transport: 'stdio', command: 'node', args: ['path/to/server.mjs', '7000'], env: { DATA_DIR: '/data', WORKERS: '2' } },
      { name: 'billing', transport: 'http', url: 'http://127.0.0.1:7000/mcp', headers: { Authorization: 'Bearer tok-123456' } },
    ]);
    expect(config.tools.policy).toEqual({ send_certificate: { effect: 'write', idempotent: false }, get_user_details: { effect: 'read', critic: 'never' } });
    expect(config.tools.callTimeoutMs).toBe(5000);
  });

  it('names the server and the field of every problem, and suggests the field that was meant', () => {
    const file = configFile([
      'tools:',
      '  servers:',
      '    - name: billing',
      '      url: http://127.0.0.1:7000/mcp',
      '      hedaers: { Authorization: x }',
      '    - name: both',
      '      command: node',
      '      url: http://127.0.0.1:1/mcp',
      '    - name: neither',
      '    - name: local',
      '      command: node',
      '      headers: { A: b }',
      '      args: node server.js',
      '    - name: bad name',
      '      command: node',
      '    - command: node',
      '    - name: local',
      '      command: node',
    ]);
    expect(problemsOf(file)).toEqual(
      expect.arrayContaining([
        `${file}: tools.servers[0].hedaers: server "billing": unknown field "hedaers" (did you mean "headers"?)`,
        `${file}: tools.servers[1]: server "both": has both command (a stdio server) and url (a Streamable HTTP server): give one`,
        `${file}: tools.servers[2]: server "neither": give command (a stdio server) or url (a Streamable HTTP server)`,
        `${file}: tools.servers[3].headers: server "local": headers is for Streamable HTTP servers (url); a stdio server (command) takes args, env and cwd`,
        `${file}: tools.servers[3].args: server "local": args must be a list of strings, e.g. [server.js, --port, "7000"]`,
        `${file}: tools.servers[4].name: "bad name" is not a valid server name: letters, digits and dashes, at most 32, starting with a letter or digit`,
        `${file}: tools.servers[5].name: required: a short name for the server (letters, digits and dashes), shown in logs and used to tell clashing tool names apart`,
      ]),
    );
  });

  it('refuses two servers of one name, and the reserved name in-process', () => {
    const file = configFile(['tools:', '  servers:', '    - { name: ledger, command: node }', '    - { name: ledger, url: "http://127.0.0.1:1/mcp" }', '    - { name: in-process, command: node }']);
    expect(problemsOf(file)).toEqual([`${file}: tools.servers[2].name: "in-process" is reserved (it names the application's own tools); pick another name`]);
    const twice = configFile(['tools:', '  servers:', '    - { name: ledger, command: node }', '    - { name: ledger, url: "http://127.0.0.1:1/mcp" }']);
    expect(problemsOf(twice)).toEqual([`${twice}: tools.servers[1].name: "ledger" is already the name of tools.servers[0]: server names must be unique`]);
  });

  it('never shows a header value, an environment value or a URL in a message', () => {
    const secret = 'sk-live-0123456789abcdef';
    const file = configFile([
      'tools:',
      '  servers:',
      '    - name: billing',
      `      url: "ftp://user:${secret}@billing.example.com/mcp"`,
      `      headers: { Authorization: "Bearer \${TOKEN}", X-Multi: "a\\nb${secret}" }`,
      '    - name: local',
      '      command: node',
      `      env: { API_KEY: [${secret}] }`,
    ]);
    const problems = problemsOf(file, { TOKEN: secret });
    expect(problems).toEqual([
      `${file}: tools.servers[0].url: server "billing": url must be an http:// or https:// address, e.g. http://127.0.0.1:7000/mcp (the value is not shown: it may carry a secret)`,
      `${file}: tools.servers[0].headers.X-Multi: server "billing": headers.X-Multi must be a single-line string (its value is not shown)`,
      `${file}: tools.servers[1].env.API_KEY: server "local": env.API_KEY must be a string (its value is not shown)`,
    ]);
    expect(problems.join('\n')).not.toContain(secret);
    expect(problems.join('\n')).not.toContain('0123456789');
  });

  it('an unset environment variable in a header is named, not filled with nothing', () => {
    const file = configFile(['tools:', '  servers:', '    - name: billing', '      url: http://127.0.0.1:7000/mcp', `      headers: { Authorization: "Bearer \${BILLING_TOKEN}" }`]);
    expect(problemsOf(file)).toEqual([`${file}: tools.servers.0.headers.Authorization: \${BILLING_TOKEN} is not set in the environment`]);
  });

  it('refuses critic: never on anything but a read, and unknown policy fields', () => {
    const file = configFile([
      'tools:',
      '  policy:',
      '    cancel_reservation: { critic: never }',
      '    send_certificate: { effect: write, critic: never }',
      '    get_user_details: { effect: read, critic: never }',
      '    refund: { effect: maybe, idempotnt: true }',
    ]);
    expect(problemsOf(file)).toEqual([
      `${file}: tools.policy.cancel_reservation.critic: "never" is only allowed with effect: read (a write call is always reviewed before it runs); add effect: read if the tool only reads`,
      `${file}: tools.policy.send_certificate.critic: "never" is only allowed with effect: read (a write call is always reviewed before it runs); remove critic or use always`,
      `${file}: tools.policy.refund.effect: "maybe" is not one of read, write`,
      `${file}: tools.policy.refund: unknown field "idempotnt" (did you mean "idempotent"?)`,
    ]);
  });

  it('countersign.example.yaml shows the defaults of the section', () => {
    const config = loadConfig({ file: 'countersign.example.yaml', env: { ...LOCAL_ENV, OPENAI_API_KEY: 'sk-test' }, required: true });
    expect(config.tools).toEqual({ servers: [], policy: {}, ...TOOLS_DEFAULTS });
  });
});
