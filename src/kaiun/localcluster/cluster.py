"""The API's semantics over the store: reads, writes, deletion, ownership indexes.

``Cluster`` is what the HTTP routes call and what in-process controllers (garbage
collector, namespace controller, simulated workloads) call; both go through the same
admission path, so a controller's write looks to a watcher exactly like kubectl's.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from kaiun.localcluster import admission, defaults, fielderrors, reviews
from kaiun.localcluster.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Gone,
    MethodNotAllowed,
    already_exists,
    not_found,
    stale,
)
from kaiun.localcluster.resources import Registry, ResourceType
from kaiun.localcluster.selectors import SelectorError, field_matcher, label_matcher
from kaiun.localcluster.store import Entry, Store

NS_SKEY = "/namespaces"
CRD_SKEY = "apiextensions.k8s.io/customresourcedefinitions"
REVIEW_GROUPS = ("authorization.k8s.io", "authentication.k8s.io")
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def utc_now() -> str:
    """RFC 3339 timestamp at second precision, as Kubernetes writes them."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class WriteOptions:
    """Per-request knobs common to every write."""

    dry_run: bool = False
    field_manager: str = ""
    force: bool = False
    # "Strict" rejects fields a schema would drop; anything else drops them silently.
    field_validation: str = ""


@dataclass(frozen=True, slots=True)
class ListResult:
    items: list[bytes]
    rv: int
    continue_token: str
    remaining: int


class Cluster:
    """The whole API state: registry of types, the store, and derived indexes."""

    def __init__(self, store: Store, *, now: Callable[[], str] = utc_now) -> None:
        self.store = store
        self.registry = Registry()
        self.now = now
        # uid -> (storage key, namespace, name); owner uid -> dependents' uids.
        self.uids: dict[str, tuple[str, str, str]] = {}
        self.dependents: dict[str, set[str]] = {}
        self._owners_of: dict[str, tuple[str, ...]] = {}
        self.cluster_ips: set[str] = set()
        # node port -> uid of the Service holding it (node ports and healthCheckNodePorts).
        self.node_ports: dict[int, str] = {}
        self._ports_of: dict[str, frozenset[int]] = {}
        self.ca_pem = ""
        for skey in list(store.keys()):
            for (ns, name), entry in store.items(skey):
                obj = entry.load()
                self._index(skey, ns, name, obj)
                if skey == CRD_SKEY:
                    self.registry.register_crd(obj)
        for ns in SYSTEM_NAMESPACES:
            if store.get(NS_SKEY, "", ns) is None:
                self.create(
                    self.type_for("v1", "namespaces"),
                    "",
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
                    WriteOptions(field_manager="kaiun-localcluster"),
                )

    # lookup ------------------------------------------------------------------------------

    def type_for(self, api_version: str, plural: str) -> ResourceType:
        group, _, version = api_version.rpartition("/")
        rt = self.registry.get(group, version, plural)
        if rt is None:
            raise not_found("resource", plural)
        return rt

    def _index(self, skey: str, ns: str, name: str, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata", {})
        uid = meta.get("uid")
        if not uid:
            return
        self.uids[uid] = (skey, ns, name)
        owners = tuple(ref.get("uid", "") for ref in meta.get("ownerReferences") or ())
        old = self._owners_of.get(uid, ())
        for o in old:
            if o not in owners:
                self.dependents.get(o, set()).discard(uid)
        for o in owners:
            self.dependents.setdefault(o, set()).add(uid)
        self._owners_of[uid] = owners
        if skey == "/services":
            ip = (obj.get("spec") or {}).get("clusterIP")
            if ip and ip != "None":
                self.cluster_ips.add(ip)
            self._hold_node_ports(uid, defaults.service_node_ports(obj))

    def _hold_node_ports(self, uid: str, ports: frozenset[int]) -> None:
        for port in self._ports_of.pop(uid, frozenset()) - ports:
            if self.node_ports.get(port) == uid:
                del self.node_ports[port]
        for port in ports:
            self.node_ports[port] = uid
        if ports:
            self._ports_of[uid] = ports

    def _unindex(self, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata", {})
        uid = meta.get("uid", "")
        self.uids.pop(uid, None)
        for o in self._owners_of.pop(uid, ()):
            self.dependents.get(o, set()).discard(uid)
        ip = (obj.get("spec") or {}).get("clusterIP")
        if ip:
            self.cluster_ips.discard(ip)
        self._hold_node_ports(uid, frozenset())

    def by_uid(self, uid: str) -> dict[str, Any] | None:
        loc = self.uids.get(uid)
        if loc is None:
            return None
        entry = self.store.get(*loc)
        return entry.load() if entry else None

    # reads -------------------------------------------------------------------------------

    def _entry(self, rt: ResourceType, ns: str, name: str) -> Entry:
        if "get" not in rt.verbs:
            _require_verb(rt, "get")
        entry = self.store.get(rt.storage_key, ns if rt.namespaced else "", name)
        if entry is None:
            raise not_found(rt.qualified, name, rt.group, rt.plural)
        return entry

    def get(self, rt: ResourceType, ns: str, name: str) -> dict[str, Any]:
        """The object, as the requested version presents it."""
        return self.present(rt, self._entry(rt, ns, name).load())

    def get_raw(self, rt: ResourceType, ns: str, name: str) -> bytes:
        """The stored JSON, converted only when the request's version differs."""
        entry = self._entry(rt, ns, name)
        return self.present_raw(rt, entry.raw)

    def present(self, rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        # Custom resources convert between versions with strategy None: only apiVersion.
        if obj.get("apiVersion") != rt.api_version:
            obj["apiVersion"] = rt.api_version
        return obj

    def present_raw(self, rt: ResourceType, raw: bytes) -> bytes:
        if rt.crd_name and f'"apiVersion":"{rt.api_version}"'.encode() not in raw:
            return orjson.dumps(self.present(rt, orjson.loads(raw)))
        return raw

    def list_objects(
        self,
        rt: ResourceType,
        ns: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int = 0,
        continue_token: str = "",
    ) -> ListResult:
        """Objects of a type in ``(namespace, name)`` order, paginated like Kubernetes."""
        _require_verb(rt, "list")
        try:
            lmatch = label_matcher(label_selector)
            fmatch = field_matcher(field_selector)
        except SelectorError as exc:
            raise BadRequest(f"unable to parse requirement: {exc}") from exc
        start = ""
        if continue_token:
            start = _decode_continue(continue_token, self.store.events.floor)
        items: list[bytes] = []
        rows = self.store.items(rt.storage_key, ns if rt.namespaced else None)
        remaining = 0
        last_key = ""
        for (ons, oname), entry in rows:
            key = f"{ons}/{oname}"
            if start and key <= start:
                continue
            if lmatch is not None and not lmatch(entry.labels):
                continue
            if fmatch is not None and not fmatch(entry.load()):
                continue
            if limit and len(items) >= limit:
                remaining += 1
                continue
            items.append(self.present_raw(rt, entry.raw))
            last_key = key
        token = _encode_continue(self.store.rv, last_key) if remaining else ""
        return ListResult(items, self.store.rv, token, remaining)

    # writes ------------------------------------------------------------------------------

    def _check_namespace(self, rt: ResourceType, ns: str, *, creating: bool) -> None:
        if not rt.namespaced:
            return
        if not ns:
            raise BadRequest(
                "an empty namespace may not be set during creation"
                if creating
                else "namespace is required"
            )
        entry = self.store.get(NS_SKEY, "", ns)
        if entry is None:
            raise not_found("namespaces", ns, "", "namespaces")
        if creating and b'"deletionTimestamp"' in entry.raw:
            raise Forbidden(
                f'{rt.plural} "" is forbidden: unable to create new content in namespace '
                f"{ns} because it is being terminated",
                reason="Forbidden",
            )

    def create(
        self, rt: ResourceType, ns: str, obj: dict[str, Any], opts: WriteOptions
    ) -> dict[str, Any]:
        """POST: admit and store a new object (or only admit, for a dry run)."""
        _require_verb(rt, "create")
        if rt.group in REVIEW_GROUPS:
            return reviews.answer(rt, obj)
        admission.check_identity(rt, obj, ns)
        meta = obj["metadata"]
        if not meta.get("name"):
            if meta.get("generateName"):
                meta["name"] = meta["generateName"] + _random_suffix()
            else:
                raise admission.invalid(
                    rt,
                    "",
                    [fielderrors.required("metadata.name", "name or generateName is required")],
                )
        self._check_namespace(rt, meta.get("namespace", ""), creating=True)
        if self.store.get(rt.storage_key, meta.get("namespace", ""), meta["name"]):
            raise already_exists(rt.qualified, meta["name"], rt.group, rt.plural)
        new = admission.admit_create(self, rt, obj, opts)
        if opts.dry_run:
            return new
        self._store(rt, new, created=True)
        return new

    def update(
        self,
        rt: ResourceType,
        ns: str,
        name: str,
        obj: dict[str, Any],
        opts: WriteOptions,
        *,
        subresource: str = "",
    ) -> dict[str, Any]:
        """PUT: replace an object (or its status) honouring resourceVersion preconditions."""
        _require_verb(rt, "update")
        admission.check_identity(rt, obj, ns, url_name=name)
        old = self._entry(rt, ns, name).load()
        want_rv = obj.get("metadata", {}).get("resourceVersion")
        if want_rv and want_rv != old["metadata"]["resourceVersion"]:
            raise stale(rt.qualified, name, rt.group, rt.plural)
        return self._replace(rt, old, obj, opts, subresource=subresource, operation="Update")

    def patch(
        self,
        rt: ResourceType,
        ns: str,
        name: str,
        patch_type: str,
        body: bytes,
        opts: WriteOptions,
        *,
        subresource: str = "",
    ) -> dict[str, Any]:
        """PATCH in any of the four patch types; apply patches create when absent."""
        _require_verb(rt, "patch")
        entry = self.store.get(rt.storage_key, ns if rt.namespaced else "", name)
        if patch_type == "apply":
            return admission.server_side_apply(
                self, rt, ns, name, entry, body, opts, subresource=subresource
            )
        if entry is None:
            raise not_found(rt.qualified, name, rt.group, rt.plural)
        old = entry.load()
        new = admission.apply_patch(rt, old, patch_type, body)
        want_rv = new.get("metadata", {}).get("resourceVersion")
        if want_rv and want_rv != old["metadata"]["resourceVersion"]:
            raise stale(rt.qualified, name, rt.group, rt.plural)
        admission.check_identity(rt, new, ns, url_name=name)
        return self._replace(rt, old, new, opts, subresource=subresource, operation="Update")

    def _replace(
        self,
        rt: ResourceType,
        old: dict[str, Any],
        obj: dict[str, Any],
        opts: WriteOptions,
        *,
        subresource: str,
        operation: str,
        managed: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        new = admission.admit_update(
            self, rt, old, obj, opts, subresource=subresource, managed=managed
        )
        if admission.same(old, new):
            return self.present(rt, old)
        if opts.dry_run:
            return new
        meta = new["metadata"]
        if (
            meta.get("deletionTimestamp")
            and not meta.get("finalizers")
            and not (rt.storage_key == NS_SKEY and (new.get("spec") or {}).get("finalizers"))
        ):
            self.remove(rt.storage_key, new)
            return new
        self._store(rt, new, created=False)
        return new

    def _store(self, rt: ResourceType, obj: dict[str, Any], *, created: bool) -> None:
        self.store.put(rt.storage_key, obj, created=created)
        meta = obj["metadata"]
        self._index(rt.storage_key, meta.get("namespace", ""), meta["name"], obj)
        if rt.storage_key == CRD_SKEY:
            self.registry.register_crd(obj)

    def remove(self, skey: str, obj: dict[str, Any]) -> None:
        """Delete an object from storage now, bypassing finalizers (controllers only)."""
        self.store.delete(skey, obj)
        self._unindex(obj)
        if skey == CRD_SKEY:
            self._drop_crd(obj)

    def _drop_crd(self, crd: dict[str, Any]) -> None:
        removed = self.registry.unregister_crd(crd["metadata"]["name"])
        if removed:
            skey = removed[0].storage_key
            for _key, entry in self.store.items(skey):
                obj = entry.load()
                self.store.delete(skey, obj)
                self._unindex(obj)

    def delete(
        self,
        rt: ResourceType,
        ns: str,
        name: str,
        *,
        propagation: str | None = None,
        preconditions: dict[str, Any] | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """DELETE: remove now, or mark for deletion while finalizers remain."""
        _require_verb(rt, "delete")
        obj = self._entry(rt, ns, name).load()
        meta = obj["metadata"]
        pre = preconditions or {}
        if pre.get("uid") and pre["uid"] != meta.get("uid"):
            raise Conflict(
                f"Precondition failed: UID in precondition: {pre['uid']}, "
                f"UID in object meta: {meta.get('uid')}"
            )
        if pre.get("resourceVersion") and pre["resourceVersion"] != meta["resourceVersion"]:
            raise stale(rt.qualified, name, rt.group, rt.plural)
        policy = propagation or "Background"
        if policy not in ("Background", "Foreground", "Orphan"):
            raise BadRequest(f"unsupported propagationPolicy {policy!r}")
        finalizers = list(meta.get("finalizers") or [])
        if policy == "Foreground" and "foregroundDeletion" not in finalizers:
            finalizers.append("foregroundDeletion")
        if policy == "Orphan" and "orphan" not in finalizers:
            finalizers.append("orphan")
        if rt.storage_key == NS_SKEY:
            spec_fin = (obj.get("spec") or {}).get("finalizers") or []
            if spec_fin or finalizers:
                return self._mark_deleted(rt, obj, finalizers, dry_run, phase="Terminating")
        if finalizers:
            return self._mark_deleted(rt, obj, finalizers, dry_run)
        if not dry_run:
            self.remove(rt.storage_key, obj)
        return self.present(rt, obj)

    def _mark_deleted(
        self,
        rt: ResourceType,
        obj: dict[str, Any],
        finalizers: list[str],
        dry_run: bool,
        phase: str = "",
    ) -> dict[str, Any]:
        meta = obj["metadata"]
        if meta.get("deletionTimestamp") and meta.get("finalizers") == finalizers:
            return self.present(rt, obj)
        meta.setdefault("deletionTimestamp", self.now())
        meta.setdefault("deletionGracePeriodSeconds", 0)
        meta["finalizers"] = finalizers
        if phase:
            obj.setdefault("status", {})["phase"] = phase
        if not dry_run:
            self._store(rt, obj, created=False)
        return self.present(rt, obj)

    def delete_collection(
        self,
        rt: ResourceType,
        ns: str | None,
        *,
        label_selector: str | None,
        field_selector: str | None,
        propagation: str | None,
        dry_run: bool,
    ) -> list[bytes]:
        """DELETE on a collection: delete every matching object."""
        _require_verb(rt, "deletecollection")
        listed = self.list_objects(
            rt, ns, label_selector=label_selector, field_selector=field_selector
        )
        out = []
        for raw in listed.items:
            meta = orjson.loads(raw)["metadata"]
            deleted = self.delete(
                rt,
                meta.get("namespace", ""),
                meta["name"],
                propagation=propagation,
                dry_run=dry_run,
            )
            out.append(orjson.dumps(deleted))
        return out

    def watch_from(self, rv_param: str | None) -> int:
        """The cursor a watch starts after; raises Gone for a compacted version."""
        if not rv_param or rv_param == "0":
            return self.store.rv
        try:
            rv = int(rv_param)
        except ValueError as exc:
            raise BadRequest(f"invalid resource version: {rv_param}") from exc
        if rv < self.store.events.floor:
            raise Gone(f"too old resource version: {rv} ({self.store.events.floor + 1})")
        return rv

    def new_uid(self) -> str:
        return str(uuid.uuid4())


def _require_verb(rt: ResourceType, verb: str) -> None:
    if verb not in rt.verbs:
        raise MethodNotAllowed(
            f"{verb} is not supported on resources of kind {rt.qualified}",
            reason="MethodNotAllowed",
        )


def _random_suffix() -> str:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    return "".join(secrets.choice(alphabet) for _ in range(5))


def _encode_continue(rv: int, key: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"v": "kaiun/1", "rv": rv, "start": key})).decode()


def _decode_continue(token: str, floor: int) -> str:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token.encode()))
        start = data["start"]
        rv = int(data["rv"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BadRequest(
            "continue key is not valid: incorrect encoded start resourceVersion "
            "(version meta.k8s.io/v1)"
        ) from exc
    if rv < floor:
        raise Gone(
            "The provided continue parameter is too old to display a consistent list "
            "result. You can start a new list without the continue parameter."
        )
    return str(start)
