"""Plumbing shared by the ``kaiun app`` commands in core mode: the Kubernetes connection,
Application lookup and writes, and errors turned into Argo CD's exit codes.

Core mode (as ``argocd --core``) talks to the Kubernetes API directly: the CLI reads and
writes ``Application`` objects and the controller does the rest.
"""

from __future__ import annotations

import asyncio
import getpass
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from kaiun.cli.restclient import REST_KEYS, choose_target, rest_connection_options
from kaiun.cli.restconfig import Target
from kaiun.kube import KubeClient, from_kubeconfig
from kaiun.kube import errors as kerrors

T = TypeVar("T")

APP_API = "argoproj.io/v1alpha1"
APP_KIND = "Application"
PROJECT_KIND = "AppProject"
REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"
FINALIZER = "resources-finalizer.argocd.argoproj.io"
BACKGROUND_FINALIZER = "resources-finalizer.argocd.argoproj.io/background"

# Argo CD's CLI exit codes (util/errors): every failure is "generic" (20); `app diff` has its own.
EXIT_GENERIC = 20
EXIT_DIFF_ERROR = 2


class AppError(click.ClickException):
    """A failure a user can act on; printed as ``Error: ...`` on stderr, exit code 20 (Argo
    CD's generic code, which its CLI returns for every failure)."""

    exit_code = EXIT_GENERIC


class DiffFailed(AppError):
    """``app diff`` could not compare: exit code 2, as argocd (1 means "differs")."""

    exit_code = EXIT_DIFF_ERROR


class AppNotFound(AppError):
    """The named Application does not exist."""


@dataclass(frozen=True)
class Core:
    """Connection settings of one invocation (group options of ``kaiun app``)."""

    kubeconfig: str | None
    context: str | None
    namespace: str
    # REST mode: the API server to talk to (None: core mode), and the raw connection flags
    # given so far (group flags first, the subcommand's on top).
    rest: Target | None = None
    flags: dict[str, Any] = field(default_factory=dict)

    def locate(self, name: str, app_namespace: str | None) -> tuple[str | None, str]:
        """(namespace, name) of an app for the chosen mode (``rest_ref`` or ``ref``)."""
        return self.rest_ref(name, app_namespace) if self.rest else self.ref(name, app_namespace)

    def rest_ref(self, name: str, app_namespace: str | None) -> tuple[str | None, str]:
        """(appNamespace or None, name) for an API call: the server picks its namespace."""
        if "/" in name:
            return self.ref(name, app_namespace)
        return app_namespace, name

    def ref(self, name: str, app_namespace: str | None) -> tuple[str, str]:
        """(namespace, name) of an app given as ``NAME`` or ``NAMESPACE/NAME``."""
        if "/" in name:
            ns, _, short = name.partition("/")
            if app_namespace and app_namespace != ns:
                raise AppError(
                    f"application {name!r} names namespace {ns!r} but --app-namespace "
                    f"is {app_namespace!r}: give one of them"
                )
            if not ns or not short:
                raise AppError(f"invalid application name {name!r}: use NAME or NAMESPACE/NAME")
            return ns, short
        return app_namespace or self.namespace, name

    def run(self, fn: Callable[[KubeClient], Awaitable[T]]) -> T:
        """Connect, run ``fn(client)`` on an event loop, close; kube errors become AppErrors."""

        async def main() -> T:
            try:
                config = from_kubeconfig(self.kubeconfig, context=self.context)
            except kerrors.ConfigError as exc:
                raise AppError(f"{exc} (set --kubeconfig or KUBECONFIG)") from exc
            async with await KubeClient.connect(config) as client:
                return await fn(client)

        try:
            return asyncio.run(main())
        except kerrors.KubeError as exc:
            raise AppError(str(exc)) from exc


_TRUE = {"true", "1", "yes", "t", "y", "on"}
_FALSE = {"false", "0", "no", "f", "n", "off"}


def connection_options() -> list[click.Option]:
    """``--kubeconfig``, ``--kube-context``, ``-n/--namespace`` and argocd's ``--core``."""
    return [
        click.Option(
            ["--kubeconfig"],
            type=click.Path(dir_okay=False),
            default=None,
            help="Path to the kubeconfig (default: $KUBECONFIG or ~/.kube/config).",
        ),
        click.Option(["--kube-context"], default=None, help="Kubeconfig context to use."),
        click.Option(
            ["-n", "--namespace"],
            default=None,
            help="Namespace of the control plane (default argocd, $KAIUN_NAMESPACE or "
            "$ARGOCD_NAMESPACE); also the default namespace of apps.",
        ),
        click.Option(
            ["--core"],
            is_flag=True,
            default=None,
            help="Talk to Kubernetes directly, even when logged in to an API server.",
        ),
        *rest_connection_options(),
    ]


def default_namespace() -> str:
    """The control-plane namespace when no flag names one."""
    return os.environ.get("KAIUN_NAMESPACE") or os.environ.get("ARGOCD_NAMESPACE") or "argocd"


class ArgoCommand(click.Command):
    """A ``kaiun app`` subcommand: takes the connection options after the command name too
    (as argocd's global flags), and argocd's ``--flag=true|false`` spelling of on/off flags
    (``--cascade=false``, ``--self-heal=false``), rewritten to click's ``--flag`` /
    ``--no-flag`` (or nothing) before parsing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(connection_options())

    def invoke(self, ctx: click.Context) -> Any:
        """Fold connection options given here into the group's ``Core``, choose REST or core
        mode, then run."""
        given = {k: ctx.params.pop(k, None) for k in ("kubeconfig", "kube_context", "namespace")}
        base = ctx.find_object(Core) or Core(None, None, default_namespace())
        flags = dict(base.flags)
        for key in (*REST_KEYS, "core"):
            value = ctx.params.pop(key, None)
            if value is not None:
                flags[key] = value
        core = Core(
            kubeconfig=given["kubeconfig"] or base.kubeconfig,
            context=given["kube_context"] or base.context,
            namespace=given["namespace"] or base.namespace,
            flags=flags,
        )
        target = choose_target(
            flags,
            core=bool(flags.get("core")),
            kube_explicit=bool(core.kubeconfig or core.context),
        )
        ctx.obj = Core(core.kubeconfig, core.context, core.namespace, rest=target, flags=flags)
        return super().invoke(ctx)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Rewrite ``--flag=VALUE`` for boolean flags, then parse as usual."""
        spellings: dict[str, tuple[str, str | None]] = {}
        for param in self.params:
            if isinstance(param, click.Option) and param.is_flag and param.is_bool_flag:
                off = param.secondary_opts[0] if param.secondary_opts else None
                for opt in param.opts:
                    spellings[opt] = (opt, off)
        out: list[str] = []
        for i, arg in enumerate(args):
            if arg == "--":
                out.extend(args[i:])
                break
            name, sep, value = arg.partition("=")
            if sep and name in spellings and value.lower() in _TRUE | _FALSE:
                on, off = spellings[name]
                chosen = on if value.lower() in _TRUE else off
                if chosen:
                    out.append(chosen)
                continue
            out.append(arg)
        return super().parse_args(ctx, out)


def username() -> str:
    """Who starts operations (``initiatedBy.username``): the local user, as core mode has no
    login."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "kaiun"


def qualified(app: dict[str, Any]) -> str:
    """``namespace/name`` as Argo CD prints an app's name."""
    meta = app.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


async def get_app(client: KubeClient, namespace: str, name: str) -> dict[str, Any]:
    """The Application, or an AppError saying it does not exist."""
    try:
        return await client.get(APP_API, APP_KIND, name, namespace)
    except kerrors.NotFound as exc:
        await require_crd(client)
        raise AppNotFound(f'application "{name}" not found in namespace "{namespace}"') from exc


async def require_crd(client: KubeClient) -> None:
    """Fail with advice when the cluster does not serve Applications at all."""
    try:
        await client.info(APP_API, APP_KIND)
    except kerrors.NotFound as exc:
        raise AppError(
            "this cluster does not serve argoproj.io/v1alpha1 Applications: install the "
            "control plane first (`kaiun up`, or kaiun.engine.install_control_plane)"
        ) from exc


async def patch_app(
    client: KubeClient,
    namespace: str,
    name: str,
    patch: Any,
    *,
    patch_type: str = "merge",
) -> dict[str, Any]:
    """Patch an Application; a vanished app is an AppError."""
    try:
        return await client.patch(
            APP_API,
            APP_KIND,
            name,
            patch,
            namespace=namespace,
            patch_type=patch_type,  # type: ignore[arg-type]
            field_manager="kaiun-cli",
        )
    except kerrors.NotFound as exc:
        raise AppNotFound(f'application "{name}" not found in namespace "{namespace}"') from exc


async def replace_app(client: KubeClient, app: dict[str, Any]) -> dict[str, Any]:
    """PUT an Application (its resourceVersion guards against lost updates)."""
    return await client.replace(app, field_manager="kaiun-cli")


async def poll(
    client: KubeClient,
    namespace: str,
    name: str,
    *,
    interval: float = 0.5,
) -> AsyncIterator[dict[str, Any]]:
    """Yield the app repeatedly (every ``interval`` seconds) until the caller stops."""
    while True:
        yield await get_app(client, namespace, name)
        await asyncio.sleep(interval)
