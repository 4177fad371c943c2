// /applications/new: the app creation form (repository, revision picker, path, Helm and
// Kustomize options, destination, project, sync policy) and an "edit as YAML" mode. The list
// page's "New app" button calls openCreateApp().
import {api} from '../api.js';
import {h, icon, replace, toast} from '../dom.js';
import {navigate, route} from '../router.js';
import {dumpYAML, parseYAML} from '../yaml.js';
import {banner, check, input, select, splitList} from './settings-kit.js';

const enc = encodeURIComponent;
const IN_CLUSTER = 'https://kubernetes.default.svc';

/** Open the creation form (the "New app" button of the applications list). */
export function openCreateApp() {
  return navigate('/applications/new');
}

function datalist(id) {
  return h('datalist', {id});
}

function fillList(list, values) {
  replace(list, values.map((v) => h('option', {value: v})));
}

async function safeGet(path, params) {
  try {
    return await api.get(path, params);
  } catch {
    return null;
  }
}

/** "name=value" lines → Helm parameters. */
function parseParams(text) {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const i = l.indexOf('=');
    return i < 0 ? {name: l, value: ''} : {name: l.slice(0, i).trim(), value: l.slice(i + 1)};
  });
}

// The form's controls and what they build; fill() takes an Application back into them.
function buildForm(repos, projects, clusters) {
  const f = {
    name: input('Application name', {name: 'app-name', required: true, placeholder: 'my-app',
      spellcheck: 'false'}),
    project: select('Project', projects.length ? projects : ['default'], {name: 'project'}),
    auto: check('Automatic sync', {name: 'automated'}),
    prune: check('Prune resources', {name: 'prune'}),
    selfHeal: check('Self heal', {name: 'selfHeal'}),
    createNs: check('Auto-create namespace', {name: 'createNamespace'}),
    finalizer: check('Delete resources with the app (finalizer)', {name: 'finalizer'}),
    repo: input('Repository URL', {name: 'repoURL', list: 'dl-repos', required: true,
      spellcheck: 'false', placeholder: 'https://github.com/org/repo.git'}),
    revision: input('Revision', {name: 'targetRevision', list: 'dl-revisions', value: 'HEAD',
      spellcheck: 'false'}),
    path: input('Path', {name: 'path', list: 'dl-paths', spellcheck: 'false',
      placeholder: 'guestbook'}),
    chart: input('Chart', {name: 'chart', spellcheck: 'false'}),
    kind: select('Source type', [['', 'Detect'], 'Directory', 'Helm', 'Kustomize'],
      {name: 'sourceType'}),
    server: select('Cluster', clusters.map((c) => [c.server, `${c.name} (${c.server})`]),
      {name: 'server'}),
    namespace: input('Namespace', {name: 'namespace', spellcheck: 'false'}),
    valueFiles: input('Values files (comma separated)', {name: 'valueFiles',
      list: 'dl-valuefiles', spellcheck: 'false'}),
    values: input('Values (YAML)', {name: 'values', rows: '5', spellcheck: 'false'}),
    params: input('Parameters (name=value per line)', {name: 'parameters', rows: '3',
      spellcheck: 'false'}),
    release: input('Release name', {name: 'releaseName', spellcheck: 'false'}),
    namePrefix: input('Name prefix', {name: 'namePrefix', spellcheck: 'false'}),
    nameSuffix: input('Name suffix', {name: 'nameSuffix', spellcheck: 'false'}),
    images: input('Images (one per line, e.g. nginx=nginx:1.27)', {name: 'images', rows: '2',
      spellcheck: 'false'}),
    recurse: check('Recurse into subdirectories', {name: 'recurse'}),
  };
  if (projects.includes('default')) f.project.control.value = 'default';
  const lists = {repos: datalist('dl-repos'), revisions: datalist('dl-revisions'),
    paths: datalist('dl-paths'), valuefiles: datalist('dl-valuefiles')};
  fillList(lists.repos, repos.map((r) => r.repo));
  const repoType = () => (repos.find((r) => r.repo === f.repo.control.value.trim()) || {}).type;
  const helm = h('fieldset', {class: 'helm-opts'}, h('legend', {}, 'Helm'), f.release.el,
    f.valueFiles.el, f.values.el, f.params.el);
  const kust = h('fieldset', {class: 'kustomize-opts'}, h('legend', {}, 'Kustomize'),
    f.namePrefix.el, f.nameSuffix.el, f.images.el);
  const dir = h('fieldset', {class: 'directory-opts'}, h('legend', {}, 'Directory'), f.recurse.el);
  const layout = () => {
    const isChart = repoType() === 'helm';
    f.chart.el.hidden = !isChart;
    f.path.el.hidden = isChart;
    const kind = isChart ? 'Helm' : f.kind.control.value;
    helm.hidden = kind !== 'Helm';
    kust.hidden = kind !== 'Kustomize';
    dir.hidden = kind !== 'Directory';
    f.prune.el.hidden = f.selfHeal.el.hidden = !f.auto.control.checked;
  };
  let refsFor = null;
  const loadRefs = async () => {
    const url = f.repo.control.value.trim();
    if (!url || url === refsFor || !repos.some((r) => r.repo === url)) return;
    refsFor = url;
    const refs = await safeGet(`/repositories/${enc(url)}/refs`);
    if (refs) fillList(lists.revisions, ['HEAD', ...(refs.branches || []), ...(refs.tags || [])]);
    const apps = await safeGet(`/repositories/${enc(url)}/apps`,
      {revision: f.revision.control.value.trim() || 'HEAD'});
    if (apps) fillList(lists.paths, (apps.items || []).map((a) => a.path));
  };
  const detect = async () => {
    const url = f.repo.control.value.trim();
    const path = f.path.control.value.trim();
    if (!url || !path || !repos.some((r) => r.repo === url)) return;
    try {
      const d = await api.post(`/repositories/${enc(url)}/appdetails`, {source: {repoURL: url,
        path, targetRevision: f.revision.control.value.trim() || 'HEAD'}});
      if (!f.kind.control.value && d.type) f.kind.control.value = d.type;
      if (d.helm && d.helm.valueFiles) fillList(lists.valuefiles, d.helm.valueFiles);
      layout();
    } catch {
      // Unknown paths are checked again by the server on create.
    }
  };
  f.repo.control.addEventListener('change', () => repoChanged());
  f.path.control.addEventListener('change', detect);
  f.kind.control.addEventListener('change', layout);
  f.auto.control.addEventListener('change', layout);
  layout();

  const build = () => {
    const source = {repoURL: f.repo.control.value.trim(),
      targetRevision: f.revision.control.value.trim() || 'HEAD'};
    const isChart = repoType() === 'helm';
    if (isChart) source.chart = f.chart.control.value.trim();
    else source.path = f.path.control.value.trim() || '.';
    const kind = isChart ? 'Helm' : f.kind.control.value;
    if (kind === 'Helm') {
      const helmSpec = {};
      const files = splitList(f.valueFiles.control.value);
      if (files.length) helmSpec.valueFiles = files;
      if (f.values.control.value.trim()) helmSpec.values = f.values.control.value;
      const params = parseParams(f.params.control.value);
      if (params.length) helmSpec.parameters = params;
      if (f.release.control.value.trim()) helmSpec.releaseName = f.release.control.value.trim();
      if (Object.keys(helmSpec).length) source.helm = helmSpec;
    } else if (kind === 'Kustomize') {
      const k = {};
      if (f.namePrefix.control.value.trim()) k.namePrefix = f.namePrefix.control.value.trim();
      if (f.nameSuffix.control.value.trim()) k.nameSuffix = f.nameSuffix.control.value.trim();
      const images = splitList(f.images.control.value);
      if (images.length) k.images = images;
      if (Object.keys(k).length) source.kustomize = k;
    } else if (kind === 'Directory' && f.recurse.control.checked) {
      source.directory = {recurse: true};
    }
    const app = {apiVersion: 'argoproj.io/v1alpha1', kind: 'Application',
      metadata: {name: f.name.control.value.trim()},
      spec: {project: f.project.control.value || 'default', source,
        destination: {server: f.server.control.value || IN_CLUSTER,
          namespace: f.namespace.control.value.trim()}}};
    if (f.finalizer.control.checked) {
      app.metadata.finalizers = ['resources-finalizer.argocd.argoproj.io'];
    }
    const policy = {};
    if (f.auto.control.checked) {
      policy.automated = {prune: f.prune.control.checked, selfHeal: f.selfHeal.control.checked};
    }
    if (f.createNs.control.checked) policy.syncOptions = ['CreateNamespace=true'];
    if (Object.keys(policy).length) app.spec.syncPolicy = policy;
    return app;
  };

  const fill = (app) => {
    const spec = (app && app.spec) || {};
    const src = spec.source || (spec.sources || [])[0] || {};
    const set = (field, v) => {
      field.control.value = v === undefined || v === null ? '' : String(v);
    };
    set(f.name, (app.metadata || {}).name);
    if (spec.project) f.project.control.value = spec.project;
    set(f.repo, src.repoURL);
    set(f.revision, src.targetRevision || 'HEAD');
    set(f.path, src.path);
    set(f.chart, src.chart);
    f.kind.control.value = src.helm ? 'Helm' : src.kustomize ? 'Kustomize'
      : src.directory ? 'Directory' : f.kind.control.value;
    const helmSpec = src.helm || {};
    set(f.valueFiles, (helmSpec.valueFiles || []).join(', '));
    set(f.values, helmSpec.values);
    set(f.params, (helmSpec.parameters || []).map((p) => `${p.name}=${p.value}`).join('\n'));
    set(f.release, helmSpec.releaseName);
    const k = src.kustomize || {};
    set(f.namePrefix, k.namePrefix);
    set(f.nameSuffix, k.nameSuffix);
    set(f.images, (k.images || []).join('\n'));
    f.recurse.control.checked = Boolean((src.directory || {}).recurse);
    const dest = spec.destination || {};
    if (dest.server) f.server.control.value = dest.server;
    set(f.namespace, dest.namespace);
    const policy = spec.syncPolicy || {};
    f.auto.control.checked = Boolean(policy.automated);
    f.prune.control.checked = Boolean((policy.automated || {}).prune);
    f.selfHeal.control.checked = Boolean((policy.automated || {}).selfHeal);
    f.createNs.control.checked = (policy.syncOptions || []).includes('CreateNamespace=true');
    f.finalizer.control.checked = ((app.metadata || {}).finalizers || [])
      .includes('resources-finalizer.argocd.argoproj.io');
    layout();
  };

  const el = h('div', {class: 'create-form'},
    Object.values(lists),
    h('fieldset', {}, h('legend', {}, 'General'), f.name.el, f.project.el,
      h('div', {class: 'checks'}, f.auto.el, f.prune.el, f.selfHeal.el, f.createNs.el,
        f.finalizer.el)),
    h('fieldset', {}, h('legend', {}, 'Source'), f.repo.el, f.revision.el, f.path.el,
      f.chart.el, f.kind.el),
    h('fieldset', {}, h('legend', {}, 'Destination'), f.server.el, f.namespace.el),
    helm, kust, dir);
  const repoChanged = () => {
    layout();
    loadRefs();
  };
  return {el, build, fill, repoChanged, focus: () => f.name.control.focus()};
}

async function renderCreate(outlet, query) {
  const [repoList, projList, clusterList, canCreate] = await Promise.all([
    safeGet('/repositories'), safeGet('/projects'), safeGet('/clusters'),
    api.canI('applications', 'create', '*/*'),
  ]);
  const repos = (repoList && repoList.items) || [];
  const projects = ((projList && projList.items) || []).map((p) => p.metadata.name);
  const clusters = (clusterList && clusterList.items && clusterList.items.length)
    ? clusterList.items : [{server: IN_CLUSTER, name: 'in-cluster'}];
  const form = buildForm(repos, projects, clusters);
  if (query.get('repo')) {
    form.fill({spec: {source: {repoURL: query.get('repo')}}});
    form.repoChanged();
  }
  const err = banner();
  const yaml = h('textarea', {class: 'yaml-editor mono', rows: '24', spellcheck: 'false',
    'aria-label': 'Application as YAML', name: 'yaml'});
  const yamlBox = h('div', {class: 'yaml-box', hidden: true},
    h('p', {class: 'muted'}, 'The Application as YAML (or JSON). Anchors, tags and several ' +
      'documents are not supported.'), yaml);
  let yamlMode = false;
  const toggle = h('button', {class: 'btn', type: 'button', id: 'edit-yaml'}, 'Edit as YAML');
  toggle.addEventListener('click', () => {
    err.hide();
    if (!yamlMode) {
      yaml.value = dumpYAML(form.build());
    } else {
      try {
        form.fill(parseYAML(yaml.value) || {});
      } catch (e) {
        err.show(e);
        return;
      }
    }
    yamlMode = !yamlMode;
    form.el.hidden = yamlMode;
    yamlBox.hidden = !yamlMode;
    toggle.textContent = yamlMode ? 'Edit as form' : 'Edit as YAML';
  });
  const create = h('button', {class: 'btn primary', type: 'submit', id: 'create-app',
    disabled: !canCreate}, icon('plus'), 'Create');
  const submit = async (event) => {
    event.preventDefault();
    err.hide();
    let app;
    try {
      app = yamlMode ? parseYAML(yaml.value) : form.build();
    } catch (e) {
      err.show(e);
      return;
    }
    create.disabled = true;
    try {
      const made = await api.post('/applications', app);
      const meta = made.metadata || {};
      toast(`Application ${meta.name} created`, 'success');
      navigate(`/applications/${enc(meta.namespace || 'argocd')}/${enc(meta.name)}`);
    } catch (e) {
      err.show(e);
      create.disabled = false;
      window.scrollTo(0, 0);
    }
  };
  replace(outlet, h('form', {class: 'settings-page app-create', 'data-page': 'app-create',
    on: {submit}},
  h('nav', {class: 'crumbs', 'aria-label': 'Breadcrumb'},
    h('a', {href: '/applications'}, 'Applications'), ' / '),
  h('div', {class: 'toolbar'}, h('h1', {}, 'New application'), h('span', {class: 'spacer'}),
    toggle, h('a', {class: 'btn', href: '/applications'}, 'Cancel'), create),
  canCreate ? null : h('p', {class: 'warn-banner'}, 'You may not create applications.'),
  err.el, form.el, yamlBox));
  form.focus();
}

route('/applications/new', async (_p, query, outlet) => {
  replace(outlet, h('p', {class: 'muted'}, 'Loading…'));
  try {
    await renderCreate(outlet, query);
  } catch (e) {
    replace(outlet, h('p', {class: 'error-banner', role: 'alert'}, e.message || String(e)));
  }
});
