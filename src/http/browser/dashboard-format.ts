/** How the dashboard writes times, reasons and reviewers. */
import type { Escalation, Resolution } from '../../core/types.js';
import { el } from '../../core/browser/dom.js';
import type { DashboardTurn } from '../dashboard-api-types.js';

/** "42s", "7m", "3h 5m", "2d": how long ago. */
export function age(at: number): string {
  const seconds = Math.max(0, Math.round((Date.now() - at) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d`;
}

export function when(at: number): string {
  return new Date(at).toLocaleString();
}

/** A `<time>` that ticks (see refreshAges). */
export function ageNode(at: number): HTMLTimeElement {
  return el('time', { class: 'age', datetime: new Date(at).toISOString(), 'data-at': at, title: when(at), text: age(at) });
}

/** Bring every age on the page up to date. */
export function refreshAges(): void {
  for (const node of document.querySelectorAll<HTMLTimeElement>('time.age')) node.textContent = age(Number(node.getAttribute('data-at')));
}

/** What put the turn in front of a human: `critic`, `rule: name`, `check: name`, ... */
export function whyLabel(escalation: Escalation | null | undefined): string {
  if (!escalation) return 'escalated';
  if (escalation.source === 'rule') return `rule: ${escalation.rule || '?'}`;
  if (escalation.source === 'check') return `check: ${escalation.rule || '?'}`;
  return escalation.source;
}

export function reviewerLabel(resolution: Resolution | null | undefined): string {
  if (!resolution) return '';
  const reviewer = resolution.reviewer;
  // A name typed with the shared token is not vouched for: say so wherever it is shown.
  return `${reviewer.name || reviewer.id || '?'} (${reviewer.via || '?'}${reviewer.verified === false ? ', unverified' : ''})`;
}

/** The decision a resolved turn got (edited, approved, rejected), or its status. */
export function statusLabel(turn: DashboardTurn): string {
  return turn.resolution ? turn.resolution.decision : turn.status;
}

export function channelNode(turn: DashboardTurn): HTMLSpanElement | null {
  return turn.channel ? el('span', { class: 'channel', text: turn.channel }) : null;
}
