/**
 * The commands a README shows, for the walk-through (scripts/walkthrough.ts): every line of its
 * ```sh and ```bash blocks, with the lines a trailing `\` continues, minus blank lines and lines
 * that are only a comment. Blocks of other languages are not commands; a block whose fence says
 * `no-run` (```sh no-run) is returned marked as skipped.
 */
/** A command of README: its text as printed, the block it is in, and whether it may run. */
export interface Command {
  text: string;
  line: number;
  skipped: boolean;
}

/** Every command of README's ```sh and ```bash blocks, in order (see the header of this file). */
export function readmeCommands(readme: string): Command[] {
  const commands: Command[] = [];
  let fence: { marker: string; run: boolean; skipped: boolean } | null = null;
  let pending: { text: string; line: number } | null = null;
  for (const [index, line] of readme.split('\n').entries()) {
    const marker = /^(`{3,}|~{3,})(.*)$/.exec(line);
    if (fence === null) {
      if (marker) {
        const [language = '', ...rest] = marker[2]!.trim().split(/\s+/);
        fence = { marker: marker[1]!, run: language === 'sh' || language === 'bash', skipped: rest.includes('no-run') };
      }
      continue;
    }
    if (marker && marker[1]!.startsWith(fence.marker) && marker[2]!.trim() === '') {
      fence = null;
      continue;
    }
    if (!fence.run) continue;
    if (pending) pending.text += `\n${line}`;
    else if (/^\s*(#.*)?$/.test(line)) continue;
    else pending = { text: line, line: index + 1 };
    if (!line.endsWith('\\')) {
      commands.push({ ...pending, skipped: fence.skipped });
      pending = null;
    }
  }
  return commands;
}
