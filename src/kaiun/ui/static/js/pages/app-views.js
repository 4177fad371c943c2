// The application details page's resource views (tree, list, network, diff) and the
// resource side panel, registered on ui-core's app view extension point.
import { h, replace, icon } from '../dom.js';
import { api } from '../api.js';
import { registerAppView, registerResourcePanel } from '../appview.js';
import { buildGraph, groupChildren, refOf, resKey } from '../tree/model.js';
import { renderGraph } from '../tree/graph.js';
import { renderList } from '../tree/list.js';
import { renderNetwork } from '../tree/network.js';
import { renderAppDiff } from '../tree/appdiff.js';
import { openResourcePanel } from '../tree/panel.js';

// The last graph node seen per resource key, so the panel can show a child's health and
// info (which app.status.resources does not carry).
const lastNodes = new Map();

function pref(key, fallback) {
  try { return localStorage.getItem(`kaiun.tree.${key}`) || fallback; } catch { return fallback; }
}
function setPref(key, value) {
  try { localStorage.setItem(`kaiun.tree.${key}`, value); } catch { /* private mode */ }
}

/**
 * A view body that loads the resource tree, builds the graph, and re-renders with
 * `draw(graph, body)` on load and when the app changes (throttled).
 */
function treeBacked(app, ctx, cls, draw) {
  const out = h('div', { class: `app-view ${cls}` });
  const body = h('div', { class: 'view-body' }, h('p', { class: 'muted' }, 'Loading resources…'));
  let current = app;
  let graph = null;
  let seq = 0;
  let timer = null;
  let lastLoad = 0;
  let lastSig = appSignature(app);
  const load = async () => {
    const mine = ++seq;
    lastLoad = Date.now();
    try {
      const params = current.metadata.namespace ? { appNamespace: current.metadata.namespace } : {};
      const tree = await api.get(`/applications/${encodeURIComponent(current.metadata.name)}/resource-tree`, params);
      if (mine !== seq) return;
      graph = buildGraph(current, tree);
      for (const n of graph.nodes.values()) lastNodes.set(n.key, n);
      draw(graph, body);
      out.dataset.loaded = '1';
    } catch (err) {
      if (mine === seq) replace(body, h('div', { class: 'error-banner', role: 'alert' }, icon('warning'), ` ${err.message}`));
    }
  };
  out.redraw = () => { if (graph) draw(graph, body); };
  out.appendChild(body);
  load();
  const unsubscribe = ctx.onAppChange((next) => {
    // The details page swaps views without telling them: a detached view stops listening.
    if (!out.isConnected) { out.cleanup(); return; }
    current = next;
    if (timer) return;
    // Fetch the tree again when the app's resources or state changed (at most every 2 s),
    // and otherwise at most every 10 s: children (pods) change without the app showing it.
    const sig = appSignature(next);
    const since = Date.now() - lastLoad;
    if (sig === lastSig && since < 10000) return;
    lastSig = sig;
    timer = setTimeout(() => { timer = null; load(); }, Math.max(0, 2000 - since));
  });
  // Children (pods) change without the Application changing, and there is no tree stream:
  // poll every 10 s while the view is shown and the tab visible.
  const poll = setInterval(() => {
    if (!out.isConnected) { out.cleanup(); return; }
    if (!document.hidden && !timer && Date.now() - lastLoad >= 10000) load();
  }, 5000);
  out.cleanup = () => { unsubscribe(); clearInterval(poll); if (timer) clearTimeout(timer); seq++; };
  return out;
}

function appSignature(app) {
  const st = app.status || {};
  return JSON.stringify([st.resources, st.health, st.sync, (st.operationState || {}).phase]);
}

function openNode(ctx) {
  return (n) => ctx.openResource(refOf(n));
}

function renderTreeView(app, ctx) {
  // Phones start with the compact layout unless the user chose one.
  const state = { mode: pref('mode', window.innerWidth < 600 ? 'compact' : 'full'), zoom: 1, expanded: new Set(), selected: null };
  let view = null;
  const toolbar = h('div', { class: 'toolbar tree-toolbar', role: 'toolbar', 'aria-label': 'Tree display' });
  const drawToolbar = () => {
    const btn = (label, pressed, onClick, attrs = {}) => h('button', { class: `btn toggle${pressed ? ' active' : ''}`, type: 'button', 'aria-pressed': pressed ? 'true' : 'false', on: { click: onClick }, ...attrs }, label);
    replace(toolbar,
      h('div', { class: 'btn-group', role: 'group', 'aria-label': 'Layout' },
        btn('Full', state.mode === 'full', () => setMode('full'), { 'data-layout': 'full' }),
        btn('Compact', state.mode === 'compact', () => setMode('compact'), { 'data-layout': 'compact' })),
      h('div', { class: 'btn-group', role: 'group', 'aria-label': 'Zoom' },
        h('button', { class: 'btn', type: 'button', title: 'Zoom out', 'aria-label': 'Zoom out', on: { click: () => zoom(state.zoom / 1.25) } }, '−'),
        h('button', { class: 'btn', type: 'button', title: 'Reset zoom', on: { click: () => zoom(1) } }, `${Math.round(state.zoom * 100)}%`),
        h('button', { class: 'btn', type: 'button', title: 'Zoom in', 'aria-label': 'Zoom in', on: { click: () => zoom(state.zoom * 1.25) } }, '+')),
      state.expanded.size ? h('button', { class: 'btn', type: 'button', on: { click: () => { state.expanded.clear(); redraw(); } } }, 'Group pods again') : null);
  };
  const setMode = (m) => { state.mode = m; setPref('mode', m); redraw(); };
  const zoom = (z) => { state.zoom = Math.min(2.5, Math.max(0.3, z)); redraw(); };
  const redraw = () => { drawToolbar(); if (view) view.redraw(); };
  view = treeBacked(app, ctx, 'tree-view', (graph, body) => {
    const visible = groupChildren(graph, { limit: 4, expanded: state.expanded });
    const focused = document.activeElement && document.activeElement.getAttribute && document.activeElement.getAttribute('data-key');
    const scroller = body.querySelector('.tree-scroll');
    const keep = scroller ? [scroller.scrollLeft, scroller.scrollTop] : null;
    const graphEl = renderGraph(visible, {
      mode: state.mode, zoom: state.zoom, selectedKey: state.selected,
      onOpen: (n) => { state.selected = n.key; openNode(ctx)(n); },
      onToggleGroup: (n) => { state.expanded.add(n.key); redraw(); },
    });
    replace(body, graphEl);
    if (keep) { graphEl.scrollLeft = keep[0]; graphEl.scrollTop = keep[1]; }
    // Live updates redraw the SVG; keep keyboard focus on the same resource.
    if (focused) {
      const again = graphEl.querySelector(`g.tnode[data-key="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
  });
  drawToolbar();
  view.insertBefore(toolbar, view.firstChild);
  return view;
}

function renderListView(app, ctx) {
  const state = { text: '', kind: '', sync: '', health: '' };
  return treeBacked(app, ctx, 'list-view', (graph, body) => {
    const keepFocus = document.activeElement && body.contains(document.activeElement) && document.activeElement.name;
    replace(body, renderList(graph, openNode(ctx), state));
    if (keepFocus) {
      const el = body.querySelector(`[name="${CSS.escape(keepFocus)}"]`);
      if (el) el.focus();
    }
  });
}

function renderNetworkView(app, ctx) {
  return treeBacked(app, ctx, 'network-view', (graph, body) => {
    replace(body, renderNetwork(graph, openNode(ctx), { mode: pref('mode', 'full') }));
  });
}

registerAppView({ id: 'tree', label: 'Tree', icon: 'tree', render: renderTreeView });
registerAppView({ id: 'list', label: 'List', icon: 'list', render: renderListView });
registerAppView({ id: 'network', label: 'Network', icon: 'network', render: renderNetworkView });
registerAppView({ id: 'diff', label: 'Diff', icon: 'diff', render: renderAppDiff });

registerResourcePanel((app, ref, ctx) => openResourcePanel(app, ref, ctx, lastNodes.get(resKey(ref)) || null));
