/**
 * A tool call held for review, on its turn's page: what would run (the tool, its server and
 * effect, the arguments as formatted JSON), the critic's verdict on it, the calls the actor made
 * before it in this turn, and the decision: approve, run with edited arguments (a JSON editor),
 * or reject. The server validates edited arguments against the tool's schema and answers 400
 * when they do not fit; nothing runs then, and the error is shown under the editor.
 */
import { type Child, el } from '../../core/browser/dom.js';
import type { ActionVerdict, ToolCallEntry, ToolStep } from '../../core/types.js';
import type { PresentedAction } from '../../review/presented-turn.js';
import type { DashboardTurn } from '../dashboard-api-types.js';
import { reviewerLabel, when } from './dashboard-format.js';

export interface ActionTurnActions {
  approve(): void;
  reject(): void;
  sendEdit(): void;
}

/** The id of the arguments editor (the `e` key puts the caret there). */
export const ARGUMENTS_EDITOR = 'edit-arguments';
/** Where a refused edit says why (bad JSON, or the API's 400). */
export const ARGUMENTS_ERROR = 'arguments-error';

function section(title: string, children: Child[], extra = ''): HTMLElement {
  return el('section', { class: `card ${extra}` }, [el('h2', { text: title }), ...children]);
}

/** Arguments as the reviewer reads them: indented JSON. */
export function formatArguments(args: unknown): string {
  return JSON.stringify(args ?? {}, null, 2);
}

/** "wants to run cancel_booking": the one line lists and headers use. */
export function wantsToRun(action: PresentedAction): string {
  return `${action.outcomeUnknown ? 'may already have run' : 'wants to run'} ${action.tool}`;
}

/** "write, not idempotent", "read". */
export function effectLabel(action: Pick<PresentedAction, 'effect' | 'idempotent'>): string {
  return action.effect === 'write' ? `write${action.idempotent ? ', idempotent' : ', not idempotent'}` : 'read';
}

/** Parse the editor's text into arguments: an error message, or the value to send. */
export function parseEditedArguments(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `The arguments are not valid JSON (${(error as Error).message}); nothing was run.` };
  }
  // Anything but an object is sent as it is: the server says what it expects (its 400).
  return { ok: true, value: value as Record<string, unknown> };
}

/** The tool call, as the top of the decide and decision cards show it. */
function callFacts(action: PresentedAction): HTMLElement {
  return el('dl', { class: 'facts call-facts' }, [
    el('dt', { text: 'tool' }),
    el('dd', {}, el('code', { class: 'tool-name', text: action.tool })),
    el('dt', { text: 'server' }),
    el('dd', { class: 'tool-server', text: action.server }),
    el('dt', { text: 'effect' }),
    el('dd', {}, el('span', { class: `badge effect e-${action.effect}`, text: effectLabel(action) })),
    action.description ? el('dt', { text: 'does' }) : null,
    action.description ? el('dd', { class: 'tool-description', text: action.description }) : null,
  ]);
}

/** The proposed arguments, read-only. */
function argumentsBlock(args: unknown, id?: string): HTMLElement {
  return el('pre', { class: 'json', ...(id ? { id } : {}), text: formatArguments(args) });
}

/** The decide card of a pending action. */
export function decideActionCard(turn: DashboardTurn, action: PresentedAction, actions: ActionTurnActions): HTMLElement {
  const unknown = action.outcomeUnknown;
  const children: Child[] = [
    el('p', { class: 'wants' }, [el('strong', { text: wantsToRun(action) })]),
    callFacts(action),
    el('h3', { text: 'Arguments' }),
    argumentsBlock(action.arguments, 'proposed-arguments'),
    unknown
      ? el('p', {
          class: 'warning',
          text: 'This call started before a crash and recorded no outcome: it may have run. Approve says it took effect; reject says it did not. It is not run again either way.',
        })
      : null,
    el('div', { class: 'actions' }, [
      el('button', { id: 'approve', class: 'ok', type: 'button', on: { click: () => actions.approve() }, text: unknown ? 'It took effect (a)' : 'Approve call (a)' }),
      el('button', { id: 'reject', class: 'danger', type: 'button', on: { click: () => actions.reject() }, text: unknown ? 'It did not (r)' : 'Reject call (r)' }),
    ]),
  ];
  if (!unknown) {
    const editor = el('textarea', { id: ARGUMENTS_EDITOR, class: 'json-editor', rows: 8, spellcheck: 'false', 'aria-label': 'arguments to run the call with (JSON)', 'aria-describedby': ARGUMENTS_ERROR });
    editor.value = formatArguments(action.arguments);
    editor.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        actions.sendEdit();
      }
    });
    // A stale error goes once the reviewer changes the text.
    editor.addEventListener('input', () => showArgumentsError(null));
    children.push(
      el('label', { for: ARGUMENTS_EDITOR, text: 'Edit the arguments (JSON; e, then Ctrl+Enter to run)' }),
      editor,
      el('p', { id: ARGUMENTS_ERROR, class: 'error', role: 'alert', hidden: true }),
      el('div', { class: 'actions' }, [el('button', { id: 'send-edit', type: 'button', on: { click: () => actions.sendEdit() }, text: 'Run with these arguments' })]),
    );
  }
  return section('Decide', children, `decide action-decide${turn.status === 'pending' ? '' : ' done'}`);
}

/** Show (or, with null, hide) why the edited arguments were refused. */
export function showArgumentsError(message: string | null): void {
  const node = document.getElementById(ARGUMENTS_ERROR);
  if (!node) return;
  node.textContent = message ?? '';
  node.hidden = message === null;
}

/** The decision card of a resolved action: who decided, and the arguments it runs with. */
export function decidedActionCard(turn: DashboardTurn, action: PresentedAction): HTMLElement {
  const resolution = turn.resolution;
  const ran = resolution?.decision === 'edited' ? resolution.arguments : action.arguments;
  const outcome = !resolution
    ? 'Not decided.'
    : resolution.decision === 'rejected'
      ? action.outcomeUnknown
        ? 'Recorded as not having taken effect.'
        : 'Refused: the call does not run; the actor is told a human refused it.'
      : action.outcomeUnknown
        ? 'Recorded as having taken effect.'
        : resolution.decision === 'edited'
          ? 'Runs with the reviewer’s arguments:'
          : 'Runs with the proposed arguments:';
  return section(
    'Decision',
    [
      el('p', {}, [
        el('span', { class: `badge d-${resolution ? resolution.decision : 'none'}`, text: resolution ? resolution.decision : turn.status }),
        resolution ? ' by ' : '',
        resolution ? el('strong', { class: 'reviewer', text: reviewerLabel(resolution) }) : null,
        resolution ? ` · ${when(resolution.at)}` : '',
      ]),
      el('p', { class: 'wants' }, [el('strong', { text: `${action.tool}` }), ` on ${action.server} · ${effectLabel(action)}`]),
      el('p', { class: 'outcome', text: outcome }),
      resolution && resolution.decision !== 'rejected' && !action.outcomeUnknown ? argumentsBlock(ran, 'ran-arguments') : null,
      turn.reply !== null ? el('p', { class: 'pre', text: `Posted: ${turn.reply}` }) : null,
    ],
    'decision',
  );
}

/** The critic's verdict on the call: its decision and reason (why the call waits). */
export function actionVerdictCard(verdict: ActionVerdict | null): HTMLElement {
  if (!verdict) return section('Critic verdict', [el('p', { class: 'muted', text: 'The critic gave no verdict on this call (see why it is here).' })], 'verdict');
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
        el('dd', { class: 'verdict-reason', text: verdict.reason }),
        verdict.feedback ? el('dt', { text: 'feedback' }) : null,
        verdict.feedback ? el('dd', { text: verdict.feedback }) : null,
        verdict.revised_arguments ? el('dt', { text: 'critic’s arguments' }) : null,
        verdict.revised_arguments ? el('dd', {}, argumentsBlock(verdict.revised_arguments)) : null,
      ]),
    ],
    'verdict',
  );
}

/** The arguments as the model wrote them: indented when they parse, else as written. */
function writtenArguments(text: string): string {
  try {
    return formatArguments(JSON.parse(text));
  } catch {
    return text;
  }
}

function callNode(call: ToolCallEntry, held: boolean): HTMLLIElement {
  const outcome = call.outcome;
  const status = held ? 'waiting for you' : outcome ? outcome.status : 'not run yet';
  return el('li', { class: `tool-call${held ? ' held' : ''}`, 'data-status': held ? 'held' : (outcome?.status ?? 'pending') }, [
    el('div', { class: 'msg-meta' }, [
      el('code', { class: 'tool-name', text: call.name }),
      ' · ',
      el('span', { class: `badge t-${held ? 'held' : (outcome?.status ?? 'pending')}`, text: status }),
      outcome?.by ? ` · by ${outcome.by}` : '',
      outcome ? ` · ${when(outcome.at)}` : '',
    ]),
    el('pre', { class: 'json', text: outcome?.ran ? formatArguments(outcome.ran) : writtenArguments(call.arguments) }),
    outcome ? el('div', { class: 'tool-result pre', text: outcome.result }) : null,
  ]);
}

/**
 * The tool calls of this turn, step by step, with what became of each: the context a reviewer
 * needs to judge the held call (what the actor looked up, what already ran).
 */
export function toolStepsCard(steps: readonly ToolStep[], held: { step: number; index: number } | null): HTMLElement {
  if (!steps.length) return section('Tool calls this turn', [el('p', { class: 'muted', text: 'None.' })], 'tool-steps');
  const list = el('ol', { class: 'tool-calls' });
  for (const step of steps) {
    if (step.content) list.appendChild(el('li', { class: 'tool-step-text' }, [el('div', { class: 'msg-meta', text: `actor, step ${step.step + 1}` }), el('div', { class: 'msg-text', text: step.content })]));
    step.calls.forEach((call, index) => {
      list.appendChild(callNode(call, held !== null && held.step === step.step && held.index === index));
    });
  }
  return section('Tool calls this turn', [list], 'tool-steps');
}
