"""Sync options: ``spec.syncPolicy.syncOptions`` and the per-resource annotation.

Both are ``Key=Value`` lists (the annotation ``argocd.argoproj.io/sync-options`` is
comma-separated). A resource's own value for a key overrides the application's, so
``ServerSideApply=false`` on one resource opts it out of an app-wide ``ServerSideApply=true``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kaiun.sync.hooks import csv

SYNC_OPTIONS_ANNOTATION = "argocd.argoproj.io/sync-options"

PRUNE = "Prune"
PRUNE_LAST = "PruneLast"
PRUNE_PROPAGATION_POLICY = "PrunePropagationPolicy"
DELETE = "Delete"
REPLACE = "Replace"
FORCE = "Force"
SERVER_SIDE_APPLY = "ServerSideApply"
CLIENT_SIDE_APPLY_MIGRATION = "ClientSideApplyMigration"
VALIDATE = "Validate"
SKIP_DRY_RUN_ON_MISSING_RESOURCE = "SkipDryRunOnMissingResource"
APPLY_OUT_OF_SYNC_ONLY = "ApplyOutOfSyncOnly"
CREATE_NAMESPACE = "CreateNamespace"
RESPECT_IGNORE_DIFFERENCES = "RespectIgnoreDifferences"
FAIL_ON_SHARED_RESOURCE = "FailOnSharedResource"

PROPAGATION_POLICIES = {"foreground": "Foreground", "background": "Background", "orphan": "Orphan"}


def parse_items(items: Iterable[str]) -> dict[str, str]:
    """``["A=b", "C=d"]`` -> ``{"A": "b", "C": "d"}``; a later key wins; no ``=`` means true."""
    out: dict[str, str] = {}
    for item in items:
        if not isinstance(item, str) or not item.strip():
            continue
        key, sep, value = item.strip().partition("=")
        out[key.strip()] = value.strip() if sep else "true"
    return out


@dataclass(frozen=True)
class SyncOptions:
    """A set of sync options; ``for_resource`` layers a resource's annotation on top."""

    values: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, items: Iterable[str] | None) -> SyncOptions:
        """Options from an Application's ``syncOptions`` list."""
        return cls(parse_items(items or ()))

    def merged(self, other: Mapping[str, str]) -> SyncOptions:
        """These options with ``other``'s keys taking precedence."""
        return SyncOptions({**self.values, **other})

    def for_resource(self, obj: Mapping[str, Any] | None) -> SyncOptions:
        """The options in force for ``obj``: its annotation overrides the app's."""
        own = parse_items(csv(obj, SYNC_OPTIONS_ANNOTATION))
        return self.merged(own) if own else self

    def get(self, key: str) -> str | None:
        """The raw value of ``key``, or None."""
        return self.values.get(key)

    def is_(self, key: str, value: str) -> bool:
        """Whether ``key`` is set to ``value`` (case-insensitive)."""
        got = self.values.get(key)
        return got is not None and got.lower() == value.lower()

    def true(self, key: str) -> bool:
        """Whether ``key=true``."""
        return self.is_(key, "true")

    @property
    def prune_disabled(self) -> bool:
        """``Prune=false``: never prune."""
        return self.is_(PRUNE, "false")

    @property
    def prune_confirm(self) -> bool:
        """``Prune=confirm``: pruning waits for approval."""
        return self.is_(PRUNE, "confirm")

    @property
    def server_side_apply(self) -> bool:
        """``ServerSideApply=true`` (and not ``Replace=true``, which takes precedence)."""
        return self.true(SERVER_SIDE_APPLY) and not self.true(REPLACE)

    @property
    def propagation_policy(self) -> str:
        """The delete propagation for pruning: Foreground unless configured."""
        raw = (self.get(PRUNE_PROPAGATION_POLICY) or "foreground").lower()
        return PROPAGATION_POLICIES.get(raw, "Foreground")

    @property
    def client_side_apply_migration(self) -> bool:
        """``ClientSideApplyMigration`` (on unless ``=false``)."""
        return not self.is_(CLIENT_SIDE_APPLY_MIGRATION, "false")
