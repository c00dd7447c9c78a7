/**
 * One turn's page: the conversation with the holding message and what came since, the draft (or,
 * for a held tool call, the call and this turn's earlier calls: dashboard-action.ts), why it is
 * here, the critic's verdict, and the decision.
 */
import { type Child, clear, el } from '../../core/browser/dom.js';
import type { HistoryEntry } from '../../core/types.js';
import type { DashboardTurn } from '../dashboard-api-types.js';
import { ARGUMENTS_EDITOR, actionVerdictCard, decidedActionCard, decideActionCard, formatArguments, toolStepsCard, wantsToRun } from './dashboard-action.js';
import { ageNode, channelNode, reviewerLabel, statusLabel, when, whyLabel } from './dashboard-format.js';

export interface TurnActions {
  approve(): void;
  reject(): void;
  sendEdit(): void;
}

function section(title: string, children: Child[], extra = ''): HTMLElement {
  return el('section', { class: `card ${extra}` }, [el('h2', { text: title }), ...children]);
}

function messageNode(role: string, who: string, text: string, at: number | undefined, current: boolean): HTMLLIElement {
  return el('li', { class: `msg ${role}${current ? ' current' : ''}` }, [
    el('div', { class: 'msg-meta' }, [el('strong', { text: who }), at ? ` · ${when(at)}` : '', current ? ' · this turn' : '']),
    el('div', { class: 'msg-text', text }),
  ]);
}

/** A tool call of an earlier turn, with its arguments and result. */
function toolEntryNode(entry: HistoryEntry): HTMLLIElement {
  let args = entry.arguments ?? '';
  try {
    args = formatArguments(JSON.parse(args));
  } catch {
    // shown as written
  }
  return el('li', { class: 'msg tool' }, [
    el('div', { class: 'msg-meta' }, [el('strong', { text: 'tool ' }), el('code', { class: 'tool-name', text: entry.tool ?? '?' }), entry.at ? ` · ${when(entry.at)}` : '']),
    args ? el('pre', { class: 'json', text: args }) : null,
    el('div', { class: 'msg-text', text: entry.text }),
  ]);
}

function conversationList(turn: DashboardTurn): HTMLOListElement {
  const conversation = el('ol', { class: 'conversation' });
  for (const entry of turn.context ?? []) {
    conversation.appendChild(entry.role === 'tool' ? toolEntryNode(entry) : messageNode(entry.role, entry.role === 'assistant' ? 'bot' : entry.user || 'user', entry.text, entry.at, false));
  }
  for (const message of turn.messages) conversation.appendChild(messageNode('user', message.user, message.text, message.at, true));
  // After the escalation: the holding message the user got, and what they wrote since.
  if (turn.holding) {
    conversation.appendChild(
      el('li', { class: 'msg assistant holding' }, [
        el('div', { class: 'msg-meta' }, [el('strong', { text: 'bot' }), turn.holding.at ? ` · ${when(turn.holding.at)}` : '', turn.holding.posted ? ' · holding message, posted' : ' · holding message, not posted yet']),
        el('div', { class: 'msg-text', text: turn.holding.text }),
      ]),
    );
  }
  for (const message of turn.waiting ?? []) {
    conversation.appendChild(
      el('li', { class: 'msg user waiting' }, [
        el('div', { class: 'msg-meta' }, [el('strong', { text: message.user }), ` · ${when(message.at)}`, ' · sent while the turn waits for you (answered after your decision)']),
        el('div', { class: 'msg-text', text: message.text }),
      ]),
    );
  }
  return conversation;
}

function verdictCard(turn: DashboardTurn): HTMLElement {
  const verdict = turn.verdict;
  if (!verdict) return section('Critic verdict', [el('p', { class: 'muted', text: 'The critic gave no verdict (see why it is here).' })], 'verdict');
  return section(
    'Critic verdict',
    [
      el('dl', { class: 'facts' }, [
        el('dt', { text: 'decision' }),
        el('dd', {}, el('span', { class: `badge c-${verdict.decision}`, text: verdict.decision })),
        el('dt', { text: 'confidence' }),
        el('dd', { text: String(verdict.confidence) }),
        el('dt', { text: 'categories' }),
        el('dd', { text: verdict.categories.length ? verdict.categories.join(', ') : '—' }),
        el('dt', { text: 'reason' }),
        el('dd', { text: verdict.reason }),
        verdict.feedback ? el('dt', { text: 'feedback' }) : null,
        verdict.feedback ? el('dd', { text: verdict.feedback }) : null,
        verdict.revised_text ? el('dt', { text: 'revised text' }) : null,
        verdict.revised_text ? el('dd', { class: 'pre', text: verdict.revised_text }) : null,
      ]),
    ],
    'verdict',
  );
}

function decideCard(turn: DashboardTurn, actions: TurnActions): HTMLElement {
  const editor = el('textarea', { id: 'edit-text', rows: 6, 'aria-label': 'reply to send' });
  editor.value = turn.draft || '';
  editor.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      actions.sendEdit();
    }
  });
  return section(
    'Decide',
    [
      el('div', { class: 'actions' }, [
        el('button', { id: 'approve', class: 'ok', type: 'button', on: { click: () => actions.approve() }, text: 'Approve draft (a)' }),
        el('button', { id: 'reject', class: 'danger', type: 'button', on: { click: () => actions.reject() }, text: 'Reject (r)' }),
      ]),
      el('label', { for: 'edit-text', text: 'Edit and send (e, then Ctrl+Enter)' }),
      editor,
      el('div', { class: 'actions' }, [el('button', { id: 'send-edit', type: 'button', on: { click: () => actions.sendEdit() }, text: 'Send edited reply' })]),
    ],
    'decide',
  );
}

function decisionCard(turn: DashboardTurn): HTMLElement {
  const resolution = turn.resolution;
  return section(
    'Decision',
    [
      el('p', {}, [
        el('span', { class: `badge d-${resolution ? resolution.decision : 'none'}`, text: resolution ? resolution.decision : turn.status }),
        resolution ? ' by ' : '',
        resolution ? el('strong', { class: 'reviewer', text: reviewerLabel(resolution) }) : null,
        resolution ? ` · ${when(resolution.at)}` : '',
      ]),
      el('p', { class: 'pre', text: turn.reply !== null ? `Posted: ${turn.reply}` : 'Nothing posted.' }),
    ],
    'decision',
  );
}

/** Put the editor's caret at the end of its text. */
export function focusEditor(): void {
  const editor = (document.getElementById('edit-text') ?? document.getElementById(ARGUMENTS_EDITOR)) as HTMLTextAreaElement | null;
  if (!editor) return;
  editor.focus();
  editor.setSelectionRange(editor.value.length, editor.value.length);
}

/**
 * Render the turn. A live re-render of the same turn keeps what the reviewer is typing (and
 * where); `focusEdit` puts the caret in the editor (the queue's `e`).
 */
export function renderTurn(app: HTMLElement, turn: DashboardTurn, previous: DashboardTurn | null, actions: TurnActions, focusEdit: boolean): void {
  const editorId = turn.action ? ARGUMENTS_EDITOR : 'edit-text';
  const typing = document.getElementById(editorId) as HTMLTextAreaElement | null;
  const kept =
    typing && previous && previous.id === turn.id
      ? { value: typing.value, focused: document.activeElement === typing, start: typing.selectionStart, end: typing.selectionEnd }
      : null;
  clear(app);
  const pending = turn.status === 'pending';
  const escalation = turn.escalation;
  const header = el('div', { class: 'turn-head' }, [
    el('a', { href: '/review', class: 'back', text: '← list' }),
    el('h1', {}, [el('span', { class: `badge s-${turn.status} d-${statusLabel(turn)}`, text: statusLabel(turn) }), ' ', el('span', { text: turn.conversation })]),
    turn.action ? el('p', { class: 'action-title' }, [el('span', { class: 'badge kind-action', text: 'action' }), ' ', el('strong', { text: wantsToRun(turn.action) })]) : null,
    el('div', { class: 'meta' }, [el('span', { class: 'platform', text: turn.platform }), channelNode(turn), 'escalated ', ageNode(escalation?.at || turn.createdAt), ' ago']),
  ]);
  const why = section('Why it is here', [el('p', {}, [el('span', { class: 'badge why', text: whyLabel(escalation) }), ' ', el('span', { class: 'reason', text: escalation?.reason || '' })])], 'why');
  const draft = section(
    'Draft',
    [
      el('div', { class: 'draft pre', text: turn.draft !== null ? turn.draft : '(the actor produced no draft)' }),
      turn.revisions ? el('p', { class: 'muted', text: `${turn.revisions} redraft(s) asked by the critic` }) : null,
    ],
    'draft-card',
  );
  const action = turn.action;
  const held = turn.escalation?.action ? { step: turn.escalation.action.step, index: turn.escalation.action.index } : null;
  const side = action
    ? [pending ? decideActionCard(turn, action, actions) : decidedActionCard(turn, action), why, actionVerdictCard(action.verdict), toolStepsCard(turn.toolSteps ?? [], pending ? held : null)]
    : [pending ? decideCard(turn, actions) : decisionCard(turn), draft, why, verdictCard(turn)];
  app.appendChild(header);
  app.appendChild(el('div', { class: 'turn-grid' }, [section('Conversation', [conversationList(turn)], 'conv'), el('div', { class: 'side' }, side)]));
  const editor = document.getElementById(editorId) as HTMLTextAreaElement | null;
  if (pending && editor && kept) {
    editor.value = kept.value;
    if (kept.focused) {
      editor.focus();
      editor.setSelectionRange(kept.start, kept.end);
    }
  } else if (pending && focusEdit) {
    focusEditor();
  }
}
