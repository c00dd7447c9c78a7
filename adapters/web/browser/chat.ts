/**
 * The chat page's browser code, bundled by esbuild into /assets/chat.js
 * (adapters/web/chat-assets.ts). It talks to the chat API, the same one scripts use: it shows
 * the newest page of the transcript, loads earlier pages on request or on scrolling up, polls
 * for replies, and says when the bot is working or a reply waits for a human. Message text goes
 * into the page as text (src/core/browser/dom.ts).
 */
import { byId, el } from '../../../src/core/browser/dom.js';
import type { TranscriptEntry, TranscriptPage } from '../transcript-entry.js';
import { chatIdentity } from './chat-identity.js';
import { authorClass, countersignNote } from './countersign-note.js';

const log = byId('log');
const status = byId('status');
const earlier = byId<HTMLButtonElement>('earlier');
const input = byId<HTMLTextAreaElement>('text');
const form = byId<HTMLFormElement>('form');

const identity = chatIdentity();
let notice = identity.notice;
byId('conversation').textContent = `conversation ${identity.id}`;
const api = `/api/chat/${encodeURIComponent(identity.id)}/messages`;
const headers = { 'x-conversation-token': identity.token };

// ---- the transcript, one page at a time -------------------------------------------------

const shown = new Set<string>();
/** The path of the page before the oldest one shown, or null at the start. */
let older: string | null = null;
let loadedFirstPage = false;
let loadingEarlier = false;

function entryNode(entry: TranscriptEntry): HTMLElement {
  shown.add(entry.id);
  const role = entry.role === 'user' ? 'user' : 'bot';
  const author = role === 'bot' ? authorClass(entry.review) : '';
  return el('div', { class: `entry ${role}`, 'data-id': entry.id }, [
    el('div', { class: `message ${role}${author ? ` ${author}` : ''}`, text: entry.text }),
    role === 'bot' && entry.review ? countersignNote(entry.review) : null,
  ]);
}

function setStatus(text: string, kind = ''): void {
  status.className = kind;
  status.textContent = text;
}

const STATUS_TEXT: Record<TranscriptPage['state'], string> = {
  held: 'A reply is waiting for review by a human.',
  working: 'Drafting and reviewing a reply…',
  idle: '',
};

async function getPage(url: string): Promise<TranscriptPage | null> {
  const response = await fetch(url, { headers, cache: 'no-store' });
  if (response.status === 404) return null; // nothing posted yet
  if (!response.ok) throw new Error(`error ${response.status}`);
  return (await response.json()) as TranscriptPage;
}

/** Is the newest message (about) in view? Then new ones keep it that way. */
const nearBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight < 80;

async function refresh(): Promise<void> {
  try {
    const page = await getPage(api);
    if (!page) return;
    let follow = nearBottom();
    for (const entry of page.messages) if (!shown.has(entry.id)) log.appendChild(entryNode(entry));
    if (!loadedFirstPage) {
      loadedFirstPage = true;
      older = page.previous;
      earlier.hidden = !older;
      follow = true;
    }
    if (follow) log.scrollTop = log.scrollHeight;
    if (!notice || page.state !== 'idle') setStatus(STATUS_TEXT[page.state], page.state);
  } catch {
    // The next poll tries again.
  }
}

async function loadEarlier(): Promise<void> {
  if (!older || loadingEarlier) return;
  loadingEarlier = true;
  try {
    const page = await getPage(older);
    if (!page) return;
    const before = log.scrollHeight;
    const first = log.firstChild;
    for (const entry of page.messages) if (!shown.has(entry.id)) log.insertBefore(entryNode(entry), first);
    // Keep the message the reader was looking at where it was.
    log.scrollTop += log.scrollHeight - before;
    older = page.previous;
    earlier.hidden = !older;
  } catch {
    setStatus('Could not load earlier messages.', 'error');
  } finally {
    loadingEarlier = false;
  }
}

// ---- sending ------------------------------------------------------------------------------

async function send(text: string): Promise<void> {
  try {
    const response = await fetch(api, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ text, user: 'you' }),
    });
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { error?: string };
      setStatus(body.error || `error ${response.status}`, 'error');
      if (!input.value) input.value = text;
      return;
    }
    notice = '';
  } catch {
    setStatus('Could not send: the connection failed.', 'error');
    if (!input.value) input.value = text;
    return;
  }
  // The user's own message shows at once, and the log follows it.
  log.scrollTop = log.scrollHeight;
  await refresh();
  log.scrollTop = log.scrollHeight;
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = input.value.trim();
  input.value = '';
  if (text) void send(text);
});
input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    form.requestSubmit();
  }
});
for (const button of document.querySelectorAll<HTMLButtonElement>('.example')) {
  button.addEventListener('click', () => {
    const text = button.querySelector('.example-text')?.textContent ?? button.textContent ?? '';
    if (text) void send(text);
  });
}
earlier.addEventListener('click', () => void loadEarlier());
log.addEventListener('scroll', () => {
  if (log.scrollTop < 40) void loadEarlier();
});

if (notice) setStatus(notice, 'notice');
void refresh();
window.setInterval(() => void refresh(), 1000);
