"""``kaiun controller``: install the control plane and run the Application controller.

Also ``run_control_plane``, the coroutine ``kaiun up`` uses to run the repo server (in
process) and the controller next to its local cluster.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from kaiun.controllers.application import ApplicationController
from kaiun.engine import DEFAULT_NAMESPACE, install_control_plane
from kaiun.kube import ClusterConfig, KubeClient, from_kubeconfig, in_cluster
from kaiun.kube import errors as kerrors
from kaiun.repo import RepoService
from kaiun.settings.controller import split_namespaces

INSTALL_WAIT = 120.0
METRICS_PORT = 8082  # Argo CD's application controller metrics port


@dataclass(frozen=True)
class MetricsOptions:
    """Where the controller serves ``/metrics`` (port 0: not served) and what it adds."""

    port: int = 0
    address: str = "0.0.0.0"
    app_labels: tuple[str, ...] = ()
    app_conditions: tuple[str, ...] = ()


OnStarted = Callable[[KubeClient, ApplicationController], Awaitable[None]]


def _config(kubeconfig: Path | None) -> ClusterConfig:
    """The kubeconfig given, else ``$KUBECONFIG`` / ``~/.kube/config``, else in-cluster."""
    try:
        return from_kubeconfig(kubeconfig)
    except kerrors.ConfigError:
        if kubeconfig is not None:
            raise
        return in_cluster()


def _repo(work_dir: Path, repo_server: str | None) -> Any:
    if repo_server:
        from kaiun.repo.http import RemoteRepoService  # the web stack only when asked for

        return RemoteRepoService(repo_server)
    return RepoService(work_dir)


async def run_control_plane(
    config: ClusterConfig,
    *,
    namespace: str = DEFAULT_NAMESPACE,
    work_dir: Path,
    stop: asyncio.Event,
    status_processors: int | None = None,
    operation_processors: int | None = None,
    repo_server: str | None = None,
    on_started: OnStarted | None = None,
    metrics: MetricsOptions | None = None,
    application_namespaces: tuple[str, ...] | None = None,
) -> None:
    """Install the control plane, run the controller until ``stop`` is set."""
    metrics = metrics or MetricsOptions()
    async with await KubeClient.connect(config) as client:
        async with asyncio.timeout(INSTALL_WAIT):
            await install_control_plane(client, namespace)
        repo = _repo(work_dir, repo_server)
        controller = ApplicationController(
            client,
            repo,
            namespace,
            status_processors=status_processors,
            operation_processors=operation_processors,
            metrics_port=metrics.port or None,
            metrics_host=metrics.address,
            metrics_app_labels=metrics.app_labels,
            metrics_app_conditions=metrics.app_conditions,
            application_namespaces=application_namespaces,
        )
        await controller.start()
        try:
            if on_started is not None:
                await on_started(client, controller)
            await stop.wait()
        finally:
            await controller.stop()
            if hasattr(repo, "aclose"):
                await repo.aclose()


@click.command("controller")
@click.option(
    "--kubeconfig",
    type=click.Path(path_type=Path),
    default=None,
    help="Kubeconfig of the control-plane cluster (default: $KUBECONFIG, ~/.kube/config, "
    "then the pod's service account).",
)
@click.option(
    "--namespace",
    default=DEFAULT_NAMESPACE,
    show_default=True,
    help="Control-plane namespace (Applications, AppProjects, settings).",
)
@click.option(
    "--status-processors",
    type=int,
    default=None,
    help="Refresh workers (default: controller.status.processors, 20).",
)
@click.option(
    "--operation-processors",
    type=int,
    default=None,
    help="Operation workers (default: controller.operation.processors, 10).",
)
@click.option(
    "--repo-server",
    default=None,
    help="URL of a `kaiun repo-server` (default: render in this process).",
)
@click.option(
    "--work-dir",
    type=click.Path(path_type=Path),
    default=Path(".kaiun/controller"),
    show_default=True,
    help="Git mirrors and render scratch space of the in-process repo server.",
)
@click.option(
    "--metrics-port",
    type=int,
    default=METRICS_PORT,
    show_default=True,
    help="Port of the Prometheus /metrics endpoint (0 disables it).",
)
@click.option(
    "--metrics-address",
    default="0.0.0.0",
    show_default=True,
    help="Address the /metrics endpoint listens on.",
)
@click.option(
    "--metrics-application-labels",
    multiple=True,
    help="Application label exposed in argocd_app_labels (repeatable).",
)
@click.option(
    "--metrics-application-conditions",
    multiple=True,
    help="Application condition type counted in argocd_app_condition (repeatable).",
)
@click.option(
    "--application-namespaces",
    default=None,
    help="Comma-separated namespaces (globs, or /regex/) whose Applications are reconciled "
    "besides the control plane's (default: application.namespaces in argocd-cmd-params-cm).",
)
def controller(
    kubeconfig: Path | None,
    namespace: str,
    status_processors: int | None,
    operation_processors: int | None,
    repo_server: str | None,
    work_dir: Path,
    metrics_port: int,
    metrics_address: str,
    metrics_application_labels: tuple[str, ...],
    metrics_application_conditions: tuple[str, ...],
    application_namespaces: str | None,
) -> None:
    """Run the Application controller until SIGTERM/SIGINT."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    work_dir = work_dir.resolve()
    try:
        config = _config(kubeconfig)
    except kerrors.ConfigError as exc:
        raise click.ClickException(str(exc)) from exc

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)

        async def announce(client: KubeClient, ctl: ApplicationController) -> None:
            click.echo(f"controller running against {client.config.server} namespace={namespace}")
            if ctl.metrics_server is not None:
                click.echo(f"metrics on http://{metrics_address}:{ctl.metrics_server.port}/metrics")

        await run_control_plane(
            config,
            namespace=namespace,
            work_dir=work_dir,
            stop=stop,
            status_processors=status_processors,
            operation_processors=operation_processors,
            repo_server=repo_server,
            on_started=announce,
            metrics=MetricsOptions(
                metrics_port,
                metrics_address,
                metrics_application_labels,
                metrics_application_conditions,
            ),
            application_namespaces=(
                None if application_namespaces is None else split_namespaces(application_namespaces)
            ),
        )

    try:
        asyncio.run(main())
    except kerrors.KubeError as exc:
        raise click.ClickException(str(exc)) from exc
