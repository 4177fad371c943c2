"""Client-side apply's three-way patch (kubectl's ``last-applied-configuration`` semantics).

Pure: from the last applied configuration, the new configuration and the live object,
compute the patch that sets what the new configuration says, removes what the previous apply
set and the new one dropped, and leaves everything else (defaults, other writers) alone.
Built-in kinds get a strategic merge patch (lists with merge keys are merged by key,
``metadata.finalizers`` is merged as a set, as kubectl does); custom resources a JSON merge
patch (lists are replaced).
"""

from __future__ import annotations

from typing import Any

# API groups compiled into the API server; their types carry strategic-merge metadata.
BUILTIN_GROUPS = frozenset(
    {
        "",
        "apps",
        "batch",
        "autoscaling",
        "policy",
        "networking.k8s.io",
        "rbac.authorization.k8s.io",
        "storage.k8s.io",
        "scheduling.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "node.k8s.io",
        "certificates.k8s.io",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "resource.k8s.io",
    }
)

# Strategic-merge list keys of the built-in types, by field name (parent field when it matters).
_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "conditions": "type",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
}
_CONTAINER_LISTS = frozenset({"containers", "initContainers", "ephemeralContainers"})
# Lists of scalars with patchStrategy=merge in the built-in types: (enclosing field, field).
_SET_LISTS = frozenset({("metadata", "finalizers")})
_MISSING = object()


def is_builtin(api_version: str) -> bool:
    """Whether ``api_version`` belongs to a built-in group (strategic merge applies)."""
    return api_version.rpartition("/")[0] in BUILTIN_GROUPS


def merge_key(field: str, parent: str) -> str | None:
    """The strategic-merge key of list ``field`` whose enclosing list field is ``parent``."""
    if field == "ports":
        return "containerPort" if parent in _CONTAINER_LISTS else "port"
    return _MERGE_KEYS.get(field)


def three_way_patch(
    original: dict[str, Any], modified: dict[str, Any], current: dict[str, Any], *, strategic: bool
) -> dict[str, Any]:
    """The patch taking ``current`` to ``modified`` given the last applied ``original``."""
    return _object(original, modified, current, strategic=strategic, parent="", name="")


def _object(
    orig: dict[str, Any],
    mod: dict[str, Any],
    cur: dict[str, Any],
    *,
    strategic: bool,
    parent: str,
    name: str,
) -> dict[str, Any]:
    # ``parent``: the enclosing list field (for merge keys); ``name``: this object's field.
    patch: dict[str, Any] = {}
    for key in orig:
        if key not in mod and key in cur:
            patch[key] = None
    for key, want in mod.items():
        have = cur.get(key, _MISSING)
        before = orig.get(key, _MISSING)
        if isinstance(want, dict) and isinstance(have, dict):
            sub = _object(
                before if isinstance(before, dict) else {},
                want,
                have,
                strategic=strategic,
                parent=parent,
                name=key,
            )
            if sub:
                patch[key] = sub
            continue
        if strategic and (name, key) in _SET_LISTS and isinstance(want, list):
            patch.update(_set_list(key, before, want, have))
            continue
        mkey = merge_key(key, parent) if strategic else None
        if mkey and isinstance(want, list) and isinstance(have, list) and _keyed(want, mkey):
            items = _keyed_list(
                before if isinstance(before, list) else [], want, have, mkey, field=key
            )
            if items:
                patch[key] = items
                patch[f"$setElementOrder/{key}"] = [{mkey: item[mkey]} for item in want]
            continue
        if want != have:
            patch[key] = want
    return patch


def _keyed(items: list[Any], key: str) -> bool:
    return all(isinstance(i, dict) and key in i for i in items)


def _keyed_list(
    orig: list[Any], mod: list[Any], cur: list[Any], key: str, *, field: str
) -> list[dict[str, Any]]:
    cur_by = {i[key]: i for i in cur if isinstance(i, dict) and key in i}
    orig_by = {i[key]: i for i in orig if isinstance(i, dict) and key in i}
    wanted = {i[key] for i in mod}
    items: list[dict[str, Any]] = [
        {key: k, "$patch": "delete"} for k in orig_by if k not in wanted and k in cur_by
    ]
    for item in mod:
        live = cur_by.get(item[key])
        if live is None:
            items.append(item)
            continue
        sub = _object(orig_by.get(item[key], {}), item, live, strategic=True, parent=field, name="")
        if sub:
            items.append({key: item[key], **sub})
    return items


def _set_list(key: str, before: Any, want: list[Any], have: Any) -> dict[str, Any]:
    """kubectl's three-way patch of a list of scalars with patchStrategy=merge.

    Additions come from current -> modified (in the configuration's order), deletions from
    last-applied -> modified (sorted, whether or not they are still live), and the
    configuration's order is sent whenever anything differs; what other writers added stays.
    """
    patch: dict[str, Any] = {}
    order = f"$setElementOrder/{key}"
    if isinstance(have, list):
        added = _unique_in_order(x for x in want if x not in have)
        if added:
            patch[key] = added
        if want and want != have:
            patch[order] = want
    elif want != have:
        patch[key] = want
    if isinstance(before, list):
        removed = sorted({str(x): x for x in before if x not in want}.items())
        if removed:
            patch[f"$deleteFromPrimitiveList/{key}"] = [x for _, x in removed]
            if want:
                patch[order] = want
    return patch


def _unique_in_order(items: Any) -> list[Any]:
    seen: list[Any] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen
