export interface ChatPageOptions {
  /** A notice shown above the chat (e.g. that the models are offline stand-ins). */
  notice?: string;
  /** Example messages the user can click to send. */
  examples?: string[];
  /** Where reviewers go (shown as a link when set). */
  reviewUrl?: string;
}

/**
 * Headers of the chat page and its assets: the page runs only its own script and stylesheet
 * (no inline code, so injected markup cannot run), talks only to this origin, and cannot be
 * framed (clickjacking). Referrers leave the origin without the path and fragment.
 */
export const CHAT_PAGE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'cache-control': 'no-cache',
};

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The web chat page: HTML only, with its script (/assets/chat.js) and stylesheet
 * (/assets/chat.css) served beside it. The script uses the chat API (the same one scripts
 * use), a page of the transcript at a time, and shows when the bot is working or a turn waits
 * for review.
 */
export function renderChatPage(options: ChatPageOptions): string {
  const notice = options.notice ? `<p class="notice" role="note">${escapeHtml(options.notice)}</p>` : '';
  const examples = options.examples?.length
    ? `<div class="examples" aria-label="Examples">${options.examples.map((example) => `<button type="button" class="example">${escapeHtml(example)}</button>`).join('')}</div>`
    : '';
  const review = options.reviewUrl ? `<a href="${escapeHtml(options.reviewUrl)}">review queue</a>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>countersign chat</title>
<link rel="stylesheet" href="/assets/chat.css">
<script src="/assets/chat.js" defer></script>
</head>
<body>
<main>
  <header><h1>countersign</h1><span id="conversation"></span>${review}</header>
  ${notice}
  <button type="button" id="earlier" hidden>Load earlier messages</button>
  <div id="log" aria-live="polite"></div>
  <div id="status" role="status"></div>
  ${examples}
  <form id="form">
    <textarea id="text" name="text" placeholder="Write a message" aria-label="Message" required></textarea>
    <button type="submit">Send</button>
  </form>
</main>
</body>
</html>`;
}
