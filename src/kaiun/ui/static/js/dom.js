// DOM helpers: every element is built with h()/svg() and text nodes, never from HTML
// strings, so data from the API can never become markup. URLs go through safeUrl().

const SVG_NS = 'http://www.w3.org/2000/svg';
const PASS_ATTRS = new Set([
  'class', 'id', 'for', 'type', 'value', 'title', 'role', 'name', 'tabindex', 'placeholder',
  'min', 'max', 'step', 'rows', 'cols', 'autocomplete', 'target', 'rel', 'colspan', 'list',
  'maxlength', 'pattern', 'spellcheck', 'lang', 'accept', 'multiple', 'size', 'open', 'alt',
  'width', 'height', 'datetime', 'scope', 'inputmode', 'form',
]);
const BOOL_ATTRS = new Set(['disabled', 'checked', 'selected', 'required', 'readonly', 'hidden',
  'autofocus', 'multiple', 'open']);

/** The URL when it is http(s) or a same-origin absolute path ("/x", not "//x"), else null. */
export function safeUrl(url) {
  if (typeof url !== 'string') return null;
  const s = url.trim();
  if (!s) return null;
  if (s.startsWith('/') && !s.startsWith('//') && !s.startsWith('/\\')) return s;
  let parsed;
  try {
    parsed = new URL(s);
  } catch {
    return null;
  }
  return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
}

function append(el, child) {
  if (child === null || child === undefined || child === false || child === true) return;
  if (Array.isArray(child)) {
    for (const c of child) append(el, c);
  } else if (child instanceof Node) {
    el.appendChild(child);
  } else {
    el.appendChild(document.createTextNode(String(child)));
  }
}

function setAttrs(el, attrs, isSvg) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'on') {
      for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
    } else if (key === 'href' || key === 'src') {
      const url = safeUrl(value);
      if (url) el.setAttribute(key, url);
    } else if (key === 'style') {
      // CSSOM, allowed by the CSP (an inline style attribute would not be).
      for (const [prop, v] of Object.entries(value)) el.style.setProperty(prop, v);
    } else if (key === 'value' && !isSvg && 'value' in el) {
      el.value = value;
    } else if (key === 'checked' && !isSvg) {
      el.checked = Boolean(value);
    } else if (BOOL_ATTRS.has(key)) {
      el.setAttribute(key, '');
    } else if (key.startsWith('on')) {
      // on*= attributes are never set (the CSP would block them; data must not set them).
      continue;
    } else if (isSvg || PASS_ATTRS.has(key) || key.startsWith('aria-') || key.startsWith('data-')) {
      el.setAttribute(key, String(value));
    }
  }
}

/** An HTML element: h('button', {class: 'btn', on: {click}}, 'Sync'). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs, false);
  append(el, children);
  return el;
}

/** An SVG element, same rules as h(). */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs, true);
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

// 16x16 icons drawn with paths (stroke-based, currentColor).
const ICONS = {
  healthy: ['M8 1.5a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13Z', 'M5 8.2l2 2l4-4.4'],
  progressing: ['M8 1.5a6.5 6.5 0 1 0 6.5 6.5', 'M8 4v4l2.5 1.5'],
  degraded: ['M8 1.5a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13Z', 'M5.5 5.5l5 5M10.5 5.5l-5 5'],
  suspended: ['M8 1.5a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13Z', 'M6.5 5v6M9.5 5v6'],
  missing: ['M8 1.5a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13Z', 'M6 6.5a2 2 0 1 1 2 2v1.5M8 12v.5'],
  unknown: ['M8 1.5a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13Z', 'M6 6.5a2 2 0 1 1 2 2v1.5M8 12v.5'],
  synced: ['M2.5 8.5l3.5 3.5l7.5-8'],
  outofsync: ['M8 2v7M8 12v1.5', 'M2 14.5h12L8 1.5Z'],
  'sync-unknown': ['M6 6.5a2 2 0 1 1 2 2v1.5M8 12v.5'],
  refresh: ['M13.5 8a5.5 5.5 0 1 1-1.6-3.9', 'M13.5 2v3.5H10'],
  sync: ['M2.5 8a5.5 5.5 0 0 1 9.8-3.4', 'M13.5 8a5.5 5.5 0 0 1-9.8 3.4', 'M12.5 1.5v3.2H9.3',
    'M3.5 14.5v-3.2h3.2'],
  trash: ['M2.5 4h11', 'M6 4V2.5h4V4', 'M4 4l.8 10h6.4L12 4', 'M6.8 6.5v5M9.2 6.5v5'],
  history: ['M2.5 8a5.5 5.5 0 1 0 1.6-3.9', 'M2.5 2v3.5H6', 'M8 5v3.2l2 1.3'],
  diff: ['M5 2v7M1.5 5.5h7', 'M8 12.5h6.5', 'M10.5 2v6'],
  close: ['M3.5 3.5l9 9M12.5 3.5l-9 9'],
  search: ['M7 2.5a4.5 4.5 0 1 0 0 9a4.5 4.5 0 1 0 0-9Z', 'M10.3 10.3l4 4'],
  star: ['M8 1.5l2 4.2l4.5.6l-3.3 3.1l.8 4.5L8 11.7l-4 2.2l.8-4.5l-3.3-3.1l4.5-.6Z'],
  'star-filled': ['M8 1.5l2 4.2l4.5.6l-3.3 3.1l.8 4.5L8 11.7l-4 2.2l.8-4.5l-3.3-3.1l4.5-.6Z'],
  external: ['M9 2.5h4.5V7', 'M13.5 2.5L7 9', 'M11.5 9.5v4h-9v-9h4'],
  tree: ['M2 3h4v3H2ZM10 2h4v3h-4ZM10 11h4v3h-4Z', 'M6 4.5h2v8h2M8 3.5h2'],
  list: ['M5.5 3.5h8M5.5 8h8M5.5 12.5h8', 'M2 3.5h1M2 8h1M2 12.5h1'],
  grid: ['M2 2h5v5H2ZM9 2h5v5H9ZM2 9h5v5H2ZM9 9h5v5H9Z'],
  network: ['M8 1.5a2 2 0 1 0 0 4a2 2 0 1 0 0-4ZM3 10.5a2 2 0 1 0 0 4a2 2 0 1 0 0-4Z' +
    'M13 10.5a2 2 0 1 0 0 4a2 2 0 1 0 0-4Z', 'M7 5.3L4 10.7M9 5.3l3 5.4M5 12.5h6'],
  settings: ['M8 5.5a2.5 2.5 0 1 0 0 5a2.5 2.5 0 1 0 0-5Z',
    'M8 1v2M8 13v2M1 8h2M13 8h2M3 3l1.4 1.4M11.6 11.6L13 13M3 13l1.4-1.4M11.6 4.4L13 3'],
  user: ['M8 2a3 3 0 1 0 0 6a3 3 0 1 0 0-6Z', 'M2.5 14.5a5.5 5.5 0 0 1 11 0'],
  logout: ['M6 2.5H2.5v11H6', 'M10 5l3 3l-3 3M13 8H6'],
  plus: ['M8 2.5v11M2.5 8h11'],
  check: ['M2.5 8.5l3.5 3.5l7.5-8'],
  warning: ['M8 6v3.5M8 11.5v.5', 'M1.5 14h13L8 2Z'],
};

/** A small inline SVG icon (aria-hidden; pair it with text). */
export function icon(name) {
  const paths = ICONS[name] || ICONS.unknown;
  const filled = name === 'star-filled';
  return svg('svg', {
    class: `icon icon-${name}`, viewBox: '0 0 16 16', width: '16', height: '16',
    'aria-hidden': 'true', focusable: 'false', fill: filled ? 'currentColor' : 'none',
    stroke: 'currentColor', 'stroke-width': '1.5', 'stroke-linecap': 'round',
    'stroke-linejoin': 'round',
  }, paths.map((d) => svg('path', {d})));
}

const HEALTH_ICONS = {
  healthy: 'healthy', progressing: 'progressing', degraded: 'degraded',
  suspended: 'suspended', missing: 'missing',
};

function slug(status) {
  return String(status || 'Unknown').toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

export function healthBadge(status) {
  const s = status || 'Unknown';
  return h('span', {class: `badge health-${slug(s)}`, title: `Health: ${s}`},
    icon(HEALTH_ICONS[slug(s)] || 'unknown'), h('span', {}, s));
}

export function syncBadge(status) {
  const s = status || 'Unknown';
  const name = {synced: 'synced', outofsync: 'outofsync'}[slug(s)] || 'sync-unknown';
  return h('span', {class: `badge sync-${slug(s)}`, title: `Sync: ${s}`},
    icon(name), h('span', {}, s));
}

/** "3m ago" for an ISO timestamp ('' when missing or invalid). */
export function timeAgo(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (!iso || Number.isNaN(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export function formatTime(iso) {
  const t = Date.parse(iso);
  if (!iso || Number.isNaN(t)) return '';
  return new Date(t).toLocaleString();
}

let toastHost = null;

/** A short message in the corner; errors stay until dismissed. */
export function toast(message, kind = 'info') {
  if (!toastHost || !toastHost.isConnected) {
    toastHost = h('div', {class: 'toasts', role: 'status', 'aria-live': 'polite'});
    document.body.appendChild(toastHost);
  }
  const close = () => el.remove();
  const el = h('div', {class: `toast toast-${kind}`},
    h('span', {}, String(message)),
    h('button', {class: 'btn icon-btn', type: 'button', 'aria-label': 'Dismiss', on: {click: close}},
      icon('close')));
  toastHost.appendChild(el);
  if (kind !== 'error') setTimeout(close, 5000);
  return el;
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]),' +
  ' textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

function trapFocus(container, event) {
  if (event.key !== 'Tab') return;
  const items = [...container.querySelectorAll(FOCUSABLE)].filter((e) => e.offsetParent !== null);
  if (!items.length) return;
  const first = items[0];
  const last = items[items.length - 1];
  if (event.shiftKey && document.activeElement === first) {
    last.focus();
    event.preventDefault();
  } else if (!event.shiftKey && document.activeElement === last) {
    first.focus();
    event.preventDefault();
  }
}

// Live updates may have re-rendered the opener meanwhile: fall back to its id.
function restoreFocus(previous) {
  if (!previous) return;
  const target = previous.isConnected ? previous : (previous.id && document.getElementById(previous.id));
  if (target && target.focus) target.focus();
}

/** A modal dialog; Escape or the close button closes it; focus stays inside. */
export function openDialog({title, body, actions = [], onClose = null, wide = false}) {
  const previous = document.activeElement;
  const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    document.removeEventListener('keydown', onKey, true);
    backdrop.remove();
    if (onClose) onClose();
    restoreFocus(previous);
  };
  const onKey = (event) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      close();
    } else {
      trapFocus(dialog, event);
    }
  };
  const buttons = actions.map((a) => h('button', {
    class: `btn ${a.kind || ''}`.trim(), type: 'button', disabled: a.disabled,
    'data-action': a.id || a.label,
    on: {click: () => a.onClick && a.onClick({close})},
  }, a.label));
  const dialog = h('div', {class: `dialog${wide ? ' wide' : ''}`, role: 'dialog',
    'aria-modal': 'true', 'aria-labelledby': titleId},
  h('div', {class: 'dialog-head'},
    h('h2', {id: titleId}, title),
    h('button', {class: 'btn icon-btn', type: 'button', 'aria-label': 'Close', on: {click: close}},
      icon('close'))),
  h('div', {class: 'dialog-body'}, body),
  buttons.length ? h('div', {class: 'dialog-actions'}, buttons) : null);
  const backdrop = h('div', {class: 'backdrop', on: {mousedown: (e) => {
    if (e.target === backdrop) close();
  }}}, dialog);
  document.body.appendChild(backdrop);
  document.addEventListener('keydown', onKey, true);
  const first = dialog.querySelector('.dialog-body ' + FOCUSABLE) || dialog.querySelector(FOCUSABLE);
  if (first) first.focus();
  return {close, element: dialog};
}

/** A side panel with tabs (full screen on a phone); Escape closes it. */
export function openPanel({title, tabs = [], onClose = null, actions = null}) {
  const previous = document.activeElement;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    document.removeEventListener('keydown', onKey, true);
    wrap.remove();
    if (onClose) onClose();
    restoreFocus(previous);
  };
  const onKey = (event) => {
    if (event.key === 'Escape' && !document.querySelector('.backdrop')) {
      event.stopPropagation();
      close();
    }
  };
  const content = h('div', {class: 'panel-body'});
  const tabButtons = new Map();
  let selecting = 0;
  const select = async (id) => {
    const tab = tabs.find((t) => t.id === id) || tabs[0];
    if (!tab) return;
    // A slow tab that finishes after the user picked another must not overwrite it.
    const ticket = ++selecting;
    for (const [tid, b] of tabButtons) {
      b.classList.toggle('active', tid === tab.id);
      b.setAttribute('aria-selected', tid === tab.id ? 'true' : 'false');
    }
    replace(content, h('p', {class: 'muted'}, 'Loading…'));
    try {
      const el = await tab.render();
      if (!closed && ticket === selecting) replace(content, el);
    } catch (err) {
      if (ticket !== selecting) return;
      replace(content, h('p', {class: 'error-banner'}, err && err.message ? err.message : String(err)));
    }
  };
  const tabBar = h('div', {class: 'tabs', role: 'tablist'}, tabs.map((t) => {
    const b = h('button', {class: 'tab', type: 'button', role: 'tab', 'data-tab': t.id,
      on: {click: () => select(t.id)}}, t.label);
    tabButtons.set(t.id, b);
    return b;
  }));
  const panel = h('aside', {class: 'panel', role: 'dialog', 'aria-label': String(title)},
    h('div', {class: 'panel-head'},
      h('h2', {}, title),
      actions,
      h('button', {class: 'btn icon-btn', type: 'button', 'aria-label': 'Close', on: {click: close}},
        icon('close'))),
    tabs.length > 1 ? tabBar : null,
    content);
  const wrap = h('div', {class: 'panel-wrap'}, panel);
  document.body.appendChild(wrap);
  document.addEventListener('keydown', onKey, true);
  panel.querySelector('button').focus();
  if (tabs.length) select(tabs[0].id);
  return {close, select, element: panel};
}

/** A labelled form field: field('Revision', input). */
export function field(label, control, hint = null) {
  const id = control.id || `f-${Math.random().toString(36).slice(2)}`;
  control.id = id;
  return h('div', {class: 'field'}, h('label', {for: id}, label), control,
    hint ? h('small', {class: 'muted'}, hint) : null);
}

/** A checkbox with its label. */
export function checkbox(label, {name = '', checked = false, disabled = false} = {}) {
  const input = h('input', {type: 'checkbox', name, checked, disabled});
  return h('label', {class: 'check'}, input, h('span', {}, label));
}

/** A link opening in a new tab when `url` is http(s); otherwise the text, never a link. */
export function extLink(url, text = url, attrs = {}) {
  const safe = safeUrl(url);
  if (!safe || safe.startsWith('/')) return h('span', {class: 'unlinked', ...attrs}, text);
  return h('a', {href: safe, target: '_blank', rel: 'noopener noreferrer', ...attrs}, text,
    icon('external'));
}
