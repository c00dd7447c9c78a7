const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/**
 * Escape text for HTML element content and quoted attribute values: the one escaper of the
 * server-rendered pages (the chat page, the dashboard's shell and sign-in page). The pages'
 * browser code needs none: it puts text into the page as text nodes (src/core/browser/dom.ts).
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (char) => ENTITIES[char]!);
}
