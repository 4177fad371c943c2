"""What the schema tables say about lists and maps of built-in kinds and CRDs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kaiun.localcluster import schema

CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "schema_fields.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['kind']}.{c['path']}")
def test_builtin_field(case: dict[str, Any]) -> None:
    spec = schema.builtin_schema(case["group"], case["kind"]).field(tuple(case["path"].split(".")))
    assert spec.patch_merge_key == case.get("smp_key", "")
    assert spec.patch_strategy == frozenset(case.get("strategy", []))
    assert spec.list_type == case.get("list", "atomic")
    assert spec.list_map_keys == tuple(case.get("keys", []))
    assert spec.atomic == case.get("atomic", False)


CRD = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "routes": {
                    "type": "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["host", "port"],
                    "items": {
                        "type": "object",
                        "properties": {
                            "host": {"type": "string"},
                            "port": {"type": "integer", "default": 80},
                            "backends": {"type": "array", "x-kubernetes-list-type": "set"},
                        },
                    },
                },
                "tags": {"type": "array", "items": {"type": "string"}},
                "labels": {"type": "object", "x-kubernetes-map-type": "atomic"},
                "ref": {"type": "object", "x-kubernetes-struct-type": "atomic"},
                "byName": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "properties": {
                            "items": {
                                "type": "array",
                                "x-kubernetes-list-type": "map",
                                "x-kubernetes-list-map-keys": ["id"],
                            }
                        },
                    },
                },
            },
        }
    },
}


@pytest.mark.parametrize(
    ("path", "list_type", "keys", "atomic"),
    [
        ("spec.routes", "map", ("host", "port"), False),
        ("spec.routes.backends", "set", (), False),
        ("spec.tags", "atomic", (), False),
        ("spec.labels", "atomic", (), True),
        ("spec.ref", "atomic", (), True),
        ("spec.byName.anything.items", "map", ("id",), False),
        ("spec.unknown", "atomic", (), False),
        ("metadata.ownerReferences", "map", ("uid",), False),
    ],
)
def test_crd_field(path: str, list_type: str, keys: tuple[str, ...], atomic: bool) -> None:
    spec = schema.schema_for("example.com", "Widget", CRD).field(tuple(path.split(".")))
    assert (spec.list_type, spec.list_map_keys, spec.atomic) == (list_type, keys, atomic)
    if path.startswith("spec."):
        assert not spec.smp_merge, "custom resource bodies have no strategic merge keys"


def test_crd_list_map_key_defaults_are_known() -> None:
    spec = schema.crd_schema(CRD).field(("spec", "routes"))
    assert dict(spec.key_defaults) == {"port": 80}


def test_crd_without_schema_has_atomic_lists() -> None:
    spec = schema.crd_schema(None).field(("spec", "items"))
    assert spec.list_type == "atomic"
