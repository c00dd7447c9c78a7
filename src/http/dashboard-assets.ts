import { createBrowserAssets } from '../core/browser-assets.js';

/**
 * The dashboard's script and stylesheet, served under /review/assets/: bundled from
 * src/http/browser/ (built into dist by `npm run build`, or bundled on first request when
 * running from the sources; see src/core/browser-assets.ts).
 */
export const DASHBOARD_ASSETS = createBrowserAssets({
  owner: import.meta.url,
  sources: { 'dashboard.js': 'browser/dashboard.ts', 'dashboard.css': 'browser/dashboard.css' },
});
