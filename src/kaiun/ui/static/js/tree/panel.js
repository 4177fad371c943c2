// The resource side panel: summary, live and desired manifests, diff, events, actions and
// delete. Everything shown comes from the API already Secret-masked; links in annotations
// go through safeUrl (anything not http(s) stays plain text).
import { h, clear, replace, openPanel, openDialog, toast, healthBadge, syncBadge, formatTime, timeAgo, safeUrl } from '../dom.js';
import { api } from '../api.js';
import { onNavigate } from '../router.js';
import { toYaml, parseState } from './yaml.js';
import { diffPair } from './diffpair.js';
import { diffToolbar } from './appdiff.js';

const appPath = (app) => `/applications/${encodeURIComponent(app.metadata.name)}`;

function resourceParams(app, ref) {
  const p = { resourceName: ref.name, kind: ref.kind, namespace: ref.namespace || '', group: ref.group || '', version: ref.version || '' };
  if (app.metadata.namespace) p.appNamespace = app.metadata.namespace;
  return p;
}

function errorBox(err) {
  return h('div', { class: 'error-banner', role: 'alert' }, err && err.message ? err.message : String(err));
}

async function guarded(render) {
  try {
    return await render();
  } catch (err) {
    return errorBox(err);
  }
}

function kv(rows) {
  return h('table', { class: 'table kv' }, h('tbody', {}, ...rows.filter(Boolean).map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v)))));
}

/** A value rendered as a link when it is a safe http(s) URL, as text otherwise. */
export function linkOrText(value) {
  const url = safeUrl(String(value).trim());
  if (url && /^https?:\/\//i.test(url)) return h('a', { href: url, class: 'ext-link', rel: 'noopener noreferrer', target: '_blank' }, String(value));
  return String(value);
}

function pairsList(obj, links) {
  const entries = Object.entries(obj || {});
  if (!entries.length) return h('span', { class: 'muted' }, 'none');
  return h('ul', { class: 'kv-list' }, ...entries.map(([k, v]) => h('li', {}, h('span', { class: 'mono kv-key' }, k), ' ', h('span', { class: 'mono kv-val' }, links ? linkOrText(v) : String(v)))));
}

function manifestBlock(obj, emptyText) {
  if (!obj) return h('p', { class: 'muted' }, emptyText);
  return h('pre', { class: 'manifest mono', tabindex: '0' }, toYaml(obj));
}

// One resource panel at a time: opening another resource replaces it, and leaving the
// page closes it.
let openedPanel = null;
onNavigate(() => { if (openedPanel) openedPanel.close(); });

/** Opens the side panel for one resource of `app`; returns the panel handle. */
export function openResourcePanel(app, ref, ctx, node = null) {
  if (openedPanel) openedPanel.close();
  const base = appPath(app);
  const params = resourceParams(app, ref);
  let liveP = null;
  let managedP = null;
  const live = () => (liveP = liveP || api.get(`${base}/resource`, params).then((r) => parseState(r.manifest)));
  const managed = () => (managedP = managedP || api.get(`${base}/managed-resources`, app.metadata.namespace ? { appNamespace: app.metadata.namespace } : {})
    .then((r) => (r.items || []).find((i) => (i.group || '') === (ref.group || '') && i.kind === ref.kind && (i.namespace || '') === (ref.namespace || '') && i.name === ref.name) || null));
  const project = (app.spec && app.spec.project) || 'default';
  const rbacObject = `${project}/${app.metadata.name}`;
  const status = ((app.status || {}).resources || []).find((r) => (r.group || '') === (ref.group || '') && r.kind === ref.kind && (r.namespace || '') === (ref.namespace || '') && r.name === ref.name);

  let panel = null;
  const summary = () => guarded(async () => {
    const obj = await live().catch((err) => { if (err.status === 404) return null; throw err; });
    const meta = (obj && obj.metadata) || {};
    const health = node && node.health ? node.health : status && status.health ? status.health.status : '';
    const message = node && node.healthMessage ? node.healthMessage : status && status.health ? status.health.message : '';
    const canDelete = await api.canI('applications', 'delete', rbacObject).catch(() => false);
    const del = h('button', { class: 'btn danger', type: 'button', disabled: !canDelete, title: canDelete ? 'Delete this resource' : 'You may not delete resources of this application', on: { click: () => confirmDelete(app, ref, params, () => { if (panel) panel.close(); ctx.refresh(); }) } }, 'Delete');
    return h('div', { class: 'res-summary' },
      h('div', { class: 'toolbar' }, del),
      !obj ? h('p', { class: 'muted' }, 'The resource does not exist on the cluster.') : null,
      kv([
        ['Kind', ref.kind],
        ['Name', h('span', { class: 'mono' }, ref.name)],
        ref.namespace ? ['Namespace', ref.namespace] : null,
        ref.group ? ['API group', `${ref.group}${ref.version ? `/${ref.version}` : ''}`] : null,
        meta.creationTimestamp ? ['Created', h('span', { title: formatTime(meta.creationTimestamp) }, `${formatTime(meta.creationTimestamp)} (${timeAgo(meta.creationTimestamp)})`)] : null,
        health ? ['Health', h('span', {}, healthBadge(health), message ? h('span', { class: 'health-message' }, ` ${message}`) : null)] : null,
        status ? ['Sync', syncBadge(status.status || 'Unknown')] : ['Sync', h('span', { class: 'muted' }, 'not managed directly (a child of a managed resource)')],
        node && node.images && node.images.length ? ['Images', h('ul', { class: 'kv-list' }, ...node.images.map((i) => h('li', { class: 'mono' }, i)))] : null,
        ...((node && node.info) || []).map((i) => [i.name, i.value]),
        ['Labels', pairsList(meta.labels, false)],
        ['Annotations', pairsList(Object.fromEntries(Object.entries(meta.annotations || {}).filter(([k]) => k !== 'kubectl.kubernetes.io/last-applied-configuration')), true)],
      ]));
  });
  const liveTab = () => guarded(async () => {
    const obj = await live();
    if (!obj) return manifestBlock(null, 'The resource does not exist on the cluster.');
    // managedFields is long and rarely what one looks for: hidden unless asked.
    const withoutManaged = { ...obj, metadata: { ...(obj.metadata || {}) } };
    delete withoutManaged.metadata.managedFields;
    const box = h('div', { class: 'manifest-box' });
    const show = h('input', { type: 'checkbox', name: 'managed-fields', on: { change: () => replace(box, manifestBlock(show.checked ? obj : withoutManaged, '')) } });
    replace(box, manifestBlock(withoutManaged, ''));
    return h('div', {}, h('div', { class: 'toolbar' }, h('label', { class: 'check' }, show, ' Show managed fields')), box);
  });
  const desiredTab = () => guarded(async () => {
    const item = await managed();
    if (!item) return h('p', { class: 'muted' }, 'This resource is not in Git: it was created by the cluster for a managed resource.');
    return manifestBlock(parseState(item.targetState), 'This resource is not in the desired state: it would be pruned.');
  });
  const diffTab = () => guarded(async () => {
    const item = await managed();
    if (!item) return h('p', { class: 'muted' }, 'No diff: this resource is not managed from Git.');
    const pair = diffPair(item);
    const out = h('div', { class: 'res-diff' });
    diffToolbar(out, [{ title: `${ref.kind}/${ref.name}`, pair }], { onlyChanged: false, single: true });
    return out;
  });
  const eventsTab = () => guarded(async () => {
    const q = { resourceName: ref.name, resourceNamespace: ref.namespace || '' };
    if (ref.uid) q.resourceUID = ref.uid;
    if (app.metadata.namespace) q.appNamespace = app.metadata.namespace;
    const res = await api.get(`${base}/events`, q);
    const items = (res.items || []).slice().sort((a, b) => String(b.lastTimestamp || b.eventTime || '').localeCompare(String(a.lastTimestamp || a.eventTime || '')));
    if (!items.length) return h('p', { class: 'muted' }, 'No events.');
    return h('table', { class: 'table events' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Type'), h('th', {}, 'Reason'), h('th', {}, 'Message'), h('th', {}, 'Count'), h('th', {}, 'Last seen'))),
      h('tbody', {}, ...items.map((e) => {
        const when = e.lastTimestamp || e.eventTime || e.firstTimestamp;
        return h('tr', { class: e.type === 'Warning' ? 'event-warning' : '' },
          h('td', {}, e.type || ''), h('td', {}, e.reason || ''), h('td', {}, e.message || ''),
          h('td', {}, String(e.count || 1)), h('td', { title: when ? formatTime(when) : '' }, when ? timeAgo(when) : ''));
      })));
  });
  const actionsTab = () => guarded(async () => {
    let actions = [];
    try {
      const res = await api.get(`${base}/resource/actions`, params);
      actions = res.actions || [];
    } catch (err) {
      if (err.status !== 404 && err.status !== 501) throw err;
    }
    if (!actions.length) return h('p', { class: 'muted' }, `No resource actions are available for ${ref.kind}.`);
    // RBAC grants actions per action (`action/<group>/<kind>/<name>`), which can-i cannot
    // be asked about (its action is one path segment): the server decides, and a refusal
    // shows as an error toast.
    return h('ul', { class: 'actions-list' }, ...actions.map((a) => h('li', {},
      h('button', {
        class: 'btn', type: 'button', disabled: !!a.disabled,
        title: a.disabled ? `${a.name} does not apply now` : `Run ${a.name}`,
        on: { click: () => runAction(app, base, params, a.name, ctx) },
      }, a.displayName || a.name))));
  });

  panel = openPanel({
    title: `${ref.kind} ${ref.name}`,
    onClose: () => { if (openedPanel === panel) openedPanel = null; },
    tabs: [
      { id: 'summary', label: 'Summary', render: summary },
      { id: 'live', label: 'Live manifest', render: liveTab },
      { id: 'desired', label: 'Desired manifest', render: desiredTab },
      { id: 'diff', label: 'Diff', render: diffTab },
      { id: 'events', label: 'Events', render: eventsTab },
      { id: 'actions', label: 'Actions', render: actionsTab },
    ],
  });
  openedPanel = panel;
  return panel;
}

async function runAction(app, base, params, name, ctx) {
  try {
    await api.post(`${base}/resource/actions/v2`, { ...params, action: name });
    toast(`Action ${name} started`, 'success');
    ctx.refresh();
  } catch (err) {
    toast(`Action ${name} failed: ${err.message}`, 'error');
  }
}

function confirmDelete(app, ref, params, done) {
  const typed = h('input', { type: 'text', name: 'confirm-name', placeholder: ref.name, 'aria-label': `Type ${ref.name} to confirm` });
  const orphan = h('input', { type: 'checkbox', name: 'orphan', id: 'res-del-orphan' });
  const force = h('input', { type: 'checkbox', name: 'force', id: 'res-del-force' });
  const error = h('div', { role: 'alert' });
  const body = h('div', { class: 'res-delete' },
    h('p', {}, `Delete ${ref.kind} `, h('strong', { class: 'mono' }, ref.name), ref.namespace ? ` in namespace ${ref.namespace}` : '', ` of application ${app.metadata.name}?`),
    h('p', { class: 'muted' }, 'If the application syncs automatically, it may create the resource again.'),
    h('div', { class: 'field' }, h('label', { for: 'res-del-orphan' }, orphan, ' Orphan: keep the resource\'s dependents (non-cascading)')),
    h('div', { class: 'field' }, h('label', { for: 'res-del-force' }, force, ' Force delete')),
    h('div', { class: 'field' }, h('label', {}, `Type the resource name to confirm`, typed)),
    error);
  const dialog = openDialog({
    title: `Delete ${ref.kind}`, body,
    actions: [
      { label: 'Cancel', kind: '', onClick: () => dialog.close() },
      {
        label: 'Delete', kind: 'danger', onClick: async () => {
          if (typed.value !== ref.name) { replace(error, h('p', { class: 'error-banner' }, `Type ${ref.name} to confirm.`)); return; }
          clear(error);
          try {
            await api.del(`/applications/${encodeURIComponent(app.metadata.name)}/resource`, { ...params, orphan: orphan.checked ? 'true' : 'false', force: force.checked ? 'true' : 'false' });
            dialog.close();
            toast(`${ref.kind} ${ref.name} deleted`, 'success');
            done();
          } catch (err) {
            replace(error, h('p', { class: 'error-banner' }, err.message));
          }
        },
      },
    ],
  });
}
