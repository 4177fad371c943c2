"""Plumbing for ``kaiun proj``: core-mode connection options, project read-modify-write,
output printers and Argo CD's exit codes.

Core mode talks to the Kubernetes API directly (``--kubeconfig`` / ``$KUBECONFIG``,
``--kube-context``), reading and writing AppProjects in ``--namespace`` (default ``argocd``).
"""

from __future__ import annotations

import asyncio
import functools
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
import yaml

from kaiun.cli.restclient import REST_KEYS, choose_target, rest_connection_options
from kaiun.cli.restconfig import Target
from kaiun.kube import KubeClient, from_kubeconfig
from kaiun.kube import errors as kube_errors
from kaiun.model.appproject import project_problems

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

API_VERSION = "argoproj.io/v1alpha1"
KIND = "AppProject"
DEFAULT_NAMESPACE = "argocd"

# Argo CD's exit codes (util/errors): scripts tell these apart.
EXIT_COMMAND = 1
EXIT_CONNECTION = 11
EXIT_API = 12
EXIT_NOT_FOUND = 13
EXIT_GENERIC = 20


class CommandError(click.ClickException):
    """A refusal with Argo CD's exit code; printed as ``Error: <message>`` on stderr."""

    def __init__(self, message: str, exit_code: int = EXIT_GENERIC) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]


@dataclass(frozen=True)
class CoreOptions:
    """Where the control plane is: kubeconfig, context and namespace."""

    kubeconfig: Path | None
    context: str | None
    namespace: str
    rest: Target | None = None  # REST mode: the API server (None: core mode)


def core_options(fn: F) -> F:
    """Add the connection flags (core mode's and argocd's REST ones) to a command; it
    receives ``core: CoreOptions``, whose ``rest`` says whether to talk to an API server."""

    @click.option("--core", is_flag=True, help="Talk to Kubernetes directly, even when logged in.")
    @click.option(
        "--kubeconfig",
        type=click.Path(path_type=Path, dir_okay=False),
        envvar="KUBECONFIG",
        help="Path to a kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).",
    )
    @click.option("--kube-context", "context", help="Name of the kubeconfig context to use.")
    @click.option(
        "--namespace",
        "-n",
        default=DEFAULT_NAMESPACE,
        show_default=True,
        envvar="ARGOCD_NAMESPACE",
        help="Namespace of the kaiun control plane.",
    )
    @functools.wraps(fn)
    def wrapper(
        *args: Any,
        core: bool,
        kubeconfig: Path | None,
        context: str | None,
        namespace: str,
        **kwargs: Any,
    ) -> Any:
        flags = {k: kwargs.pop(k) for k in REST_KEYS}
        source = click.get_current_context().get_parameter_source("kubeconfig")
        explicit = source == click.core.ParameterSource.COMMANDLINE or context is not None
        target = choose_target(flags, core=core, kube_explicit=explicit)
        # $KUBECONFIG may list several files; the kube room reads the list itself.
        path = None if kubeconfig is not None and ":" in str(kubeconfig) else kubeconfig
        return fn(*args, core=CoreOptions(path, context, namespace, target), **kwargs)

    for option in rest_connection_options():
        wrapper.__dict__.setdefault("__click_params__", []).append(option)
    return wrapper  # type: ignore[return-value]


def run(core: CoreOptions, action: Callable[[KubeClient], Awaitable[T]]) -> T:
    """Connect, run ``action`` and map kube errors to Argo CD's messages and exit codes."""

    async def main() -> T:
        config = from_kubeconfig(core.kubeconfig, context=core.context)
        async with await KubeClient.connect(config) as client:
            return await action(client)

    try:
        return asyncio.run(main())
    except kube_errors.ConfigError as exc:
        raise CommandError(f"{exc}", EXIT_CONNECTION) from exc
    except kube_errors.Unreachable as exc:
        raise CommandError(str(exc), EXIT_CONNECTION) from exc
    except kube_errors.NotFound as exc:
        raise CommandError(exc.api_message or str(exc), EXIT_NOT_FOUND) from exc
    except (kube_errors.Unauthorized, kube_errors.Forbidden) as exc:
        raise CommandError(str(exc), EXIT_API) from exc
    except kube_errors.APIError as exc:
        raise CommandError(exc.api_message or str(exc), EXIT_GENERIC) from exc


async def get_project(client: KubeClient, namespace: str, name: str) -> dict[str, Any]:
    """One AppProject, or a not-found error naming it."""
    try:
        return await client.get(API_VERSION, KIND, name, namespace)
    except kube_errors.NotFound as exc:
        raise CommandError(
            f'appprojects.argoproj.io "{name}" not found in namespace {namespace}', EXIT_NOT_FOUND
        ) from exc


def check_spec(spec: dict[str, Any]) -> None:
    """Refuse a spec Argo CD's API server would refuse."""
    found = project_problems(spec)
    if found:
        raise CommandError("; ".join(found), EXIT_GENERIC)


async def update_project(
    client: KubeClient,
    namespace: str,
    name: str,
    mutate: Callable[[dict[str, Any]], bool],
    *,
    attempts: int = 5,
) -> dict[str, Any]:
    """Read the project, let ``mutate`` edit its spec in place, write it back.

    ``mutate`` returns False when there is nothing to write. The write carries the read's
    resourceVersion, so a concurrent change makes us read again rather than lose it.
    """
    for attempt in range(attempts):
        proj = await get_project(client, namespace, name)
        spec = proj.setdefault("spec", {})
        if not mutate(spec):
            return proj
        check_spec(spec)
        try:
            return await client.replace(proj, field_manager="kaiun-cli")
        except kube_errors.Conflict:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def clean(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as users read it: no managedFields."""
    out = dict(obj)
    meta = dict(out.get("metadata") or {})
    meta.pop("managedFields", None)
    out["metadata"] = meta
    return out


def print_resource(obj: Any, output: str) -> None:
    """Argo CD's ``PrintResource``: indented JSON or YAML."""
    if output == "json":
        click.echo(json.dumps(obj, indent=2))
    else:
        click.echo(yaml.safe_dump(obj, sort_keys=False, default_flow_style=False), nl=False)


def print_table(header: list[str], rows: list[list[str]]) -> None:
    """A Go ``tabwriter`` table (min width 0, padding 2), as argocd prints."""
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    for row in [header, *rows]:
        cells = [c.ljust(w) for c, w in zip(row, widths, strict=True)]
        click.echo("  ".join(cells).rstrip())


def output_option(choices: tuple[str, ...], default: str = "wide") -> Callable[[F], F]:
    """``-o/--output`` with Argo CD's formats."""
    return click.option(
        "--output",
        "-o",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help="Output format. One of: " + "|".join(choices),
    )


def read_manifest(path: str) -> dict[str, Any]:
    """Read one AppProject from a YAML/JSON file (``-`` is stdin)."""
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            text = Path(path).read_text()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}", EXIT_GENERIC) from exc
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise CommandError(f"{path} is not valid YAML: {exc}", EXIT_GENERIC) from exc
    if len(docs) != 1 or not isinstance(docs[0], dict) or docs[0].get("kind") != KIND:
        raise CommandError(f"{path} must hold exactly one AppProject", EXIT_GENERIC)
    return docs[0]
