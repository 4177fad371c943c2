// The whole-application diff view (and the diff controls the resource panel reuses):
// unified or side by side, compact or full, one collapsible section per resource, only
// out-of-sync resources unless asked. Values are Secret-masked by the API.
import { h, replace, icon, syncBadge } from '../dom.js';
import { api } from '../api.js';
import { resKey } from './model.js';
import { diffPair } from './diffpair.js';
import { renderDiff, diffSummary } from './diffview.js';

const PREFS = 'kaiun.diff';

function loadPrefs() {
  try {
    return { mode: 'unified', compact: true, ...JSON.parse(localStorage.getItem(PREFS) || '{}') };
  } catch {
    return { mode: 'unified', compact: true };
  }
}

function savePrefs(p) {
  try { localStorage.setItem(PREFS, JSON.stringify({ mode: p.mode, compact: p.compact })); } catch { /* private mode */ }
}

function toggle(label, pressed, onClick, extra = {}) {
  return h('button', { class: `btn toggle${pressed ? ' active' : ''}`, type: 'button', 'aria-pressed': pressed ? 'true' : 'false', on: { click: onClick }, ...extra }, label);
}

/**
 * Fill `container` with diff controls and one section per entry
 * (`{title, pair: {liveText, desiredText}, sync?}`).
 */
export function diffToolbar(container, entries, { onlyChanged = true, single = false } = {}) {
  const state = { ...loadPrefs(), onlyChanged };
  const draw = () => {
    const shown = entries.filter((e) => !state.onlyChanged || e.sync === 'OutOfSync' || (e.sync === undefined && e.summary.changed));
    const bar = h('div', { class: 'toolbar diff-toolbar', role: 'toolbar', 'aria-label': 'Diff display' },
      h('div', { class: 'btn-group', role: 'group', 'aria-label': 'Layout' },
        toggle('Unified', state.mode === 'unified', () => { state.mode = 'unified'; savePrefs(state); draw(); }, { 'data-mode': 'unified' }),
        toggle('Side by side', state.mode === 'split', () => { state.mode = 'split'; savePrefs(state); draw(); }, { 'data-mode': 'split' })),
      toggle('Compact', state.compact, () => { state.compact = !state.compact; savePrefs(state); draw(); }, { 'data-opt': 'compact', title: 'Hide unchanged lines' }),
      single ? null : toggle('Only out of sync', state.onlyChanged, () => { state.onlyChanged = !state.onlyChanged; draw(); }, { 'data-opt': 'only-changed' }),
      single ? null : h('span', { class: 'muted diff-count' }, `${shown.length} of ${entries.length} resources`));
    const sections = shown.map((e) => {
      const s = e.summary;
      const body = s.changed
        ? renderDiff(e.pair.liveText, e.pair.desiredText, { mode: state.mode, compact: state.compact })
        : h('p', { class: 'muted' }, 'No differences.');
      if (single) return h('div', { class: 'diff-resource' }, body);
      const details = h('details', { class: 'diff-resource', 'data-key': e.key || '' },
        h('summary', {},
          h('span', { class: 'diff-title mono' }, e.title), ' ',
          e.sync ? syncBadge(e.sync) : null, ' ',
          h('span', { class: 'diff-stat add' }, `+${s.added}`), ' ',
          h('span', { class: 'diff-stat del' }, `−${s.removed}`)),
        body);
      details.open = true;
      return details;
    });
    replace(container, bar,
      sections.length ? h('div', { class: 'diff-sections' }, ...sections)
        : h('p', { class: 'muted diff-empty' }, state.onlyChanged ? 'All resources are in sync with Git.' : 'No resources.'));
  };
  for (const e of entries) e.summary = diffSummary(e.pair.liveText, e.pair.desiredText);
  draw();
}

/** Render the app diff view into a new element; keeps itself current via ctx.onAppChange. */
export function renderAppDiff(app, ctx) {
  const out = h('div', { class: 'app-diff', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading diff…'));
  let current = app;
  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    try {
      const res = await api.get(`/applications/${encodeURIComponent(current.metadata.name)}/managed-resources`, current.metadata.namespace ? { appNamespace: current.metadata.namespace } : {});
      if (mine !== seq) return;
      const syncOf = new Map(((current.status || {}).resources || []).map((r) => [resKey(r), r.status]));
      const entries = (res.items || []).filter((i) => !i.hook).map((i) => ({
        key: resKey(i), title: `${i.kind}/${i.namespace ? `${i.namespace}/` : ''}${i.name}`,
        pair: diffPair(i), sync: syncOf.get(resKey(i)),
      }));
      diffToolbar(out, entries, { onlyChanged: true });
      out.dataset.loaded = '1';
    } catch (err) {
      if (mine === seq) replace(out, h('div', { class: 'error-banner', role: 'alert' }, icon('warning'), ` ${err.message}`));
    }
  };
  load();
  // Reload when the app's sync state changes, not on every status heartbeat.
  let lastSig = signature(app);
  const unsubscribe = ctx.onAppChange((next) => {
    // The details page swaps views without telling them: a detached view stops listening.
    if (!out.isConnected) { unsubscribe(); return; }
    current = next;
    const sig = signature(next);
    if (sig !== lastSig) { lastSig = sig; load(); }
  });
  out.cleanup = unsubscribe;
  return out;
}

function signature(app) {
  const st = app.status || {};
  return JSON.stringify([(st.sync || {}).revision, (st.sync || {}).status, (st.resources || []).map((r) => [resKey(r), r.status])]);
}
