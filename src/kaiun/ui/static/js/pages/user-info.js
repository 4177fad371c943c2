// /user-info: who the caller is (username, groups, issuer), log out, and the password form
// for local accounts.
import {api} from '../api.js';
import {h, icon, replace} from '../dom.js';
import {route} from '../router.js';
import {passwordForm} from './settings.js';
import {commaList, errorText, summary} from './settings-kit.js';

async function logout() {
  try {
    await api.del('/session');
  } catch {
    // The session may already be gone; the login page is the end either way.
  }
  api.forgetPermissions();
  window.location.assign('/login');
}

route('/user-info', async (_p, _q, outlet) => {
  replace(outlet, h('p', {class: 'muted'}, 'Loading…'));
  let info;
  try {
    info = await api.userInfo();
  } catch (err) {
    replace(outlet, h('p', {class: 'error-banner', role: 'alert'}, errorText(err)));
    return;
  }
  if (!info.loggedIn) {
    window.location.assign('/login?return_url=%2Fuser-info');
    return;
  }
  // Local accounts are issued by kaiun itself ("argocd"); SSO users have the IdP's issuer.
  const local = !info.iss || info.iss === 'argocd';
  replace(outlet, h('section', {class: 'settings-page', 'data-page': 'user-info'},
    h('div', {class: 'toolbar'}, h('h1', {}, 'User info'), h('span', {class: 'spacer'}),
      h('button', {class: 'btn', type: 'button', id: 'user-logout', on: {click: logout}},
        icon('logout'), 'Log out')),
    h('div', {class: 'card'}, summary([
      ['Username', h('span', {id: 'user-name'}, info.username || '')],
      ['Issuer', info.iss || ''],
      ['Groups', commaList(info.groups) || '—'],
    ])),
    local ? [h('h2', {class: 'section-title'}, 'Update password'), passwordForm()] : null));
});
