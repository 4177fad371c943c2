// /login: local accounts (POST /api/v1/session sets the cookie) and SSO when configured.
import {api, ApiError} from '../api.js';
import {h, replace, safeUrl} from '../dom.js';
import {route} from '../router.js';

/** Where to go after logging in: a same-origin path only (no open redirect). */
export function returnPath(query) {
  const raw = query.get('return_url') || '/applications';
  const url = safeUrl(raw);
  if (!url || !url.startsWith('/') || url.startsWith('/login')) return '/applications';
  return url;
}

function ssoButton(settings, back) {
  const oidc = settings.oidcConfig;
  const dex = settings.dexConfig;
  if (!oidc && !dex) return null;
  const name = (oidc && oidc.name) || 'SSO';
  return [
    h('p', {class: 'login-sep muted'}, 'or'),
    h('a', {class: 'btn', id: 'sso-login', 'data-reload': '',
      href: `/auth/login?return_url=${encodeURIComponent(back)}`}, `Log in via ${name}`),
  ];
}

route('/login', async (_params, query, outlet) => {
  const back = returnPath(query);
  let settings = {};
  try {
    settings = await api.settings();
  } catch {
    settings = {};
  }
  const error = h('p', {class: 'error-banner', role: 'alert', hidden: true});
  const username = h('input', {name: 'username', autocomplete: 'username', required: true});
  const password = h('input', {name: 'password', type: 'password',
    autocomplete: 'current-password', required: true});
  const submit = h('button', {class: 'btn primary', type: 'submit'}, 'Sign in');
  const onSubmit = async (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    try {
      await api.post('/session', {username: username.value, password: password.value});
      window.location.assign(back);
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.message : String(err);
      error.hidden = false;
      submit.disabled = false;
      password.focus();
    }
  };
  const local = settings.userLoginsDisabled ? null : h('form', {class: 'login-form',
    on: {submit: onSubmit}},
  h('div', {class: 'field'}, h('label', {for: 'login-username'}, 'Username'), username),
  h('div', {class: 'field'}, h('label', {for: 'login-password'}, 'Password'), password),
  submit);
  username.id = 'login-username';
  password.id = 'login-password';
  replace(outlet, h('div', {class: 'login-box card'},
    h('h1', {}, 'Log in to kaiun'),
    error,
    local,
    ssoButton(settings, back)));
  if (local) username.focus();
});
