// Copies the files the compiled code reads at run time (Lua scripts, JSON data) from src/ and adapters/ to
// dist/, beside the compiled modules that load them by relative URL. Run by `npm run build`.
import { cpSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ASSETS = new Set(['.lua', '.json']);
for (const folder of ['src', 'adapters']) {
  const from = path.join(root, folder);
  if (!existsSync(from)) continue;
  cpSync(from, path.join(root, 'dist', folder), {
    recursive: true,
    filter: (source) => !path.extname(source) || ASSETS.has(path.extname(source)),
  });
}
