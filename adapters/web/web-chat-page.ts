import { escapeHtml } from '../../src/core/escape-html.js';
import type { VerdictDecision } from '../../src/core/types.js';

/** An example message on the chat page: a button that sends `text`. */
export interface ChatExample {
  /** What the button sends. */
  text: string;
  /** What it shows, above the text: the decision it triggers in the demo ("critic edits"). */
  label?: string;
  /** The decision it triggers, for the label's colour. */
  decision?: VerdictDecision;
  /** A sentence shown as the button's tooltip (what happens). */
  hint?: string;
}

export interface ChatPageOptions {
  /** A notice shown above the chat (e.g. that the models are offline stand-ins). */
  notice?: string;
  /** Example messages the user can click to send. */
  examples?: Array<string | ChatExample>;
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

function exampleButton(example: string | ChatExample): string {
  const { text, label, decision, hint } = typeof example === 'string' ? { text: example } : example;
  const title = hint ? ` title="${escapeHtml(hint)}"` : '';
  const badge = label ? `<span class="badge${decision ? ` c-${decision}` : ''}">${escapeHtml(label)}</span>` : '';
  return `<button type="button" class="example"${title}>${badge}<span class="example-text">${escapeHtml(text)}</span></button>`;
}

/**
 * The web chat page: HTML only, with its script (/assets/chat.js) and stylesheet
 * (/assets/chat.css) served beside it (adapters/web/browser/, bundled by esbuild). The script
 * uses the chat API (the same one scripts use), a page of the transcript at a time, and shows
 * when the bot is working or a turn waits for review, and, with `showReview`, who
 * countersigned each reply.
 */
export function renderChatPage(options: ChatPageOptions): string {
  const notice = options.notice ? `<p class="notice" role="note">${escapeHtml(options.notice)}</p>` : '';
  const examples = options.examples?.length
    ? `<div class="examples" role="group" aria-label="Examples">${options.examples.map(exampleButton).join('')}</div>`
    : '';
  const review = options.reviewUrl ? `<a class="review-link" href="${escapeHtml(options.reviewUrl)}">review queue</a>` : '';
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
<header class="top"><span class="brand">countersign</span><span id="conversation" class="conversation-id"></span>${review}</header>
<main>
  ${notice}
  <button type="button" id="earlier" hidden>Load earlier messages</button>
  <div id="log" aria-live="polite"></div>
  <div id="status" role="status"></div>
  ${examples}
  <form id="form">
    <textarea id="text" name="text" rows="1" placeholder="Write a message" aria-label="Message" required></textarea>
    <button type="submit" class="primary">Send</button>
  </form>
</main>
</body>
</html>`;
}
