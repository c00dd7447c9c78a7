/** The dashboard's JSON API, from the page: the session cookie, and the CSRF token on every change. */
import type { Activity, DashboardSessionView, DashboardTurn } from '../dashboard-api-types.js';

/** An API error with the status it came with. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Thrown once the session is gone: the page is already on its way to the sign-in page. */
export const SIGNED_OUT = 'signed out';

const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

async function call<T>(method: 'GET' | 'POST', path: string, payload?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, credentials: 'same-origin', ...(payload === undefined ? {} : { body: JSON.stringify(payload) }) });
  if (response.status === 401) {
    location.href = `/review/login?next=${encodeURIComponent(location.pathname)}`;
    throw new ApiError(SIGNED_OUT, 401);
  }
  const data = (await response.json().catch(() => ({}))) as T & { error?: string };
  if (!response.ok) throw new ApiError(data.error || `HTTP ${response.status}`, response.status);
  return data;
}

export type Decision = 'approve' | 'reject';

export const dashboardApi = {
  turns: (status: 'pending' | 'resolved', limit?: number) =>
    call<{ turns: DashboardTurn[] }>('GET', `/review/api/turns?status=${status}${limit ? `&limit=${limit}` : ''}`).then((data) => data.turns),
  turn: (id: string) => call<{ turn: DashboardTurn }>('GET', `/review/api/turns/${encodeURIComponent(id)}`).then((data) => data.turn),
  /** `text`: the reviewer's reply; `arguments`: a held tool call's arguments (the server checks them against the tool's schema). */
  decide: (id: string, decision: Decision, payload: { text?: string; arguments?: Record<string, unknown> } = {}) =>
    call<{ turn: DashboardTurn }>('POST', `/review/api/turns/${encodeURIComponent(id)}/${decision}`, payload).then((data) => data.turn),
  activity: (range: string) => call<Activity>('GET', `/review/api/activity?range=${encodeURIComponent(range)}`),
  session: () => call<DashboardSessionView>('GET', '/review/api/session'),
};
