import { createBrowserAssets } from '../../src/core/browser-assets.js';

/**
 * The chat page's script and stylesheet, served as /assets/chat.js and /assets/chat.css:
 * bundled from adapters/web/browser/ (built into dist by `npm run build`, or bundled on first
 * request when running from the sources; see src/core/browser-assets.ts).
 */
export const CHAT_ASSETS = createBrowserAssets({
  owner: import.meta.url,
  sources: { 'chat.js': 'browser/chat.ts', 'chat.css': 'browser/chat.css' },
});
