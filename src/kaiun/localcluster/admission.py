"""The write path every create, update, patch and apply goes through.

Identity checks, system metadata, status handling, defaulting, validation, managed fields
and generation all happen here, in that order, so a write from kubectl and a write from an
in-process controller are admitted identically.
"""

from __future__ import annotations

import base64
import copy
import ipaddress
from typing import TYPE_CHECKING, Any

import orjson
import yaml

from kaiun.localcluster import crdschema, defaults, fielderrors, fieldmanager, patch, validation
from kaiun.localcluster.errors import (
    BadRequest,
    Conflict,
    Invalid,
    not_found,
)
from kaiun.localcluster.patcherrors import ApplyConflictError
from kaiun.localcluster.resources import ResourceType
from kaiun.localcluster.store import Entry

if TYPE_CHECKING:
    from kaiun.localcluster.cluster import Cluster, WriteOptions

# Metadata only the server sets; clients' values are ignored (or kept from the old object).
SYSTEM_META = (
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
    "resourceVersion",
    "selfLink",
)
SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")


def invalid(rt: ResourceType, name: str, causes: list[fielderrors.Cause]) -> Invalid:
    """A 422 naming every cause the way Kubernetes words it."""
    return Invalid(
        validation.status_message(rt.kind, rt.group, name, causes),
        details={"name": name, "group": rt.group, "kind": rt.kind, "causes": causes},
    )


def check_identity(rt: ResourceType, obj: Any, ns: str, *, url_name: str = "") -> None:
    """The body is an object of this endpoint's kind, name and namespace."""
    if not isinstance(obj, dict):
        raise BadRequest("the body of the request was not a JSON object")
    kind = obj.get("kind")
    if not kind:
        raise BadRequest("Object 'Kind' is missing in '" + orjson.dumps(obj).decode()[:200] + "'")
    if obj.get("apiVersion") != rt.api_version or kind != rt.kind:
        raise BadRequest(
            f"the API version in the data ({obj.get('apiVersion')}) does not match the "
            f"expected API version ({rt.api_version})"
            if kind == rt.kind
            else f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})"
        )
    meta = obj.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise BadRequest("metadata must be an object")
    if url_name and meta.get("name", url_name) != url_name:
        raise BadRequest(
            f"the name of the object ({meta.get('name')}) does not match the "
            f"name on the URL ({url_name})"
        )
    if url_name:
        meta["name"] = url_name
    if rt.namespaced:
        body_ns = meta.get("namespace")
        if body_ns and ns and body_ns != ns:
            raise BadRequest(
                "the namespace of the provided object does not match the "
                "namespace sent on the request"
            )
        meta["namespace"] = body_ns or ns
    else:
        meta.pop("namespace", None)


def _tracks_generation(rt: ResourceType) -> bool:
    return bool(rt.crd_name) or rt.status or rt.kind in ("CustomResourceDefinition",)


def _spec_of(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


def _finish(
    cluster: Cluster,
    rt: ResourceType,
    obj: dict[str, Any],
    old: dict[str, Any] | None,
    opts: WriteOptions,
) -> None:
    """Defaulting, allocation and validation shared by create and update."""
    if rt.crd_name:
        causes = validation.validate_metadata(obj, namespaced=rt.namespaced)
        if rt.schema:
            pruned = crdschema.prune(obj, rt.schema)
            if pruned and opts.field_validation == "Strict":
                raise BadRequest(
                    "strict decoding error: " + ", ".join(f'unknown field "{p}"' for p in pruned)
                )
            crdschema.apply_defaults(obj, rt.schema)
            causes += crdschema.validate(obj, rt.schema)
    else:
        if rt.kind == "Secret" and not rt.group:
            _fold_string_data(obj)
        defaults.apply_defaults(obj)
        if rt.kind == "Service" and not rt.group:
            _allocate_service(cluster, rt, obj, old)
        causes = validation.validate_object(obj, namespaced=rt.namespaced, old=old)
    if causes:
        raise invalid(rt, obj["metadata"].get("name", ""), causes)


def _fold_string_data(secret: dict[str, Any]) -> None:
    """``stringData`` is write-only: the API server merges it into ``data`` (base64)."""
    string_data = secret.pop("stringData", None)
    if isinstance(string_data, dict) and string_data:
        data = secret.setdefault("data", {}) or {}
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        secret["data"] = data


def crd_status(crd: dict[str, Any]) -> None:
    """A CRD is accepted and established as soon as it is stored, as on a quiet cluster."""
    spec = crd.get("spec") or {}
    names = dict(spec.get("names") or {})
    if names.get("kind") and not names.get("listKind"):
        names["listKind"] = names["kind"] + "List"
    if names.get("plural") and not names.get("singular"):
        names["singular"] = str(names.get("kind", "")).lower()
    stored = [v["name"] for v in spec.get("versions") or () if v.get("storage")]
    previous = (crd.get("status") or {}).get("storedVersions") or []
    ts = crd["metadata"].get("creationTimestamp", "")
    crd["status"] = {
        "acceptedNames": names,
        "conditions": [
            {
                "type": "NamesAccepted",
                "status": "True",
                "reason": "NoConflicts",
                "message": "no conflicts found",
                "lastTransitionTime": ts,
            },
            {
                "type": "Established",
                "status": "True",
                "reason": "InitialNamesAccepted",
                "message": "the initial names have been accepted",
                "lastTransitionTime": ts,
            },
        ],
        "storedVersions": sorted(set(previous) | set(stored)),
    }


NODE_PORT_RANGE = range(30000, 32768)


def _allocate_service(
    cluster: Cluster, rt: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None
) -> None:
    """Allocate what the API server's Service registry allocates: a cluster IP, node ports for
    NodePort/LoadBalancer ports and a health-check node port; an update keeps what it had."""
    if old is not None:
        defaults.carry_over_service_allocation(old, obj)
    spec = obj.setdefault("spec", {})
    if spec.get("clusterIP") and "clusterIPs" not in spec:
        spec["clusterIPs"] = [spec["clusterIP"]]
    uid = (obj.get("metadata") or {}).get("uid", "")
    _refuse_taken_node_ports(cluster, rt, obj, uid)
    wanted = defaults.service_allocation_request(obj)
    taken = set(cluster.node_ports) | defaults.service_node_ports(obj)
    ports: dict[int, int] = {}
    for index in wanted["node_port_indexes"]:
        ports[index] = _free_node_port(taken)
    health = _free_node_port(taken) if wanted["health_check_node_port"] else None
    defaults.apply_service_allocation(
        obj,
        cluster_ip=_free_cluster_ip(cluster) if wanted["cluster_ip"] else None,
        node_ports=ports,
        health_check_node_port=health,
    )


def _refuse_taken_node_ports(
    cluster: Cluster, rt: ResourceType, obj: dict[str, Any], uid: str
) -> None:
    spec = obj.get("spec") or {}
    causes = []
    for i, port in enumerate(spec.get("ports") or ()):
        number = port.get("nodePort") if isinstance(port, dict) else None
        holder = cluster.node_ports.get(number) if isinstance(number, int) else None
        if holder is not None and holder != uid:
            causes.append(
                fielderrors.invalid(
                    f"spec.ports[{i}].nodePort",
                    number,
                    "provided port is already allocated",
                )
            )
    if causes:
        raise invalid(rt, (obj.get("metadata") or {}).get("name", ""), causes)


def _free_node_port(taken: set[int]) -> int:
    for port in NODE_PORT_RANGE:
        if port not in taken:
            taken.add(port)
            return port
    raise Invalid("range of valid node ports (30000-32767) is full")


def _free_cluster_ip(cluster: Cluster) -> str | None:
    for host in SERVICE_CIDR.hosts():
        ip = str(host)
        if ip.endswith(".0") or ip.endswith(".1") or ip in cluster.cluster_ips:
            continue
        return ip
    return None


def admit_create(
    cluster: Cluster,
    rt: ResourceType,
    obj: dict[str, Any],
    opts: WriteOptions,
    *,
    managed: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The object as it will be stored, for a create."""
    meta = obj["metadata"]
    for key in SYSTEM_META:
        meta.pop(key, None)
    meta["uid"] = cluster.new_uid()
    meta["creationTimestamp"] = cluster.now()
    if _tracks_generation(rt):
        meta["generation"] = 1
    if rt.status:
        obj.pop("status", None)
    _finish(cluster, rt, obj, None, opts)
    defaults.initial_status(obj)
    if rt.kind == "CustomResourceDefinition":
        crd_status(obj)
    if managed is not None:
        meta["managedFields"] = managed
    else:
        meta.pop("managedFields", None)
        meta["managedFields"] = (
            fieldmanager.record_update(
                None,
                obj,
                manager=opts.field_manager,
                now=cluster.now(),
                group=rt.group,
                kind=rt.kind,
                crd_schema=rt.schema,
                ignored=_ignored(rt, "", obj),
            )
            .get("metadata", {})
            .get("managedFields", [])
        )
        if not meta["managedFields"]:
            meta.pop("managedFields")
    return obj


def _ignored(rt: ResourceType, subresource: str, obj: dict[str, Any]) -> list[tuple[str, ...]]:
    """Field paths a write's manager does not own: status on the main resource, and
    everything but status on the status subresource."""
    if not rt.status:
        return []
    if subresource == "status":
        return [(key,) for key in obj if key not in ("status", "apiVersion", "kind")]
    return [("status",)]


def admit_update(
    cluster: Cluster,
    rt: ResourceType,
    old: dict[str, Any],
    obj: dict[str, Any],
    opts: WriteOptions,
    *,
    subresource: str,
    managed: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    """The object as it will be stored, for an update of ``old``."""
    if subresource == "status":
        new = copy.deepcopy(old)
        if "status" in obj:
            new["status"] = obj["status"]
        else:
            new.pop("status", None)
    else:
        new = obj
        if rt.status:
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            else:
                new.pop("status", None)
    meta, old_meta = new["metadata"], old["metadata"]
    for key in SYSTEM_META:
        if key in old_meta:
            meta[key] = old_meta[key]
        else:
            meta.pop(key, None)
    if _tracks_generation(rt) and _spec_of(new) != _spec_of(old):
        meta["generation"] = int(old_meta.get("generation", 0)) + 1
    if old_meta.get("deletionTimestamp"):
        added = set(meta.get("finalizers") or ()) - set(old_meta.get("finalizers") or ())
        if added:
            detail = "no new finalizers can be added if the object is being deleted"
            raise invalid(rt, meta["name"], [fielderrors.forbidden("metadata.finalizers", detail)])
    _finish(cluster, rt, new, old, opts)
    if rt.kind == "CustomResourceDefinition" and subresource != "status":
        crd_status(new)
    if managed is not None:
        meta["managedFields"] = managed
    else:
        old_copy = copy.deepcopy(old)
        meta["managedFields"] = old_meta.get("managedFields", [])
        recorded = fieldmanager.record_update(
            old_copy,
            new,
            manager=opts.field_manager,
            now=cluster.now(),
            group=rt.group,
            kind=rt.kind,
            subresource=subresource,
            crd_schema=rt.schema,
            ignored=_ignored(rt, subresource, new),
        )
        meta["managedFields"] = recorded.get("metadata", {}).get("managedFields", [])
    if not meta.get("managedFields"):
        meta.pop("managedFields", None)
    return new


def same(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether a write changes nothing (Kubernetes then skips it and keeps the version)."""
    return _comparable(old) == _comparable(new)


def _comparable(obj: dict[str, Any]) -> dict[str, Any]:
    out = dict(obj)
    meta = dict(out.get("metadata") or {})
    meta.pop("resourceVersion", None)
    meta["managedFields"] = [
        {k: v for k, v in e.items() if k != "time"} for e in meta.get("managedFields") or []
    ]
    out["metadata"] = meta
    return out


def parse_body(body: bytes, content_type: str) -> Any:
    """JSON, or YAML for apply patches; a clear 400 on anything malformed."""
    try:
        if "yaml" in content_type:
            return yaml.load(body, Loader=yaml.CSafeLoader)
        return orjson.loads(body)
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        raise BadRequest(f"the body of the request could not be decoded: {exc}") from exc


def apply_patch(
    rt: ResourceType, old: dict[str, Any], patch_type: str, body: bytes
) -> dict[str, Any]:
    """The result of a merge, JSON or strategic-merge patch on ``old``."""
    doc = parse_body(body, "json")
    content_type = {
        "merge": patch.MERGE_PATCH,
        "json": patch.JSON_PATCH,
        "strategic": patch.STRATEGIC_MERGE_PATCH,
    }.get(patch_type, patch_type)
    result = patch.patch_object(
        old, doc, content_type, group=rt.group, kind=rt.kind, custom_resource=bool(rt.crd_name)
    )
    if not isinstance(result, dict):
        raise BadRequest("the patch did not produce an object")
    return result


def server_side_apply(
    cluster: Cluster,
    rt: ResourceType,
    ns: str,
    name: str,
    entry: Entry | None,
    body: bytes,
    opts: WriteOptions,
    *,
    subresource: str,
) -> dict[str, Any]:
    """PATCH with ``application/apply-patch+yaml``: create or merge by field ownership."""
    if not opts.field_manager:
        raise BadRequest(
            "PATCH, application/apply-patch+yaml requires fieldManager parameter to be set"
        )
    config = parse_body(body, "yaml")
    check_identity(rt, config, ns, url_name=name)
    live = entry.load() if entry else None
    if live is None and subresource:
        raise not_found(rt.qualified, name, rt.group, rt.plural)
    try:
        applied = fieldmanager.apply(
            live,
            config,
            manager=opts.field_manager,
            force=opts.force,
            now=cluster.now(),
            group=rt.group,
            kind=rt.kind,
            crd_schema=rt.schema,
            ignored=_ignored(rt, subresource, config),
            subresource=subresource,
        )
    except ApplyConflictError as exc:
        # Kubernetes' StatusCause serializes its type under "reason".
        causes = [
            {"reason": "FieldManagerConflict", "message": f"conflict with {who}", "field": path}
            for who, path in exc.conflicts
        ]
        raise Conflict(
            str(exc), details={"name": name, "group": rt.group, "kind": rt.plural, "causes": causes}
        ) from exc
    managed = applied.get("metadata", {}).get("managedFields", [])
    if live is None:
        cluster._check_namespace(rt, applied["metadata"].get("namespace", ""), creating=True)
        new = admit_create(cluster, rt, applied, opts, managed=managed)
        if not opts.dry_run:
            cluster._store(rt, new, created=True)
        return new
    return cluster._replace(
        rt, live, applied, opts, subresource=subresource, operation="Apply", managed=managed
    )
