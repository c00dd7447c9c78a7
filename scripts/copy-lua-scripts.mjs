// Copies every Redis script (*.lua) of src/ and adapters/ into the build output at the same
// path (src/tools/commands/x.lua -> dist/src/tools/commands/x.lua): tsc compiles TypeScript
// only, and the scripts are read from beside the compiled modules. Part of `npm run build`.
//   node scripts/copy-lua-scripts.mjs [--out <dir>]     (default: dist)
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = process.argv.indexOf('--out');
const out = path.resolve(root, at >= 0 ? process.argv[at + 1] : 'dist');
let copied = 0;
for (const top of ['src', 'adapters']) {
  let entries = [];
  try {
    entries = readdirSync(path.join(root, top), { recursive: true, withFileTypes: true });
  } catch {
    continue;
  }
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith('.lua')) continue;
    const from = path.join(entry.parentPath, entry.name);
    const to = path.join(out, path.relative(root, from));
    mkdirSync(path.dirname(to), { recursive: true });
    copyFileSync(from, to);
    copied++;
  }
}
if (process.argv.includes('--verbose')) process.stdout.write(`copied ${copied} Redis scripts to ${out}\n`);
