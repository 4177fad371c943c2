// Pieces shared by the settings pages: page headers, status badges, confirm dialogs, a
// "shown once" token dialog, small forms and list editors. Built with h() only.
import {h, icon, openDialog, replace, toast} from '../dom.js';

/** The message of an error thrown by api.* (the API's message), for banners and toasts. */
export function errorText(err) {
  return err && err.message ? err.message : String(err);
}

/** A page heading with a breadcrumb back to /settings and optional toolbar buttons. */
export function pageHead(title, ...tools) {
  return h('div', {class: 'settings-head'},
    h('nav', {class: 'crumbs', 'aria-label': 'Breadcrumb'},
      h('a', {href: '/settings'}, 'Settings'), h('span', {'aria-hidden': 'true'}, ' / ')),
    h('div', {class: 'toolbar'}, h('h1', {}, title), h('span', {class: 'spacer'}), tools));
}

/** A connection state badge: Successful / Failed / Unknown with the message as title. */
export function stateBadge(state) {
  const status = (state && state.status) || 'Unknown';
  const cls = {Successful: 'state-ok', Failed: 'state-failed'}[status] || 'state-unknown';
  const ic = {Successful: 'check', Failed: 'warning'}[status] || 'unknown';
  return h('span', {class: `badge ${cls}`, title: (state && state.message) || status,
    'data-status': status}, icon(ic), h('span', {}, status));
}

/** An error banner element (hidden until show(message)). */
export function banner() {
  const el = h('p', {class: 'error-banner', role: 'alert', hidden: true});
  return {
    el,
    show(err) {
      el.textContent = errorText(err);
      el.hidden = false;
    },
    hide() {
      el.hidden = true;
    },
  };
}

/** Ask before a destructive action; resolves after `action` succeeded (errors shown inside). */
export function confirmDanger({title, message, label = 'Delete', action}) {
  return new Promise((resolve) => {
    const err = banner();
    openDialog({
      title,
      body: h('div', {}, err.el, h('p', {}, message)),
      onClose: () => resolve(false),
      actions: [
        {label: 'Cancel', onClick: ({close}) => close()},
        {label, kind: 'danger', onClick: async ({close}) => {
          try {
            await action();
            resolve(true);
            close();
          } catch (e) {
            err.show(e);
          }
        }},
      ],
    });
  });
}

/** Show a secret (a new token) once, with a copy button; it is never shown again. */
export function showTokenOnce(title, token) {
  const text = h('textarea', {class: 'token-once mono', rows: '4', readonly: true,
    'aria-label': 'New token', spellcheck: 'false'});
  text.value = token;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token);
      toast('Token copied', 'success');
    } catch {
      text.select();
    }
  };
  openDialog({
    title,
    body: h('div', {},
      h('p', {class: 'warn-banner'}, 'Copy this token now: it is shown only once.'), text),
    actions: [{label: 'Copy', onClick: copy}, {label: 'Done', kind: 'primary',
      onClick: ({close}) => close()}],
  });
  text.select();
}

/** A labelled input: input('Name', {name: 'name', placeholder}). */
export function input(label, attrs = {}, hint = null) {
  const id = `in-${attrs.name || ''}-${Math.random().toString(36).slice(2, 8)}`;
  const tag = attrs.rows ? 'textarea' : 'input';
  const control = h(tag, {id, ...attrs});
  return {control, el: h('div', {class: 'field'}, h('label', {for: id}, label), control,
    hint ? h('small', {class: 'muted'}, hint) : null)};
}

/** A labelled <select> of [value, label] pairs (or plain strings). */
export function select(label, options, attrs = {}) {
  const id = `sel-${attrs.name || ''}-${Math.random().toString(36).slice(2, 8)}`;
  const control = h('select', {id, ...attrs}, options.map((o) => {
    const [value, text] = Array.isArray(o) ? o : [o, o];
    return h('option', {value}, text);
  }));
  if (attrs.value !== undefined) control.value = attrs.value;
  return {control, el: h('div', {class: 'field'}, h('label', {for: id}, label), control)};
}

/** A checkbox with its label: {control, el}. */
export function check(label, attrs = {}) {
  const control = h('input', {type: 'checkbox', ...attrs});
  return {control, el: h('label', {class: 'check'}, control, h('span', {}, label))};
}

/** A table: columns [{label, cell(row) -> node}], rows; an empty message when no rows. */
export function table(columns, rows, {empty = 'Nothing here yet.', rowAttrs = null} = {}) {
  if (!rows.length) return h('p', {class: 'muted empty'}, empty);
  return h('div', {class: 'table-wrap'}, h('table', {class: 'table'},
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', {scope: 'col'}, c.label)))),
    h('tbody', {}, rows.map((r) => h('tr', rowAttrs ? rowAttrs(r) : {},
      columns.map((c) => h('td', {'data-label': c.label}, c.cell(r))))))));
}

/** A small icon button with an accessible label. */
export function iconButton(name, label, onClick, attrs = {}) {
  return h('button', {class: 'btn icon-btn', type: 'button', 'aria-label': label, title: label,
    on: {click: onClick}, ...attrs}, icon(name));
}

/** Render `load()` into `outlet` with a loading note and an error banner on failure. */
export async function loadInto(outlet, load) {
  replace(outlet, h('p', {class: 'muted'}, 'Loading…'));
  try {
    const el = await load();
    replace(outlet, el);
  } catch (err) {
    replace(outlet, h('p', {class: 'error-banner', role: 'alert'}, errorText(err)));
  }
}

/** Key/value rows of a summary (skips empty values). */
export function summary(pairs) {
  return h('dl', {class: 'summary'}, pairs.filter(([, v]) => v !== '' && v !== null &&
    v !== undefined).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

/** A value as a comma list ('' for none). */
export function commaList(values) {
  return (values || []).join(', ');
}

/** Split a comma/newline separated text into trimmed non-empty items. */
export function splitList(text) {
  return String(text || '').split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
}
