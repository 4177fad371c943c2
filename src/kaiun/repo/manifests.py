"""Parsing rendered or stored manifests: YAML streams and JSON, with file and line in errors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
import yaml

from kaiun.repo.errors import MalformedManifestError

__all__ = ["expand_lists", "parse_json", "parse_yaml_stream"]

Obj = dict[str, Any]
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _check(doc: Any, file: str, line: int | None) -> Obj | None:
    if doc is None:
        return None
    if not isinstance(doc, dict):
        raise MalformedManifestError(file, line, "a document must be a mapping (an object)")
    if not doc.get("kind") or not doc.get("apiVersion"):
        raise MalformedManifestError(file, line, "object has no 'apiVersion' or 'kind'")
    return doc


def expand_lists(objs: Iterable[Obj]) -> list[Obj]:
    """Replace ``kind: List`` (and ``*List``) wrappers with their items, as kubectl does."""
    out: list[Obj] = []
    for obj in objs:
        kind = str(obj.get("kind", ""))
        if kind.endswith("List") and isinstance(obj.get("items"), list):
            out.extend(expand_lists(i for i in obj["items"] if i is not None))
        else:
            out.append(obj)
    return out


def parse_yaml_stream(text: str, file: str) -> list[Obj]:
    """Every Kubernetes object in a multi-document YAML ``text``; empty documents are skipped."""
    docs: list[Obj] = []
    try:
        loader = _Loader(text)
        try:
            while loader.check_node():
                node = loader.get_node()
                line = node.start_mark.line + 1 if node is not None else None
                checked = _check(loader.construct_document(node), file, line)
                if checked is not None:
                    docs.append(checked)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise MalformedManifestError(file, line, str(exc.problem or exc.context)) from None
    except yaml.YAMLError as exc:
        raise MalformedManifestError(file, None, str(exc)) from None
    return expand_lists(docs)


def parse_json(data: bytes | str, file: str) -> list[Obj]:
    """Objects in a JSON document: one object, or an array of objects."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise MalformedManifestError(file, exc.lineno, exc.msg) from None
    items = doc if isinstance(doc, list) else [doc]
    return expand_lists(o for o in (_check(i, file, None) for i in items) if o is not None)
