"""Server-side apply and managedFields, as the Kubernetes API server keeps them.

``apply`` merges an apply configuration into the live object on behalf of one
field manager: the manager then owns exactly the fields of its configuration,
fields it owned before and dropped are removed unless someone else owns them,
and changing a field another manager owns is a conflict unless ``force``.
``record_update`` gives a plain write (create, update, patch) ownership of the
fields it changed. Both return the new object with ``metadata.managedFields`` in
Kubernetes' FieldsV1 format. The caller resets ``ignored`` parts (e.g. status)
itself; here they are only left untracked. Pure: no IO.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kaiun.localcluster.applymerge import merge_config, prune, strip_nulls
from kaiun.localcluster.fieldpaths import (
    FieldPath,
    ListKeyError,
    compare,
    describe,
    fields_v1,
    from_fields_v1,
    owned_set,
)
from kaiun.localcluster.jsonvalue import deep_copy, json_equal
from kaiun.localcluster.patcherrors import ApplyConflictError, ApplyError
from kaiun.localcluster.schema import KindSchema, SchemaNode, schema_for

__all__ = [
    "ApplyConflictError",
    "ApplyError",
    "ManagedFieldsEntry",
    "apply",
    "decode_managed_fields",
    "encode_managed_fields",
    "record_update",
]

BEFORE_FIRST_APPLY = "before-first-apply"
ANCIENT_CHANGES = "ancient-changes"
MAX_UPDATE_MANAGERS = 10

# Never owned by anyone (Kubernetes strips these from every field set).
_STRIPPED: frozenset[FieldPath] = frozenset(
    [("f:apiVersion",), ("f:kind",), ("f:metadata",)]
    + [
        ("f:metadata", "f:" + name)
        for name in (
            "name",
            "namespace",
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "managedFields",
            "selfLink",
        )
    ]
)


@dataclass(slots=True)
class ManagedFieldsEntry:
    """One ``metadata.managedFields`` entry with its field set decoded."""

    manager: str
    operation: str
    api_version: str
    time: str | None = None
    subresource: str = ""
    fields: set[FieldPath] = field(default_factory=set)

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """Entries with the same identity are one entry (appliers ignore apiVersion)."""
        version = "" if self.operation == "Apply" else self.api_version
        return (self.manager, self.operation, version, self.subresource)

    def describe(self) -> str:
        """The manager as Kubernetes names it in conflict messages."""
        text = f'"{self.manager}"'
        if self.subresource:
            text += f' with subresource "{self.subresource}"'
        if self.operation == "Update":
            text += f" using {self.api_version}"
        return text


def decode_managed_fields(obj: Mapping[str, Any] | None) -> list[ManagedFieldsEntry]:
    """The entries of an object's ``metadata.managedFields``."""
    meta = (obj or {}).get("metadata") or {}
    entries: list[ManagedFieldsEntry] = []
    for raw in meta.get("managedFields") or ():
        if not isinstance(raw, dict) or (not raw.get("manager") and not raw.get("fieldsV1")):
            continue
        entries.append(
            ManagedFieldsEntry(
                manager=str(raw.get("manager", "")),
                operation=str(raw.get("operation", "Update")),
                api_version=str(raw.get("apiVersion", "")),
                time=raw.get("time"),
                subresource=str(raw.get("subresource", "")),
                fields=from_fields_v1(raw.get("fieldsV1")),
            )
        )
    return entries


def encode_managed_fields(entries: Iterable[ManagedFieldsEntry]) -> list[dict[str, Any]]:
    """Entries as ``metadata.managedFields``, in the API server's order."""
    ordered = sorted(
        entries,
        key=lambda e: (e.operation, e.time or "", e.manager, e.api_version, e.subresource),
    )
    out: list[dict[str, Any]] = []
    for entry in ordered:
        raw: dict[str, Any] = {
            "manager": entry.manager,
            "operation": entry.operation,
            "apiVersion": entry.api_version,
        }
        if entry.time is not None:
            raw["time"] = entry.time
        raw["fieldsType"] = "FieldsV1"
        raw["fieldsV1"] = fields_v1(entry.fields)
        if entry.subresource:
            raw["subresource"] = entry.subresource
        out.append(raw)
    return out


def _untracked(ignored: Iterable[tuple[str, ...]]) -> list[FieldPath]:
    return [tuple("f:" + name for name in path) for path in ignored]


def _tracked(paths: set[FieldPath], ignored: list[FieldPath]) -> set[FieldPath]:
    """``paths`` without the never-owned fields and anything under an ignored path."""
    kept = paths - _STRIPPED
    if ignored:
        kept = {p for p in kept if not any(p[: len(i)] == i for i in ignored)}
    return kept


def _view(obj: Mapping[str, Any] | None) -> dict[str, Any]:
    """``obj`` without managedFields, sharing everything else: for reading only."""
    body = dict(obj or {})
    meta = body.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        body["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return body


def _fresh(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``obj`` without managedFields that shares nothing with it."""
    body: dict[str, Any] = deep_copy(_view(obj))
    return body


def _finish(obj: dict[str, Any], entries: list[ManagedFieldsEntry]) -> dict[str, Any]:
    entries = _cap_updates([e for e in entries if e.fields])
    meta = obj.setdefault("metadata", {})
    if entries:
        meta["managedFields"] = encode_managed_fields(entries)
    else:
        meta.pop("managedFields", None)
    return obj


def _cap_updates(entries: list[ManagedFieldsEntry]) -> list[ManagedFieldsEntry]:
    """Fold the oldest Update entries into per-version ``ancient-changes`` entries."""
    updates = [e for e in entries if e.operation == "Update"]
    excess = len(updates) - MAX_UPDATE_MANAGERS
    if excess <= 0:
        return entries
    updates.sort(key=lambda e: (e.time or "", e.manager))
    buckets: dict[str, ManagedFieldsEntry] = {
        e.api_version: e
        for e in entries
        if e.manager == ANCIENT_CHANGES and e.operation == "Update"
    }
    removed: list[int] = []
    for entry in updates:
        if excess <= 0:
            break
        if entry.manager == ANCIENT_CHANGES:
            continue
        bucket = buckets.get(entry.api_version)
        if bucket is None:
            bucket = ManagedFieldsEntry(ANCIENT_CHANGES, "Update", entry.api_version)
            buckets[entry.api_version] = bucket
            entries.append(bucket)
        else:
            excess -= 1
        bucket.fields |= entry.fields
        bucket.time = entry.time
        removed.append(id(entry))
    return [e for e in entries if id(e) not in removed]


def _describe_object(obj: Mapping[str, Any], api_version: str) -> str:
    meta = obj.get("metadata") or {}
    name = (
        f"{meta.get('namespace')}/{meta.get('name')}" if meta.get("namespace") else meta.get("name")
    )
    return f"{name}; {api_version}, Kind={obj.get('kind', '')}"


def _conflict_error(conflicts: list[tuple[ManagedFieldsEntry, FieldPath]]) -> ApplyConflictError:
    pairs = [(entry.describe(), describe(path)) for entry, path in conflicts]
    if len(pairs) == 1:
        who, path = pairs[0]
        message = f"Apply failed with 1 conflict: conflict with {who}: {path}"
    else:
        by_manager: dict[str, list[str]] = {}
        for who, path in pairs:
            by_manager.setdefault(who, []).append(path)
        lines: list[str] = []
        for who in sorted(by_manager):
            lines.append(f"conflicts with {who}:")
            lines.extend(f"- {path}" for path in by_manager[who])
        message = f"Apply failed with {len(pairs)} conflicts: " + "\n".join(lines)
    return ApplyConflictError(message, pairs)


def _initial_entries(
    live: Mapping[str, Any] | None, root: SchemaNode, ignored: list[FieldPath], api_version: str
) -> list[ManagedFieldsEntry]:
    """Existing entries; an object written before any tracking is owned by one updater."""
    entries = decode_managed_fields(live)
    if live is not None and not entries:
        fields = _tracked(owned_set(_view(live), root), ignored)
        version = str(live.get("apiVersion", api_version))
        entries = [ManagedFieldsEntry(BEFORE_FIRST_APPLY, "Update", version, fields=fields)]
    return entries


def _read_config(config: Any, root: SchemaNode) -> tuple[dict[str, Any], set[FieldPath]]:
    """The apply configuration without nulls, and the fields it claims; or ApplyError."""
    if not isinstance(config, Mapping):
        raise ApplyError("apply configuration must be a JSON object")
    if (config.get("metadata") or {}).get("managedFields"):
        raise ApplyError("metadata.managedFields must be nil")
    cfg: dict[str, Any] = strip_nulls(_view(config))
    try:
        return cfg, owned_set(cfg, root, strict=True)
    except ListKeyError as bad:
        where = _describe_object(cfg, str(cfg.get("apiVersion", "")))
        message = f"failed to create typed patch object ({where}): {bad}"
        raise ApplyError(message, code=422) from None


def apply(
    live: Mapping[str, Any] | None,
    config: Mapping[str, Any],
    *,
    manager: str,
    force: bool,
    now: str,
    group: str,
    kind: str,
    subresource: str = "",
    crd_schema: Mapping[str, Any] | None = None,
    ignored: Iterable[tuple[str, ...]] = (),
    schema: KindSchema | None = None,
) -> dict[str, Any]:
    """Server-side apply ``config`` as ``manager``; the new object with managedFields.

    Raises ``ApplyConflictError`` when, without ``force``, a field another manager
    owns would change value.
    """
    if not manager:
        raise ApplyError("PATCH requests with apply content type must have a fieldManager")
    root = (schema if schema is not None else schema_for(group, kind, crd_schema)).root
    untracked = _untracked(ignored)
    cfg, claimed = _read_config(config, root)
    api_version = str(cfg.get("apiVersion", ""))
    entries = _initial_entries(live, root, untracked, api_version)
    before = _view(live)
    merged = merge_config(before, cfg, root)

    me = ManagedFieldsEntry(manager, "Apply", api_version, time=now, subresource=subresource)
    previous = next((e for e in entries if e.identity == me.identity), None)
    others = [e for e in entries if e is not previous]
    me.fields = _tracked(claimed, untracked)
    dropped = previous.fields - me.fields if previous is not None else set()
    if dropped:
        owned = set(me.fields).union(*(e.fields for e in others))
        prune(merged, dropped, owned, root)

    diff = compare(before, merged, root)
    changed = _tracked(diff.changed, untracked)
    removed = _tracked(diff.removed, untracked)
    conflicts = [(e, p) for e in others for p in sorted(e.fields & changed)]
    if conflicts and not force:
        raise _conflict_error(conflicts)
    for entry in others:
        entry.fields -= changed | removed
    # A no-op apply keeps the entry's time, as the API server does.
    if previous is not None and previous.fields == me.fields and not (changed or removed):
        me.time = previous.time
    return _finish(merged, [*others, me])


def _entries_for_update(
    old: Mapping[str, Any] | None, new: Mapping[str, Any]
) -> list[ManagedFieldsEntry]:
    """The entries an update starts from: the old object's, unless the writer set its own."""
    sent = (new.get("metadata") or {}).get("managedFields")
    if sent and not json_equal(sent, (old or {}).get("metadata", {}).get("managedFields")):
        return decode_managed_fields(new)
    return decode_managed_fields(old)


def record_update(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    *,
    manager: str,
    now: str,
    group: str,
    kind: str,
    subresource: str = "",
    crd_schema: Mapping[str, Any] | None = None,
    ignored: Iterable[tuple[str, ...]] = (),
    schema: KindSchema | None = None,
) -> dict[str, Any]:
    """Record a create/update/patch by ``manager``: it takes the fields it changed."""
    kind_schema = schema if schema is not None else schema_for(group, kind, crd_schema)
    root = kind_schema.root
    untracked = _untracked(ignored)
    entries = _entries_for_update(old, new)
    after = _fresh(new)
    diff = compare(_view(old), after, root)
    changed = _tracked(diff.changed, untracked)
    removed = _tracked(diff.removed, untracked)
    api_version = str(new.get("apiVersion", ""))
    me = ManagedFieldsEntry(manager, "Update", api_version, time=now, subresource=subresource)
    previous = next((e for e in entries if e.identity == me.identity), None)
    others = [e for e in entries if e is not previous]
    for entry in others:
        entry.fields -= changed | removed
    if previous is not None:
        me.fields = previous.fields - removed
        if not changed:
            me.time = previous.time
    me.fields |= changed
    return _finish(after, [*others, me])
