// Refresh / hard refresh, Delete (cascade and propagation), History and Rollback.
import {api, appParams, appPath} from '../api.js';
import {checkbox, field, formatTime, h, openDialog, openPanel, timeAgo, toast} from '../dom.js';

/** The RBAC object of an application: <project>/<name>. */
export function rbacObject(app) {
  return `${(app.spec || {}).project || 'default'}/${app.metadata.name}`;
}

/** Refresh (normal or hard); resolves with the updated app or null on error. */
export async function refreshApp(app, hard = false) {
  try {
    const updated = await api.get(appPath(app.metadata.name),
      {...appParams(app.metadata.namespace), refresh: hard ? 'hard' : 'normal'});
    toast(`${hard ? 'Hard refresh' : 'Refresh'} of ${app.metadata.name} requested`, 'success');
    return updated;
  } catch (err) {
    toast(err.message, 'error');
    return null;
  }
}

/** The Delete dialog: type the name to confirm; foreground, background or non-cascading. */
export function openDeleteDialog(app, {onDeleted = null} = {}) {
  const name = app.metadata.name;
  const confirm = h('input', {name: 'confirm', autocomplete: 'off', placeholder: name});
  const choices = [
    ['foreground', 'Foreground', 'Delete the app after its resources are gone.'],
    ['background', 'Background', 'Delete the app at once; resources are deleted after it.'],
    ['orphan', 'Non-cascading', 'Delete only the app; its resources stay in the cluster.'],
  ];
  const radios = choices.map(([value, label, hint], i) => h('label', {class: 'check radio'},
    h('input', {type: 'radio', name: 'propagation', value, checked: i === 0}),
    h('span', {}, h('strong', {}, label), ' ', h('span', {class: 'muted'}, hint))));
  const error = h('p', {class: 'error-banner', role: 'alert', hidden: true});
  const body = h('form', {class: 'delete-form', on: {submit: (e) => e.preventDefault()}},
    error,
    h('p', {}, 'Are you sure you want to delete the application ', h('strong', {}, name), '?'),
    field(`Type "${name}" to confirm`, confirm),
    h('fieldset', {}, h('legend', {}, 'Propagation policy'), radios));
  const submit = async ({close}) => {
    error.hidden = true;
    if (confirm.value !== name) {
      error.textContent = `Type the application's name (${name}) to confirm.`;
      error.hidden = false;
      confirm.focus();
      return;
    }
    const policy = body.querySelector('input[name="propagation"]:checked').value;
    const params = {...appParams(app.metadata.namespace)};
    if (policy === 'orphan') params.cascade = 'false';
    else params.propagationPolicy = policy;
    try {
      await api.del(appPath(name), params);
      close();
      toast(`Deletion of ${name} requested`, 'success');
      if (onDeleted) onDeleted();
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  };
  return openDialog({
    title: `Delete ${name}`, body,
    actions: [
      {label: 'Delete', id: 'delete', kind: 'danger', onClick: submit},
      {label: 'Cancel', id: 'cancel', onClick: ({close}) => close()},
    ],
  });
}

function sourceText(entry) {
  const sources = entry.sources || (entry.source ? [entry.source] : []);
  return sources.map((s) => [s.repoURL, s.path || s.chart, s.targetRevision].filter(Boolean)
    .join(' ')).join('; ');
}

function confirmRollback(app, entry, {onDone}) {
  const prune = checkbox('Prune', {name: 'prune'});
  const dryRun = checkbox('Dry run', {name: 'dryRun'});
  const automated = ((app.spec || {}).syncPolicy || {}).automated;
  const error = h('p', {class: 'error-banner', role: 'alert', hidden: true});
  const body = h('div', {},
    error,
    h('p', {}, `Roll ${app.metadata.name} back to history entry ${entry.id} (revision `,
      h('span', {class: 'mono'}, String(entry.revision || (entry.revisions || []).join(', '))
        .slice(0, 12)), ')?'),
    automated ? h('p', {class: 'warn-banner'}, 'Automated sync is on; rolling back turns it off.')
      : null,
    h('div', {class: 'checks'}, prune, dryRun));
  openDialog({title: 'Rollback', body, actions: [
    {label: 'Rollback', id: 'rollback', kind: 'primary', onClick: async ({close}) => {
      try {
        await api.post(appPath(app.metadata.name, '/rollback'), {
          id: entry.id, prune: prune.querySelector('input').checked,
          dryRun: dryRun.querySelector('input').checked, appNamespace: app.metadata.namespace,
        });
        close();
        toast(`Rollback of ${app.metadata.name} to entry ${entry.id} requested`, 'success');
        if (onDone) onDone();
      } catch (err) {
        error.textContent = err.message;
        error.hidden = false;
      }
    }},
    {label: 'Cancel', id: 'cancel', onClick: ({close}) => close()},
  ]});
}

async function commitLine(app, revision) {
  if (!revision) return null;
  try {
    const meta = await api.get(appPath(app.metadata.name,
      `/revisions/${encodeURIComponent(revision)}/metadata`), appParams(app.metadata.namespace));
    return h('div', {class: 'muted'}, [meta.author, meta.message && String(meta.message).split('\n')[0]]
      .filter(Boolean).join(' · '));
  } catch {
    return null;
  }
}

/** The History side panel: deployments newest first, each with Rollback. */
export function openHistoryPanel(app, {canSync = false, onRolledBack = null} = {}) {
  const history = ((app.status || {}).history || []).slice().reverse();
  const render = async () => {
    if (!history.length) return h('p', {class: 'muted'}, 'No deployments yet.');
    const rows = await Promise.all(history.map(async (entry) => {
      const revision = entry.revision || (entry.revisions || [])[0] || '';
      const who = (entry.initiatedBy || {}).username ||
        ((entry.initiatedBy || {}).automated ? 'automated' : '');
      return h('li', {class: 'card history-entry', 'data-history-id': String(entry.id)},
        h('div', {class: 'toolbar'},
          h('strong', {}, `#${entry.id}`),
          h('span', {class: 'mono'}, String(revision).slice(0, 12)),
          h('span', {class: 'muted', title: formatTime(entry.deployedAt)},
            `deployed ${timeAgo(entry.deployedAt)}`),
          who ? h('span', {class: 'muted'}, `by ${who}`) : null,
          h('span', {class: 'spacer'}),
          h('button', {class: 'btn', type: 'button', 'data-action': 'rollback', disabled: !canSync,
            title: canSync ? 'Roll back to this deployment' : 'You may not sync this application',
            on: {click: () => confirmRollback(app, entry, {onDone: () => {
              panel.close();
              if (onRolledBack) onRolledBack();
            }})}}, 'Rollback')),
        h('div', {class: 'mono muted'}, sourceText(entry)),
        await commitLine(app, revision));
    }));
    return h('ol', {class: 'history-list'}, rows);
  };
  const panel = openPanel({title: `History of ${app.metadata.name}`,
    tabs: [{id: 'history', label: 'History', render}]});
  return panel;
}
