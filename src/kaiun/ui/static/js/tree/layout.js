// Left-to-right tree layout: one column per depth, leaves on successive rows, a parent
// centred on its children. Pure; the graph module draws what this computes.

export const SIZES = {
  full: { w: 236, h: 62, gapX: 48, gapY: 16, pad: 16 },
  compact: { w: 180, h: 34, gapX: 32, gapY: 8, pad: 12 },
};

/**
 * Positions for the tree under `root` given `children: Map<key, key[]>`.
 * Returns `{pos: Map<key, {x, y, depth}>, edges: [{from, to, path}], width, height, size}`
 * with x/y the top-left corner of each node box, in SVG user units.
 */
export function layoutTree(root, children, mode = 'full') {
  const size = SIZES[mode] || SIZES.full;
  const pos = new Map();
  let row = 0;
  let maxDepth = 0;
  const seen = new Set();
  // Iterative post-order walk: deep trees cannot overflow the call stack.
  const stack = [{ key: root, depth: 0, done: false }];
  while (stack.length) {
    const item = stack.pop();
    const kids = (children.get(item.key) || []).filter((k) => !seen.has(k) || item.done);
    if (!item.done) {
      if (seen.has(item.key)) continue;
      seen.add(item.key);
      maxDepth = Math.max(maxDepth, item.depth);
      stack.push({ ...item, done: true });
      for (let i = kids.length - 1; i >= 0; i--) stack.push({ key: kids[i], depth: item.depth + 1, done: false });
      continue;
    }
    const placed = kids.map((k) => pos.get(k)).filter((p) => p && p.depth === item.depth + 1 && p.parent === item.key);
    let y;
    if (placed.length) y = (placed[0].row + placed[placed.length - 1].row) / 2;
    else y = row++;
    pos.set(item.key, { row: y, depth: item.depth, parent: stack.length ? findParent(stack) : null });
  }
  const out = new Map();
  for (const [key, p] of pos) {
    out.set(key, {
      x: size.pad + p.depth * (size.w + size.gapX),
      y: size.pad + p.row * (size.h + size.gapY),
      depth: p.depth,
    });
  }
  const edges = [];
  for (const [parent, kids] of children) {
    const a = out.get(parent);
    if (!a) continue;
    for (const k of kids) {
      const b = out.get(k);
      if (!b || b.depth !== a.depth + 1) continue;
      edges.push({ from: parent, to: k, path: edgePath(a, b, size) });
    }
  }
  return {
    pos: out, edges, size,
    width: size.pad * 2 + (maxDepth + 1) * size.w + maxDepth * size.gapX,
    height: size.pad * 2 + Math.max(1, row) * size.h + Math.max(0, row - 1) * size.gapY,
  };
}

// The parent of the node being finished is the nearest `done` entry below it on the stack:
// the one pushed when the parent was first visited (its other children sit above it).
function findParent(stack) {
  for (let i = stack.length - 1; i >= 0; i--) if (stack[i].done) return stack[i].key;
  return null;
}

/** A smooth horizontal S-curve from the right edge of `a` to the left edge of `b`. */
export function edgePath(a, b, size) {
  const x1 = a.x + size.w;
  const y1 = a.y + size.h / 2;
  const x2 = b.x;
  const y2 = b.y + size.h / 2;
  const mx = (x1 + x2) / 2;
  return `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
}
