// Line diff (Myers' O(ND) algorithm) and the views built on it: hunks with context for the
// compact display, and rows pairing old and new lines for the side-by-side display.
// Pure functions: no DOM, so tests can import this module and check outputs.

/** Split text into lines; a trailing newline does not make an extra empty line. */
export function lines(text) {
  if (!text) return [];
  const out = text.split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out;
}

/**
 * Shortest edit script from `a` to `b` (arrays of strings) as a list of operations
 * `{op: 'eq'|'del'|'add', text, a, b}` where `a`/`b` are 0-based line numbers (or -1).
 */
export function diffLines(a, b) {
  // Trim the common prefix and suffix first: manifests differ in few lines, so the
  // O(ND) search then works on a small middle part.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA--; endB--; }
  const ops = [];
  for (let i = 0; i < start; i++) ops.push({ op: 'eq', text: a[i], a: i, b: i });
  for (const m of myers(a.slice(start, endA), b.slice(start, endB))) {
    ops.push({
      op: m.op, text: m.text,
      a: m.a < 0 ? -1 : m.a + start, b: m.b < 0 ? -1 : m.b + start,
    });
  }
  for (let i = 0; i < a.length - endA; i++) {
    ops.push({ op: 'eq', text: a[endA + i], a: endA + i, b: endB + i });
  }
  return ops;
}

function myers(a, b) {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  if (max === 0) return [];
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x;
      if (k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1])) x = v[offset + k + 1];
      else x = v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) { x++; y++; }
      v[offset + k] = x;
      if (x >= n && y >= m) { found = d; break; }
    }
  }
  // Walk the saved frontiers backwards to recover the path.
  const out = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prev = trace[d];
    const k = x - y;
    let prevK;
    if (k === -d || (k !== d && prev[offset + k - 1] < prev[offset + k + 1])) prevK = k + 1;
    else prevK = k - 1;
    const prevX = prev[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) { x--; y--; out.push({ op: 'eq', text: a[x], a: x, b: y }); }
    if (x === prevX) { y--; out.push({ op: 'add', text: b[y], a: -1, b: y }); }
    else { x--; out.push({ op: 'del', text: a[x], a: x, b: -1 }); }
  }
  while (x > 0 && y > 0) { x--; y--; out.push({ op: 'eq', text: a[x], a: x, b: y }); }
  return out.reverse();
}

/** True when the operations contain any change. */
export function hasChanges(ops) {
  return ops.some((o) => o.op !== 'eq');
}

/**
 * Group operations for a compact display: runs of unchanged lines longer than
 * 2*context are cut down to `context` lines around each change, and replaced by a
 * `{op: 'skip', count}` marker.
 */
export function compactOps(ops, context = 3) {
  const keep = new Uint8Array(ops.length);
  ops.forEach((o, i) => {
    if (o.op === 'eq') return;
    for (let j = Math.max(0, i - context); j <= Math.min(ops.length - 1, i + context); j++) keep[j] = 1;
  });
  const out = [];
  let skipped = 0;
  ops.forEach((o, i) => {
    if (keep[i]) {
      if (skipped) out.push({ op: 'skip', count: skipped });
      skipped = 0;
      out.push(o);
    } else {
      skipped++;
    }
  });
  if (skipped) out.push({ op: 'skip', count: skipped });
  return out;
}

/**
 * Rows for a side-by-side display: `{left, right}` where each side is an op or null.
 * Deletions followed by additions are paired line by line (a changed line sits on one row).
 */
export function sideBySide(ops) {
  const rows = [];
  let i = 0;
  while (i < ops.length) {
    const o = ops[i];
    if (o.op === 'eq' || o.op === 'skip') { rows.push({ left: o, right: o }); i++; continue; }
    const dels = [];
    const adds = [];
    while (i < ops.length && ops[i].op === 'del') dels.push(ops[i++]);
    while (i < ops.length && ops[i].op === 'add') adds.push(ops[i++]);
    for (let j = 0; j < Math.max(dels.length, adds.length); j++) {
      rows.push({ left: dels[j] || null, right: adds[j] || null });
    }
  }
  return rows;
}

/** Counts of added and removed lines. */
export function stats(ops) {
  let added = 0;
  let removed = 0;
  for (const o of ops) {
    if (o.op === 'add') added++;
    else if (o.op === 'del') removed++;
  }
  return { added, removed };
}
