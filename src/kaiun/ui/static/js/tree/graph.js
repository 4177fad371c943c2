// Draws the laid-out resource tree as SVG: node boxes with kind badge, name, health and
// sync icons; curved edges; keyboard focus (arrows move, Enter opens); drag to pan.
import { h, svg, icon } from '../dom.js';
import { APP_KEY, kindAbbrev } from './model.js';
import { layoutTree } from './layout.js';

const HEALTH_ICON = {
  Healthy: 'healthy', Progressing: 'progressing', Degraded: 'degraded',
  Suspended: 'suspended', Missing: 'missing', Unknown: 'unknown',
};
const SYNC_ICON = { Synced: 'synced', OutOfSync: 'outofsync', Unknown: 'sync-unknown' };

/** Icon element for a health status (null when the resource has no health). */
export function healthIcon(status) {
  return status ? icon(HEALTH_ICON[status] || 'unknown') : null;
}

/** Icon element for a sync status (null for live children, which have none). */
export function syncIcon(status) {
  return status ? icon(SYNC_ICON[status] || 'sync-unknown') : null;
}

function cut(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function placeIcon(el, x, y, size, cls) {
  if (!el) return null;
  el.setAttribute('x', String(x));
  el.setAttribute('y', String(y));
  el.setAttribute('width', String(size));
  el.setAttribute('height', String(size));
  el.classList.add(cls);
  return el;
}

function describe(n) {
  const parts = [n.isGroup ? n.name : `${n.kind} ${n.name}`];
  if (n.health) parts.push(`health ${n.health}`);
  if (n.sync) parts.push(`sync ${n.sync}`);
  if (n.isGroup) parts.push('press Enter to expand');
  return parts.join(', ');
}

function subtitle(n, mode) {
  if (n.isGroup) {
    return Object.entries(n.healthCounts).map(([k, v]) => `${v} ${k}`).join(' · ');
  }
  if (mode === 'compact') return '';
  const info = (n.info || []).map((i) => i.value).filter(Boolean).join(' · ');
  return info ? `${n.kind} · ${info}` : n.namespace ? `${n.kind} · ${n.namespace}` : n.kind;
}

function drawNode(n, p, size, mode, selectedKey) {
  const classes = ['tnode', `health-${(n.health || 'none').toLowerCase()}`];
  if (n.sync === 'OutOfSync') classes.push('outofsync');
  if (n.isGroup) classes.push('group');
  if (n.root) classes.push('root');
  if (n.key === selectedKey) classes.push('selected');
  const compact = mode === 'compact';
  const badgeW = compact ? 40 : 46;
  const iconSize = compact ? 14 : 16;
  const textX = badgeW + 10;
  const icons = [];
  let ix = size.w - 8 - iconSize;
  for (const [el, cls] of [[syncIcon(n.sync), 'sync-icon'], [healthIcon(n.health), 'health-icon']]) {
    if (!el) continue;
    icons.push(placeIcon(el, ix, compact ? (size.h - iconSize) / 2 : 10, iconSize, cls));
    ix -= iconSize + 4;
  }
  const maxChars = Math.floor((ix - textX) / (compact ? 6.6 : 7.4));
  const sub = subtitle(n, mode);
  const g = svg('g', {
    class: classes.join(' '), transform: `translate(${p.x},${p.y})`,
    'data-key': n.key, 'data-kind': n.kind, 'data-name': n.name,
    'data-health': n.health || '', 'data-sync': n.sync || '',
  },
  svg('title', {}, n.isGroup ? n.name : `${n.kind}/${n.name}${n.namespace ? ` (${n.namespace})` : ''}`),
  svg('rect', { class: 'tnode-box', width: String(size.w), height: String(size.h), rx: '6', ry: '6' }),
  svg('rect', { class: 'tnode-kind', x: '0', y: '0', width: String(badgeW), height: String(size.h), rx: '6', ry: '6' }),
  svg('text', { class: 'tnode-kind-text', x: String(badgeW / 2), y: String(size.h / 2 + 4) }, kindAbbrev(n.kind)),
  svg('text', { class: 'tnode-name', x: String(textX), y: String(compact || !sub ? size.h / 2 + 4 : 26) }, cut(n.name, maxChars)),
  sub ? svg('text', { class: 'tnode-sub', x: String(textX), y: '46' }, cut(sub, Math.floor((size.w - textX - 8) / 6.4))) : null,
  ...icons);
  if (n.isGroup) {
    g.appendChild(svg('rect', { class: 'tnode-stack', x: '4', y: String(size.h), width: String(size.w - 8), height: '3', rx: '1' }));
  }
  if (!n.root) {
    g.setAttribute('tabindex', '0');
    g.setAttribute('role', 'button');
    g.setAttribute('aria-label', describe(n));
  }
  return g;
}

/**
 * The graph element for the visible tree `{nodes, children}`. `onOpen(node)` runs on
 * click/Enter of a resource, `onToggleGroup(node)` on a group node.
 */
export function renderGraph(visible, { mode = 'full', zoom = 1, selectedKey = null, onOpen, onToggleGroup }) {
  const lay = layoutTree(APP_KEY, visible.children, mode);
  const { size } = lay;
  const edges = svg('g', { class: 'tedges' }, ...lay.edges.map((e) => {
    const target = visible.nodes.get(e.to);
    const cls = target && target.sync === 'OutOfSync' ? 'tedge outofsync' : 'tedge';
    return svg('path', { class: cls, d: e.path });
  }));
  const nodeEls = [];
  for (const [key, p] of lay.pos) {
    const n = visible.nodes.get(key);
    if (n) nodeEls.push(drawNode(n, p, size, mode, selectedKey));
  }
  const root = svg('svg', {
    class: `tree-svg tree-${mode}`, role: 'group', 'aria-label': 'Resource tree',
    viewBox: `0 0 ${lay.width} ${lay.height}`,
    width: String(Math.round(lay.width * zoom)), height: String(Math.round(lay.height * zoom)),
  }, edges, svg('g', { class: 'tnodes' }, ...nodeEls));

  const activate = (g) => {
    const n = visible.nodes.get(g.getAttribute('data-key'));
    if (!n || n.root) return;
    if (n.isGroup) { onToggleGroup(n); return; }
    for (const el of root.querySelectorAll('g.tnode.selected')) el.classList.remove('selected');
    g.classList.add('selected');
    onOpen(n);
  };
  root.addEventListener('click', (ev) => {
    const g = ev.target.closest && ev.target.closest('g.tnode');
    if (g && !root.dataset.dragged) activate(g);
  });
  root.addEventListener('keydown', (ev) => {
    const g = ev.target.closest && ev.target.closest('g.tnode');
    if (!g) return;
    if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); activate(g); return; }
    const next = moveFocus(g, ev.key, visible, lay);
    if (next) { ev.preventDefault(); next.focus(); }
  });
  const scroller = h('div', { class: 'tree-scroll', tabindex: '-1' }, root);
  enablePan(scroller, root);
  return scroller;
}

// Arrow keys: up/down to the nearest node in the same column, left to the parent,
// right to the first child.
function moveFocus(g, key, visible, lay) {
  const cur = g.getAttribute('data-key');
  const here = lay.pos.get(cur);
  let target = null;
  if (key === 'ArrowLeft') {
    const n = visible.nodes.get(cur);
    target = n && n.parents && n.parents[0];
  } else if (key === 'ArrowRight') {
    target = (visible.children.get(cur) || [])[0];
  } else if (key === 'ArrowUp' || key === 'ArrowDown') {
    let best = null;
    for (const [k, p] of lay.pos) {
      if (p.depth !== here.depth || k === cur) continue;
      const d = key === 'ArrowDown' ? p.y - here.y : here.y - p.y;
      if (d > 0 && (best === null || d < best.d)) best = { k, d };
    }
    target = best && best.k;
  } else {
    return null;
  }
  if (!target || target === APP_KEY) return null;
  return g.ownerSVGElement.querySelector(`g.tnode[data-key="${CSS.escape(target)}"]`);
}

// Dragging the background scrolls the container (touch scrolls natively).
function enablePan(scroller, root) {
  let start = null;
  scroller.addEventListener('pointerdown', (ev) => {
    if (ev.pointerType !== 'mouse' || ev.button !== 0) return;
    start = { x: ev.clientX, y: ev.clientY, left: scroller.scrollLeft, top: scroller.scrollTop, moved: false };
    delete root.dataset.dragged;
  });
  scroller.addEventListener('pointermove', (ev) => {
    if (!start) return;
    const dx = ev.clientX - start.x;
    const dy = ev.clientY - start.y;
    if (!start.moved && Math.abs(dx) + Math.abs(dy) < 5) return;
    start.moved = true;
    root.dataset.dragged = '1';
    scroller.classList.add('panning');
    scroller.scrollLeft = start.left - dx;
    scroller.scrollTop = start.top - dy;
  });
  const end = () => {
    if (!start) return;
    start = null;
    scroller.classList.remove('panning');
    // A click fires after pointerup; let it see the drag flag once, then clear it.
    setTimeout(() => { delete root.dataset.dragged; }, 0);
  };
  scroller.addEventListener('pointerup', end);
  scroller.addEventListener('pointerleave', end);
}
