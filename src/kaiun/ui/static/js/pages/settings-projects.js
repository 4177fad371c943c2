// Settings → Projects (/settings/projects, /settings/projects/:name): the list, a new-project
// dialog, and a project's sources, destinations, resource allow/deny lists, roles with their
// tokens and sync windows. Every edit replaces the spec with PUT /projects/{name}.
import {api} from '../api.js';
import {formatTime, h, icon, openDialog, replace, toast} from '../dom.js';
import {navigate, route} from '../router.js';
import {
  banner, check, commaList, confirmDanger, errorText, iconButton, input, loadInto, pageHead, select,
  showTokenOnce, splitList, summary, table,
} from './settings-kit.js';

const enc = encodeURIComponent;

// -- list -----------------------------------------------------------------------------------

function openNewProject(onDone) {
  const err = banner();
  const name = input('Project name', {name: 'name', required: true, placeholder: 'team-a'});
  const desc = input('Description', {name: 'description'});
  openDialog({title: 'New project', body: h('div', {}, err.el, name.el, desc.el), actions: [
    {label: 'Cancel', onClick: ({close}) => close()},
    {id: 'create', label: 'Create', kind: 'primary', onClick: async ({close}) => {
      try {
        const spec = desc.control.value.trim() ? {description: desc.control.value.trim()} : {};
        await api.post('/projects', {project: {metadata: {name: name.control.value.trim()},
          spec}});
        close();
        onDone(name.control.value.trim());
      } catch (e) {
        err.show(e);
      }
    }},
  ]});
  name.control.focus();
}

async function renderProjects() {
  const [list, canCreate] = await Promise.all([
    api.get('/projects'), api.canI('projects', 'create', '*'),
  ]);
  const count = (v) => String((v || []).length);
  return h('section', {class: 'settings-page', 'data-page': 'projects'},
    pageHead('Projects', canCreate ? h('button', {class: 'btn primary', type: 'button',
      id: 'new-project', on: {click: () => openNewProject((n) =>
        navigate(`/settings/projects/${enc(n)}`))}}, icon('plus'), 'New project') : null),
    table([
      {label: 'Name', cell: (p) => h('a', {href: `/settings/projects/${enc(p.metadata.name)}`},
        p.metadata.name)},
      {label: 'Description', cell: (p) => (p.spec || {}).description || ''},
      {label: 'Sources', cell: (p) => count((p.spec || {}).sourceRepos)},
      {label: 'Destinations', cell: (p) => count((p.spec || {}).destinations)},
      {label: 'Roles', cell: (p) => count((p.spec || {}).roles)},
    ], list.items || [], {empty: 'No projects you may see.',
      rowAttrs: (p) => ({'data-project': p.metadata.name})}));
}

route('/settings/projects', (_p, _q, outlet) => loadInto(outlet, renderProjects));

// -- a generic list section -------------------------------------------------------------------

// fields: [{name, label, kind: 'text'|'list'|'check'|'select', options, placeholder}]
function addForm(fields, onAdd) {
  const err = banner();
  const controls = fields.map((f) => {
    if (f.kind === 'check') return {f, ...check(f.label, {name: f.name})};
    if (f.kind === 'select') return {f, ...select(f.label, f.options, {name: f.name})};
    return {f, ...input(f.label, {name: f.name, placeholder: f.placeholder || '',
      spellcheck: 'false'})};
  });
  const submit = async (event) => {
    event.preventDefault();
    err.hide();
    const item = {};
    for (const {f, control} of controls) {
      if (f.kind === 'check') {
        if (control.checked) item[f.name] = true;
      } else if (f.kind === 'list') {
        const values = splitList(control.value);
        if (values.length) item[f.name] = values;
      } else if (control.value.trim() !== '' || f.keepEmpty) {
        item[f.name] = control.value.trim();
      }
    }
    try {
      await onAdd(item);
    } catch (e) {
      err.show(e);
    }
  };
  return h('form', {class: 'add-form', on: {submit}}, err.el,
    h('div', {class: 'add-fields'}, controls.map((c) => c.el)),
    h('button', {class: 'btn', type: 'submit'}, icon('plus'), 'Add'));
}

function cellOf(value) {
  if (Array.isArray(value)) return value.map((v) => h('div', {class: 'mono'}, String(v)));
  if (value === true) return 'yes';
  if (value === undefined || value === null || value === false) return '';
  return h('span', {class: 'mono'}, String(value));
}

function listSection({id, title, help, items, fields, canEdit, save}) {
  const all = items || [];
  const columns = fields.map((f) => ({label: f.label, cell: (row) => cellOf(row.item[f.name])}));
  if (canEdit) {
    const drop = (row) => save(all.filter((_x, i) => i !== row.index))
      .catch((e) => toast(errorText(e), 'error'));
    columns.push({label: '', cell: (row) => iconButton('trash', `Remove from ${title}`,
      () => drop(row))});
  }
  const rows = all.map((item, index) => ({item, index}));
  return h('section', {class: 'card proj-section', 'data-section': id},
    h('h2', {}, title), help ? h('p', {class: 'muted'}, help) : null,
    table(columns, rows, {empty: 'None.'}),
    canEdit ? addForm(fields, (item) => save([...all, item])) : null);
}

const GROUP_KIND = [
  {name: 'group', label: 'Group', placeholder: '* or apps', keepEmpty: true},
  {name: 'kind', label: 'Kind', placeholder: '* or Deployment'},
];

// -- roles and tokens ---------------------------------------------------------------------------

function roleTokens(project, role, canEdit, reload) {
  const tokens = role.jwtTokens || [];
  const create = () => {
    const err = banner();
    const expires = input('Expires in (seconds, 0 = never)', {name: 'expiresIn', type: 'number',
      min: '0', value: '0'});
    const id = input('Token id (optional)', {name: 'id'});
    openDialog({title: `New token for role ${role.name}`,
      body: h('div', {}, err.el, id.el, expires.el),
      actions: [
        {label: 'Cancel', onClick: ({close}) => close()},
        {id: 'generate', label: 'Generate', kind: 'primary', onClick: async ({close}) => {
          try {
            const resp = await api.post(
              `/projects/${enc(project)}/roles/${enc(role.name)}/token`,
              {expiresIn: Number(expires.control.value || 0), id: id.control.value.trim()});
            close();
            showTokenOnce(`Token for ${project}/${role.name}`, resp.token);
            reload();
          } catch (e) {
            err.show(e);
          }
        }},
      ]});
  };
  const remove = (t) => confirmDanger({
    title: 'Delete token', message: `Delete token ${t.id || t.iat} of role ${role.name}?`,
    action: () => api.del(`/projects/${enc(project)}/roles/${enc(role.name)}/token/${t.iat}`,
      t.id ? {id: t.id} : {}),
  }).then((done) => done && reload());
  const when = (s) => (s ? formatTime(new Date(Number(s) * 1000).toISOString()) : '');
  return h('div', {class: 'role-tokens'},
    table([
      {label: 'Token id', cell: (t) => h('span', {class: 'mono'}, t.id || '')},
      {label: 'Issued', cell: (t) => when(t.iat)},
      {label: 'Expires', cell: (t) => when(t.exp) || 'never'},
      {label: '', cell: (t) => (canEdit ? iconButton('trash', `Delete token ${t.id || t.iat}`,
        () => remove(t)) : null)},
    ], tokens, {empty: 'No tokens.'}),
    canEdit ? h('button', {class: 'btn', type: 'button', 'data-role-token': role.name,
      on: {click: create}}, icon('plus'), 'Create token') : null);
}

function rolesSection(name, spec, canEdit, save, reload) {
  const roles = spec.roles || [];
  const policyHint = `p, proj:${name}:ROLE, applications, get, ${name}/*, allow`;
  const add = addForm([
    {name: 'name', label: 'Role name', placeholder: 'ci'},
    {name: 'description', label: 'Description'},
    {name: 'policies', label: 'Policies (one per line or comma)', kind: 'list',
      placeholder: policyHint},
    {name: 'groups', label: 'Groups (comma separated)', kind: 'list'},
  ], (role) => save({...spec, roles: [...roles, role]}));
  const removeRole = (role) => confirmDanger({
    title: 'Delete role', message: `Delete role ${role.name} and all its tokens?`,
    action: () => save({...spec, roles: roles.filter((r) => r.name !== role.name)}),
  });
  return h('section', {class: 'card proj-section', 'data-section': 'roles'},
    h('h2', {}, 'Roles'),
    h('p', {class: 'muted'}, 'Project roles grant policies to groups and to API tokens.'),
    roles.length ? null : h('p', {class: 'muted empty'}, 'No roles.'),
    roles.map((role) => h('div', {class: 'role', 'data-role': role.name},
      h('div', {class: 'toolbar'}, h('h3', {}, role.name), h('span', {class: 'spacer'}),
        canEdit ? iconButton('trash', `Delete role ${role.name}`, () => removeRole(role)) : null),
      summary([['Description', role.description || ''],
        ['Policies', (role.policies || []).length
          ? h('pre', {class: 'mono'}, role.policies.join('\n')) : ''],
        ['Groups', commaList(role.groups)]]),
      roleTokens(name, role, canEdit, reload))),
    canEdit ? h('details', {}, h('summary', {}, 'Add a role'), add) : null);
}

// -- detail ---------------------------------------------------------------------------------------

function windowFields() {
  return [
    {name: 'kind', label: 'Kind', kind: 'select', options: ['allow', 'deny']},
    {name: 'schedule', label: 'Schedule (cron)', placeholder: '0 22 * * *'},
    {name: 'duration', label: 'Duration', placeholder: '1h'},
    {name: 'applications', label: 'Applications', kind: 'list', placeholder: '*'},
    {name: 'namespaces', label: 'Namespaces', kind: 'list'},
    {name: 'clusters', label: 'Clusters', kind: 'list'},
    {name: 'timeZone', label: 'Time zone', placeholder: 'UTC'},
    {name: 'manualSync', label: 'Allow manual sync', kind: 'check'},
  ];
}

async function renderProject(outlet, name) {
  const [project, canEdit, canDelete] = await Promise.all([
    api.get(`/projects/${enc(name)}`),
    api.canI('projects', 'update', name),
    api.canI('projects', 'delete', name),
  ]);
  const reload = () => loadInto(outlet, () => renderProject(outlet, name));
  const spec = project.spec || {};
  const save = async (newSpec) => {
    await api.put(`/projects/${enc(name)}`, {project: {metadata: {name,
      labels: project.metadata.labels, annotations: project.metadata.annotations},
    spec: newSpec}});
    toast(`Project ${name} updated`, 'success');
    reload();
  };
  const field = (key) => (items) => save({...spec, [key]: items});
  const editDescription = () => {
    const err = banner();
    const desc = input('Description', {name: 'description', value: spec.description || ''});
    openDialog({title: `Edit ${name}`, body: h('div', {}, err.el, desc.el), actions: [
      {label: 'Cancel', onClick: ({close}) => close()},
      {label: 'Save', kind: 'primary', onClick: async ({close}) => {
        try {
          await save({...spec, description: desc.control.value.trim()});
          close();
        } catch (e) {
          err.show(e);
        }
      }},
    ]});
  };
  const remove = () => confirmDanger({
    title: 'Delete project', message: `Delete project ${name}? Only a project no application ` +
      'uses can be deleted.',
    action: () => api.del(`/projects/${enc(name)}`),
  }).then((done) => done && navigate('/settings/projects'));
  const sources = (spec.sourceRepos || []).map((repo) => ({repo}));
  const nsSources = (spec.sourceNamespaces || []).map((namespace) => ({namespace}));
  return h('section', {class: 'settings-page project-detail', 'data-page': 'project',
    'data-project': name},
  pageHead(`Project ${name}`,
    canEdit ? h('button', {class: 'btn', type: 'button', on: {click: editDescription}},
      'Edit description') : null,
    canDelete ? h('button', {class: 'btn danger', type: 'button', on: {click: remove}},
      icon('trash'), 'Delete') : null),
  summary([['Description', spec.description || '—']]),
  h('div', {class: 'proj-sections'},
    listSection({id: 'sources', title: 'Source repositories',
      help: 'Repositories (URL globs, * for any) the project\'s applications may use.',
      items: sources, canEdit, fields: [{name: 'repo', label: 'Repository URL',
        placeholder: 'https://github.com/org/*'}],
      save: (rows) => save({...spec, sourceRepos: rows.map((r) => r.repo)})}),
    listSection({id: 'destinations', title: 'Destinations',
      help: 'Clusters (by server URL or name) and namespaces applications may deploy to.',
      items: spec.destinations, canEdit, save: field('destinations'), fields: [
        {name: 'server', label: 'Server', placeholder: 'https://kubernetes.default.svc'},
        {name: 'name', label: 'Cluster name', placeholder: 'in-cluster'},
        {name: 'namespace', label: 'Namespace', placeholder: '*'},
      ]}),
    listSection({id: 'source-namespaces', title: 'Source namespaces',
      help: 'Namespaces other than the control plane\'s where its Applications may live.',
      items: nsSources, canEdit, fields: [{name: 'namespace', label: 'Namespace'}],
      save: (rows) => save({...spec, sourceNamespaces: rows.map((r) => r.namespace)})}),
    listSection({id: 'cluster-allow', title: 'Cluster resource allow list',
      items: spec.clusterResourceWhitelist, canEdit, fields: GROUP_KIND,
      save: field('clusterResourceWhitelist')}),
    listSection({id: 'cluster-deny', title: 'Cluster resource deny list',
      items: spec.clusterResourceBlacklist, canEdit, fields: GROUP_KIND,
      save: field('clusterResourceBlacklist')}),
    listSection({id: 'namespace-allow', title: 'Namespace resource allow list',
      items: spec.namespaceResourceWhitelist, canEdit, fields: GROUP_KIND,
      save: field('namespaceResourceWhitelist')}),
    listSection({id: 'namespace-deny', title: 'Namespace resource deny list',
      items: spec.namespaceResourceBlacklist, canEdit, fields: GROUP_KIND,
      save: field('namespaceResourceBlacklist')}),
    rolesSection(name, spec, canEdit, save, reload),
    listSection({id: 'sync-windows', title: 'Sync windows',
      help: 'When automated (and, unless allowed, manual) syncs may run.',
      items: spec.syncWindows, canEdit, fields: windowFields(),
      save: field('syncWindows')})));
}

route('/settings/projects/:name', (p, _q, outlet) =>
  loadInto(outlet, () => renderProject(outlet, p.name)));

