/** The pending queue and the resolved list: one row per turn, moved through with j/k. */
import { clear, el } from '../../core/browser/dom.js';
import type { DashboardTurn } from '../dashboard-api-types.js';
import { formatArguments, wantsToRun } from './dashboard-action.js';
import { ageNode, channelNode, reviewerLabel, when, whyLabel } from './dashboard-format.js';

export interface ListState {
  /** The turns shown, in order. */
  items: DashboardTurn[];
  /** The selected row's turn, kept across live re-renders. */
  selectedId: string | null;
}

export function selectedPosition(state: ListState): number {
  return state.items.findIndex((turn) => turn.id === state.selectedId);
}

export function selectIndex(app: HTMLElement, state: ListState, wanted: number): void {
  const rows = [...app.querySelectorAll<HTMLElement>('.row')];
  if (!rows.length) return;
  const index = Math.max(0, Math.min(rows.length - 1, wanted));
  rows.forEach((row, i) => {
    row.classList.toggle('selected', i === index);
    row.setAttribute('aria-selected', i === index ? 'true' : 'false');
  });
  state.selectedId = rows[index]!.getAttribute('data-id');
  rows[index]!.scrollIntoView({ block: 'nearest' });
}

/** Who wrote the newest message of the turn, and what. */
function userSaid(turn: DashboardTurn): string {
  const last = turn.messages.at(-1);
  return last ? `${last.user}: ${last.text}` : '';
}

function pendingLines(turn: DashboardTurn): HTMLElement[] {
  return [
    el('div', { class: 'line' }, [el('span', { class: 'badge why', text: whyLabel(turn.escalation) }), ' ', el('span', { class: 'reason', text: turn.escalation ? turn.escalation.reason : '' })]),
    el('div', { class: 'excerpt user-said', text: userSaid(turn) }),
    turn.action
      ? el('div', { class: 'excerpt action-excerpt' }, [el('span', { class: 'badge kind-action', text: 'action' }), ' ', `${wantsToRun(turn.action)} ${compactArguments(turn.action.arguments)}`])
      : el('div', { class: 'excerpt', text: turn.draft !== null ? `Draft: ${turn.draft}` : 'No draft' }),
  ];
}

/** Arguments on one line, for an excerpt. */
function compactArguments(args: unknown): string {
  return formatArguments(args).replace(/\s*\n\s*/g, ' ');
}

function resolvedLines(turn: DashboardTurn): HTMLElement[] {
  const resolution = turn.resolution;
  return [
    el('div', { class: 'line' }, [
      el('span', { class: `badge d-${resolution ? resolution.decision : 'none'}`, text: resolution ? resolution.decision : turn.status }),
      ' by ',
      el('strong', { class: 'reviewer', text: reviewerLabel(resolution) }),
      ' · ',
      el('span', { class: 'muted', text: resolution ? when(resolution.at) : '' }),
    ]),
    turn.action
      ? el('div', { class: 'excerpt action-excerpt', text: `${turn.resolution?.decision === 'rejected' ? 'Refused' : 'Ran'}: ${turn.action.tool} ${compactArguments(turn.resolution?.arguments ?? turn.action.arguments)}` })
      : el('div', { class: 'excerpt', text: turn.reply !== null ? `Posted: ${turn.reply}` : 'Nothing posted' }),
  ];
}

export function renderList(app: HTMLElement, state: ListState, turns: DashboardTurn[], resolved: boolean): void {
  state.items = turns;
  clear(app);
  app.appendChild(el('h1', { text: resolved ? 'Resolved turns' : 'Waiting for review' }));
  if (!turns.length) {
    app.appendChild(el('p', { class: 'empty', text: resolved ? 'Nothing resolved yet.' : 'No turns waiting for review.' }));
    return;
  }
  const list = el('ol', { class: 'list', role: 'listbox', 'aria-label': resolved ? 'resolved turns' : 'pending turns' });
  for (const turn of turns) {
    const at = resolved && turn.resolution ? turn.resolution.at : turn.escalation ? turn.escalation.at : turn.createdAt;
    const meta = el('div', { class: 'meta' }, [ageNode(at), el('span', { class: 'platform', text: turn.platform }), el('span', { class: 'conv', text: turn.conversation }), channelNode(turn)]);
    const link = el('a', { href: `/review/turns/${encodeURIComponent(turn.id)}`, class: 'row-link' }, [meta, ...(resolved ? resolvedLines(turn) : pendingLines(turn))]);
    list.appendChild(el('li', { class: 'row', 'data-id': turn.id, role: 'option', 'aria-selected': 'false' }, link));
  }
  app.appendChild(list);
  const position = selectedPosition(state);
  selectIndex(app, state, Math.max(position, 0));
}
