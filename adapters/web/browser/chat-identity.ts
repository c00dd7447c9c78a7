/**
 * Which conversation this page shows, and its token. Nothing secret goes in the URL: the
 * conversation's id is in the fragment (so a reload finds it), its token only in this
 * browser's localStorage, both made with crypto.getRandomValues.
 */

const ID = /^[A-Za-z0-9._-]{1,128}$/;
const STORE = 'countersign:conversation:';

/** `bytes` random bytes as base64url. */
function random(bytes: number): string {
  const values = crypto.getRandomValues(new Uint8Array(bytes));
  let binary = '';
  for (const value of values) binary += String.fromCharCode(value);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '');
}

/** localStorage, or memory where it is refused (private windows, storage turned off). */
const memory = new Map<string, string>();
const storage = {
  get(key: string): string | null {
    try {
      return window.localStorage.getItem(key);
    } catch {
      return memory.get(key) ?? null;
    }
  },
  set(key: string, value: string): void {
    try {
      window.localStorage.setItem(key, value);
    } catch {
      memory.set(key, value);
    }
  },
};

export interface ChatIdentity {
  id: string;
  token: string;
  /** Said once when the link named a conversation this browser does not hold. */
  notice: string;
}

/** The conversation of the link when this browser started it; otherwise a new one. */
export function chatIdentity(): ChatIdentity {
  let id = location.hash.slice(1);
  let token = ID.test(id) ? storage.get(STORE + id) : null;
  let notice = '';
  if (!token) {
    if (id) notice = 'The conversation in that link was started in another browser; this is a new one.';
    id = `web-${random(16)}`;
    token = random(24);
    storage.set(STORE + id, token);
    history.replaceState(null, '', `#${id}`);
  }
  return { id, token, notice };
}
