import { describe, expect, it } from 'vitest';
import { CHAT_ASSETS } from '../../adapters/web/chat-assets.js';
import { CHAT_PAGE_HEADERS, renderChatPage } from '../../adapters/web/web-chat-page.js';

describe('the chat page', () => {
  const page = renderChatPage({ notice: '<img src=x onerror=alert(1)>', examples: ['"><script>alert(2)</script>'], reviewUrl: '/review' });

  it('has no inline script, style or event handler: its code comes from its own assets', () => {
    const page = renderChatPage({ notice: 'Offline demo', examples: ['Where is my bag?'], reviewUrl: '/review' });
    expect([...page.matchAll(/<script\b[^>]*>/g)].map((match) => match[0])).toEqual(['<script src="/assets/chat.js" defer>']);
    expect(page).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    expect(page).toContain('<link rel="stylesheet" href="/assets/chat.css">');
  });

  it('shows the operator\'s notice and examples as text', () => {
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).toContain('&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
  });

  it('is served with a strict CSP, no framing, nosniff and a referrer policy', () => {
    const csp = CHAT_PAGE_HEADERS['content-security-policy']!;
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) expect(csp).toContain(directive);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(CHAT_PAGE_HEADERS).toMatchObject({ 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff', 'referrer-policy': 'strict-origin-when-cross-origin' });
  });

  it('makes ids and tokens with crypto.getRandomValues, never Math.random', async () => {
    // The script as served: bundled by esbuild from adapters/web/browser/.
    const { body: CHAT_SCRIPT, contentType } = await CHAT_ASSETS.get('chat.js');
    expect(contentType).toBe('text/javascript; charset=utf-8');
    expect(CHAT_SCRIPT).toContain('crypto.getRandomValues');
    expect(CHAT_SCRIPT).not.toMatch(/Math\.random/);
  });

  it('labels each example with the decision it triggers, as text', () => {
    const labelled = renderChatPage({ examples: [{ text: 'Can I get a <refund>?', label: 'Critic edits', decision: 'edit', hint: 'The critic "cuts" the promise' }, 'plain'] });
    expect(labelled).toContain('<button type="button" class="example" title="The critic &quot;cuts&quot; the promise"><span class="badge c-edit">Critic edits</span><span class="example-text">Can I get a &lt;refund&gt;?</span></button>');
    expect(labelled).toContain('<button type="button" class="example"><span class="example-text">plain</span></button>');
  });
});
