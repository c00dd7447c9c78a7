/** The chat page's stylesheet, served as /assets/chat.css (the CSP allows no inline style). */
export const CHAT_STYLE = `
:root { font-family: system-ui, sans-serif; color: #1b1f24; background: #f4f5f7; }
body { margin: 0; display: flex; justify-content: center; }
main { width: min(720px, 100%); height: 100vh; display: flex; flex-direction: column; background: #fff; box-shadow: 0 0 12px #0001; }
header { padding: 12px 16px; border-bottom: 1px solid #e3e5e8; display: flex; justify-content: space-between; align-items: baseline; gap: 8px; flex-wrap: wrap; }
h1 { font-size: 1.1rem; margin: 0; }
#conversation { font-size: .8rem; color: #57606a; overflow-wrap: anywhere; }
.notice { margin: 0; padding: 8px 16px; background: #fff7d6; border-bottom: 1px solid #f0e2a8; font-size: .9rem; }
#earlier { align-self: center; margin: 8px 0 0; font-size: .8rem; padding: 4px 10px; border-radius: 12px; border: 1px solid #d0d7de; background: #f6f8fa; }
#earlier[hidden] { display: none; }
#log { flex: 1; overflow-y: auto; padding: 16px; display: flex; flex-direction: column; gap: 8px; }
.message { max-width: 85%; padding: 8px 12px; border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.user { align-self: flex-end; background: #2f6feb; color: #fff; }
.bot { align-self: flex-start; background: #eef0f3; }
#status { padding: 4px 16px; min-height: 1.4em; font-size: .85rem; color: #57606a; }
#status.held { color: #9a6700; font-weight: 600; }
#status.error { color: #cf222e; }
form { display: flex; gap: 8px; padding: 12px 16px; border-top: 1px solid #e3e5e8; }
textarea { flex: 1; resize: vertical; min-height: 2.6em; font: inherit; padding: 8px; }
button { font: inherit; padding: 8px 14px; cursor: pointer; }
.examples { display: flex; flex-wrap: wrap; gap: 6px; padding: 8px 16px 0; }
.example { font-size: .8rem; padding: 4px 8px; border-radius: 12px; border: 1px solid #d0d7de; background: #f6f8fa; }
`;
