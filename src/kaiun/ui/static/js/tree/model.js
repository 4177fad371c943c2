// The application's resources as one graph: the Application at the root, the resources
// it manages (app.status.resources: sync status and health) and their live children from
// the resource tree (parentRefs). Pure; no DOM.

export const APP_KEY = 'app';

/** Stable key of a resource reference. */
export function resKey(r) {
  return `${r.group || ''}/${r.kind}/${r.namespace || ''}/${r.name}`;
}

/** `{group, version, kind, namespace, name, uid}` of a node (what the panel needs). */
export function refOf(n) {
  return {
    group: n.group || '', version: n.version || '', kind: n.kind,
    namespace: n.namespace || '', name: n.name, uid: n.uid || '',
  };
}

const HEALTH_RANK = { Degraded: 6, Missing: 5, Progressing: 4, Suspended: 3, Unknown: 2, Healthy: 1 };

/** The worse of two health statuses (for a group node). */
export function worseHealth(a, b) {
  return (HEALTH_RANK[a] || 0) >= (HEALTH_RANK[b] || 0) ? a : b;
}

/**
 * Build the graph: `{nodes: Map<key, node>, children: Map<key, key[]>}`. A node is
 * `{key, group, version, kind, namespace, name, uid, health, sync, info, images,
 * createdAt, networkingInfo, parents: key[], managed}`.
 */
export function buildGraph(app, tree) {
  const nodes = new Map();
  const status = app.status || {};
  nodes.set(APP_KEY, {
    key: APP_KEY, group: 'argoproj.io', version: 'v1alpha1', kind: 'Application',
    namespace: app.metadata.namespace || '', name: app.metadata.name,
    health: (status.health || {}).status || 'Unknown',
    healthMessage: (status.health || {}).message || '',
    sync: (status.sync || {}).status || 'Unknown', parents: [], info: [], images: [],
    createdAt: app.metadata.creationTimestamp, managed: false, root: true,
  });
  for (const r of status.resources || []) {
    const key = resKey(r);
    nodes.set(key, {
      key, group: r.group || '', version: r.version || '', kind: r.kind,
      namespace: r.namespace || '', name: r.name, uid: '',
      health: r.health ? r.health.status : '', healthMessage: r.health ? r.health.message || '' : '',
      sync: r.status || '', hook: !!r.hook, requiresPruning: !!r.requiresPruning,
      parents: [APP_KEY], info: [], images: [], managed: true,
    });
  }
  const byUid = new Map();
  const treeNodes = (tree && tree.nodes) || [];
  for (const t of treeNodes) {
    const key = resKey(t);
    const existing = nodes.get(key);
    const merged = Object.assign(existing || { key, managed: false, sync: '', parents: [] }, {
      group: t.group || '', version: t.version || '', kind: t.kind, namespace: t.namespace || '',
      name: t.name, uid: t.uid || '', info: t.info || [], images: t.images || [],
      createdAt: t.createdAt, networkingInfo: t.networkingInfo || null,
      resourceVersion: t.resourceVersion,
    });
    if (t.health) {
      merged.health = t.health.status;
      merged.healthMessage = t.health.message || '';
    } else if (!existing) {
      merged.health = '';
    }
    merged.parentRefs = t.parentRefs || [];
    nodes.set(key, merged);
    if (t.uid) byUid.set(t.uid, key);
  }
  for (const n of nodes.values()) {
    if (n.root || !n.parentRefs || !n.parentRefs.length) continue;
    const parents = n.parentRefs
      .map((p) => byUid.get(p.uid) || (nodes.has(resKey(p)) ? resKey(p) : null))
      .filter((k) => k && k !== n.key);
    if (parents.length) n.parents = n.managed ? [APP_KEY, ...parents] : parents;
  }
  for (const n of nodes.values()) {
    if (!n.root && !n.parents.length) n.parents = [APP_KEY];
  }
  const children = new Map();
  for (const n of nodes.values()) {
    // The tree is drawn from each node's first parent; managed resources hang off the app.
    const p = n.parents[0];
    if (p === undefined) continue;
    if (!children.has(p)) children.set(p, []);
    children.get(p).push(n.key);
  }
  const order = (a, b) => {
    const x = nodes.get(a);
    const y = nodes.get(b);
    return kindRank(x.kind) - kindRank(y.kind) || x.kind.localeCompare(y.kind) || x.name.localeCompare(y.name);
  };
  for (const list of children.values()) list.sort(order);
  return { nodes, children };
}

// Kinds shown first under the app, roughly in the order one reads an app.
const KIND_ORDER = ['Namespace', 'ServiceAccount', 'ConfigMap', 'Secret', 'Ingress', 'Service', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod'];
function kindRank(kind) {
  const i = KIND_ORDER.indexOf(kind);
  return i < 0 ? KIND_ORDER.length : i;
}

/**
 * The visible tree after grouping: children of one kind beyond `limit` under a parent
 * collapse into a group node `{key: 'group:<parent>:<kind>', group: true, members, count}`
 * unless its key is in `expanded`. Returns `{nodes, children}` like buildGraph.
 */
export function groupChildren(graph, { limit = 4, expanded = new Set() } = {}) {
  const nodes = new Map(graph.nodes);
  const children = new Map();
  for (const [parent, kids] of graph.children) {
    const byKind = new Map();
    for (const k of kids) {
      const kind = nodes.get(k).kind;
      if (!byKind.has(kind)) byKind.set(kind, []);
      byKind.get(kind).push(k);
    }
    const out = [];
    for (const [kind, members] of byKind) {
      const gkey = `group:${parent}:${kind}`;
      if (members.length <= limit || parent === APP_KEY) { out.push(...members); continue; }
      if (expanded.has(gkey)) { out.push(...members); continue; }
      let health = '';
      const counts = {};
      for (const m of members) {
        const h = nodes.get(m).health || 'Unknown';
        health = health ? worseHealth(health, h) : h;
        counts[h] = (counts[h] || 0) + 1;
      }
      nodes.set(gkey, {
        key: gkey, isGroup: true, kind, name: `${members.length} ${plural(kind)}`,
        count: members.length, members, health, healthCounts: counts, sync: '',
        parents: [parent], info: [], images: [],
      });
      out.push(gkey);
    }
    children.set(parent, out);
  }
  return { nodes, children };
}

function plural(kind) {
  if (/(s|x|ch|sh)$/.test(kind)) return `${kind}es`;
  if (/[^aeiou]y$/.test(kind)) return `${kind.slice(0, -1)}ies`;
  return `${kind}s`;
}

/** Nodes of the graph in a list (no app root, no groups), sorted by kind then name. */
export function flatResources(graph) {
  return [...graph.nodes.values()]
    .filter((n) => !n.root && !n.isGroup)
    .sort((a, b) => kindRank(a.kind) - kindRank(b.kind) || a.kind.localeCompare(b.kind)
      || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

/** Short kind badge text: capitals of the kind (Deployment → deploy-like "DEP"). */
export function kindAbbrev(kind) {
  const known = {
    Deployment: 'deploy', ReplicaSet: 'rs', Pod: 'pod', Service: 'svc', Ingress: 'ing',
    ConfigMap: 'cm', Secret: 'secret', StatefulSet: 'sts', DaemonSet: 'ds', Job: 'job',
    CronJob: 'cj', Namespace: 'ns', ServiceAccount: 'sa', Application: 'app',
    Endpoints: 'ep', EndpointSlice: 'eps', PersistentVolumeClaim: 'pvc', Role: 'role',
    RoleBinding: 'rb', ClusterRole: 'crole', ClusterRoleBinding: 'crb', NetworkPolicy: 'netpol',
    HorizontalPodAutoscaler: 'hpa', CustomResourceDefinition: 'crd',
  };
  return known[kind] || kind.replace(/[a-z]/g, '').toLowerCase() || kind.slice(0, 4).toLowerCase();
}
