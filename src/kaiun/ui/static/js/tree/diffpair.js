// Which two objects a resource's diff compares: the server's normalized and predicted live
// states when it sends them (Argo CD's managed-resources fields), otherwise live projected
// onto the fields the desired object declares, so defaults and status the cluster adds do
// not drown the real differences. Values are already Secret-masked by the API. Pure.
import { parseState, toYaml } from './yaml.js';

const SERVER_META = ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'selfLink'];
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** A copy of a live object without the fields only the API server writes. */
export function stripServerFields(obj) {
  if (!obj || typeof obj !== 'object') return obj;
  const out = { ...obj };
  delete out.status;
  if (out.metadata) {
    const meta = { ...out.metadata };
    for (const f of SERVER_META) delete meta[f];
    if (meta.annotations && LAST_APPLIED in meta.annotations) {
      meta.annotations = { ...meta.annotations };
      delete meta.annotations[LAST_APPLIED];
      if (!Object.keys(meta.annotations).length) delete meta.annotations;
    }
    out.metadata = meta;
  }
  return out;
}

/** `live` restricted to the shape of `target` (keys target declares, list items pairwise). */
export function project(live, target) {
  if (Array.isArray(live) && Array.isArray(target)) {
    if (live.length !== target.length) return live;
    return live.map((item, i) => project(item, target[i]));
  }
  if (live && target && typeof live === 'object' && typeof target === 'object' && !Array.isArray(live) && !Array.isArray(target)) {
    const out = {};
    for (const key of Object.keys(target)) {
      if (key in live) out[key] = project(live[key], target[key]);
    }
    return out;
  }
  return live;
}

/**
 * `{live, desired, liveText, desiredText}` for one item of `managed-resources`;
 * texts are YAML ('' when the object does not exist on that side).
 */
export function diffPair(item) {
  let live;
  let desired;
  if (item.normalizedLiveState !== undefined || item.predictedLiveState !== undefined) {
    live = parseState(item.normalizedLiveState);
    desired = parseState(item.predictedLiveState);
    if (live) live = stripServerFields(live);
    if (desired) desired = stripServerFields(desired);
  } else {
    const rawLive = parseState(item.liveState);
    desired = parseState(item.targetState);
    live = rawLive && desired ? project(stripServerFields(rawLive), desired) : stripServerFields(rawLive);
  }
  return { live, desired, liveText: toYaml(live), desiredText: toYaml(desired) };
}
