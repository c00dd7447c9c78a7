/**
 * The dashboard's HTML: a sign-in page and one shell for every view, which the script fills
 * from the JSON API. The server puts only fixed text and a few escaped values here (the CSRF
 * token, the reviewer's name, the view); conversation and model text reach the page only
 * through the script, as text nodes.
 */

import { escapeHtml } from '../core/escape-html.js';

export type DashboardView = 'queue' | 'turn' | 'resolved' | 'activity';

const head = (title: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(title)} · countersign review</title>
<link rel="stylesheet" href="/review/assets/dashboard.css">`;

export interface LoginPageOptions {
  error?: string;
  next?: string;
  disabled?: boolean;
  name?: string;
  /** Ask for a name: only the shared review token needs one (a personal token names its holder). */
  askName?: boolean;
}

export function renderLoginPage(options: LoginPageOptions): string {
  return `${head('Sign in')}
</head>
<body class="login">
<main class="login-box">
  <h1>countersign review</h1>
  ${
    options.disabled
      ? '<p class="error" role="alert">The review dashboard is disabled: set REVIEW_TOKEN or named reviewer tokens (review.reviewers) to enable it.</p>'
      : `${options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : ''}
  <form method="post" action="/review/login" autocomplete="off">
    ${
      options.askName
        ? `<label>Your name <small>(recorded with every decision, marked unverified, when you sign in with the shared token; a personal token names you itself)</small>
      <input name="name" maxlength="60" autocomplete="nickname" value="${escapeHtml(options.name ?? '')}" autofocus>
    </label>`
        : ''
    }
    <label>Review token
      <input name="token" type="password" required autocomplete="current-password"${options.askName ? '' : ' autofocus'}>
    </label>
    <input type="hidden" name="next" value="${escapeHtml(options.next ?? '/review')}">
    <button type="submit">Sign in</button>
  </form>`
  }
</main>
</body>
</html>
`;
}

const NAV: Array<[DashboardView, string, string]> = [
  ['queue', '/review', 'Pending'],
  ['resolved', '/review/resolved', 'Resolved'],
  ['activity', '/review/activity', 'Activity'],
];

export function renderShell(options: { view: DashboardView; turnId?: string; csrf: string; name: string; verified: boolean }): string {
  const current = options.view === 'turn' ? 'queue' : options.view;
  return `${head(options.view === 'turn' ? 'Turn' : (NAV.find(([view]) => view === current)?.[2] ?? 'Review'))}
<meta name="csrf-token" content="${escapeHtml(options.csrf)}">
<script src="/review/assets/dashboard.js" defer></script>
</head>
<body data-view="${escapeHtml(options.view)}" data-turn="${escapeHtml(options.turnId ?? '')}">
<header class="top">
  <a class="brand" href="/review">countersign</a>
  <nav>
    ${NAV.map(([view, href, label]) => `<a href="${href}"${view === current ? ' aria-current="page"' : ''}>${label}${view === 'queue' ? ' <span id="pending-count" class="count"></span>' : ''}</a>`).join('\n    ')}
  </nav>
  <span id="live" class="live" data-state="connecting" title="live updates">connecting</span>
  <span class="who">${escapeHtml(options.name)}</span>${options.verified ? '' : '<span class="who-note" title="signed in with the shared review token: your name is recorded as you typed it, marked unverified">unverified</span>'}
  <form method="post" action="/review/logout" class="logout">
    <input type="hidden" name="_csrf" value="${escapeHtml(options.csrf)}">
    <button type="submit">Sign out</button>
  </form>
</header>
<main id="app" aria-live="polite"><p class="muted">Loading…</p></main>
<p id="toast" class="toast" role="status" hidden></p>
<footer class="keys">
  <button type="button" id="help-toggle" class="link">Keyboard: <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>o</kbd> open · <kbd>a</kbd> approve · <kbd>e</kbd> edit · <kbd>r</kbd> reject · <kbd>?</kbd> help</button>
</footer>
<dialog id="help">
  <h2>Keyboard shortcuts</h2>
  <dl>
    <dt><kbd>j</kbd> / <kbd>k</kbd></dt><dd>next / previous turn</dd>
    <dt><kbd>o</kbd> or <kbd>Enter</kbd></dt><dd>open the selected turn</dd>
    <dt><kbd>a</kbd></dt><dd>approve the draft as written, or a held tool call as proposed (asks to confirm)</dd>
    <dt><kbd>e</kbd></dt><dd>edit the reply, or a tool call's arguments, then <kbd>Ctrl</kbd>+<kbd>Enter</kbd> to send</dd>
    <dt><kbd>r</kbd></dt><dd>reject: post nothing more, or refuse the tool call (asks to confirm)</dd>
    <dt><kbd>u</kbd> or <kbd>Esc</kbd></dt><dd>back to the list</dd>
    <dt><kbd>?</kbd></dt><dd>show or hide this help</dd>
  </dl>
  <form method="dialog"><button>Close</button></form>
</dialog>
<dialog id="confirm">
  <form method="dialog">
    <p id="confirm-text"></p>
    <menu><button value="cancel" id="confirm-cancel">Cancel</button> <button value="ok" id="confirm-ok">Confirm</button></menu>
  </form>
</dialog>
</body>
</html>
`;
}
