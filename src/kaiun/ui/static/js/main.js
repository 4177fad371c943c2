// Entry point: the top bar, the side navigation and the router over every page module.
import './pages/index.js';
import {api} from './api.js';
import {h, icon, replace, toast} from './dom.js';
import {navigate, onNavigate, route, start} from './router.js';

const NAV = [
  {path: '/applications', label: 'Applications', icon: 'list'},
  {path: '/settings', label: 'Settings', icon: 'settings'},
  {path: '/user-info', label: 'User info', icon: 'user'},
];

route('/', () => navigate('/applications', {replace: true}));

async function logout() {
  try {
    await api.del('/session');
  } catch (err) {
    // The cookie is cleared by the server; a failure here still ends on the login page.
    console.warn(err);
  }
  api.forgetPermissions();
  window.location.assign('/login');
}

function topBar(user) {
  const name = user && user.loggedIn ? user.username : null;
  const menu = name
    ? h('div', {class: 'user-menu'},
      h('a', {href: '/user-info', class: 'user-name', title: 'User info'}, icon('user'),
        h('span', {}, name)),
      h('button', {class: 'btn', type: 'button', id: 'logout', on: {click: logout}},
        icon('logout'), h('span', {class: 'label'}, 'Log out')))
    : null;
  return [
    h('a', {class: 'brand', href: '/applications'},
      h('img', {src: '/assets/img/logo.svg', alt: '', width: '24', height: '24'}), 'kaiun'),
    h('span', {class: 'spacer'}),
    menu,
  ];
}

function sideNav() {
  return h('nav', {class: 'side-nav', 'aria-label': 'Main'}, NAV.map((item) =>
    h('a', {href: item.path, 'data-nav': item.path}, icon(item.icon),
      h('span', {class: 'label'}, item.label))));
}

function highlight(nav, path) {
  for (const a of nav.querySelectorAll('a[data-nav]')) {
    const on = path === a.dataset.nav || path.startsWith(`${a.dataset.nav}/`);
    a.classList.toggle('active', on);
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function boot() {
  const outlet = document.getElementById('app');
  const header = document.querySelector('header.top-bar');
  const layout = document.querySelector('.layout');
  let user = null;
  try {
    user = await api.userInfo();
  } catch (err) {
    toast(err.message, 'error');
  }
  replace(header, topBar(user));
  const old = layout.querySelector('nav.side-nav');
  if (old) old.remove();
  const nav = sideNav();
  layout.insertBefore(nav, outlet);
  onNavigate((path) => {
    document.body.classList.toggle('bare', path === '/login');
    highlight(nav, path);
  });
  const path = window.location.pathname;
  if ((!user || !user.loggedIn) && path !== '/login') {
    const here = path + window.location.search;
    window.history.replaceState({}, '', `/login?return_url=${encodeURIComponent(here)}`);
  }
  await start(outlet);
}

boot();
