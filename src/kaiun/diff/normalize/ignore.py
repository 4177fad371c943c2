"""ignoreDifferences rules: which objects they apply to and removing what they ignore."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from kaiun.diff.errors import IgnoreRuleError
from kaiun.diff.normalize import jqpaths, jsonpointer, known_types, managed_fields


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    """One ignoreDifferences entry, from an Application spec or from argocd-cm.

    ``group`` and ``kind`` may be globs (``*``); an empty ``name``/``namespace`` matches all.
    """

    group: str = "*"
    kind: str = "*"
    name: str = ""
    namespace: str = ""
    json_pointers: tuple[str, ...] = ()
    jq_path_expressions: tuple[str, ...] = ()
    managed_fields_managers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for pointer in self.json_pointers:
            jsonpointer.parse_pointer(pointer)
        for expression in self.jq_path_expressions:
            jqpaths.check_expression(expression)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], *, group: str = "", kind: str = "") -> IgnoreRule:
        """A rule from Argo CD's YAML shape (``jsonPointers``, ``jqPathExpressions``, …)."""
        if not isinstance(spec, Mapping):
            raise IgnoreRuleError("an ignoreDifferences entry must be a mapping")

        def strings(key: str) -> tuple[str, ...]:
            value = spec.get(key) or []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise IgnoreRuleError(f"ignoreDifferences {key} must be a list of strings")
            return tuple(value)

        return cls(
            group=str(spec.get("group", group) if "group" in spec else group),
            kind=str(spec.get("kind", kind) if "kind" in spec else kind),
            name=str(spec.get("name") or ""),
            namespace=str(spec.get("namespace") or ""),
            json_pointers=strings("jsonPointers"),
            jq_path_expressions=strings("jqPathExpressions"),
            managed_fields_managers=strings("managedFieldsManagers"),
        )

    def matches(self, obj: Mapping[str, Any]) -> bool:
        """Whether this rule applies to ``obj``."""
        api_version = str(obj.get("apiVersion", ""))
        group = api_version.rpartition("/")[0]
        metadata = known_types.metadata_of(obj)
        if not fnmatchcase(group, self.group or "") or not fnmatchcase(
            str(obj.get("kind", "")), self.kind or "*"
        ):
            return False
        if self.name and metadata.get("name") != self.name:
            return False
        return not (self.namespace and metadata.get("namespace") != self.namespace)


def matching(rules: Iterable[IgnoreRule], obj: Mapping[str, Any] | None) -> list[IgnoreRule]:
    """The rules that apply to ``obj``."""
    if obj is None:
        return []
    return [r for r in rules if r.matches(obj)]


def remove_ignored(obj: dict[str, Any], rules: Iterable[IgnoreRule]) -> dict[str, Any]:
    """``obj`` without the fields the rules' JSON pointers and jq expressions select.

    Applies every rule given (choose them with ``matching``); mutates and returns ``obj``
    (jq expressions return a new object), so pass a copy.
    """
    for rule in rules:
        for pointer in rule.json_pointers:
            jsonpointer.remove(obj, jsonpointer.parse_pointer(pointer))
        for expression in rule.jq_path_expressions:
            obj = jqpaths.delete_paths(obj, expression)
    return obj


def remove_managed(
    obj: dict[str, Any], live: Mapping[str, Any], rules: Iterable[IgnoreRule]
) -> None:
    """Remove in place the fields owned (in ``live``) by the rules' field managers."""
    managers = [m for r in rules for m in r.managed_fields_managers]
    for trie in managed_fields.owned_tries(live, managers):
        managed_fields.remove_owned(obj, trie)
