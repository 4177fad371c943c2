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


class _NeedsFullConstructor(Exception):
    """The fast builder met something only PyYAML's constructor handles (tags, merge keys):
    the stream is parsed again the slow way."""


class _RecursiveAlias(Exception):
    """An anchor used inside its own node: no Kubernetes object can hold that."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_IN_PROGRESS = object()
# `<<` (merge) and `=` (value) keys change how a mapping is built.
_SPECIAL_KEYS = ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value")


def _build(node: yaml.Node, loader: Any, memo: dict[int, Any]) -> Any:
    """The Python value of a composed node, as SafeLoader would build it.

    PyYAML's constructor (Python generators, per-node bookkeeping) is most of the cost of
    loading Helm's many small documents; plain strings, mappings and sequences are built
    here directly, any other scalar by PyYAML itself. Aliased collections stay shared (one
    object per node), so alias bombs cost no more than with PyYAML.
    """
    cls = node.__class__
    if cls is yaml.ScalarNode:
        return node.value if node.tag == _STR else loader.construct_object(node, deep=True)
    done = memo.get(id(node))
    if done is not None:
        if done is _IN_PROGRESS:
            raise _RecursiveAlias(node.start_mark.line + 1)
        return done
    memo[id(node)] = _IN_PROGRESS
    value: Any
    if cls is yaml.MappingNode and node.tag == _MAP:
        value = {}
        for key, item in node.value:
            if key.__class__ is not yaml.ScalarNode or key.tag in _SPECIAL_KEYS:
                raise _NeedsFullConstructor
            value[_build(key, loader, memo)] = _build(item, loader, memo)
    elif cls is yaml.SequenceNode and node.tag == _SEQ:
        value = [_build(item, loader, memo) for item in node.value]
    else:
        raise _NeedsFullConstructor
    memo[id(node)] = value
    return value


def _load_fast(text: str) -> list[Any]:
    loader = _Loader(text)
    try:
        docs = []
        while loader.check_node():
            doc = _build(loader.get_node(), loader, {})
            if doc is not None:
                docs.append(doc)
        return docs
    finally:
        loader.dispose()


# Aliases let a small document stand for a huge one ("billion laughs"): parsing keeps the
# shared nodes shared, but anything that serialises the objects (cache, HTTP, diff) would
# expand them. Like go-yaml's "excessive aliasing" check, a stream whose expansion passes
# this many nodes and ten times its distinct nodes is refused.
_MAX_EXPANDED_NODES = 1_000_000
_SIZING = -1


def _expanded_size(obj: Any, sizes: dict[int, int], distinct: list[int]) -> int:
    """Nodes in ``obj`` with every shared collection counted each time it appears."""
    if not isinstance(obj, dict | list):
        return 1
    known = sizes.get(id(obj))
    if known == _SIZING:
        raise _RecursiveAlias(0)
    if known is not None:
        return known
    sizes[id(obj)] = _SIZING
    items = list(obj.values()) if isinstance(obj, dict) else obj
    distinct[0] += 1 + len(items)
    size = 1 + len(items) + sum(_expanded_size(i, sizes, distinct) - 1 for i in items)
    sizes[id(obj)] = size
    return size


def _refuse_alias_bombs(docs: list[Any], file: str) -> None:
    sizes: dict[int, int] = {}
    distinct = [0]
    try:
        total = sum(_expanded_size(d, sizes, distinct) for d in docs)
    except _RecursiveAlias:
        raise MalformedManifestError(file, None, "an alias refers to its own anchor") from None
    if total > _MAX_EXPANDED_NODES and total > 10 * distinct[0]:
        raise MalformedManifestError(
            file, None, f"excessive aliasing: the aliases expand to {total} nodes"
        )


def parse_yaml_stream(text: str, file: str) -> list[Obj]:
    """Every Kubernetes object in a multi-document YAML ``text``; empty documents are skipped."""
    # Fast path: composing nodes in C and building plain values directly is about twice
    # as fast as ``load_all``, and well-formed output is the norm; anything unusual goes
    # through PyYAML's constructor, and any problem re-parses slowly to name the line.
    try:
        docs = _load_fast(text)
    except _NeedsFullConstructor:
        try:
            docs = [d for d in yaml.load_all(text, Loader=_Loader) if d is not None]
        except yaml.YAMLError:
            return _parse_with_lines(text, file)
    except yaml.YAMLError:
        return _parse_with_lines(text, file)
    except _RecursiveAlias as exc:
        raise MalformedManifestError(file, exc.line, "an alias refers to its own anchor") from None
    if "*" in text:  # no alias without one
        _refuse_alias_bombs(docs, file)
    if all(isinstance(d, dict) and d.get("kind") and d.get("apiVersion") for d in docs):
        return expand_lists(docs)
    return _parse_with_lines(text, file)


def _parse_with_lines(text: str, file: str) -> list[Obj]:
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
