import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readmeCommands } from '../../scripts/readme-commands.js';
import { ROOT } from '../helpers/cli.js';

describe('the commands of a README (what the walk-through runs)', () => {
  it('takes every line of sh and bash blocks, joins continued lines, skips comments and other languages, marks no-run blocks', () => {
    const readme = [
      '# Title',
      'npm run not-a-command',
      '```sh',
      'npm ci && npm run demo     # a comment after it stays',
      '# only a comment',
      '',
      "curl -s -X POST \"$URL\" \\",
      "  -d '{}'",
      '```',
      '```yaml',
      'key: value',
      '```',
      '```text',
      '$ countersign check-config',
      '```',
      '```bash',
      'npm test',
      '```',
      '```sh no-run',
      'docker compose up -d',
      '```',
    ].join('\n');
    expect(readmeCommands(readme)).toEqual([
      { text: 'npm ci && npm run demo     # a comment after it stays', line: 4, skipped: false },
      { text: "curl -s -X POST \"$URL\" \\\n  -d '{}'", line: 7, skipped: false },
      { text: 'npm test', line: 17, skipped: false },
      { text: 'docker compose up -d', line: 20, skipped: true },
    ]);
  });

  it("README's first commands are its two set-up commands, and the only block it skips is the τ-bench command (it needs the user's models and τ-bench's data)", () => {
    const commands = readmeCommands(readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    expect(commands.slice(0, 2).map((command) => command.text.replace(/\s+#.*$/, ''))).toEqual(['npm ci && npm run demo', 'npm test']);
    expect(commands.filter((command) => command.skipped).map((command) => command.text.split(' ').slice(0, 3).join(' '))).toEqual(['countersign bench tau']);
  });
});
