// The Sync dialog (revision, prune, dry run, apply only, force, sync options, selective
// resources, retry) and the operation progress view (per phase and wave, hooks, terminate).
import {api, appParams, appPath} from '../api.js';
import {checkbox, field, h, icon, openDialog, replace, timeAgo, toast} from '../dom.js';

const SYNC_OPTIONS = [
  ['ServerSideApply=true', 'Server-side apply'],
  ['Validate=false', 'Skip schema validation'],
  ['CreateNamespace=true', 'Auto-create namespace'],
  ['PruneLast=true', 'Prune last'],
  ['ApplyOutOfSyncOnly=true', 'Apply out of sync only'],
  ['RespectIgnoreDifferences=true', 'Respect ignore differences'],
  ['Replace=true', 'Replace'],
];
const RUNNING = new Set(['Running', 'Terminating']);

export function resourceKey(r) {
  return `${r.group || ''}/${r.kind}/${r.namespace || ''}/${r.name}`;
}

function resourceLabel(r) {
  return `${r.kind}${r.namespace ? ` ${r.namespace}/` : ' '}${r.name}`;
}

/** The sync options of the app's own syncPolicy (pre-checked in the dialog). */
function policyOptions(app) {
  return new Set(((app.spec || {}).syncPolicy || {}).syncOptions || []);
}

function currentRevision(app) {
  const spec = app.spec || {};
  const source = spec.source || (spec.sources || [])[0] || {};
  return source.targetRevision || 'HEAD';
}

/** Whether an operation is in progress on the app. */
export function isRunning(app) {
  const state = (app.status || {}).operationState || {};
  return Boolean(app.operation) || RUNNING.has(state.phase);
}

function resourcePicker(app) {
  const resources = ((app.status || {}).resources || []).slice();
  const boxes = resources.map((r) => {
    const box = checkbox(resourceLabel(r), {name: 'resource', checked: true});
    box.dataset.key = resourceKey(r);
    box.dataset.status = r.status || '';
    return {r, box, input: box.querySelector('input')};
  });
  const setAll = (pred) => () => boxes.forEach((b) => {
    b.input.checked = pred(b.r);
  });
  const el = h('fieldset', {class: 'sync-resources'},
    h('legend', {}, `Resources (${resources.length})`),
    h('div', {class: 'toolbar'},
      h('button', {class: 'btn', type: 'button', on: {click: setAll(() => true)}}, 'All'),
      h('button', {class: 'btn', type: 'button', on: {click: setAll((r) => r.status === 'OutOfSync')}},
        'Out of sync'),
      h('button', {class: 'btn', type: 'button', on: {click: setAll(() => false)}}, 'None')),
    h('div', {class: 'checks column'}, boxes.map((b) => b.box)));
  const selected = () => {
    const chosen = boxes.filter((b) => b.input.checked).map((b) => b.r);
    return chosen.length === boxes.length ? null : chosen;
  };
  return {el, selected};
}

/** Open the Sync dialog for the full Application `app`; resolves after a sync was requested. */
export function openSyncDialog(app, {onSynced = null} = {}) {
  const name = app.metadata.name;
  const ns = app.metadata.namespace;
  const revision = h('input', {name: 'revision', value: currentRevision(app)});
  const opts = {
    prune: checkbox('Prune', {name: 'prune'}),
    dryRun: checkbox('Dry run', {name: 'dryRun'}),
    applyOnly: checkbox('Apply only (skip hooks)', {name: 'applyOnly'}),
    force: checkbox('Force', {name: 'force'}),
  };
  const preset = policyOptions(app);
  const syncOpts = SYNC_OPTIONS.map(([value, label]) => {
    const box = checkbox(label, {name: value, checked: preset.has(value)});
    box.dataset.option = value;
    return box;
  });
  const propagation = h('select', {name: 'prunePropagationPolicy'},
    ['foreground', 'background', 'orphan'].map((p) => h('option', {value: p}, p)));
  const retry = checkbox('Retry', {name: 'retry'});
  const retryLimit = h('input', {type: 'number', min: '1', value: '2', name: 'retryLimit'});
  const backoff = h('input', {value: '5s', name: 'backoffDuration'});
  const factor = h('input', {type: 'number', min: '1', value: '2', name: 'backoffFactor'});
  const maxDuration = h('input', {value: '3m', name: 'backoffMax'});
  const retryFields = h('div', {class: 'retry-fields', hidden: true},
    field('Limit', retryLimit), field('Backoff duration', backoff),
    field('Factor', factor), field('Max duration', maxDuration));
  retry.querySelector('input').addEventListener('change', (e) => {
    retryFields.hidden = !e.target.checked;
  });
  const picker = resourcePicker(app);
  const error = h('p', {class: 'error-banner', role: 'alert', hidden: true});
  const body = h('form', {class: 'sync-form', on: {submit: (e) => e.preventDefault()}},
    error,
    field('Revision', revision, 'Branch, tag or commit; empty means the target revision.'),
    h('fieldset', {}, h('legend', {}, 'Options'), h('div', {class: 'checks'}, Object.values(opts))),
    h('fieldset', {}, h('legend', {}, 'Sync options'), h('div', {class: 'checks'}, syncOpts),
      field('Prune propagation policy', propagation)),
    h('fieldset', {}, h('legend', {}, 'Retry'), retry, retryFields),
    picker.el);

  const checked = (box) => box.querySelector('input').checked;
  const request = () => {
    const items = syncOpts.filter(checked).map((b) => b.dataset.option);
    if (propagation.value !== 'foreground') items.push(`PrunePropagationPolicy=${propagation.value}`);
    const force = checked(opts.force);
    const req = {
      revision: revision.value.trim() || undefined,
      prune: checked(opts.prune),
      dryRun: checked(opts.dryRun),
      strategy: checked(opts.applyOnly) ? {apply: {force}} : {hook: {force}},
      syncOptions: items.length ? {items} : undefined,
      appNamespace: ns,
    };
    const chosen = picker.selected();
    if (chosen) {
      if (!chosen.length) throw new Error('select at least one resource');
      req.resources = chosen.map((r) => ({group: r.group || '', kind: r.kind, name: r.name,
        namespace: r.namespace || ''}));
    }
    if (checked(retry)) {
      req.retryStrategy = {limit: Number(retryLimit.value) || 1, backoff: {
        duration: backoff.value, factor: Number(factor.value) || 2, maxDuration: maxDuration.value,
      }};
    }
    return req;
  };
  const submit = async ({close}) => {
    error.hidden = true;
    try {
      const updated = await api.post(appPath(name, '/sync'), request());
      close();
      toast(`Sync of ${name} requested`, 'success');
      if (onSynced) onSynced(updated);
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  };
  return openDialog({
    title: `Sync ${name}`, body, wide: true,
    actions: [
      {label: 'Synchronize', id: 'synchronize', kind: 'primary', onClick: submit},
      {label: 'Cancel', id: 'cancel', onClick: ({close}) => close()},
    ],
  });
}

/** Ask the controller to end the running operation. */
export async function terminateOperation(app) {
  try {
    await api.del(appPath(app.metadata.name, '/operation'), appParams(app.metadata.namespace));
    toast('Termination requested', 'info');
  } catch (err) {
    toast(err.message, 'error');
  }
}

// Waves come from the desired manifests' annotations (results do not carry them).
const waveCache = new Map();

export async function wavesOf(app) {
  const key = `${app.metadata.namespace}/${app.metadata.name}/${(app.status || {}).sync?.revision}`;
  if (!waveCache.has(key)) {
    waveCache.set(key, api.get(appPath(app.metadata.name, '/managed-resources'),
      appParams(app.metadata.namespace)).then((body) => {
      const waves = new Map();
      for (const item of body.items || []) {
        let target = null;
        try {
          target = item.targetState ? JSON.parse(item.targetState) : null;
        } catch {
          target = null;
        }
        const ann = (target && target.metadata && target.metadata.annotations) || {};
        const wave = parseInt(ann['argocd.argoproj.io/sync-wave'] ?? ann['helm.sh/hook-weight'] ?? '0',
          10);
        waves.set(resourceKey(item), Number.isNaN(wave) ? 0 : wave);
      }
      return waves;
    }).catch(() => new Map()));
  }
  return waveCache.get(key);
}

const PHASE_ORDER = ['PreSync', 'Sync', 'PostSync', 'SyncFail', 'PostDelete'];

function resultRow(r) {
  // Hooks report their phase; other resources their apply result (as Argo CD shows them).
  const status = (r.hookType ? r.hookPhase : r.status) || r.status || r.hookPhase || 'Pending';
  return h('tr', {'data-result': resourceKey(r)},
    h('td', {}, h('span', {class: 'badge kind'}, r.kind)),
    h('td', {class: 'mono'}, r.namespace ? `${r.namespace}/${r.name}` : r.name),
    h('td', {}, r.hookType ? `hook ${r.hookType}` : ''),
    h('td', {}, h('span', {class: `badge phase-${status.toLowerCase()}`}, status)),
    h('td', {class: 'muted'}, r.message || ''));
}

/** The operation state of `app` (phase, message, results per phase and wave). */
export function operationView(app, waves = new Map(), {canSync = false} = {}) {
  const last = (app.status || {}).operationState;
  if (app.operation && !(last && RUNNING.has(last.phase))) {
    // Requested, not yet picked up: the state on the app is still the previous operation's.
    return h('div', {class: 'operation', 'data-phase': 'Pending'},
      h('div', {class: 'toolbar'},
        h('span', {class: 'badge phase-running', id: 'op-phase'}, icon('progressing'), 'Pending'),
        h('span', {}, 'Waiting for the controller to start the operation…')));
  }
  const state = last;
  if (!state) return h('p', {class: 'muted'}, 'No operation has run yet.');
  const op = state.operation || {};
  const results = ((state.syncResult || {}).resources || []).slice();
  const groups = new Map();
  for (const r of results) {
    const phase = r.syncPhase || 'Sync';
    const wave = waves.get(resourceKey(r)) ?? 0;
    const key = `${phase}\u0000${wave}`;
    if (!groups.has(key)) groups.set(key, {phase, wave, items: []});
    groups.get(key).items.push(r);
  }
  const ordered = [...groups.values()].sort((a, b) =>
    (PHASE_ORDER.indexOf(a.phase) - PHASE_ORDER.indexOf(b.phase)) || (a.wave - b.wave));
  const running = RUNNING.has(state.phase);
  const who = (op.initiatedBy || {}).username || ((op.initiatedBy || {}).automated ? 'automated' : '');
  return h('div', {class: 'operation', 'data-phase': state.phase || ''},
    h('div', {class: 'toolbar'},
      h('span', {class: `badge phase-${String(state.phase || '').toLowerCase()}`, id: 'op-phase'},
        running ? icon('progressing') : null, state.phase || 'Unknown'),
      h('span', {}, state.message || ''),
      h('span', {class: 'spacer'}),
      running && canSync ? h('button', {class: 'btn danger', type: 'button', id: 'terminate',
        on: {click: () => terminateOperation(app)}}, 'Terminate') : null),
    h('p', {class: 'muted'},
      `Started ${timeAgo(state.startedAt)}`,
      state.finishedAt && !running ? `, finished ${timeAgo(state.finishedAt)}` : '',
      who ? ` · by ${who}` : '',
      (state.syncResult || {}).revision ? ` · revision ${String(state.syncResult.revision).slice(0, 8)}` : '',
      (op.sync || {}).dryRun ? ' · dry run' : ''),
    ordered.length ? ordered.map((g) => h('section', {class: 'wave'},
      h('h3', {}, `${g.phase} · wave ${g.wave}`),
      h('div', {class: 'table-wrap'}, h('table', {class: 'table'},
        h('thead', {}, h('tr', {}, h('th', {}, 'Kind'), h('th', {}, 'Name'), h('th', {}, 'Hook'),
          h('th', {}, 'Status'), h('th', {}, 'Message'))),
        h('tbody', {}, g.items.map(resultRow)))))) :
      h('p', {class: 'muted'}, running ? 'Waiting for the first results…' : 'No resource results.'));
}

/** Render the operation into `el` and keep waves resolved (async). */
export async function renderOperation(el, app, opts) {
  replace(el, operationView(app, new Map(), opts));
  if ((app.status || {}).operationState) {
    const waves = await wavesOf(app);
    if (el.isConnected) replace(el, operationView(app, waves, opts));
  }
}
