// Settings → Repositories and Repository credentials (/settings/repos, /settings/repocreds):
// connection status, add/test forms for git over HTTPS or SSH, Helm and OCI, delete.
// Secret fields are write-only: the API never returns them and the UI never shows them.
import {api} from '../api.js';
import {h, icon, openDialog, replace, safeUrl, toast} from '../dom.js';
import {route} from '../router.js';
import {
  banner, check, confirmDanger, iconButton, input, loadInto, pageHead, select,
  stateBadge, table,
} from './settings-kit.js';

const enc = encodeURIComponent;

/** A repository URL as a link when http(s), else plain monospace text. */
export function urlText(url) {
  const safe = safeUrl(url);
  return safe && !safe.startsWith('/')
    ? h('a', {href: safe, target: '_blank', rel: 'noopener noreferrer', class: 'mono'}, url)
    : h('span', {class: 'mono'}, url);
}

// The credential form shared by repositories and credential templates. `kind` is
// 'repository' or 'repo-creds'; returns {el, values(), method}.
function credentialForm(kind, projects) {
  const method = select('Connection method', [['https', 'Git over HTTPS'], ['ssh', 'Git over SSH'],
    ['helm', 'Helm repository'], ['oci', 'OCI registry']], {name: 'method'});
  const name = input('Name (optional)', {name: 'name', placeholder: 'my-repo'});
  const project = select('Project (optional)', [['', '— none —'], ...projects], {name: 'project'});
  const url = input(kind === 'repository' ? 'Repository URL' : 'URL prefix',
    {name: 'url', required: true, placeholder: 'https://github.com/org/repo.git',
      spellcheck: 'false'},
    kind === 'repository' ? null : 'These credentials apply to every repository under it.');
  const username = input('Username', {name: 'username', autocomplete: 'off'});
  const password = input('Password or token', {name: 'password', type: 'password',
    autocomplete: 'new-password'});
  const bearer = input('Bearer token (Bitbucket Data Center)', {name: 'bearerToken',
    type: 'password', autocomplete: 'new-password'});
  const sshKey = input('SSH private key', {name: 'sshPrivateKey', rows: '6', spellcheck: 'false',
    placeholder: '-----BEGIN OPENSSH PRIVATE KEY-----'});
  const tlsCert = input('TLS client certificate (optional)', {name: 'tlsClientCertData',
    rows: '3', spellcheck: 'false'});
  const tlsKey = input('TLS client key (optional)', {name: 'tlsClientCertKey', rows: '3',
    spellcheck: 'false'});
  const proxy = input('Proxy (optional)', {name: 'proxy', placeholder: 'http://proxy:3128'});
  const noProxy = input('No proxy (optional)', {name: 'noProxy'});
  const insecure = check('Skip server verification (insecure)', {name: 'insecure'});
  const lfs = check('Enable LFS', {name: 'enableLfs'});
  const forceBasic = check('Force HTTP basic auth', {name: 'forceHttpBasicAuth'});
  const ociHttp = check('Insecure OCI: plain HTTP', {name: 'insecureOCIForceHttp'});
  const sshOnly = [sshKey.el];
  const httpOnly = [username.el, password.el, tlsCert.el, tlsKey.el, proxy.el, noProxy.el,
    forceBasic.el];
  const layout = () => {
    const m = method.control.value;
    for (const el of sshOnly) el.hidden = m !== 'ssh';
    for (const el of httpOnly) el.hidden = m === 'ssh';
    bearer.el.hidden = m !== 'https';
    lfs.el.hidden = m !== 'https' && m !== 'ssh';
    ociHttp.el.hidden = m !== 'oci';
    url.control.placeholder = {
      https: 'https://github.com/org/repo.git', ssh: 'git@github.com:org/repo.git',
      helm: 'https://charts.example.com', oci: 'registry.example.com/charts',
    }[m];
  };
  method.control.addEventListener('change', layout);
  layout();
  const values = () => {
    const m = method.control.value;
    const out = {type: m === 'helm' ? 'helm' : m === 'oci' ? 'oci' : 'git'};
    const text = (field) => field.control.value.trim();
    const u = text(url);
    if (kind === 'repository') out.repo = u;
    else out.url = u;
    if (text(name)) out.name = text(name);
    if (project.control.value) out.project = project.control.value;
    if (m === 'ssh') {
      if (sshKey.control.value.trim()) out.sshPrivateKey = sshKey.control.value;
    } else {
      for (const f of [username, tlsCert, proxy, noProxy]) {
        if (text(f)) out[f.control.name] = text(f);
      }
      for (const f of [password, tlsKey]) {
        if (f.control.value) out[f.control.name] = f.control.value;
      }
      if (forceBasic.control.checked) out.forceHttpBasicAuth = true;
    }
    if (m === 'https' && bearer.control.value) out.bearerToken = bearer.control.value;
    if (insecure.control.checked) out.insecure = true;
    if (!lfs.el.hidden && lfs.control.checked) out.enableLfs = true;
    if (m === 'oci') out.enableOCI = true;
    if (m === 'oci' && ociHttp.control.checked) out.insecureOCIForceHttp = true;
    return out;
  };
  const el = h('form', {class: 'repo-form', autocomplete: 'off',
    on: {submit: (e) => e.preventDefault()}},
  method.el, kind === 'repository' ? name.el : null, kind === 'repository' ? project.el : null,
  url.el, username.el, password.el, bearer.el, sshKey.el, tlsCert.el, tlsKey.el, proxy.el,
  noProxy.el, h('div', {class: 'checks'}, insecure.el, lfs.el, forceBasic.el, ociHttp.el));
  return {el, values, focus: () => url.control.focus()};
}

async function projectNames() {
  try {
    const list = await api.get('/projects');
    return (list.items || []).map((p) => p.metadata.name);
  } catch {
    return [];
  }
}

/** The "Connect repository" dialog: Test connection, then Connect; calls onDone(repo). */
export async function openAddRepository(onDone) {
  const form = credentialForm('repository', await projectNames());
  const err = banner();
  const result = h('p', {class: 'test-result', role: 'status'});
  const body = h('div', {}, err.el, form.el, result);
  const test = async () => {
    err.hide();
    const values = form.values();
    replace(result, h('span', {class: 'muted'}, 'Testing…'));
    try {
      await api.post(`/repositories/${enc(values.repo)}/validate`, values);
      replace(result, h('span', {class: 'badge state-ok'}, icon('check'),
        h('span', {}, 'Connection successful')));
    } catch (e) {
      replace(result);
      err.show(e);
    }
  };
  const connect = async ({close}) => {
    err.hide();
    const values = form.values();
    if (!values.repo) {
      err.show('The repository URL is required.');
      return;
    }
    try {
      const repo = await api.post('/repositories', values);
      close();
      toast(`Repository ${repo.repo} connected`, 'success');
      if (onDone) onDone(repo);
    } catch (e) {
      err.show(e);
    }
  };
  openDialog({title: 'Connect repository', body, wide: true, actions: [
    {label: 'Cancel', onClick: ({close}) => close()},
    {id: 'test', label: 'Test connection', onClick: test},
    {id: 'connect', label: 'Connect', kind: 'primary', onClick: connect},
  ]});
  form.focus();
}

async function openAddCreds(onDone) {
  const form = credentialForm('repo-creds', []);
  const err = banner();
  openDialog({title: 'Add credential template', body: h('div', {}, err.el, form.el), wide: true,
    actions: [
      {label: 'Cancel', onClick: ({close}) => close()},
      {id: 'save', label: 'Save', kind: 'primary', onClick: async ({close}) => {
        err.hide();
        try {
          const creds = await api.post('/repocreds', form.values());
          close();
          toast(`Credentials for ${creds.url} saved`, 'success');
          if (onDone) onDone();
        } catch (e) {
          err.show(e);
        }
      }},
    ]});
  form.focus();
}

function typeLabel(r) {
  if (r.type === 'helm') return r.enableOCI ? 'helm (OCI)' : 'helm';
  if (r.type === 'oci') return 'oci';
  return /^(ssh:\/\/|[\w.-]+@)/.test(r.repo || r.url || '') ? 'git (ssh)' : 'git';
}

async function renderRepos(outlet, force = false) {
  const [list, canCreate, canDelete] = await Promise.all([
    api.get('/repositories', force ? {forceRefresh: true} : {}),
    api.canI('repositories', 'create', '*'),
    api.canI('repositories', 'delete', '*'),
  ]);
  const again = () => loadInto(outlet, () => renderRepos(outlet, true));
  const remove = (r) => confirmDanger({
    title: 'Disconnect repository',
    message: `Disconnect ${r.repo}? Applications using it keep their resources but can no ` +
      'longer be compared or synced with its credentials.',
    label: 'Disconnect',
    action: () => api.del(`/repositories/${enc(r.repo)}`),
  }).then((done) => done && again());
  const rows = list.items || [];
  return h('section', {class: 'settings-page', 'data-page': 'repos'},
    pageHead('Repositories',
      canCreate ? h('button', {class: 'btn primary', type: 'button', id: 'add-repo',
        on: {click: () => openAddRepository(again)}}, icon('plus'), 'Connect repository') : null,
      h('button', {class: 'btn', type: 'button', on: {click: again}}, icon('refresh'),
        'Refresh status')),
    h('p', {class: 'muted'}, 'Git repositories, Helm chart repositories and OCI registries ' +
      'kaiun reads from. Credentials are stored as Secrets and never shown again.'),
    table([
      {label: 'Type', cell: (r) => typeLabel(r)},
      {label: 'Name', cell: (r) => r.name || ''},
      {label: 'Repository', cell: (r) => urlText(r.repo)},
      {label: 'Project', cell: (r) => r.project || ''},
      {label: 'Connection', cell: (r) => [stateBadge(r.connectionState),
        r.connectionState && r.connectionState.message
          ? h('div', {class: 'muted small'}, r.connectionState.message) : null]},
      {label: '', cell: (r) => [
        h('a', {class: 'btn', href: `/applications/new?repo=${enc(r.repo)}`,
          title: `New app from ${r.repo}`}, icon('plus'), 'App'),
        canDelete ? iconButton('trash', `Disconnect ${r.repo}`, () => remove(r)) : null]},
    ], rows, {empty: 'No repositories connected yet.',
      rowAttrs: (r) => ({'data-repo': r.repo})}));
}

async function renderCreds(outlet) {
  const [list, canCreate, canDelete] = await Promise.all([
    api.get('/repocreds'),
    api.canI('repositories', 'create', '*'),
    api.canI('repositories', 'delete', '*'),
  ]);
  const again = () => loadInto(outlet, () => renderCreds(outlet));
  const remove = (c) => confirmDanger({
    title: 'Delete credential template',
    message: `Delete the credentials for repositories under ${c.url}?`,
    action: () => api.del(`/repocreds/${enc(c.url)}`),
  }).then((done) => done && again());
  return h('section', {class: 'settings-page', 'data-page': 'repocreds'},
    pageHead('Repository credentials',
      canCreate ? h('button', {class: 'btn primary', type: 'button', id: 'add-creds',
        on: {click: () => openAddCreds(again)}}, icon('plus'), 'Add credentials') : null),
    h('p', {class: 'muted'}, 'Credential templates: every repository whose URL starts with ' +
      'the prefix uses these credentials unless it has its own.'),
    table([
      {label: 'URL prefix', cell: (c) => urlText(c.url)},
      {label: 'Type', cell: (c) => c.type || 'git'},
      {label: 'Username', cell: (c) => c.username || ''},
      {label: '', cell: (c) => (canDelete
        ? iconButton('trash', `Delete credentials for ${c.url}`, () => remove(c)) : null)},
    ], list.items || [], {empty: 'No credential templates.'}));
}

route('/settings/repos', (_p, _q, outlet) => loadInto(outlet, () => renderRepos(outlet)));
route('/settings/repocreds', (_p, _q, outlet) => loadInto(outlet, () => renderCreds(outlet)));

