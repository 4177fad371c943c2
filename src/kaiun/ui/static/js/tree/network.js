// The network view: Ingress → Service → Pod, from each node's networkingInfo (Argo CD's
// targetRefs, targetLabels, labels, externalURLs), drawn with the tree graph renderer.
import { h, safeUrl } from '../dom.js';
import { APP_KEY, resKey } from './model.js';
import { renderGraph } from './graph.js';

function matches(selector, labels) {
  const entries = Object.entries(selector || {});
  return entries.length > 0 && entries.every(([k, v]) => (labels || {})[k] === v);
}

/** `{nodes, children, urls}` of the network graph derived from the resource graph. Pure. */
export function networkGraph(graph) {
  const all = [...graph.nodes.values()].filter((n) => !n.root);
  const ingresses = all.filter((n) => n.kind === 'Ingress');
  const services = all.filter((n) => n.kind === 'Service');
  const pods = all.filter((n) => n.kind === 'Pod');
  const children = new Map([[APP_KEY, []]]);
  const nodes = new Map([[APP_KEY, graph.nodes.get(APP_KEY)]]);
  const urls = [];
  const behindIngress = new Set();
  const svcKids = (svc) => pods.filter((p) => p.namespace === svc.namespace
    && matches((svc.networkingInfo || {}).targetLabels, (p.networkingInfo || {}).labels)).map((p) => p.key);
  for (const ing of ingresses) {
    nodes.set(ing.key, ing);
    children.get(APP_KEY).push(ing.key);
    const info = ing.networkingInfo || {};
    urls.push(...(info.externalURLs || []));
    const kids = [];
    for (const ref of info.targetRefs || []) {
      const key = resKey({ group: ref.group || '', kind: ref.kind || 'Service', namespace: ref.namespace || ing.namespace, name: ref.name });
      if (graph.nodes.has(key)) { kids.push(key); behindIngress.add(key); }
    }
    children.set(ing.key, kids);
  }
  for (const svc of services) {
    nodes.set(svc.key, svc);
    if (!behindIngress.has(svc.key)) children.get(APP_KEY).push(svc.key);
    const kids = svcKids(svc);
    children.set(svc.key, kids);
    for (const k of kids) nodes.set(k, graph.nodes.get(k));
  }
  return { nodes, children, urls: [...new Set(urls)] };
}

/** Element for the network view. */
export function renderNetwork(graph, open, opts) {
  const net = networkGraph(graph);
  if (net.children.get(APP_KEY).length === 0) {
    return h('p', { class: 'muted net-empty' }, 'This application has no Ingresses or Services.');
  }
  const links = net.urls.map((u) => {
    const url = safeUrl(u);
    return h('li', {}, url && /^https?:/i.test(url) ? h('a', { href: url, rel: 'noopener noreferrer', target: '_blank', class: 'ext-link' }, u) : u);
  });
  return h('div', { class: 'net-view' },
    links.length ? h('div', { class: 'net-urls' }, h('span', { class: 'muted' }, 'External URLs: '), h('ul', { class: 'inline-list' }, ...links)) : null,
    renderGraph(net, { ...opts, onOpen: open, onToggleGroup: () => {} }));
}
