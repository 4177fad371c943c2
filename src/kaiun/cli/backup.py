"""What ``kaiun admin export|import`` moves, and how: the objects that make up a control
plane, cleaned of what the API server sets, and compared field by field the way Argo CD's
``argocd admin import`` does (data for ConfigMaps/Secrets, spec for the Argo kinds, plus
labels, annotations and finalizers). No IO here; ``kaiun.cli.admin_backup`` does it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import yaml

from kaiun.repo.credentials import SECRET_TYPE_LABEL

ARGO_API = "argoproj.io/v1alpha1"
ARGOCD_SECRET = "argocd-secret"
# The settings ConfigMaps Argo CD's export carries, in its order.
CONFIGMAPS = (
    "argocd-cm",
    "argocd-rbac-cm",
    "argocd-ssh-known-hosts-cm",
    "argocd-tls-certs-cm",
    "argocd-gpg-keys-cm",
)
# (apiVersion, kind) in export and import order: settings before the objects that use them.
KINDS: tuple[tuple[str, str], ...] = (
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    (ARGO_API, "AppProject"),
    (ARGO_API, "Application"),
    (ARGO_API, "ApplicationSet"),
)
_CONTENT = {
    "ConfigMap": ("data", "binaryData"),
    "Secret": ("data",),
    "AppProject": ("spec",),
    "Application": ("spec",),
    "ApplicationSet": ("spec",),
}

Key = tuple[str, str, str]  # (kind, namespace, name)


class BackupError(ValueError):
    """A backup document that cannot be imported; the message names it, never its content."""


def is_argocd_configmap(obj: Mapping[str, Any]) -> bool:
    """One of the settings ConfigMaps."""
    return str((obj.get("metadata") or {}).get("name")) in CONFIGMAPS


def is_argocd_secret(obj: Mapping[str, Any]) -> bool:
    """``argocd-secret`` or a Secret labelled with a ``secret-type`` (repository, cluster...)."""
    meta = obj.get("metadata") or {}
    return meta.get("name") == ARGOCD_SECRET or SECRET_TYPE_LABEL in (meta.get("labels") or {})


def belongs(obj: Mapping[str, Any]) -> bool:
    """Whether a live object is part of what export and import (and prune) look at."""
    kind = obj.get("kind")
    if kind == "ConfigMap":
        return is_argocd_configmap(obj)
    if kind == "Secret":
        return is_argocd_secret(obj)
    return kind in _CONTENT


def in_scope(namespace: str, control_plane: str, globs: Iterable[str]) -> bool:
    """The control-plane namespace, or one matching an ``--application-namespaces`` glob."""
    return namespace == control_plane or any(fnmatchcase(namespace, g) for g in globs)


def clean(obj: Mapping[str, Any], control_plane: str) -> dict[str, Any]:
    """The object as a backup holds it: name, labels, annotations, finalizers and content;
    the namespace only when it is not the control plane's (so a backup restores elsewhere)."""
    meta = obj.get("metadata") or {}
    kind = str(obj.get("kind", ""))
    out_meta: dict[str, Any] = {"name": meta.get("name")}
    if meta.get("namespace") and meta.get("namespace") != control_plane:
        out_meta["namespace"] = meta["namespace"]
    for field in ("labels", "annotations", "finalizers"):
        if meta.get(field):
            out_meta[field] = copy.deepcopy(meta[field])
    out: dict[str, Any] = {"apiVersion": obj.get("apiVersion"), "kind": kind}
    out["metadata"] = out_meta
    if kind == "Secret" and obj.get("type"):
        out["type"] = obj["type"]
    for field in _CONTENT.get(kind, ()):
        if field in obj:
            out[field] = copy.deepcopy(obj[field])
    return out


NAMESPACED_ANYWHERE = ("Application", "ApplicationSet")


def namespace_of(obj: Mapping[str, Any], control_plane: str) -> str:
    """Where an object goes: apps and appsets may name their namespace; settings, Secrets and
    projects always belong to the control plane."""
    meta = obj.get("metadata") or {}
    if obj.get("kind") in NAMESPACED_ANYWHERE and meta.get("namespace"):
        return str(meta["namespace"])
    return control_plane


def key(obj: Mapping[str, Any], control_plane: str) -> Key:
    """(kind, namespace, name)."""
    meta = obj.get("metadata") or {}
    return str(obj.get("kind")), namespace_of(obj, control_plane), str(meta.get("name"))


def has_label(obj: Mapping[str, Any], selector: str) -> bool:
    """Whether ``obj`` carries the label ``KEY=VALUE`` (or ``KEY``, any value)."""
    name, sep, value = selector.partition("=")
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return name in labels and (not sep or labels[name] == value)


def _comparable(obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    out = {f: meta.get(f) or None for f in ("labels", "annotations", "finalizers")}
    for field in _CONTENT.get(str(obj.get("kind")), ()):
        out[field] = obj.get(field) or None
    return out


def differs(backup: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
    """Whether importing ``backup`` would change ``live``."""
    return _comparable(backup) != _comparable(live)


def updated(
    backup: Mapping[str, Any], live: Mapping[str, Any], *, stop_operation: bool
) -> dict[str, Any]:
    """``live`` with the backup's labels, annotations, finalizers and content (its identity,
    resourceVersion and status kept, so the write is a guarded update)."""
    out = copy.deepcopy(dict(live))
    meta = out.setdefault("metadata", {})
    for field in ("labels", "annotations", "finalizers"):
        value = (backup.get("metadata") or {}).get(field)
        if value:
            meta[field] = copy.deepcopy(value)
        else:
            meta.pop(field, None)
    for field in _CONTENT.get(str(backup.get("kind")), ()):
        if field in backup:
            out[field] = copy.deepcopy(backup[field])
        else:
            out.pop(field, None)
    if stop_operation:
        out.pop("operation", None)
    return out


def created(
    backup: Mapping[str, Any], control_plane: str, *, stop_operation: bool
) -> dict[str, Any]:
    """The object to create from a backup document."""
    out = copy.deepcopy(dict(backup))
    out.setdefault("metadata", {})["namespace"] = namespace_of(backup, control_plane)
    out.pop("status", None)
    if stop_operation:
        out.pop("operation", None)
    return out


@dataclass(frozen=True)
class Change:
    """One line of import's report: what happened to which object."""

    obj: Mapping[str, Any]
    verb: str  # created | updated | unchanged | pruned

    def line(self, dry_run: bool) -> str:
        """Argo CD's ``<group>/<kind> <name> <verb>`` (`` (dry run)`` when nothing is written)."""
        api = str(self.obj.get("apiVersion", ""))
        group = api.rpartition("/")[0]
        meta = self.obj.get("metadata") or {}
        name = str(meta.get("name", ""))
        suffix = " (dry run)" if dry_run else ""
        return f"{group}/{self.obj.get('kind')} {name} {self.verb}{suffix}"


def parse_stream(text: str, control_plane: str) -> list[dict[str, Any]]:
    """The documents of a backup, checked; errors name a document by position, kind and name
    only (a backup holds secrets, so no snippet of it is ever echoed)."""
    try:
        docs = list(yaml.safe_load_all(text))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise BackupError(f"the backup is not valid YAML{where}: {exc.problem}") from None
    except yaml.YAMLError:
        raise BackupError("the backup is not valid YAML") from None
    out: list[dict[str, Any]] = []
    seen: set[Key] = set()
    for index, doc in enumerate(docs, start=1):
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise BackupError(f"document {index} of the backup is not an object")
        kind = doc.get("kind")
        api = doc.get("apiVersion")
        meta = doc.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        if (api, kind) not in KINDS:
            raise BackupError(
                f"document {index} of the backup is {api}/{kind}: only ConfigMaps, Secrets, "
                "AppProjects, Applications and ApplicationSets can be imported"
            )
        if not isinstance(name, str) or not name:
            raise BackupError(f"document {index} of the backup ({kind}) has no metadata.name")
        if not belongs(doc):
            raise BackupError(
                f"document {index} of the backup ({kind} {name}) is not an Argo CD "
                f"{'settings ConfigMap' if kind == 'ConfigMap' else 'Secret'}"
            )
        k = key(doc, control_plane)
        if k in seen:
            raise BackupError(f"document {index} of the backup repeats {kind} {name}")
        seen.add(k)
        out.append(doc)
    return out


def dump(objs: Iterable[Mapping[str, Any]]) -> str:
    """One YAML stream, ``---`` between documents (Argo CD's export format)."""
    return "".join(yaml.safe_dump(dict(o), sort_keys=False) + "---\n" for o in objs)
