// The "Parameters" view of an application's details page: each source's Helm values, value
// files and parameters, Kustomize images and name prefix/suffix, directory options; editing
// them (PUT of the app with that source changed), and "edit as YAML" of the whole spec.
import {api, appPath} from '../api.js';
import {h, icon, replace, toast} from '../dom.js';
import {registerAppView} from '../appview.js';
import {dumpYAML, parseYAML} from '../yaml.js';
import {banner, commaList, input, splitList, summary, table} from './settings-kit.js';

function sourcesOf(app) {
  const spec = app.spec || {};
  if (Array.isArray(spec.sources) && spec.sources.length) {
    return spec.sources.map((source) => ({source}));
  }
  return spec.source ? [{source: spec.source}] : [];
}

function typeOf(app, source, i) {
  const status = app.status || {};
  const types = status.sourceTypes || (status.sourceType ? [status.sourceType] : []);
  if (types[i]) return types[i];
  if (source.chart || source.helm) return 'Helm';
  if (source.kustomize) return 'Kustomize';
  if (source.plugin) return 'Plugin';
  return 'Directory';
}

// PUT of the whole spec (what Argo CD's UI does): a JSON patch would be refused whenever
// the controller updated the status between the server's read and its dry-run.
async function putSpec(app, spec) {
  const meta = app.metadata || {};
  return api.put(appPath(meta.name), {metadata: {name: meta.name, namespace: meta.namespace},
    spec}, meta.namespace ? {appNamespace: meta.namespace} : undefined);
}

function withSource(app, index, source) {
  const spec = JSON.parse(JSON.stringify(app.spec || {}));
  if (Array.isArray(spec.sources) && spec.sources.length) spec.sources[index] = source;
  else spec.source = source;
  return spec;
}

function helmView(helm) {
  return h('div', {class: 'params-helm'},
    summary([['Release name', helm.releaseName || ''], ['Values files', commaList(helm.valueFiles)],
      ['Skip CRDs', helm.skipCrds ? 'yes' : '']]),
    h('h4', {}, 'Parameters'),
    table([
      {label: 'Name', cell: (p) => h('span', {class: 'mono'}, p.name)},
      {label: 'Value', cell: (p) => h('span', {class: 'mono'}, String(p.value ?? ''))},
      {label: 'Force string', cell: (p) => (p.forceString ? 'yes' : '')},
    ], helm.parameters || [], {empty: 'No parameter overrides.'}),
    h('h4', {}, 'Values'),
    helm.values || helm.valuesObject
      ? h('pre', {class: 'mono values-block'}, helm.values || dumpYAML(helm.valuesObject))
      : h('p', {class: 'muted'}, 'No inline values.'));
}

function kustomizeView(k) {
  return h('div', {class: 'params-kustomize'},
    summary([['Name prefix', k.namePrefix || ''], ['Name suffix', k.nameSuffix || ''],
      ['Namespace', k.namespace || ''], ['Version', k.version || '']]),
    h('h4', {}, 'Images'),
    (k.images || []).length
      ? h('ul', {class: 'mono'}, k.images.map((i) => h('li', {}, i)))
      : h('p', {class: 'muted'}, 'No image overrides.'),
    k.commonLabels ? [h('h4', {}, 'Common labels'), h('pre', {class: 'mono'},
      dumpYAML(k.commonLabels))] : null);
}

function directoryView(d) {
  return summary([['Recurse', d.recurse ? 'yes' : 'no'], ['Include', d.include || ''],
    ['Exclude', d.exclude || ''], ['Jsonnet', d.jsonnet ? dumpYAML(d.jsonnet) : '']]);
}

// The edit form of one source: Helm or Kustomize fields; resolves the new source.
function editForm(kind, source, onSave, onCancel) {
  const err = banner();
  const next = JSON.parse(JSON.stringify(source));
  let fields;
  let apply;
  if (kind === 'Helm') {
    const helm = next.helm || {};
    fields = {
      valueFiles: input('Values files (comma separated)', {name: 'valueFiles',
        value: (helm.valueFiles || []).join(', ')}),
      values: input('Values (YAML)', {name: 'values', rows: '10', spellcheck: 'false',
        value: helm.values || ''}),
      params: input('Parameters (name=value per line)', {name: 'parameters', rows: '4',
        spellcheck: 'false', value: (helm.parameters || []).map((p) => `${p.name}=${p.value}`)
          .join('\n')}),
    };
    apply = () => {
      const files = splitList(fields.valueFiles.control.value);
      const params = fields.params.control.value.split('\n').map((l) => l.trim())
        .filter(Boolean).map((l) => {
          const i = l.indexOf('=');
          if (i < 1) throw new Error(`parameter "${l}" is not name=value`);
          return {name: l.slice(0, i).trim(), value: l.slice(i + 1)};
        });
      const values = fields.values.control.value;
      if (values.trim()) parseYAML(values); // a clear error before the server's
      const out = {...helm};
      for (const [key, v] of [['valueFiles', files], ['parameters', params]]) {
        if (v.length) out[key] = v;
        else delete out[key];
      }
      if (values.trim()) out.values = values;
      else delete out.values;
      next.helm = out;
      return next;
    };
  } else {
    const k = next.kustomize || {};
    fields = {
      namePrefix: input('Name prefix', {name: 'namePrefix', value: k.namePrefix || ''}),
      nameSuffix: input('Name suffix', {name: 'nameSuffix', value: k.nameSuffix || ''}),
      images: input('Images (one per line)', {name: 'images', rows: '4', spellcheck: 'false',
        value: (k.images || []).join('\n')}),
    };
    apply = () => {
      const out = {...k};
      for (const key of ['namePrefix', 'nameSuffix']) {
        const v = fields[key].control.value.trim();
        if (v) out[key] = v;
        else delete out[key];
      }
      const images = splitList(fields.images.control.value);
      if (images.length) out.images = images;
      else delete out.images;
      if (Object.keys(out).length) next.kustomize = out;
      else delete next.kustomize;
      return next;
    };
  }
  const save = h('button', {class: 'btn primary', type: 'submit', 'data-action': 'save-params'},
    'Save');
  const submit = async (event) => {
    event.preventDefault();
    err.hide();
    save.disabled = true;
    try {
      await onSave(apply());
    } catch (e) {
      err.show(e);
      save.disabled = false;
    }
  };
  return h('form', {class: 'params-edit', on: {submit}}, err.el,
    Object.values(fields).map((f) => f.el),
    h('div', {class: 'toolbar'}, save,
      h('button', {class: 'btn', type: 'button', on: {click: onCancel}}, 'Cancel')));
}

function specEditor(app, onSave, onCancel) {
  const err = banner();
  const text = h('textarea', {class: 'yaml-editor mono', rows: '24', spellcheck: 'false',
    name: 'spec-yaml', 'aria-label': 'Application spec as YAML'});
  text.value = dumpYAML(app.spec || {});
  const save = h('button', {class: 'btn primary', type: 'submit', 'data-action': 'save-spec'},
    'Save');
  const submit = async (event) => {
    event.preventDefault();
    err.hide();
    let spec;
    try {
      spec = parseYAML(text.value);
      if (!spec || typeof spec !== 'object' || Array.isArray(spec)) {
        throw new Error('the spec must be a mapping');
      }
    } catch (e) {
      err.show(e);
      return;
    }
    save.disabled = true;
    try {
      await onSave(spec);
    } catch (e) {
      err.show(e);
      save.disabled = false;
    }
  };
  return h('form', {class: 'spec-edit', on: {submit}},
    h('p', {class: 'muted'}, 'The application spec as YAML (or JSON).'), err.el, text,
    h('div', {class: 'toolbar'}, save,
      h('button', {class: 'btn', type: 'button', on: {click: onCancel}}, 'Cancel')));
}

function render(app, ctx) {
  const root = h('div', {class: 'app-params', 'data-view': 'parameters'});
  let current = app;
  let editing = false;
  let canEdit = false;
  const refresh = async () => {
    editing = false;
    try {
      current = (ctx && ctx.refresh) ? await ctx.refresh() : current;
    } catch {
      // Keep showing the last app; the details page reports errors.
    }
    draw();
  };
  const saved = async (spec) => {
    await putSpec(current, spec);
    toast('Application updated', 'success');
    await refresh();
  };
  const draw = () => {
    const meta = current.metadata || {};
    const sources = sourcesOf(current);
    const parts = sources.map(({source}, i) => {
      const kind = typeOf(current, source, i);
      const editable = canEdit && (kind === 'Helm' || kind === 'Kustomize');
      const body = h('div', {class: 'params-body'});
      const show = () => replace(body, kind === 'Helm' ? helmView(source.helm || {})
        : kind === 'Kustomize' ? kustomizeView(source.kustomize || {})
          : kind === 'Directory' ? directoryView(source.directory || {})
            : h('p', {class: 'muted'}, `${kind} sources have no parameters shown here.`));
      const edit = () => {
        editing = true;
        replace(body, editForm(kind, source,
          (next) => saved(withSource(current, i, next)),
          () => {
            editing = false;
            show();
          }));
      };
      show();
      return h('section', {class: 'card params-source', 'data-source-index': String(i)},
        h('div', {class: 'toolbar'},
          h('h3', {}, `${kind} · `, h('span', {class: 'mono'}, source.chart || source.path || '.')),
          h('span', {class: 'spacer'}),
          editable ? h('button', {class: 'btn', type: 'button', 'data-action': 'edit-params',
            on: {click: edit}}, 'Edit') : null),
        summary([['Repository', h('span', {class: 'mono'}, source.repoURL || '')],
          ['Revision', source.targetRevision || 'HEAD']]),
        body);
    });
    const editSpec = () => {
      editing = true;
      replace(root, specEditor(current,
        (spec) => saved(spec),
        () => {
          editing = false;
          draw();
        }));
    };
    replace(root,
      h('div', {class: 'toolbar'}, h('h2', {}, 'Parameters'), h('span', {class: 'spacer'}),
        canEdit ? h('button', {class: 'btn', type: 'button', 'data-action': 'edit-yaml',
          on: {click: editSpec}}, icon('settings'), 'Edit as YAML') : null),
      parts.length ? parts : h('p', {class: 'muted'}, `${meta.name} has no source.`));
  };
  const project = (app.spec || {}).project || 'default';
  api.canI('applications', 'update', `${project}/${(app.metadata || {}).name}`).then((yes) => {
    canEdit = yes;
    if (!editing) draw();
  });
  if (ctx && ctx.onAppChange) {
    let off = null;
    off = ctx.onAppChange((next) => {
      if (!root.isConnected && off) {
        off();
        return;
      }
      current = next;
      if (!editing) draw();
    });
  }
  draw();
  return root;
}

registerAppView({id: 'parameters', label: 'Parameters', icon: 'settings', render});

