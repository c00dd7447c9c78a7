#!/usr/bin/env node
// The `countersign` command. An installed package runs its compiled code (dist/). A clone of the
// repository runs its TypeScript sources through tsx (a dev dependency), so `npx countersign`
// works right after `npm ci`, with no build step, and always runs the code as it is now.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli.ts', import.meta.url);
const compiled = new URL('../dist/src/cli.js', import.meta.url);

async function sourceLoader() {
  if (!existsSync(source)) return false;
  try {
    const { register } = await import('tsx/esm/api');
    register();
    return true;
  } catch {
    // No tsx (production install with sources around): use the compiled code.
    return false;
  }
}

if (await sourceLoader()) await import(source.href);
else if (existsSync(compiled)) await import(compiled.href);
else {
  process.stderr.write('countersign: neither the sources with tsx nor the compiled code (dist/) are here; run `npm ci` (a clone) or reinstall the package\n');
  process.exit(1);
}
