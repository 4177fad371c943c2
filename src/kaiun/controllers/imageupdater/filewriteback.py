"""Editing files in the source repository for ``write-back-target`` (pure: text in, text out).

``kustomization[:<path>]`` sets the image in ``kustomization.yaml``'s ``images:`` the way
``kustomize edit set image`` does; ``helmvalues[:<path>]`` sets the Helm value paths
(``helm.image-name`` / ``-tag`` / ``-spec``) in a values file. Both round-trip the YAML with
ruamel.yaml, so comments, key order, quoting and indentation the user wrote survive; only the
values that change are touched.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from kaiun.controllers.imageupdater import argocdwriteback as values
from kaiun.controllers.imageupdater.argocdwriteback import Change, WriteBackError
from kaiun.controllers.imageupdater.model import Strategy


class _Text:
    """The smallest stream ruamel.yaml writes to (no file, no ``io``)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, data: str | bytes) -> None:
        self.parts.append(data.decode() if isinstance(data, bytes) else data)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=2, offset=0)
    return yaml


def _load(text: str, what: str) -> Any:
    try:
        return _yaml().load(text)
    except YAMLError as exc:
        raise WriteBackError(f"{what} is not valid YAML: {exc}") from None


def _dump(doc: Any, *, sequence_offset: int) -> str:
    yaml = _yaml()
    yaml.indent(mapping=2, sequence=2 + sequence_offset, offset=sequence_offset)
    out = _Text()
    yaml.dump(doc, out)
    return "".join(out.parts)


def _sequence_offset(text: str) -> int:
    # Keep the user's list style: "- x" flush with its key, or indented under it.
    lines = text.splitlines()
    for prev, line in itertools.pairwise(lines):
        if line.lstrip().startswith("- ") and prev.rstrip().endswith(":"):
            return max(0, (len(line) - len(line.lstrip())) - (len(prev) - len(prev.lstrip())))
    return 0


def set_kustomization_images(text: str, changes: Sequence[Change]) -> str:
    """``kustomization.yaml`` with each change's image set in ``images:``."""
    doc = _load(text, "kustomization")
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, CommentedMap):
        raise WriteBackError("kustomization is not a YAML mapping")
    images = doc.get("images")
    if images is None:
        images = doc["images"] = CommentedSeq()
    if not isinstance(images, CommentedSeq):
        raise WriteBackError("kustomization images: is not a list")
    for change in changes:
        target = values.kustomize_target(change.spec, list(images))
        _set_image(images, target.name, change)
    return _dump(doc, sequence_offset=_sequence_offset(text))


def _set_image(images: CommentedSeq, key: str, change: Change) -> None:
    name = change.spec.image.name
    entry = next(
        (e for e in images if isinstance(e, CommentedMap) and e.get("name") == key),
        None,
    )
    if entry is None:
        entry = CommentedMap(name=key)
        images.append(entry)
    if key != name or "newName" in entry:
        entry["newName"] = name
    if change.spec.strategy is Strategy.DIGEST and change.digest:
        entry["digest"] = change.digest
        entry.pop("newTag", None)
    else:
        entry["newTag"] = change.tag
        entry.pop("digest", None)


def set_helm_values(text: str, changes: Sequence[Change]) -> str:
    """A Helm values file with each change's image written at its value paths."""
    doc = _load(text, "Helm values file")
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, CommentedMap):
        raise WriteBackError("Helm values file is not a YAML mapping")
    for change in changes:
        for param in values.helm_parameters(change):
            _set_path(doc, param["name"], param["value"])
    return _dump(doc, sequence_offset=_sequence_offset(text))


def _set_path(doc: CommentedMap, path: str, value: str) -> None:
    keys = path.split(".")
    node = doc
    for i, key in enumerate(keys[:-1]):
        child = node.get(key)
        if child is None:
            child = node[key] = CommentedMap()
        if not isinstance(child, CommentedMap):
            raise WriteBackError(
                f"cannot set {path}: {'.'.join(keys[: i + 1])} is not a mapping in the values"
            )
        node = child
    old = node.get(keys[-1])
    # Keep the quoting style of a string that was there.
    node[keys[-1]] = type(old)(value) if isinstance(old, str) and type(old) is not str else value
