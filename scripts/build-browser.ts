/**
 * `npm run build`, second step: bundle the pages' browser code (the chat page, the review
 * dashboard) with esbuild into `assets/` beside the compiled modules that serve them
 * (dist/adapters/web/assets/, dist/src/http/assets/), where src/core/browser-assets.ts finds
 * them. Without this step the service bundles them on first request (from the sources only).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHAT_ASSETS } from '../adapters/web/chat-assets.js';
import { BUILT_FOLDER } from '../src/core/browser-assets.js';
import { DASHBOARD_ASSETS } from '../src/http/dashboard-assets.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

for (const assets of [CHAT_ASSETS, DASHBOARD_ASSETS]) {
  const folder = path.join(dist, path.relative(root, assets.folder), BUILT_FOLDER);
  for (const file of await assets.build(folder)) process.stdout.write(`built ${path.relative(root, file)}\n`);
}
