export interface ChatPageOptions {
  /** A notice shown above the chat (e.g. that the models are offline stand-ins). */
  notice?: string;
  /** Example messages the user can click to send. */
  examples?: string[];
  /** Where reviewers go (shown as a link when set). */
  reviewUrl?: string;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The web chat page: one self-contained HTML document, no build step. It polls the chat API
 * (the same one scripts use) and shows when the bot is working or a turn waits for review.
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
<style>
  :root { font-family: system-ui, sans-serif; color: #1b1f24; background: #f4f5f7; }
  body { margin: 0; display: flex; justify-content: center; }
  main { width: min(720px, 100%); min-height: 100vh; display: flex; flex-direction: column; background: #fff; box-shadow: 0 0 12px #0001; }
  header { padding: 12px 16px; border-bottom: 1px solid #e3e5e8; display: flex; justify-content: space-between; align-items: baseline; gap: 8px; flex-wrap: wrap; }
  h1 { font-size: 1.1rem; margin: 0; }
  .notice { margin: 0; padding: 8px 16px; background: #fff7d6; border-bottom: 1px solid #f0e2a8; font-size: .9rem; }
  #log { flex: 1; overflow-y: auto; padding: 16px; display: flex; flex-direction: column; gap: 8px; }
  .message { max-width: 85%; padding: 8px 12px; border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
  .user { align-self: flex-end; background: #2f6feb; color: #fff; }
  .bot { align-self: flex-start; background: #eef0f3; }
  #status { padding: 4px 16px; min-height: 1.4em; font-size: .85rem; color: #57606a; }
  #status.held { color: #9a6700; font-weight: 600; }
  form { display: flex; gap: 8px; padding: 12px 16px; border-top: 1px solid #e3e5e8; }
  textarea { flex: 1; resize: vertical; min-height: 2.6em; font: inherit; padding: 8px; }
  button { font: inherit; padding: 8px 14px; cursor: pointer; }
  .examples { display: flex; flex-wrap: wrap; gap: 6px; padding: 8px 16px 0; }
  .example { font-size: .8rem; padding: 4px 8px; border-radius: 12px; border: 1px solid #d0d7de; background: #f6f8fa; }
</style>
</head>
<body>
<main>
  <header><h1>countersign</h1><span id="conversation"></span>${review}</header>
  ${notice}
  <div id="log" aria-live="polite"></div>
  <div id="status" role="status"></div>
  ${examples}
  <form id="form">
    <textarea id="text" name="text" placeholder="Write a message" aria-label="Message" required></textarea>
    <button type="submit">Send</button>
  </form>
</main>
<script>
(() => {
  const id = (location.hash.slice(1).match(/^[A-Za-z0-9._-]{1,128}$/) || [])[0] || ('web-' + Math.random().toString(36).slice(2, 10));
  if (location.hash.slice(1) !== id) history.replaceState(null, '', '#' + id);
  document.getElementById('conversation').textContent = 'conversation ' + id;
  const log = document.getElementById('log');
  const status = document.getElementById('status');
  const api = '/api/chat/' + encodeURIComponent(id) + '/messages';
  let shown = 0;
  async function refresh() {
    try {
      const response = await fetch(api);
      if (!response.ok) return;
      const data = await response.json();
      for (const message of data.messages.slice(shown)) {
        const div = document.createElement('div');
        div.className = 'message ' + message.role;
        div.textContent = message.text;
        log.appendChild(div);
        log.scrollTop = log.scrollHeight;
      }
      shown = data.messages.length;
      status.className = data.state;
      status.textContent = data.state === 'held' ? 'A reply is waiting for review by a human.' : data.state === 'working' ? 'Drafting and reviewing a reply…' : '';
    } catch {}
  }
  async function send(text) {
    const response = await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text, user: 'you' }) });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      status.textContent = body.error || ('error ' + response.status);
    }
    refresh();
  }
  document.getElementById('form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = document.getElementById('text');
    const text = input.value.trim();
    if (text) send(text);
    input.value = '';
  });
  document.getElementById('text').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) { event.preventDefault(); document.getElementById('form').requestSubmit(); }
  });
  for (const button of document.querySelectorAll('.example')) button.addEventListener('click', () => send(button.textContent));
  refresh();
  setInterval(refresh, 1000);
})();
</script>
</body>
</html>`;
}
