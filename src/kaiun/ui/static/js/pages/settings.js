// Settings: the index (/settings), clusters, accounts and their tokens, and the user's own
// password. Repositories and projects live in settings-repos.js / settings-projects.js.
import {api} from '../api.js';
import {formatTime, h, icon, openDialog, replace, toast} from '../dom.js';
import {route} from '../router.js';
import './settings-repos.js';
import './settings-projects.js';
import {
  banner, check, commaList, confirmDanger, iconButton, input, loadInto, pageHead, showTokenOnce,
  splitList, stateBadge, summary, table,
} from './settings-kit.js';
import {urlText} from './settings-repos.js';

const enc = encodeURIComponent;

const SECTIONS = [
  {path: '/settings/repos', title: 'Repositories', icon: 'tree',
    text: 'Connect git repositories, Helm chart repositories and OCI registries.'},
  {path: '/settings/repocreds', title: 'Repository credentials', icon: 'settings',
    text: 'Credential templates shared by every repository under a URL prefix.'},
  {path: '/settings/clusters', title: 'Clusters', icon: 'network',
    text: 'Clusters kaiun deploys to and whether it can reach them.'},
  {path: '/settings/projects', title: 'Projects', icon: 'list',
    text: 'Sources, destinations, resource lists, roles, tokens and sync windows.'},
  {path: '/settings/accounts', title: 'Accounts', icon: 'user',
    text: 'Local accounts and their API tokens.'},
  {path: '/settings/password', title: 'Update password', icon: 'check',
    text: 'Change the password of your local account.'},
];

route('/settings', (_p, _q, outlet) => {
  replace(outlet, h('section', {class: 'settings-page', 'data-page': 'settings'},
    h('h1', {}, 'Settings'),
    h('div', {class: 'grid settings-grid'}, SECTIONS.map((s) =>
      h('a', {class: 'card settings-card', href: s.path},
        h('h2', {}, icon(s.icon), h('span', {}, s.title)),
        h('p', {class: 'muted'}, s.text))))));
});

// -- clusters ---------------------------------------------------------------------------------

function openAddCluster(onDone) {
  const err = banner();
  const name = input('Name', {name: 'name', placeholder: 'staging'});
  const server = input('Server URL', {name: 'server', required: true,
    placeholder: 'https://10.0.0.1:6443', spellcheck: 'false'});
  const token = input('Bearer token', {name: 'bearerToken', type: 'password',
    autocomplete: 'new-password'});
  const ca = input('CA certificate (PEM or base64, optional)', {name: 'caData', rows: '4',
    spellcheck: 'false'});
  const insecure = check('Skip TLS verification (insecure)', {name: 'insecure'});
  const namespaces = input('Namespaces (comma separated; empty: all)', {name: 'namespaces'});
  const project = input('Project (optional)', {name: 'project'});
  const body = () => {
    const tls = {};
    const pem = ca.control.value.trim();
    if (pem) tls.caData = pem.startsWith('-----BEGIN') ? btoa(`${pem}\n`) : pem;
    if (insecure.control.checked) tls.insecure = true;
    const config = {tlsClientConfig: tls};
    if (token.control.value) config.bearerToken = token.control.value;
    const out = {server: server.control.value.trim(), name: name.control.value.trim(), config,
      namespaces: splitList(namespaces.control.value)};
    if (project.control.value.trim()) out.project = project.control.value.trim();
    return out;
  };
  openDialog({title: 'Add cluster', wide: true, body: h('div', {}, err.el, name.el, server.el,
    token.el, ca.el, insecure.el, namespaces.el, project.el), actions: [
    {label: 'Cancel', onClick: ({close}) => close()},
    {id: 'add-cluster', label: 'Add', kind: 'primary', onClick: async ({close}) => {
      err.hide();
      try {
        const made = await api.post('/clusters', body());
        close();
        toast(`Cluster ${made.name} added`, 'success');
        onDone();
      } catch (e) {
        err.show(e);
      }
    }},
  ]});
  name.control.focus();
}

async function renderClusters(outlet) {
  const [list, canCreate, canDelete] = await Promise.all([
    api.get('/clusters'), api.canI('clusters', 'create', '*'), api.canI('clusters', 'delete', '*'),
  ]);
  const again = () => loadInto(outlet, () => renderClusters(outlet));
  const remove = (c) => confirmDanger({
    title: 'Remove cluster',
    message: `Remove ${c.name} (${c.server}) from kaiun? Its workloads are not touched.`,
    label: 'Remove',
    action: () => api.del(`/clusters/${enc(c.server)}`),
  }).then((done) => done && again());
  return h('section', {class: 'settings-page', 'data-page': 'clusters'},
    pageHead('Clusters', canCreate ? h('button', {class: 'btn primary', type: 'button',
      id: 'add-cluster', on: {click: () => openAddCluster(again)}}, icon('plus'), 'Add cluster')
      : null),
    h('p', {class: 'muted'}, 'Clusters are stored as Secrets; their credentials are never ' +
      'shown again.'),
    table([
      {label: 'Name', cell: (c) => c.name},
      {label: 'Server', cell: (c) => urlText(c.server)},
      {label: 'Version', cell: (c) => c.serverVersion || ''},
      {label: 'Namespaces', cell: (c) => commaList(c.namespaces) || 'all'},
      {label: 'Project', cell: (c) => c.project || ''},
      {label: 'Connection', cell: (c) => [stateBadge(c.connectionState),
        c.connectionState && c.connectionState.message
          ? h('div', {class: 'muted small'}, c.connectionState.message) : null]},
      {label: '', cell: (c) => (canDelete && c.server !== 'https://kubernetes.default.svc'
        ? iconButton('trash', `Remove cluster ${c.name}`, () => remove(c)) : null)},
    ], list.items || [], {empty: 'No clusters.', rowAttrs: (c) => ({'data-cluster': c.name})}));
}

route('/settings/clusters', (_p, _q, outlet) => loadInto(outlet, () => renderClusters(outlet)));

// -- accounts -----------------------------------------------------------------------------------

function epoch(seconds) {
  const n = Number(seconds);
  return n ? formatTime(new Date(n * 1000).toISOString()) : '';
}

function newTokenDialog(account, onDone) {
  const err = banner();
  const id = input('Token id (optional)', {name: 'id'});
  const expires = input('Expires in (seconds, 0 = never)', {name: 'expiresIn', type: 'number',
    min: '0', value: '0'});
  openDialog({title: `New token for ${account}`, body: h('div', {}, err.el, id.el, expires.el),
    actions: [
      {label: 'Cancel', onClick: ({close}) => close()},
      {id: 'generate', label: 'Generate', kind: 'primary', onClick: async ({close}) => {
        try {
          const resp = await api.post(`/account/${enc(account)}/token`, {
            id: id.control.value.trim(), expiresIn: Number(expires.control.value || 0),
          });
          close();
          showTokenOnce(`Token for ${account}`, resp.token);
          onDone();
        } catch (e) {
          err.show(e);
        }
      }},
    ]});
}

async function renderAccount(outlet, name) {
  const [account, canUpdate] = await Promise.all([
    api.get(`/account/${enc(name)}`), api.canI('accounts', 'update', name),
  ]);
  const again = () => loadInto(outlet, () => renderAccount(outlet, name));
  const apiKey = (account.capabilities || []).includes('apiKey');
  const remove = (t) => confirmDanger({
    title: 'Delete token', message: `Delete token ${t.id}? Clients using it stop working.`,
    action: () => api.del(`/account/${enc(name)}/token/${enc(t.id)}`),
  }).then((done) => done && again());
  return h('section', {class: 'settings-page', 'data-page': 'account'},
    pageHead(`Account ${name}`),
    summary([
      ['Enabled', account.enabled ? 'yes' : 'no'],
      ['Capabilities', commaList(account.capabilities) || 'none'],
    ]),
    h('div', {class: 'toolbar'}, h('h2', {}, 'Tokens'), h('span', {class: 'spacer'}),
      canUpdate && apiKey ? h('button', {class: 'btn primary', type: 'button', id: 'new-token',
        on: {click: () => newTokenDialog(name, again)}}, icon('plus'), 'Generate token') : null),
    apiKey ? null : h('p', {class: 'muted'}, 'This account has no apiKey capability.'),
    table([
      {label: 'Id', cell: (t) => h('span', {class: 'mono'}, t.id)},
      {label: 'Issued', cell: (t) => epoch(t.issuedAt)},
      {label: 'Expires', cell: (t) => epoch(t.expiresAt) || 'never'},
      {label: '', cell: (t) => (canUpdate
        ? iconButton('trash', `Delete token ${t.id}`, () => remove(t)) : null)},
    ], account.tokens || [], {empty: 'No tokens.'}));
}

async function renderAccounts() {
  const list = await api.get('/account');
  return h('section', {class: 'settings-page', 'data-page': 'accounts'},
    pageHead('Accounts'),
    h('p', {class: 'muted'}, 'Local accounts are declared in argocd-cm (accounts.<name>).'),
    table([
      {label: 'Name', cell: (a) => h('a', {href: `/settings/accounts/${enc(a.name)}`}, a.name)},
      {label: 'Enabled', cell: (a) => (a.enabled ? 'yes' : 'no')},
      {label: 'Capabilities', cell: (a) => commaList(a.capabilities)},
      {label: 'Tokens', cell: (a) => String((a.tokens || []).length)},
    ], list.items || [], {empty: 'No accounts you may see.',
      rowAttrs: (a) => ({'data-account': a.name})}));
}

route('/settings/accounts', (_p, _q, outlet) => loadInto(outlet, renderAccounts));
route('/settings/accounts/:name', (p, _q, outlet) =>
  loadInto(outlet, () => renderAccount(outlet, p.name)));

// -- password -----------------------------------------------------------------------------------

/** The "update password" form for the logged-in local user. */
export function passwordForm() {
  const err = banner();
  const current = input('Current password', {name: 'currentPassword', type: 'password',
    autocomplete: 'current-password', required: true});
  const next = input('New password', {name: 'newPassword', type: 'password',
    autocomplete: 'new-password', required: true});
  const again = input('Confirm new password', {name: 'confirmPassword', type: 'password',
    autocomplete: 'new-password', required: true});
  const submit = h('button', {class: 'btn primary', type: 'submit'}, 'Update password');
  const onSubmit = async (event) => {
    event.preventDefault();
    err.hide();
    if (next.control.value !== again.control.value) {
      err.show('The new passwords do not match.');
      return;
    }
    submit.disabled = true;
    try {
      await api.put('/account/password', {currentPassword: current.control.value,
        newPassword: next.control.value});
      toast('Password updated: log in with the new password.', 'success');
      // Sessions issued before the change are no longer valid.
      try {
        await api.del('/session');
      } catch {
        // Already invalid.
      }
      api.forgetPermissions();
      window.location.assign('/login');
    } catch (e) {
      err.show(e);
      submit.disabled = false;
    }
  };
  return h('form', {class: 'card password-form', on: {submit: onSubmit}},
    err.el, current.el, next.el, again.el, submit);
}

route('/settings/password', (_p, _q, outlet) => {
  replace(outlet, h('section', {class: 'settings-page', 'data-page': 'password'},
    pageHead('Update password'), passwordForm()));
});
