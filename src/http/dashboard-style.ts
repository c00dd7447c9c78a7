/** The dashboard's stylesheet, served as /review/assets/dashboard.css. Phone first; two columns from 800px. */
export const DASHBOARD_STYLE = `
:root {
  --bg: #f6f7f9; --card: #fff; --text: #1c2330; --muted: #5f6b7a; --line: #dde2e8; --accent: #2456d6;
  --ok: #1d7a46; --danger: #b3261e; --warn: #a15c00; --edit: #2456d6; --revise: #c27c0e; --escalate: #b3261e; --approve: #1d7a46;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 15px; color: var(--text); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: flex; flex-direction: column; }
a { color: var(--accent); }
button { font: inherit; cursor: pointer; border: 1px solid var(--line); background: var(--card); color: var(--text); border-radius: 6px; padding: .45em .9em; }
button:focus-visible, a:focus-visible, textarea:focus-visible, input:focus-visible { outline: 3px solid #8fb0ff; outline-offset: 1px; }
button.ok { background: var(--ok); color: #fff; border-color: var(--ok); }
button.danger { background: #fff; color: var(--danger); border-color: var(--danger); }
button.link { border: 0; background: none; color: var(--muted); padding: 0; }
kbd { font: 12px ui-monospace, monospace; border: 1px solid var(--line); border-bottom-width: 2px; border-radius: 4px; padding: 0 .35em; background: #fff; }
.muted { color: var(--muted); }
.error { color: var(--danger); }
.pre { white-space: pre-wrap; overflow-wrap: anywhere; }

.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5em 1em; padding: .6em 1em; background: #162033; color: #e8edf5; }
.top a { color: #e8edf5; text-decoration: none; }
.top .brand { font-weight: 700; letter-spacing: .02em; }
.top nav { display: flex; gap: .9em; flex-wrap: wrap; }
.top nav a[aria-current="page"] { text-decoration: underline; text-underline-offset: 4px; }
.top .count:not(:empty) { display: inline-block; min-width: 1.5em; text-align: center; background: var(--danger); color: #fff; border-radius: 999px; font-size: 12px; padding: 0 .4em; }
.top .live { margin-left: auto; font-size: 12px; }
.top .live::before { content: "●"; margin-right: .3em; color: #d9a400; }
.top .live[data-state="open"]::before { color: #41c37a; }
.top .live[data-state="closed"]::before { color: #e35d55; }
.top .who { font-size: 13px; opacity: .85; }
.top .who-note { font-size: 11px; opacity: .7; border: 1px solid currentColor; border-radius: 3px; padding: 0 4px; }
.top .logout button { background: transparent; color: #e8edf5; border-color: #55627a; padding: .2em .6em; font-size: 13px; }

main#app { flex: 1; width: 100%; max-width: 1200px; margin: 0 auto; padding: 1em; }
h1 { font-size: 1.3em; margin: .2em 0 .8em; overflow-wrap: anywhere; }
h2 { font-size: 1em; margin: 0 0 .6em; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.empty { padding: 2em; text-align: center; color: var(--muted); background: var(--card); border: 1px dashed var(--line); border-radius: 8px; }

.list { list-style: none; margin: 0; padding: 0; display: grid; gap: .5em; }
.row { background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
.row.selected { border-color: var(--accent); box-shadow: 0 0 0 2px #c8d6ff; }
.row-link { display: block; padding: .7em .9em; color: inherit; text-decoration: none; }
.meta { display: flex; flex-wrap: wrap; gap: .3em .8em; font-size: 13px; color: var(--muted); margin-bottom: .3em; }
.meta .platform { font-weight: 600; text-transform: uppercase; font-size: 11px; letter-spacing: .05em; background: #eef1f5; color: var(--text); border-radius: 4px; padding: .1em .4em; }
.meta .channel, .meta .conv { overflow-wrap: anywhere; }
.line { margin: .2em 0; overflow-wrap: anywhere; }
.excerpt { color: var(--muted); font-size: 14px; overflow: hidden; text-overflow: ellipsis; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow-wrap: anywhere; }
.badge { display: inline-block; font-size: 12px; font-weight: 600; border-radius: 4px; padding: .1em .45em; background: #eef1f5; }
.badge.why { background: #fff1e0; color: var(--warn); }
.badge.d-approved, .badge.c-approve, .badge.s-approved, .badge.s-posted { background: #e3f4ea; color: var(--ok); }
.badge.d-edited, .badge.c-edit { background: #e6ecff; color: var(--edit); }
.badge.d-rejected, .badge.c-escalate, .badge.s-rejected { background: #fde8e6; color: var(--danger); }
.badge.c-revise { background: #fdf1dc; color: var(--revise); }
.badge.s-pending { background: #fff1e0; color: var(--warn); }

.turn-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: .4em 1em; margin-bottom: .8em; }
.turn-head h1 { margin: 0; }
.turn-head .back { text-decoration: none; }
.turn-grid { display: grid; gap: 1em; grid-template-columns: 1fr; align-items: start; }
.side { display: grid; gap: 1em; align-content: start; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .9em 1em; min-width: 0; }
.conversation { list-style: none; margin: 0; padding: 0; display: grid; gap: .6em; }
.msg { border-radius: 8px; padding: .5em .7em; background: #f1f3f6; max-width: 92%; }
.msg.assistant { background: #e9efff; margin-left: auto; }
.msg.current { border-left: 3px solid var(--warn); }
.msg.holding { background: #f3f4f6; border: 1px dashed #b8bec9; }
.msg.waiting { border-left: 3px dashed var(--warn); opacity: 0.9; }
.excerpt.user-said { color: inherit; }
.msg-meta { font-size: 12px; color: var(--muted); margin-bottom: .2em; }
.msg-text { white-space: pre-wrap; overflow-wrap: anywhere; }
.draft { background: #fffbea; border: 1px solid #f0e2a8; border-radius: 6px; padding: .6em .7em; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3em .8em; margin: 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.actions { display: flex; flex-wrap: wrap; gap: .5em; margin: .4em 0 .8em; }
.decide label { display: block; font-size: 13px; color: var(--muted); margin-bottom: .3em; }
textarea { width: 100%; font: inherit; padding: .5em; border: 1px solid var(--line); border-radius: 6px; resize: vertical; }

.ranges { display: flex; gap: .3em; }
.ranges button[aria-pressed="true"] { background: var(--accent); color: #fff; border-color: var(--accent); }
.charts { display: grid; gap: 1em; grid-template-columns: 1fr; }
.chart { width: 100%; height: auto; display: block; }
.chart .axis { stroke: var(--line); }
.chart .tick { font-size: 11px; fill: var(--muted); }
.legend { list-style: none; padding: 0; margin: .5em 0 0; display: flex; flex-wrap: wrap; gap: .4em 1em; font-size: 13px; }
.swatch { display: inline-block; width: .8em; height: .8em; border-radius: 2px; margin-right: .3em; vertical-align: -1px; }
.k-approve, .k-approved { fill: var(--approve); background: var(--approve); }
.k-edit, .k-edited { fill: var(--edit); background: var(--edit); }
.k-revise { fill: var(--revise); background: var(--revise); }
.k-escalate, .k-rejected { fill: var(--escalate); background: var(--escalate); }

.keys { padding: .5em 1em; font-size: 13px; border-top: 1px solid var(--line); background: var(--card); }
.toast { position: fixed; bottom: 3.2em; left: 50%; transform: translateX(-50%); background: #162033; color: #fff; padding: .5em 1em; border-radius: 6px; max-width: 90vw; }
.toast.error { background: var(--danger); }
dialog { border: 1px solid var(--line); border-radius: 8px; max-width: min(32em, 92vw); }
dialog dl { display: grid; grid-template-columns: max-content 1fr; gap: .3em 1em; }
dialog dd { margin: 0; }
dialog menu { display: flex; justify-content: flex-end; gap: .5em; padding: 0; }

.login { align-items: center; justify-content: center; padding: 1em; }
.login-box { width: 100%; max-width: 24em; background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1.5em; }
.login-box h1 { margin-top: 0; }
.login-box label { display: block; margin: 0 0 1em; font-weight: 600; }
.login-box small { font-weight: 400; color: var(--muted); }
.login-box input { display: block; width: 100%; margin-top: .3em; font: inherit; padding: .5em; border: 1px solid var(--line); border-radius: 6px; }
.login-box button { width: 100%; background: var(--accent); color: #fff; border-color: var(--accent); }

@media (min-width: 800px) {
  .turn-grid { grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); }
  .charts { grid-template-columns: 1fr 1fr; }
}
@media (max-width: 520px) {
  main#app { padding: .6em; }
  .top { padding: .5em .6em; }
  .top .who, .top .who-note { display: none; }
  .keys { display: none; }
}
`;
