/** A tiny element builder: text always goes in as text, never as HTML (tags and names come from AWS). */
type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | EventListener | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

export function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** "2026-11-22T10:00:00.000Z" → "2026-11-22 10:00 UTC". */
export function formatTs(ts: string | null | undefined): string {
  if (!ts) return '—';
  return `${ts.slice(0, 10)} ${ts.slice(11, 16)} UTC`;
}

/** An axis label of at most `max` characters: the start of the text, then an ellipsis. */
export const shortLabel = (text: string, max = 34): string =>
  text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;

/**
 * A finding's severity badge: coloured for what is failing or unknown; for a passing finding a neutral one, its
 * severity being what a failure of the check would be, not a problem of this resource.
 */
export function severityBadge(
  level: string | null | undefined,
  status: string | null | undefined,
): HTMLElement {
  if (status === 'pass')
    return h(
      'span',
      { class: 'badge neutral', title: `passing (a failure of this check would be ${level ?? 'unrated'})` },
      '—',
    );
  return h('span', { class: `badge severity-${level}` }, level ?? '');
}
