// Filters, search, sort and favourites of the applications list; the state lives in the
// query string so a filtered view can be bookmarked and survives reloads.
import {extLink, h} from '../dom.js';

const FAV_KEY = 'kaiun.favourites';
export const HEALTH = ['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown'];
export const SYNC = ['Synced', 'OutOfSync', 'Unknown'];
export const SORTS = {name: 'Name', created: 'Created', synced: 'Last synced'};

export function appKey(app) {
  return `${app.metadata.namespace || ''}/${app.metadata.name}`;
}

export function health(app) {
  return ((app.status || {}).health || {}).status || 'Unknown';
}

export function syncStatus(app) {
  return ((app.status || {}).sync || {}).status || 'Unknown';
}

export function sources(app) {
  const spec = app.spec || {};
  return spec.sources || (spec.source ? [spec.source] : []);
}

export function cluster(app) {
  const dest = (app.spec || {}).destination || {};
  return dest.name || dest.server || '';
}

export function autoSync(app) {
  return Boolean(((app.spec || {}).syncPolicy || {}).automated);
}

/** The external links of an app: link.argocd.argoproj.io/* annotations ("Title|URL" or
 * a URL) and status.summary.externalURLs; unsafe URLs are kept as plain text by extLink. */
export function appLinks(app) {
  const out = [];
  const ann = (app.metadata || {}).annotations || {};
  for (const [key, value] of Object.entries(ann)) {
    if (!key.startsWith('link.argocd.argoproj.io/')) continue;
    const raw = String(value);
    const bar = raw.indexOf('|');
    const title = bar >= 0 ? raw.slice(0, bar).trim() : key.slice('link.argocd.argoproj.io/'.length);
    const url = (bar >= 0 ? raw.slice(bar + 1) : raw).trim();
    out.push({title: title || url, url});
  }
  for (const url of ((app.status || {}).summary || {}).externalURLs || []) {
    out.push({title: url, url});
  }
  return out;
}

export function linksView(app) {
  const links = appLinks(app);
  if (!links.length) return null;
  return h('div', {class: 'app-links'}, links.map((l) => extLink(l.url, l.title,
    {'data-link': l.title})));
}

export function favourites() {
  try {
    return new Set(JSON.parse(window.localStorage.getItem(FAV_KEY) || '[]'));
  } catch {
    return new Set();
  }
}

export function toggleFavourite(key) {
  const favs = favourites();
  if (favs.has(key)) favs.delete(key);
  else favs.add(key);
  window.localStorage.setItem(FAV_KEY, JSON.stringify([...favs]));
  return favs.has(key);
}

/** Parse label terms "a=b, c!=d, e" into predicates over a labels object. */
function labelTerms(text) {
  return String(text || '').split(',').map((t) => t.trim()).filter(Boolean).map((term) => {
    const ne = term.indexOf('!=');
    if (ne >= 0) {
      const k = term.slice(0, ne).trim();
      const v = term.slice(ne + 2).trim();
      return (labels) => labels[k] !== v;
    }
    const eq = term.indexOf('=');
    if (eq >= 0) {
      const k = term.slice(0, eq).trim();
      const v = term.slice(eq + 1).trim();
      return (labels) => labels[k] === v;
    }
    return (labels) => Object.prototype.hasOwnProperty.call(labels, term);
  });
}

const KEYS = ['search', 'proj', 'health', 'sync', 'cluster', 'namespace', 'labels', 'autosync',
  'fav', 'sort'];

/** The filter state from the query string. */
export function readFilters(query) {
  const f = {};
  for (const k of KEYS) f[k] = query.get(k) || '';
  f.sort = SORTS[f.sort] ? f.sort : 'name';
  return f;
}

export function writeFilters(query, f) {
  for (const k of KEYS) {
    if (f[k] && !(k === 'sort' && f[k] === 'name')) query.set(k, f[k]);
    else query.delete(k);
  }
  return query;
}

/** A predicate for the filters `f` (favs: the favourite keys). */
export function matcher(f, favs) {
  const search = f.search.toLowerCase();
  const labels = labelTerms(f.labels);
  return (app) => {
    const spec = app.spec || {};
    if (search && !app.metadata.name.toLowerCase().includes(search)) return false;
    if (f.proj && (spec.project || 'default') !== f.proj) return false;
    if (f.health && health(app) !== f.health) return false;
    if (f.sync && syncStatus(app) !== f.sync) return false;
    if (f.cluster && cluster(app) !== f.cluster) return false;
    if (f.namespace && ((spec.destination || {}).namespace || '') !== f.namespace) return false;
    if (f.autosync === 'on' && !autoSync(app)) return false;
    if (f.autosync === 'off' && autoSync(app)) return false;
    if (f.fav && !favs.has(appKey(app))) return false;
    const appLabels = (app.metadata || {}).labels || {};
    return labels.every((pred) => pred(appLabels));
  };
}

function syncedAt(app) {
  return ((app.status || {}).operationState || {}).finishedAt || '';
}

/** Sort in place: favourites first, then by the chosen key (name breaks ties). */
export function sortApps(apps, f, favs) {
  const byName = (a, b) => a.metadata.name.localeCompare(b.metadata.name);
  const key = {
    name: byName,
    created: (a, b) => String(b.metadata.creationTimestamp || '')
      .localeCompare(String(a.metadata.creationTimestamp || '')) || byName(a, b),
    synced: (a, b) => syncedAt(b).localeCompare(syncedAt(a)) || byName(a, b),
  }[f.sort] || byName;
  return apps.sort((a, b) => (Number(favs.has(appKey(b))) - Number(favs.has(appKey(a)))) ||
    key(a, b));
}

/** Distinct values for the filter drop-downs. */
export function facets(apps) {
  const sets = {proj: new Set(), cluster: new Set(), namespace: new Set()};
  for (const app of apps) {
    const spec = app.spec || {};
    sets.proj.add(spec.project || 'default');
    if (cluster(app)) sets.cluster.add(cluster(app));
    if ((spec.destination || {}).namespace) sets.namespace.add(spec.destination.namespace);
  }
  return Object.fromEntries(Object.entries(sets).map(([k, v]) => [k, [...v].sort()]));
}

/** Counts by health, sync and auto-sync. */
export function counts(apps) {
  const c = {total: apps.length, health: {}, sync: {}, auto: 0};
  for (const app of apps) {
    c.health[health(app)] = (c.health[health(app)] || 0) + 1;
    c.sync[syncStatus(app)] = (c.sync[syncStatus(app)] || 0) + 1;
    if (autoSync(app)) c.auto += 1;
  }
  return c;
}

function select(name, label, values, current, onChange) {
  const el = h('select', {name, 'aria-label': label, 'data-filter': name,
    on: {change: (e) => onChange(name, e.target.value)}},
  h('option', {value: ''}, `${label}: all`),
  values.map((v) => h('option', {value: v}, v)));
  if (current && !values.includes(current)) el.appendChild(h('option', {value: current}, current));
  el.value = current;
  return el;
}

/** The filter bar; `onChange(key, value)` is called on every change. */
export function filterBar(f, facetValues, onChange) {
  let timer = null;
  const search = h('input', {type: 'search', name: 'search', placeholder: 'Search applications',
    'aria-label': 'Search applications', value: f.search, on: {input: (e) => {
      clearTimeout(timer);
      timer = setTimeout(() => onChange('search', e.target.value.trim()), 150);
    }}});
  const labels = h('input', {name: 'labels', placeholder: 'Labels: app=web,tier!=db',
    'aria-label': 'Label filter', value: f.labels, on: {change: (e) => onChange('labels',
      e.target.value.trim())}});
  const fav = h('label', {class: 'check'},
    h('input', {type: 'checkbox', name: 'fav', checked: Boolean(f.fav),
      on: {change: (e) => onChange('fav', e.target.checked ? '1' : '')}}),
    h('span', {}, 'Favourites only'));
  return h('div', {class: 'toolbar filters', role: 'search'},
    search,
    select('proj', 'Project', facetValues.proj, f.proj, onChange),
    select('health', 'Health', HEALTH, f.health, onChange),
    select('sync', 'Sync', SYNC, f.sync, onChange),
    select('cluster', 'Cluster', facetValues.cluster, f.cluster, onChange),
    select('namespace', 'Namespace', facetValues.namespace, f.namespace, onChange),
    select('autosync', 'Auto-sync', ['on', 'off'], f.autosync, onChange),
    labels,
    fav,
    sortSelect(f.sort, onChange));
}

function sortSelect(current, onChange) {
  const el = h('select', {name: 'sort', 'aria-label': 'Sort by', 'data-filter': 'sort',
    on: {change: (e) => onChange('sort', e.target.value)}},
  Object.entries(SORTS).map(([v, label]) => h('option', {value: v}, `Sort: ${label}`)));
  el.value = current;
  return el;
}
