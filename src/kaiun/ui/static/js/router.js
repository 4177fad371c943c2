// Client-side routes with history.pushState: same-origin links are intercepted so pages
// change (and live updates continue) without full reloads.

const routes = [];
let outlet = null;
let cleanup = null;
let renderSeq = 0;
const listeners = [];

function compile(pattern) {
  const names = [];
  const source = pattern.split('/').map((part) => {
    if (part === '*') {
      names.push('rest');
      return '(.*)';
    }
    if (part.startsWith(':')) {
      names.push(part.slice(1));
      return '([^/]+)';
    }
    return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }).join('/');
  return {regex: new RegExp(`^${source}/?$`), names};
}

/** Register a page: route('/applications/:ns/:name', (params, query, outlet) => cleanup?). */
export function route(pattern, render) {
  routes.push({pattern, render, ...compile(pattern)});
}

/** Called after every navigation with the new path (the nav bar highlights from it). */
export function onNavigate(fn) {
  listeners.push(fn);
}

function match(path) {
  for (const r of routes) {
    const m = r.regex.exec(path);
    if (m) {
      const params = {};
      r.names.forEach((n, i) => {
        params[n] = decodeURIComponent(m[i + 1]);
      });
      return {route: r, params};
    }
  }
  return null;
}

async function render() {
  const seq = ++renderSeq;
  if (cleanup) {
    try {
      cleanup();
    } catch (err) {
      console.error(err);
    }
    cleanup = null;
  }
  const path = window.location.pathname;
  const query = new URLSearchParams(window.location.search);
  const found = match(path);
  outlet.removeAttribute('data-ssr');
  for (const fn of listeners) fn(path);
  if (!found) {
    outlet.textContent = '';
    const p = document.createElement('p');
    p.className = 'error-banner';
    p.textContent = `Page not found: ${path}`;
    outlet.appendChild(p);
    return;
  }
  const result = await found.route.render(found.params, query, outlet);
  if (typeof result === 'function') {
    if (seq === renderSeq) cleanup = result;
    else result();
  }
}

/** Go to a same-origin path (pushState; replace=true for replaceState). */
export function navigate(path, {replace = false} = {}) {
  if (replace) window.history.replaceState({}, '', path);
  else window.history.pushState({}, '', path);
  window.scrollTo(0, 0);
  return render();
}

/** Update the query string without re-rendering the page (filters, selected view). */
export function setQuery(query) {
  const qs = query.toString();
  const path = window.location.pathname + (qs ? `?${qs}` : '');
  window.history.replaceState({}, '', path);
}

function intercept(event) {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const a = event.target.closest ? event.target.closest('a[href]') : null;
  if (!a || a.target === '_blank' || a.hasAttribute('download') || a.dataset.reload !== undefined) {
    return;
  }
  const u = new URL(a.href, window.location.href);
  if (u.origin !== window.location.origin || u.pathname.startsWith('/api/') ||
      u.pathname.startsWith('/auth/') || u.pathname.startsWith('/assets/')) {
    return;
  }
  if (!match(u.pathname)) return;
  event.preventDefault();
  navigate(u.pathname + u.search);
}

/** Start routing in `el` (the main outlet). */
export function start(el) {
  outlet = el;
  document.addEventListener('click', intercept);
  window.addEventListener('popstate', () => render());
  return render();
}
