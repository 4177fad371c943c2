"""What the ``kaiun app`` commands need from wherever Applications live: the operations of
Argo CD's ``ApplicationService``, as one protocol. ``rest.RestApps`` speaks it over the API
server; core mode runs the same steps against Kubernetes in the command modules.

The output formatting (``views``), spec editing (``spec``), sync-request building
(``operations.sync_operation``) and wait conditions (``watch.WaitFor``) are shared, so both
modes print the same thing for the same Application.
"""

from __future__ import annotations

from typing import Any, Protocol

from kaiun.cli.app.tree import TreeNode

Key = tuple[str, str, str, str]


class AppBackend(Protocol):
    """Application operations; ``ns`` None means the server's (or the default) namespace.
    Failures are ``click.ClickException``s with the message to print."""

    def get(self, ns: str | None, name: str) -> dict[str, Any]:
        """One Application."""
        ...

    def list_apps(
        self, ns: str | None, *, selector: str | None, projects: tuple[str, ...], repo: str | None
    ) -> list[dict[str, Any]]:
        """Applications filtered by label selector, projects and repository."""
        ...

    def create(self, app: dict[str, Any], *, upsert: bool) -> str:
        """Create (or with ``upsert`` update) an app: ``created|unchanged|updated``."""
        ...

    def update_spec(self, app: dict[str, Any]) -> None:
        """Store ``app``'s spec."""
        ...

    def patch(self, ns: str | None, name: str, body: Any, patch_type: str) -> dict[str, Any]:
        """A JSON (RFC 6902) or merge patch; the patched app."""
        ...

    def delete(self, ns: str | None, name: str, *, cascade: bool | None, policy: str) -> None:
        """Delete an app (``cascade`` None: its finalizers decide)."""
        ...

    def sync(self, ns: str | None, name: str, operation: dict[str, Any]) -> None:
        """Request the sync ``operation`` (``operations.sync_operation``'s shape)."""
        ...

    def rollback(self, ns: str | None, name: str, entry_id: int, *, prune: bool, dry: bool) -> None:
        """Request a rollback to history entry ``entry_id``."""
        ...

    def terminate(self, ns: str | None, name: str) -> None:
        """Terminate the running operation."""
        ...

    def refresh(self, ns: str | None, name: str, *, hard: bool) -> dict[str, Any]:
        """Ask for a refresh and wait until the controller has done it."""
        ...

    def manifests(self, app: dict[str, Any], *, revision: str | None) -> list[dict[str, Any]]:
        """The rendered manifests (secrets masked)."""
        ...

    def live_objects(self, app: dict[str, Any]) -> list[dict[str, Any]]:
        """The live objects of the app's managed resources."""
        ...

    def differences(self, app: dict[str, Any]) -> list[tuple[Key, str]]:
        """(key, unified diff) of every resource whose live state differs from Git."""
        ...

    def sync_window(self, app: dict[str, Any]) -> str:
        """``Sync Allowed`` or ``Sync Denied`` for automated syncs now."""
        ...

    def tree(self, app: dict[str, Any]) -> dict[Key, tuple[TreeNode, ...]]:
        """The objects each managed resource owns."""
        ...

    def orphaned(self, app: dict[str, Any]) -> list[dict[str, Any]]:
        """Objects of the destination namespace no app tracks."""
        ...

    def url(self, app: dict[str, Any]) -> str:
        """The app's page on the server ("" in core mode)."""
        ...
