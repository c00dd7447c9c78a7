/**
 * Building the pages' DOM in the browser, shared by the chat page and the review dashboard.
 * Text is always text: `text` and string children become text nodes (textContent), never
 * markup, so conversation, draft and reviewer text cannot inject HTML and no escaping is
 * needed in the browser. There is no innerHTML anywhere in the browser code.
 */

/** An attribute's value; null, undefined and false leave it out, true sets it empty. */
export type AttributeValue = string | number | boolean | null | undefined;

/** Event listeners by event type: `{ click: () => ... }`. */
export type Listeners = { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };

export interface Attributes {
  /** The element's text content. */
  text?: AttributeValue;
  class?: AttributeValue;
  on?: Listeners;
  [name: string]: AttributeValue | Listeners;
}

export type Child = Node | string | number | null | undefined | false;

function setAttributes(node: Element, attributes: Attributes | undefined): void {
  if (!attributes) return;
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'on') {
      for (const [type, listener] of Object.entries(value as Listeners)) if (listener) node.addEventListener(type, listener as EventListener);
      continue;
    }
    if (value === null || value === undefined || value === false || typeof value === 'object') continue;
    if (key === 'text') node.textContent = String(value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
}

/** Append children: strings and numbers as text nodes; null, undefined and false are skipped. */
export function append(node: Node, children: Child | Child[]): void {
  for (const child of Array.isArray(children) ? children : [children]) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

/** An HTML element with attributes and children. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes?: Attributes, children?: Child | Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  setAttributes(node, attributes);
  if (children !== undefined) append(node, children);
  return node;
}

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes and children. */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes?: Attributes, children?: Child | Child[]): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  setAttributes(node, attributes);
  if (children !== undefined) append(node, children);
  return node;
}

/** Remove every child. */
export function clear(node: Node): void {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/** The element with this id, of this type; a missing one is a bug in the page's HTML. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
}
