"""Normalization before diffing, kept apart from the diff itself.

A ``Normalizer`` turns a (config, live) pair into comparable copies: known-type
equivalences and server-owned fields (``known_types``), then ignoreDifferences rules
(``ignore``: JSON pointers, jq path expressions, managed-fields managers). Inputs are never
mutated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kaiun.diff.normalize import ignore, known_types
from kaiun.diff.normalize.ignore import IgnoreRule

Obj = Mapping[str, Any]


@dataclass(frozen=True)
class Normalizer:
    """How to normalize objects before comparing them.

    ``rules``: ignoreDifferences from the Application and argocd-cm; ``ignore_status``:
    Argo CD's ``resource.compareoptions`` ``ignoreResourceStatusField`` (``all`` — the
    default —, ``crd`` or ``none``).
    """

    rules: tuple[IgnoreRule, ...] = ()
    ignore_status: str = "all"

    def _drops_status(self, obj: Obj) -> bool:
        if self.ignore_status == "all":
            return True
        if self.ignore_status == "crd":
            group = str(obj.get("apiVersion", "")).rpartition("/")[0]
            return "." in group and not group.endswith(".k8s.io")
        return False

    def normalize(self, obj: Obj | None, *, rules_for: Obj | None = None) -> dict[str, Any] | None:
        """A normalized copy of one object (managed-fields rules need the pair).

        Rules are chosen by ``rules_for`` (default: ``obj`` itself); a pair uses the live
        object for both sides, since the config may lack fields rules match on.
        """
        if obj is None:
            return None
        out = known_types.normalize_object(obj, ignore_status=self._drops_status(obj))
        return ignore.remove_ignored(out, ignore.matching(self.rules, rules_for or obj))

    def normalize_pair(
        self, config: Obj | None, live: Obj | None
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """Normalized copies of ``config`` and ``live``, managed-fields rules included."""
        chooser = live if live is not None else config
        norm_config = self.normalize(config, rules_for=chooser)
        norm_live = self.normalize(live, rules_for=chooser)
        if live is not None:
            rules = ignore.matching(self.rules, live)
            if any(r.managed_fields_managers for r in rules):
                for side in (norm_config, norm_live):
                    if side is not None:
                        ignore.remove_managed(side, live, rules)
        return norm_config, norm_live


__all__ = ["IgnoreRule", "Normalizer"]
