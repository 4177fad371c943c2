// The REST API under /api/v1 with the session cookie; a 401 sends the user to /login.

const BASE = '/api/v1';

export class ApiError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

function url(path, params) {
  const u = new URL(BASE + path, window.location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((item) => u.searchParams.append(k, item));
    else u.searchParams.set(k, String(v));
  }
  return u.pathname + u.search;
}

export function toLogin() {
  const here = window.location.pathname + window.location.search;
  if (window.location.pathname === '/login') return;
  window.location.assign(`/login?return_url=${encodeURIComponent(here)}`);
}

async function request(method, path, {params, body, redirect401 = true} = {}) {
  const init = {method, credentials: 'same-origin', headers: {Accept: 'application/json'}};
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(url(path, params), init);
  } catch (err) {
    throw new ApiError(0, `cannot reach the API server: ${err.message || err}`);
  }
  const text = await resp.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!resp.ok) {
    const message = (data && (data.message || data.error)) || `${resp.status} ${resp.statusText}`;
    if (resp.status === 401 && redirect401) toLogin();
    throw new ApiError(resp.status, message, data);
  }
  return data === null ? {} : data;
}

const canICache = new Map();

export const api = {
  get: (path, params) => request('GET', path, {params}),
  post: (path, body, params) => request('POST', path, {body: body ?? {}, params}),
  put: (path, body, params) => request('PUT', path, {body: body ?? {}, params}),
  patch: (path, body, params) => request('PATCH', path, {body: body ?? {}, params}),
  del: (path, params) => request('DELETE', path, {params}),
  /** Like get() but a 401 is thrown instead of redirecting (login page, probes). */
  probe: (path, params) => request('GET', path, {params, redirect401: false}),

  /** Whether the caller may act (RBAC); cached per page load, "no" when the check fails. */
  canI(resource, action, subresource = '*') {
    const key = `${resource}/${action}/${subresource}`;
    if (!canICache.has(key)) {
      const path = `/account/can-i/${encodeURIComponent(resource)}/${encodeURIComponent(action)}/` +
        encodeURIComponent(subresource);
      canICache.set(key, request('GET', path, {redirect401: false})
        .then((r) => r.value === 'yes')
        .catch(() => false));
    }
    return canICache.get(key);
  },

  forgetPermissions() {
    canICache.clear();
  },

  userInfo: () => request('GET', '/session/userinfo', {redirect401: false}),
  settings: () => request('GET', '/settings', {redirect401: false}),

  /** Server-Sent Events from /api/v1/stream/<path>; reconnects with backoff. */
  stream(path, params, onEvent, {onError = null} = {}) {
    let source = null;
    let closed = false;
    let delay = 1000;
    let timer = null;
    const open = () => {
      if (closed) return;
      source = new EventSource(url(`/stream${path}`, params), {withCredentials: true});
      source.onopen = () => {
        delay = 1000;
      };
      source.onmessage = (msg) => {
        let data;
        try {
          data = JSON.parse(msg.data);
        } catch {
          return;
        }
        if (data && data.error) {
          if (data.error.code === 16) {
            closed = true;
            source.close();
            toLogin();
            return;
          }
          if (onError) onError(data.error);
          return;
        }
        onEvent(data && data.result !== undefined ? data.result : data);
      };
      source.onerror = () => {
        source.close();
        if (closed) return;
        if (onError) onError({message: 'live updates disconnected; reconnecting'});
        timer = setTimeout(() => {
          // A dead session shows up as a failing stream: check before reconnecting.
          request('GET', '/session/userinfo', {redirect401: false}).then((info) => {
            if (info && info.loggedIn === false) toLogin();
            else open();
          }, open);
        }, delay);
        delay = Math.min(delay * 2, 30000);
      };
    };
    open();
    return {
      close() {
        closed = true;
        if (timer) clearTimeout(timer);
        if (source) source.close();
      },
    };
  },
};

/** The query parameters of an application request (its namespace). */
export function appParams(ns) {
  return ns ? {appNamespace: ns} : {};
}

/** /applications/<name> path for the API. */
export function appPath(name, suffix = '') {
  return `/applications/${encodeURIComponent(name)}${suffix}`;
}
