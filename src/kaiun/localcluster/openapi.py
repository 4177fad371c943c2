"""OpenAPI v3 documents: the index and one document per group-version.

kubectl reads them to learn that the server validates fields itself (a ``fieldValidation``
query parameter on each PATCH operation), so it sends ``fieldValidation=Strict`` instead of
validating client-side. Patch request bodies deliberately omit strategic-merge, so kubectl's
client-side apply computes strategic merge patches from its compiled-in types for built-ins
and JSON merge patches for custom resources, exactly as against a real API server.
Schemas are precise for custom resources (their CRD's) and open objects for built-ins.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from kaiun.localcluster.resources import Registry, ResourceType

_WRITE_PARAMS = [
    {"name": n, "in": "query", "schema": {"type": t}}
    for n, t in (
        ("dryRun", "string"),
        ("fieldManager", "string"),
        ("fieldValidation", "string"),
        ("force", "boolean"),
        ("pretty", "string"),
    )
]
_PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
)


def _schema_name(rt: ResourceType) -> str:
    group = rt.group or "core"
    return f"io.kaiun.{group}.{rt.version}.{rt.kind}"


def _ref(rt: ResourceType) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{_schema_name(rt)}"}


def _gvk(rt: ResourceType) -> dict[str, str]:
    return {"group": rt.group, "version": rt.version, "kind": rt.kind}


def _object_ops(rt: ResourceType) -> dict[str, Any]:
    body = {"content": {t: {"schema": _ref(rt)} for t in _PATCH_TYPES}, "required": True}
    ok = {"200": {"description": "OK", "content": {"application/json": {"schema": _ref(rt)}}}}
    ext = {"x-kubernetes-group-version-kind": _gvk(rt)}
    return {
        "get": {
            "operationId": f"read{rt.kind}",
            "responses": ok,
            **ext,
            "x-kubernetes-action": "get",
        },
        "put": {
            "operationId": f"replace{rt.kind}",
            "parameters": _WRITE_PARAMS,
            "requestBody": {"content": {"application/json": {"schema": _ref(rt)}}},
            "responses": ok,
            **ext,
            "x-kubernetes-action": "put",
        },
        "patch": {
            "operationId": f"patch{rt.kind}",
            "parameters": _WRITE_PARAMS,
            "requestBody": body,
            "responses": ok,
            **ext,
            "x-kubernetes-action": "patch",
        },
        "delete": {
            "operationId": f"delete{rt.kind}",
            "responses": ok,
            **ext,
            "x-kubernetes-action": "delete",
        },
        "parameters": [
            {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
    }


def _collection_ops(rt: ResourceType) -> dict[str, Any]:
    ok = {"200": {"description": "OK"}}
    ext = {"x-kubernetes-group-version-kind": _gvk(rt)}
    return {
        "get": {
            "operationId": f"list{rt.kind}",
            "responses": ok,
            **ext,
            "x-kubernetes-action": "list",
        },
        "post": {
            "operationId": f"create{rt.kind}",
            "parameters": _WRITE_PARAMS,
            "requestBody": {"content": {"application/json": {"schema": _ref(rt)}}},
            "responses": ok,
            **ext,
            "x-kubernetes-action": "post",
        },
    }


def _schema(rt: ResourceType) -> dict[str, Any]:
    base: dict[str, Any]
    if rt.schema:
        base = dict(rt.schema)
    else:
        base = {
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": True,
            "description": f"{rt.kind} ({rt.api_version}), served by the kaiun local cluster",
        }
    base["x-kubernetes-group-version-kind"] = [_gvk(rt)]
    return base


def group_version_doc(registry: Registry, group: str, version: str) -> dict[str, Any] | None:
    """The OpenAPI 3.0 document of one group-version."""
    types = registry.in_group_version(group, version)
    if not types:
        return None
    prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
    paths: dict[str, Any] = {}
    for rt in types:
        scope = f"{prefix}/namespaces/{{namespace}}" if rt.namespaced else prefix
        paths[f"{scope}/{rt.plural}"] = _collection_ops(rt)
        paths[f"{scope}/{rt.plural}/{{name}}"] = _object_ops(rt)
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": {_schema_name(rt): _schema(rt) for rt in types}},
    }


def document(registry: Registry, parts: list[str]) -> bytes | None:
    """The OpenAPI document at ``/openapi/{parts}``, or None for 404."""
    if parts[:1] != ["v3"]:
        return None
    rest = parts[1:]
    if not rest:
        index: dict[str, Any] = {}
        for group, versions in registry.groups().items():
            for version in versions:
                key = f"apis/{group}/{version}" if group else f"api/{version}"
                doc = group_version_doc(registry, group, version)
                digest = hashlib.sha256(orjson.dumps(doc)).hexdigest()[:32].upper()
                index[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
        return orjson.dumps({"paths": index})
    if rest[:1] == ["api"] and len(rest) == 2:
        doc = group_version_doc(registry, "", rest[1])
    elif rest[:1] == ["apis"] and len(rest) == 3:
        doc = group_version_doc(registry, rest[1], rest[2])
    else:
        return None
    return orjson.dumps(doc) if doc is not None else None
