// Renders a line diff of two texts as a table: unified (one column, -/+ markers) or side
// by side (live left, desired right), optionally compact (unchanged runs folded).
import { h } from '../dom.js';
import { lines, diffLines, compactOps, sideBySide, hasChanges, stats } from './linediff.js';

function num(n) {
  return h('td', { class: 'dl-num', 'aria-hidden': 'true' }, n >= 0 ? String(n + 1) : '');
}

function skipRow(o, span) {
  const cell = h('td', { class: 'dl-skip' }, `⋯ ${o.count} unchanged line${o.count === 1 ? '' : 's'}`);
  cell.colSpan = span;
  return h('tr', { class: 'dl skip' }, cell);
}

function unifiedRows(ops) {
  const marker = { eq: ' ', del: '-', add: '+' };
  return ops.map((o) => {
    if (o.op === 'skip') return skipRow(o, 4);
    return h('tr', { class: `dl ${o.op}` },
      num(o.a), num(o.b),
      h('td', { class: 'dl-mark', 'aria-hidden': 'true' }, marker[o.op]),
      h('td', { class: 'dl-text' }, h('span', { class: o.op === 'eq' ? '' : 'sr-only' }, o.op === 'del' ? 'removed: ' : o.op === 'add' ? 'added: ' : ''), o.text));
  });
}

function side(o, which) {
  if (!o) return [h('td', { class: 'dl-num empty' }), h('td', { class: 'dl-text empty' })];
  return [num(which === 'left' ? o.a : o.b), h('td', { class: `dl-text ${o.op}` }, o.text)];
}

function splitRows(ops) {
  return sideBySide(ops).map((r) => {
    if (r.left && r.left.op === 'skip') return skipRow(r.left, 4);
    const kind = r.left && r.right && r.left.op === 'eq' ? 'eq' : 'change';
    return h('tr', { class: `dl ${kind}` }, ...side(r.left, 'left'), ...side(r.right, 'right'));
  });
}

/** `{added, removed, changed}` summary of two texts. */
export function diffSummary(oldText, newText) {
  const ops = diffLines(lines(oldText), lines(newText));
  return { ...stats(ops), changed: hasChanges(ops) };
}

/**
 * Table element showing `oldText` → `newText`. Options: `mode` 'unified'|'split',
 * `compact` (fold unchanged lines, keep `context` around changes), `labels` [old, new].
 */
export function renderDiff(oldText, newText, { mode = 'unified', compact = true, context = 3, labels = ['Live', 'Desired'] } = {}) {
  let ops = diffLines(lines(oldText), lines(newText));
  if (compact) ops = compactOps(ops, context);
  const head = mode === 'split'
    ? h('tr', {}, h('th', { class: 'dl-num' }), h('th', {}, labels[0]), h('th', { class: 'dl-num' }), h('th', {}, labels[1]))
    : h('tr', {}, h('th', { class: 'dl-num', title: labels[0] }, '−'), h('th', { class: 'dl-num', title: labels[1] }, '+'), h('th', { class: 'dl-mark' }), h('th', {}, `${labels[0]} → ${labels[1]}`));
  return h('table', { class: `diff-table diff-${mode}` },
    h('thead', {}, head),
    h('tbody', {}, ...(mode === 'split' ? splitRows(ops) : unifiedRows(ops))));
}
