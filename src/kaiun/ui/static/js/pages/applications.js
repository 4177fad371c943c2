// /applications: tiles or list of the caller's apps with filters, counts and favourites.
// Apps are read in pages of trimmed objects (`fields`), then kept current over the SSE
// stream (also trimmed); only the visible page of results is rendered.
import {api, appPath} from '../api.js';
import {h, healthBadge, icon, replace, syncBadge, toast} from '../dom.js';
import {route, setQuery} from '../router.js';
import {
  appKey, autoSync, cluster, counts, facets, favourites, filterBar, HEALTH, linksView, matcher,
  readFilters, sortApps, sources, SYNC, toggleFavourite, writeFilters,
} from './app-filters.js';
import {openDeleteDialog, rbacObject, refreshApp} from './app-manage.js';
import {openSyncDialog} from './app-sync.js';

const FIELDS = [
  'metadata.name', 'metadata.namespace', 'metadata.labels', 'metadata.annotations',
  'metadata.creationTimestamp', 'spec.project', 'spec.source', 'spec.sources',
  'spec.destination', 'spec.syncPolicy', 'status.sync.status', 'status.sync.revision',
  'status.health.status', 'status.health.message', 'status.conditions',
  'status.operationState.phase', 'status.operationState.message',
  'status.operationState.finishedAt', 'status.summary.externalURLs', 'status.reconciledAt',
  'operation',
];
const LIST_FIELDS = ['metadata.continue', 'metadata.remainingItemCount',
  ...FIELDS.map((f) => `items.${f}`)].join(',');
const STREAM_FIELDS = ['result.type', ...FIELDS.map((f) => `result.application.${f}`)].join(',');
const FIRST_PAGE = 200; // apps of the first request: a fast first paint of any fleet
const PAGE_SIZES = {tiles: 60, list: 100};
const VIEW_KEY = 'kaiun.apps.view';

function appHref(app) {
  return `/applications/${encodeURIComponent(app.metadata.namespace)}/` +
    encodeURIComponent(app.metadata.name);
}

/** Whether the caller may `action` the app: one check per project, then per app. */
function canDo(action, app) {
  const proj = (app.spec || {}).project || 'default';
  return api.canI('applications', action, `${proj}/*`).then((yes) => yes ||
    api.canI('applications', action, rbacObject(app)));
}

async function withFullApp(app, fn) {
  try {
    const full = await api.get(appPath(app.metadata.name), {appNamespace: app.metadata.namespace});
    fn(full);
  } catch (err) {
    toast(err.message, 'error');
  }
}

function actionButtons(app, compact = false) {
  const button = (action, label, iconName, onClick) => h('button', {class: 'btn', type: 'button',
    'data-action': action, 'aria-label': `${label} ${app.metadata.name}`, title: label,
    on: {click: onClick}}, icon(iconName), compact ? null : label);
  const sync = button('sync', 'Sync', 'sync',
    () => withFullApp(app, (full) => openSyncDialog(full)));
  const refresh = button('refresh', 'Refresh', 'refresh', () => refreshApp(app));
  const del = button('delete', 'Delete', 'trash', () => openDeleteDialog(app));
  // Disabled until RBAC says yes, so a forbidden action is never one click away.
  sync.disabled = true;
  del.disabled = true;
  canDo('sync', app).then((yes) => {
    sync.disabled = !yes;
  });
  canDo('delete', app).then((yes) => {
    del.disabled = !yes;
  });
  return [sync, refresh, del];
}

function starButton(app, onToggle) {
  const key = appKey(app);
  const on = favourites().has(key);
  return h('button', {class: `btn icon-btn star${on ? ' on' : ''}`, type: 'button',
    'aria-pressed': on ? 'true' : 'false', 'data-action': 'favourite',
    'aria-label': on ? 'Remove from favourites' : 'Add to favourites',
    on: {click: () => {
      toggleFavourite(key);
      onToggle();
    }}}, icon(on ? 'star-filled' : 'star'));
}

function conditionsView(app) {
  const conditions = (app.status || {}).conditions || [];
  const op = (app.status || {}).operationState || {};
  const items = conditions.map((c) => `${c.type}: ${c.message || ''}`);
  if (op.phase === 'Failed' || op.phase === 'Error') items.push(`Sync ${op.phase}: ${op.message || ''}`);
  if (!items.length) return null;
  return h('ul', {class: 'conditions', role: 'note'}, items.slice(0, 3).map((text) =>
    h('li', {class: 'warn-banner'}, icon('warning'), ' ', text)));
}

function sourceSummary(app) {
  const first = sources(app)[0] || {};
  return {repo: first.repoURL || '', path: first.path || first.chart || '',
    target: first.targetRevision || 'HEAD', more: Math.max(0, sources(app).length - 1)};
}

function destination(app) {
  const d = (app.spec || {}).destination || {};
  return `${cluster(app) || 'in-cluster'} / ${d.namespace || ''}`;
}

function opBadge(app) {
  const phase = ((app.status || {}).operationState || {}).phase;
  if (!(app.operation || phase === 'Running' || phase === 'Terminating')) return null;
  return h('span', {class: 'badge phase-running'}, icon('progressing'), phase || 'Running');
}

function tile(app, onStar) {
  const src = sourceSummary(app);
  const row = (label, value) => [h('dt', {}, label), h('dd', {class: 'mono'}, value)];
  return h('article', {class: 'card app-tile', 'data-app': app.metadata.name},
    h('div', {class: 'tile-head'},
      starButton(app, onStar),
      h('a', {class: 'app-name', href: appHref(app)}, app.metadata.name),
      h('span', {class: 'badge kind', title: 'Project'}, (app.spec || {}).project || 'default')),
    h('div', {class: 'tile-status'}, healthBadge(((app.status || {}).health || {}).status),
      syncBadge(((app.status || {}).sync || {}).status), opBadge(app)),
    h('dl', {class: 'tile-fields'},
      row('Repo', src.repo + (src.more ? ` (+${src.more})` : '')),
      row('Path', src.path), row('Target', src.target), row('Destination', destination(app)),
      row('Auto-sync', autoSync(app) ? 'on' : 'off')),
    linksView(app),
    conditionsView(app),
    h('div', {class: 'tile-actions'}, actionButtons(app)));
}

function listRow(app, onStar) {
  const src = sourceSummary(app);
  return h('tr', {class: 'app-row', 'data-app': app.metadata.name},
    h('td', {}, starButton(app, onStar)),
    h('td', {}, h('a', {class: 'app-name', href: appHref(app)}, app.metadata.name),
      opBadge(app)),
    h('td', {}, (app.spec || {}).project || 'default'),
    h('td', {}, healthBadge(((app.status || {}).health || {}).status)),
    h('td', {}, syncBadge(((app.status || {}).sync || {}).status)),
    h('td', {class: 'mono'}, src.repo, h('div', {class: 'muted'}, `${src.path} @ ${src.target}`)),
    h('td', {class: 'mono'}, destination(app)),
    h('td', {}, linksView(app), conditionsView(app)),
    h('td', {class: 'row-actions'}, actionButtons(app, true)));
}

function summary(c, total, onPick, expected = 0) {
  const chip = (key, value, n, label) => h('button', {class: 'btn chip', type: 'button',
    'data-count': `${key}-${value}`, on: {click: () => onPick(key, value)}},
  label || value, ' ', h('strong', {}, String(n)));
  return h('div', {class: 'toolbar summary', 'aria-label': 'Counts'},
    h('span', {id: 'apps-count'}, c.total === total ? `${total} applications` :
      `${c.total} of ${total} applications`),
    expected > total ? h('span', {class: 'muted', id: 'apps-loading'},
      `(loading ${total} of ${expected})`) : null,
    HEALTH.filter((s) => c.health[s]).map((s) => chip('health', s, c.health[s])),
    SYNC.filter((s) => c.sync[s]).map((s) => chip('sync', s, c.sync[s])),
    chip('autosync', 'on', c.auto, 'Auto-sync'));
}

route('/applications', (_params, query, outlet) => {
  const apps = new Map();
  const f = readFilters(query);
  let view = query.get('view') || window.localStorage.getItem(VIEW_KEY) || 'tiles';
  let pageNo = Math.max(0, Number(query.get('page') || '1') - 1) || 0;
  let loading = true;
  let stream = null;
  let stopped = false;
  let timer = null;
  // Rendered items by app key; an unchanged app keeps its element (and any focus in it).
  const rendered = new Map();
  let shownKeys = [];
  let container = null;
  let containerView = null;

  function renderItems(visible, favs) {
    const rerender = () => renderNow();
    const els = visible.map((app) => {
      const key = appKey(app);
      const sig = JSON.stringify([view, favs.has(key), app.spec, app.status, app.operation,
        app.metadata.labels, app.metadata.annotations]);
      let item = rendered.get(key);
      if (!item || item.sig !== sig) {
        item = {sig, el: view === 'list' ? listRow(app, rerender) : tile(app, rerender)};
        rendered.set(key, item);
      }
      return item.el;
    });
    const keys = visible.map(appKey);
    if (!container || containerView !== view || !body.contains(container)) {
      containerView = view;
      shownKeys = [];
      if (view === 'list') {
        container = h('tbody', {});
        replace(body, h('div', {class: 'table-wrap'}, h('table', {class: 'table apps-table'},
          h('thead', {}, h('tr', {}, ['', 'Name', 'Project', 'Health', 'Sync', 'Source',
            'Destination', 'Conditions', ''].map((t) => h('th', {scope: 'col'}, t)))),
          container)));
      } else {
        container = h('div', {class: 'grid apps-grid'});
        replace(body, container);
      }
    }
    if (keys.join('\n') === shownKeys.join('\n')) {
      els.forEach((el, i) => {
        const current = container.children[i];
        if (current !== el) current.replaceWith(el);
      });
    } else {
      replace(container, els);
    }
    shownKeys = keys;
  }

  const filtersHost = h('div', {});
  const summaryHost = h('div', {});
  const body = h('div', {class: 'apps-body'});
  const pager = h('div', {class: 'toolbar pager'});
  const error = h('div', {});
  const viewButton = (id, label) => h('button', {class: `btn${view === id ? ' active' : ''}`,
    type: 'button', 'data-view': id, 'aria-pressed': view === id ? 'true' : 'false',
    on: {click: () => {
      view = id;
      window.localStorage.setItem(VIEW_KEY, id);
      pageNo = 0;
      persist();
      renderHead();
      renderNow();
    }}}, icon(id === 'tiles' ? 'tree' : 'list'), label);
  const head = h('div', {class: 'toolbar page-head'});

  function renderHead() {
    replace(head, h('h1', {}, 'Applications'), h('span', {class: 'spacer'}),
      h('a', {class: 'btn primary', href: '/applications/new', id: 'new-app'}, icon('plus'),
        'New app'),
      viewButton('tiles', 'Tiles'), viewButton('list', 'List'));
    api.canI('applications', 'create', '*/*').then((yes) => {
      const btn = head.querySelector('#new-app');
      if (btn && !yes) btn.hidden = true;
    });
  }

  function persist() {
    const q = writeFilters(new URLSearchParams(window.location.search), f);
    if (view !== 'tiles') q.set('view', view);
    else q.delete('view');
    if (pageNo) q.set('page', String(pageNo + 1));
    else q.delete('page');
    setQuery(q);
  }

  function onFilter(key, value) {
    f[key] = f[key] === value && key !== 'search' && key !== 'labels' && key !== 'sort' ? '' : value;
    pageNo = 0;
    persist();
    renderNow();
  }

  function renderNow() {
    timer = null;
    const all = [...apps.values()];
    const favs = favourites();
    const shown = sortApps(all.filter(matcher(f, favs)), f, favs);
    if (!filtersHost.firstChild || filtersHost.dataset.facets !== JSON.stringify(facets(all))) {
      const fv = facets(all);
      const hadFocus = filtersHost.contains(document.activeElement);
      if (!hadFocus) {
        filtersHost.dataset.facets = JSON.stringify(fv);
        replace(filtersHost, filterBar(f, fv, onFilter));
      }
    }
    replace(summaryHost, summary(counts(shown), all.length, onFilter, loading ? expected : 0));
    const size = PAGE_SIZES[view] || 60;
    const pages = Math.max(1, Math.ceil(shown.length / size));
    pageNo = Math.min(pageNo, pages - 1);
    const visible = shown.slice(pageNo * size, pageNo * size + size);
    if (!visible.length) {
      shownKeys = [];
      replace(body, h('p', {class: 'muted empty'}, loading ? 'Loading applications…' :
        all.length ? 'No applications match the filters.' : 'No applications yet.'));
    } else {
      renderItems(visible, favs);
    }
    const go = (n) => () => {
      pageNo = n;
      persist();
      renderNow();
      window.scrollTo(0, 0);
    };
    replace(pager, pages > 1 ? [
      h('button', {class: 'btn', type: 'button', disabled: pageNo === 0, on: {click: go(pageNo - 1)}},
        'Previous'),
      h('span', {class: 'muted'}, `${pageNo * size + 1}–${pageNo * size + visible.length} of ` +
        `${shown.length}`),
      h('button', {class: 'btn', type: 'button', disabled: pageNo >= pages - 1,
        on: {click: go(pageNo + 1)}}, 'Next'),
    ] : null);
  }

  // Live updates arrive in bursts; render at most every 300 ms.
  function schedule() {
    if (!timer && !stopped) timer = setTimeout(renderNow, 300);
  }

  // The first page comes from the list; the stream then delivers every app (its snapshot)
  // and every change. Should the stream not deliver, the rest is read from the list.
  let expected = 0;
  let restToken = '';
  let fallback = null;

  async function loadFirst() {
    const page = await api.get('/applications', {fields: LIST_FIELDS, limit: FIRST_PAGE});
    for (const app of page.items || []) apps.set(app.metadata.name, app);
    const meta = page.metadata || {};
    expected = apps.size + (Number(meta.remainingItemCount) || 0);
    restToken = meta.continue || '';
  }

  async function loadRest() {
    if (!restToken || stopped || apps.size >= expected) return;
    const page = await api.get('/applications', {fields: LIST_FIELDS, continue: restToken});
    restToken = '';
    for (const app of page.items || []) {
      if (!apps.has(app.metadata.name)) apps.set(app.metadata.name, app);
    }
    settle();
  }

  function settle() {
    if (loading && apps.size >= expected) {
      loading = false;
      if (fallback) clearTimeout(fallback);
    }
    schedule();
  }

  function startStream() {
    stream = api.stream('/applications', {fields: STREAM_FIELDS}, (result) => {
      const app = result && result.application;
      if (!app || !app.metadata) return;
      if (result.type === 'DELETED') {
        apps.delete(app.metadata.name);
        rendered.delete(appKey(app));
        expected = Math.max(0, expected - 1);
      } else {
        apps.set(app.metadata.name, app);
      }
      settle();
    }, {onError: (err) => replace(error, h('p', {class: 'warn-banner'}, err.message))});
    if (loading) {
      fallback = setTimeout(() => loadRest().catch((err) => replace(error,
        h('p', {class: 'error-banner'}, err.message))), 10000);
    }
  }

  renderHead();
  replace(outlet, head, filtersHost, summaryHost, error, body, pager);
  renderNow();
  loadFirst().then(() => {
    loading = apps.size < expected;
    renderNow();
    if (!stopped) startStream();
  }, (err) => {
    loading = false;
    replace(error, h('p', {class: 'error-banner'}, err.message));
    renderNow();
  });
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    if (fallback) clearTimeout(fallback);
    if (stream) stream.close();
  };
});

