// The list view: every resource of the app (managed and their children) in a filterable
// table; a row's name opens the resource panel.
import { h, replace, healthBadge, syncBadge, timeAgo, formatTime } from '../dom.js';
import { flatResources } from './model.js';

const ANY = '';

function select(name, label, values, current, onChange) {
  const el = h('select', { name, 'aria-label': label, on: { change: () => onChange(el.value) } },
    h('option', { value: ANY }, `${label}: all`),
    ...values.map((v) => h('option', { value: v }, v)));
  el.value = current;
  return el;
}

/** Element for the list view of `graph`; `open(node)` opens a resource. */
export function renderList(graph, open, state) {
  const all = flatResources(graph);
  const out = h('div', { class: 'res-list' });
  const kinds = [...new Set(all.map((n) => n.kind))].sort();
  const draw = () => {
    const q = state.text.trim().toLowerCase();
    const rows = all.filter((n) => (!q || `${n.kind} ${n.name} ${n.namespace}`.toLowerCase().includes(q))
      && (!state.kind || n.kind === state.kind)
      && (!state.sync || (n.sync || 'None') === state.sync)
      && (!state.health || (n.health || 'None') === state.health));
    replace(body, ...rows.map((n) => h('tr', { 'data-key': n.key, class: n.sync === 'OutOfSync' ? 'outofsync' : '' },
      h('td', {}, h('span', { class: 'kind-badge' }, n.kind)),
      h('td', {}, h('button', { class: 'link-button mono', type: 'button', on: { click: () => open(n) } }, n.name)),
      h('td', { class: 'mono' }, n.namespace || ''),
      h('td', {}, n.sync ? syncBadge(n.sync) : h('span', { class: 'muted' }, '—')),
      h('td', {}, n.health ? healthBadge(n.health) : h('span', { class: 'muted' }, '—')),
      h('td', { title: n.createdAt ? formatTime(n.createdAt) : '' }, n.createdAt ? timeAgo(n.createdAt) : ''))));
    replace(count, `${rows.length} of ${all.length} resources`);
  };
  const text = h('input', { type: 'search', name: 'filter', placeholder: 'Filter by kind, name or namespace', 'aria-label': 'Filter resources', value: state.text, on: { input: () => { state.text = text.value; draw(); } } });
  const count = h('span', { class: 'muted' });
  const body = h('tbody', {});
  replace(out,
    h('div', { class: 'toolbar list-filters' }, text,
      select('kind', 'Kind', kinds, state.kind, (v) => { state.kind = v; draw(); }),
      select('sync', 'Sync', ['Synced', 'OutOfSync', 'Unknown', 'None'], state.sync, (v) => { state.sync = v; draw(); }),
      select('health', 'Health', ['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown', 'None'], state.health, (v) => { state.health = v; draw(); }),
      count),
    h('div', { class: 'table-scroll' }, h('table', { class: 'table res-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Kind'), h('th', {}, 'Name'), h('th', {}, 'Namespace'), h('th', {}, 'Sync'), h('th', {}, 'Health'), h('th', {}, 'Created'))),
      body)));
  draw();
  return out;
}
