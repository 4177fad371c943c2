"""What the ``kaiun app`` commands need from wherever Applications live: the operations of
Argo CD's ``ApplicationService``, as one protocol, and the choice of implementation:
``rest.RestApps`` over an API server, ``kube.KubeApps`` on the Kubernetes API (core mode).

The output formatting (``views``), spec editing (``spec``), sync-request building
(``operations.sync_operation``) and wait conditions (``watch.WaitFor``) are shared, so both
modes print the same thing for the same Application.
"""

from __future__ import annotations

from typing import Any, Protocol

from kaiun.cli.app.core import Core
from kaiun.cli.app.kube import KubeApps
from kaiun.cli.app.rest import RestApps
from kaiun.cli.app.tree import TreeNode
from kaiun.cli.app.views import Key
from kaiun.cli.app.watch import Progress, WaitFor


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

    def manifests(
        self, app: dict[str, Any], *, override: dict[str, str] | None
    ) -> list[dict[str, Any]]:
        """The rendered manifests (secrets masked); ``override`` replaces fields of the first
        source (``targetRevision``, or a local snapshot in core mode)."""
        ...

    def live_objects(self, app: dict[str, Any]) -> list[dict[str, Any]]:
        """The live objects of the app's managed resources."""
        ...

    def differences(
        self, app: dict[str, Any], *, override: dict[str, str] | None, hard: bool
    ) -> list[tuple[Key, str]]:
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

    def wait(
        self,
        ns: str | None,
        name: str,
        conditions: WaitFor,
        *,
        seconds: float,
        progress: Progress,
    ) -> dict[str, Any]:
        """Poll until ``conditions`` hold (``seconds`` 0: forever), printing progress."""
        ...

    def wait_gone(self, ns: str | None, name: str, seconds: float) -> None:
        """Poll until the app no longer exists."""
        ...


def backend_of(core: Core) -> AppBackend:
    """REST when the invocation chose a server, else core mode."""
    return RestApps(core.rest) if core.rest else KubeApps(core)
