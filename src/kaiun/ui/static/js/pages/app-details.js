// /applications/:ns/:name: header (health, sync, operation), conditions, actions (Sync,
// Refresh, History & Rollback, Delete; disabled by RBAC) and the registered views.
import {api, ApiError, appParams, appPath} from '../api.js';
import {appViews, onViewsChanged, resourcePanelOpener} from '../appview.js';
import {
  extLink, formatTime, h, healthBadge, icon, openPanel, replace, syncBadge, timeAgo,
} from '../dom.js';
import {navigate, route, setQuery} from '../router.js';
import {autoSync, linksView, sources} from './app-filters.js';
import {openDeleteDialog, openHistoryPanel, rbacObject, refreshApp} from './app-manage.js';
import {isRunning, openSyncDialog, renderOperation, terminateOperation} from './app-sync.js';

function fact(title, ...value) {
  return h('div', {class: 'card'}, h('h3', {}, title), h('div', {class: 'value'}, value));
}

function conditionsBanner(app) {
  const status = app.status || {};
  const items = (status.conditions || []).map((c) => h('p',
    {class: /Error|Warning/.test(c.type || '') ? 'error-banner' : 'warn-banner',
      'data-condition': c.type || ''},
    icon('warning'), ' ', h('strong', {}, c.type || 'Condition'), ': ', c.message || ''));
  const op = status.operationState || {};
  if (op.phase === 'Failed' || op.phase === 'Error') {
    items.push(h('p', {class: 'error-banner', 'data-condition': 'SyncFailed'},
      icon('warning'), ' ', h('strong', {}, `Sync ${op.phase.toLowerCase()}`), ': ', op.message || ''));
  }
  return items.length ? h('div', {class: 'conditions-banner', role: 'alert'}, items) : null;
}

function sourceFacts(app) {
  return sources(app).map((s, i) => fact(sources(app).length > 1 ? `Source ${i + 1}` : 'Source',
    extLink(s.repoURL || '', s.repoURL || ''),
    h('span', {class: 'mono'}, s.path || s.chart || ''),
    h('span', {class: 'mono muted'}, `@ ${s.targetRevision || 'HEAD'}`)));
}

function operationFact(app, openOp) {
  const op = (app.status || {}).operationState;
  if (!op) return fact('Last sync', h('span', {class: 'muted'}, 'never'));
  return fact(isRunning(app) ? 'Operation' : 'Last sync',
    h('span', {class: `badge phase-${String(op.phase || '').toLowerCase()}`, id: 'last-sync-phase'},
      isRunning(app) ? icon('progressing') : null, op.phase || 'Unknown'),
    h('span', {class: 'muted', title: formatTime(op.finishedAt || op.startedAt)},
      timeAgo(op.finishedAt || op.startedAt)),
    h('button', {class: 'btn', type: 'button', id: 'open-operation', on: {click: openOp}},
      'Details'));
}

/** A plain resource table: the fallback view when no view module is registered. */
function resourceTable(app, ctx) {
  const resources = (app.status || {}).resources || [];
  if (!resources.length) return h('p', {class: 'muted'}, 'No resources yet.');
  const open = resourcePanelOpener();
  return h('div', {class: 'table-wrap'}, h('table', {class: 'table resources-table'},
    h('thead', {}, h('tr', {}, ['Kind', 'Namespace', 'Name', 'Sync', 'Health'].map((t) =>
      h('th', {scope: 'col'}, t)))),
    h('tbody', {}, resources.map((r) => h('tr', {'data-resource': `${r.kind}/${r.name}`},
      h('td', {}, h('span', {class: 'badge kind'}, r.kind)),
      h('td', {}, r.namespace || ''),
      h('td', {}, open ? h('button', {class: 'btn link-btn', type: 'button',
        on: {click: () => ctx.openResource(r)}}, r.name) : r.name),
      h('td', {}, syncBadge(r.status)),
      h('td', {}, r.health ? healthBadge(r.health.status) : ''))))));
}

route('/applications/:ns/:name', async (params, query, outlet) => {
  const {ns, name} = params;
  let app = null;
  let stopped = false;
  let stream = null;
  let opPanel = null;
  const listeners = new Set();
  const perms = {sync: false, del: false};

  const header = h('div', {class: 'app-header'});
  const banner = h('div', {});
  const toggles = h('div', {class: 'view-toggles', role: 'tablist', 'aria-label': 'Views'});
  const viewHost = h('div', {class: 'app-view'});
  replace(outlet, h('p', {class: 'muted'}, 'Loading…'));

  const load = async (extra = {}) => {
    app = await api.get(appPath(name), {...appParams(ns), ...extra});
    return app;
  };
  const ctx = {
    name, ns, project: null,
    refresh: async () => {
      const updated = await load();
      changed(updated);
      return updated;
    },
    onAppChange: (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    openResource: (ref) => {
      const open = resourcePanelOpener();
      if (open) open(app, ref, ctx);
    },
  };

  const openOperation = () => {
    if (opPanel) {
      opPanel.select('operation');
      return;
    }
    let host = null;
    opPanel = openPanel({title: `Operation of ${name}`, onClose: () => {
      opPanel = null;
    }, tabs: [{id: 'operation', label: 'Operation', render: () => {
      host = h('div', {class: 'operation-host', id: 'operation-panel'});
      renderOperation(host, app, {canSync: perms.sync});
      return host;
    }}]});
    opPanel.update = () => {
      if (host && host.isConnected) renderOperation(host, app, {canSync: perms.sync});
    };
  };

  function renderHeader() {
    // Live updates rebuild the header: keep keyboard focus on the same control.
    const focused = header.contains(document.activeElement) ? document.activeElement.id : '';
    renderHeaderContent();
    const again = focused && document.getElementById(focused);
    if (again && header.contains(again)) again.focus();
  }

  function renderHeaderContent() {
    const status = app.status || {};
    const running = isRunning(app);
    const button = (id, label, iconName, onClick, enabled = true, kind = '') => h('button', {
      class: `btn ${kind}`.trim(), type: 'button', id, disabled: !enabled,
      title: enabled ? label : `${label}: not permitted`, on: {click: onClick},
    }, icon(iconName), h('span', {class: 'label'}, label));
    replace(header,
      h('div', {class: 'app-title'},
        h('a', {href: '/applications', class: 'btn icon-btn', 'aria-label': 'Back to applications'},
          '←'),
        h('h1', {}, name),
        h('span', {class: 'badge kind', title: 'Project'}, (app.spec || {}).project || 'default'),
        h('span', {class: 'spacer'}),
        h('div', {class: 'toolbar app-actions'},
          button('sync-btn', 'Sync', 'sync', () => openSyncDialog(app, {onSynced: (updated) => {
            changed(updated);
            openOperation();
          }}), perms.sync && !running, 'primary'),
          running ? button('terminate-btn', 'Terminate', 'close', () => terminateOperation(app),
            perms.sync, 'danger') : null,
          button('refresh-btn', 'Refresh', 'refresh', async () => {
            const updated = await refreshApp(app);
            if (updated) changed(updated);
          }),
          button('hard-refresh-btn', 'Hard refresh', 'refresh', async () => {
            const updated = await refreshApp(app, true);
            if (updated) changed(updated);
          }),
          button('history-btn', 'History and rollback', 'history', () => openHistoryPanel(app,
            {canSync: perms.sync, onRolledBack: () => ctx.refresh().then(openOperation)})),
          button('delete-btn', 'Delete', 'trash', () => openDeleteDialog(app,
            {onDeleted: () => navigate('/applications')}), perms.del))),
      h('div', {class: 'app-facts'},
        fact('App health', healthBadge((status.health || {}).status),
          (status.health || {}).message ? h('span', {class: 'muted'}, status.health.message) : null),
        fact('Sync status', syncBadge((status.sync || {}).status),
          (status.sync || {}).revision ? h('span', {class: 'mono muted'},
            `to ${String(status.sync.revision).slice(0, 8)}`) : null,
          h('span', {class: 'muted'}, autoSync(app) ? 'auto-sync on' : 'auto-sync off')),
        operationFact(app, openOperation),
        sourceFacts(app),
        fact('Destination', h('span', {class: 'mono'}, ((app.spec || {}).destination || {}).name ||
          ((app.spec || {}).destination || {}).server || ''), h('span', {class: 'mono muted'},
          ((app.spec || {}).destination || {}).namespace || ''))),
      linksView(app));
    replace(banner, conditionsBanner(app));
  }

  let currentView = null;
  let headerSig = '';
  function selectedView() {
    const views = appViews();
    const wanted = new URLSearchParams(window.location.search).get('view') || 'tree';
    return views.find((v) => v.id === wanted) || views.find((v) => v.id === 'tree') || views[0] ||
      null;
  }

  function renderView(force = false) {
    const views = appViews();
    const view = selectedView();
    replace(toggles, views.map((v) => h('button', {
      class: `btn${view && v.id === view.id ? ' active' : ''}`, type: 'button', role: 'tab',
      'aria-selected': view && v.id === view.id ? 'true' : 'false', 'data-view': v.id,
      on: {click: () => {
        const q = new URLSearchParams(window.location.search);
        q.set('view', v.id);
        setQuery(q);
        renderView(true);
      }},
    }, v.icon ? icon(v.icon) : null, v.label)));
    const id = view ? view.id : '__table';
    if (!force && currentView === id && id !== '__table') return;
    currentView = id;
    try {
      replace(viewHost, view ? view.render(app, ctx) : [
        h('h2', {}, 'Resources'), resourceTable(app, ctx)]);
    } catch (err) {
      replace(viewHost, h('p', {class: 'error-banner'}, `The ${id} view failed: ${err.message}`));
    }
  }

  function changed(updated) {
    if (!updated || stopped) return;
    app = updated;
    ctx.project = (app.spec || {}).project || 'default';
    const status = app.status || {};
    const sig = JSON.stringify([app.spec, app.metadata.annotations, app.operation, status.health,
      status.sync, status.conditions, status.operationState && [status.operationState.phase,
        status.operationState.startedAt, status.operationState.finishedAt]]);
    // Re-render the header only when what it shows changed (keeps keyboard focus).
    if (sig !== headerSig) {
      headerSig = sig;
      renderHeader();
    }
    renderView();
    if (opPanel && opPanel.update) opPanel.update();
    for (const fn of listeners) {
      try {
        fn(app);
      } catch (err) {
        console.error(err);
      }
    }
  }

  try {
    await load();
  } catch (err) {
    const text = err instanceof ApiError && (err.status === 403 || err.status === 404)
      ? `Application ${name} was not found or you may not see it.` : err.message;
    replace(outlet, h('p', {class: 'error-banner'}, text),
      h('a', {href: '/applications'}, 'Back to applications'));
    return undefined;
  }
  if (stopped) return undefined;
  ctx.project = (app.spec || {}).project || 'default';
  const [canSync, canDelete] = await Promise.all([
    api.canI('applications', 'sync', rbacObject(app)),
    api.canI('applications', 'delete', rbacObject(app)),
  ]);
  perms.sync = canSync;
  perms.del = canDelete;
  replace(outlet, header, banner, toggles, viewHost);
  renderHeader();
  renderView(true);
  const unsubscribeViews = onViewsChanged(() => renderView(true));
  stream = api.stream('/applications', {name}, (result) => {
    const updated = result && result.application;
    if (!updated || !updated.metadata || updated.metadata.name !== name) return;
    if (result.type === 'DELETED') {
      replace(banner, h('p', {class: 'warn-banner'}, `${name} was deleted.`));
      return;
    }
    changed(updated);
  });
  return () => {
    stopped = true;
    unsubscribeViews();
    if (stream) stream.close();
    if (opPanel) opPanel.close();
  };
});
