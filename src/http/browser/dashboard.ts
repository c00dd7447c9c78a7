/**
 * The review dashboard's browser code, bundled by esbuild into /review/assets/dashboard.js
 * (src/http/dashboard-assets.ts). The server renders one shell per view (dashboard-page.ts)
 * with the view, the turn id and the CSRF token; this script fills it from the JSON API, keeps
 * it live over server-sent events, and answers the keyboard. Every piece of conversation,
 * draft, verdict or reviewer text goes into the page as text (src/core/browser/dom.ts).
 */
import { byId, clear, el } from '../../core/browser/dom.js';
import type { DashboardTurn } from '../dashboard-api-types.js';
import { ACTIVITY_RANGES, chart } from './dashboard-activity.js';
import { ARGUMENTS_EDITOR, parseEditedArguments, showArgumentsError } from './dashboard-action.js';
import { ApiError, dashboardApi, type Decision, SIGNED_OUT } from './dashboard-api.js';
import { carryToast, confirmAction, showCarriedToast, toast } from './dashboard-dialogs.js';
import { refreshAges } from './dashboard-format.js';
import { type ListState, renderList, selectedPosition, selectIndex } from './dashboard-lists.js';
import { focusEditor, renderTurn } from './dashboard-turn.js';

type View = 'queue' | 'turn' | 'resolved' | 'activity';

const view = (document.body.getAttribute('data-view') ?? 'queue') as View;
const turnId = document.body.getAttribute('data-turn') ?? '';
const app = byId('app');
const live = byId('live');
const pendingCount = byId('pending-count');

const list: ListState = { items: [], selectedId: null };
const state = { turn: null as DashboardTurn | null, pendingIds: [] as string[], range: '24h', busy: false };
/** The queue's `e` opens a turn with `#edit`: its editor gets the caret once. */
let wantEdit = location.hash === '#edit';

async function loadPending(): Promise<DashboardTurn[]> {
  const turns = await dashboardApi.turns('pending');
  state.pendingIds = turns.map((turn) => turn.id);
  pendingCount.textContent = turns.length ? String(turns.length) : '';
  return turns;
}
const loadPendingQuietly = () => void loadPending().catch(() => {});

// ---- Views --------------------------------------------------------------------------------

async function refreshQueue(): Promise<void> {
  renderList(app, list, await loadPending(), false);
}

async function refreshResolved(): Promise<void> {
  loadPendingQuietly();
  renderList(app, list, await dashboardApi.turns('resolved', 100), true);
}

const turnActions = { approve: () => act('approve'), reject: () => act('reject'), sendEdit };

async function refreshTurn(): Promise<void> {
  loadPendingQuietly();
  try {
    const turn = await dashboardApi.turn(turnId);
    renderTurn(app, turn, state.turn, turnActions, wantEdit);
    state.turn = turn;
    wantEdit = false;
    if (location.hash) history.replaceState(null, '', location.pathname);
  } catch (error) {
    if ((error as Error).message === SIGNED_OUT) throw error;
    clear(app);
    app.appendChild(el('p', { class: 'error', text: (error as Error).message }));
    app.appendChild(el('a', { href: '/review', text: 'Back to the list' }));
  }
}

async function refreshActivity(): Promise<void> {
  loadPendingQuietly();
  const activity = await dashboardApi.activity(state.range);
  clear(app);
  const ranges = el(
    'div',
    { class: 'ranges', role: 'group', 'aria-label': 'time range' },
    ACTIVITY_RANGES.map((range) =>
      el('button', {
        type: 'button',
        'aria-pressed': range === state.range ? 'true' : 'false',
        on: {
          click: () => {
            state.range = range;
            void refreshActivity();
          },
        },
        text: range,
      }),
    ),
  );
  app.appendChild(el('div', { class: 'turn-head' }, [el('h1', { text: 'Activity' }), ranges]));
  app.appendChild(el('div', { class: 'charts' }, [chart('critic', activity), chart('review', activity), chart('actions', activity), chart('tools', activity)]));
  if (activity.truncated) app.appendChild(el('p', { class: 'muted', text: 'The audit log is long: these counts cover its first entries in the range only.' }));
}

const refreshers: Record<View, () => Promise<void>> = { queue: refreshQueue, resolved: refreshResolved, turn: refreshTurn, activity: refreshActivity };
let refreshing: Promise<void> | null = null;
let again = false;

/** One refresh at a time; events during one cause exactly one more. */
function refresh(): Promise<void> {
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = refreshers[view]()
    .catch((error: Error) => {
      if (error.message !== SIGNED_OUT) toast(error.message, 'error');
    })
    .then(() => {
      refreshing = null;
      if (again) {
        again = false;
        return refresh();
      }
    });
  return refreshing;
}

// ---- Decisions ------------------------------------------------------------------------------

const turnPath = (id: string) => `/review/turns/${encodeURIComponent(id)}`;

async function afterDecision(message: string, decidedId: string): Promise<void> {
  if (view !== 'turn') {
    toast(message, 'ok');
    return refreshQueue();
  }
  // On a turn page the reviewer moves on to the next waiting turn (the toast says what was
  // done, and travels with the page change); with none left, to the empty queue.
  let turns: DashboardTurn[];
  try {
    turns = await loadPending();
  } catch {
    toast(message, 'ok');
    return refreshTurn();
  }
  const next = turns.find((turn) => turn.id !== decidedId);
  carryToast(message);
  location.assign(next ? turnPath(next.id) : '/review');
}

async function decide(id: string, decision: Decision, payload: { text?: string; arguments?: Record<string, unknown> }, message: string): Promise<void> {
  if (state.busy) return;
  state.busy = true;
  try {
    await dashboardApi.decide(id, decision, payload);
    await afterDecision(message, id);
  } catch (error) {
    // Edited arguments the server refused (400: not an object, or not the tool's schema): the
    // reason stays under the editor, with the reviewer's text, so it can be fixed and sent again.
    if (payload.arguments !== undefined && error instanceof ApiError && error.status === 400) {
      showArgumentsError(`Refused: ${error.message}`);
      toast('The arguments were refused; nothing was run.', 'error');
      return;
    }
    toast((error as Error).message, 'error');
    await (view === 'turn' ? refreshTurn() : refreshQueue()).catch(() => {});
  } finally {
    state.busy = false;
  }
}

/** What approve and reject ask and then say, for a reply or a held tool call. */
function decisionWords(decision: Decision, turn: DashboardTurn | undefined): { question: string; done: string } {
  const action = turn?.action;
  if (action?.outcomeUnknown) {
    return decision === 'approve'
      ? { question: `Record that ${action.tool} took effect? It is not run again.`, done: `Recorded: ${action.tool} took effect.` }
      : { question: `Record that ${action.tool} did not take effect? It is not run again.`, done: `Recorded: ${action.tool} did not take effect.` };
  }
  if (action) {
    return decision === 'approve'
      ? { question: `Run ${action.tool} with the proposed arguments?`, done: `Approved: ${action.tool} will run.` }
      : { question: `Refuse this call of ${action.tool}? The actor is told a human refused it.`, done: `Rejected: ${action.tool} will not run.` };
  }
  return decision === 'approve'
    ? { question: 'Approve and post the draft as written?', done: 'Approved: the draft will be posted.' }
    : { question: 'Reject this turn? Nothing more will be posted for it.', done: 'Rejected: nothing more will be posted.' };
}

function act(decision: Decision, id = state.turn?.id): void {
  if (!id) return;
  // From the queue the turn is a row of the list; on its page, the turn shown.
  const turn = state.turn?.id === id ? state.turn : list.items.find((item) => item.id === id);
  const words = decisionWords(decision, turn ?? undefined);
  void confirmAction(words.question).then((ok) => {
    if (ok) void decide(id, decision, {}, words.done);
  });
}

/** Run a held tool call with the reviewer's arguments: JSON that does not parse is refused here, the rest by the server. */
function sendEditedArguments(turn: DashboardTurn): void {
  const editor = document.getElementById(ARGUMENTS_EDITOR) as HTMLTextAreaElement | null;
  if (!editor) return;
  const parsed = parseEditedArguments(editor.value);
  if (!parsed.ok) {
    showArgumentsError(parsed.error);
    return;
  }
  showArgumentsError(null);
  void decide(turn.id, 'approve', { arguments: parsed.value }, `Approved with your arguments: ${turn.action!.tool} will run.`);
}

function sendEdit(): void {
  if (state.turn?.action) {
    sendEditedArguments(state.turn);
    return;
  }
  const editor = document.getElementById('edit-text') as HTMLTextAreaElement | null;
  if (!editor || !state.turn) return;
  const text = editor.value.trim();
  if (!text) {
    toast('The reply is empty.', 'error');
    return;
  }
  void decide(state.turn.id, 'approve', { text }, 'Sent your reply.');
}

// ---- Live updates ---------------------------------------------------------------------------

function connect(): void {
  const source = new EventSource('/review/events');
  source.addEventListener('open', () => {
    live.setAttribute('data-state', 'open');
    live.textContent = 'live';
    // Anything that happened while disconnected.
    void refresh();
  });
  source.addEventListener('review', (message) => {
    let event: { turnId?: unknown };
    try {
      event = JSON.parse((message as MessageEvent<string>).data) as { turnId?: unknown };
    } catch {
      return;
    }
    if (view === 'turn' && event.turnId !== turnId) {
      loadPendingQuietly();
      return;
    }
    if (view === 'turn' && state.busy) return;
    void refresh();
  });
  source.addEventListener('error', () => {
    const closed = source.readyState === EventSource.CLOSED;
    live.setAttribute('data-state', closed ? 'closed' : 'reconnecting');
    live.textContent = closed ? 'offline' : 'reconnecting';
    if (closed) {
      // Refused (signed out, server gone): check the session, then try again later.
      dashboardApi.session().then(
        () => window.setTimeout(connect, 3000),
        () => {},
      );
    }
  });
}

// ---- Keyboard -------------------------------------------------------------------------------

function typing(target: EventTarget | null): target is HTMLElement {
  if (!(target instanceof HTMLElement)) return false;
  return target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || target.isContentEditable;
}

function gotoPending(step: number): void {
  const position = state.pendingIds.indexOf(turnId);
  const next = state.pendingIds[position < 0 ? 0 : position + step];
  if (next) location.href = turnPath(next);
}

/** j/k/o/a/r/e in the lists; true when the key was one of them. */
function listKey(key: string): boolean {
  const position = selectedPosition(list);
  const selected = list.selectedId;
  if (key === 'j' || key === 'ArrowDown') selectIndex(app, list, position + 1);
  else if (key === 'k' || key === 'ArrowUp') selectIndex(app, list, position - 1);
  else if ((key === 'o' || key === 'Enter') && selected) location.href = turnPath(selected);
  else if (view === 'queue' && key === 'a' && selected) act('approve', selected);
  else if (view === 'queue' && key === 'r' && selected) act('reject', selected);
  else if (view === 'queue' && key === 'e' && selected) location.href = `${turnPath(selected)}#edit`;
  else return false;
  return true;
}

/** j/k/u/a/r/e on a turn's page; true when the key was one of them. */
function turnKey(key: string): boolean {
  const pending = state.turn?.status === 'pending';
  if (key === 'j') gotoPending(1);
  else if (key === 'k') gotoPending(-1);
  else if (key === 'u' || key === 'Escape') location.href = '/review';
  else if (pending && key === 'a') act('approve');
  else if (pending && key === 'r') act('reject');
  else if (pending && key === 'e') focusEditor();
  else return false;
  return true;
}

document.addEventListener('keydown', (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (document.querySelector('dialog[open]')) return;
  if (typing(event.target)) {
    if (event.key === 'Escape') event.target.blur();
    return;
  }
  if (event.key === '?') {
    byId<HTMLDialogElement>('help').showModal();
    event.preventDefault();
    return;
  }
  const handled = view === 'queue' || view === 'resolved' ? listKey(event.key) : view === 'turn' ? turnKey(event.key) : false;
  if (handled) event.preventDefault();
});
byId('help-toggle').addEventListener('click', () => byId<HTMLDialogElement>('help').showModal());
// Ages tick without a reload.
window.setInterval(refreshAges, 15_000);

// A decision made on the previous page left its confirmation for this one.
showCarriedToast();
void refresh();
connect();
