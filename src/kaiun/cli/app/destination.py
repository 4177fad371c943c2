"""The destination cluster of an Application, opened the way the controller opens it:
control-plane settings, the project verdict, and a synced cache of the cluster's objects.

``app diff`` compares against this cache and ``app get -o tree`` / ``app resources`` read the
owner graph from it; the cache lives for one command.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from kaiun.cli.app.core import APP_API, PROJECT_KIND, AppError
from kaiun.controllers.application import project as projects
from kaiun.controllers.application.clusters import Cluster, Clusters, DestinationError
from kaiun.controllers.application.context import Settings, health_fn
from kaiun.controllers.application.controller import load_settings
from kaiun.kube import KubeClient
from kaiun.kube import errors as kerrors
from kaiun.model.application import Application


@dataclass(frozen=True)
class Destination:
    """An opened destination: its cluster (client and cache), settings and project."""

    cluster: Cluster
    settings: Settings
    verdict: projects.ProjectVerdict


async def _project(client: KubeClient, namespace: str, name: str) -> dict[str, Any] | None:
    try:
        return await client.get(APP_API, PROJECT_KIND, name, namespace)
    except kerrors.NotFound:
        return None


@asynccontextmanager
async def open_destination(
    client: KubeClient, control_ns: str, app: Application
) -> AsyncIterator[Destination]:
    """Open (and afterwards close) the app's destination; AppError when the project refuses
    the app or the destination is unknown."""
    settings, cache_settings = await load_settings(client, control_ns)
    clusters = Clusters(
        client,
        control_ns,
        cache_settings,
        lambda _event: None,
        health=health_fn(settings.overrides),
    )
    try:
        await clusters.load_secrets()
        verdict = projects.check(
            app,
            await _project(client, control_ns, app.project),
            cluster_names=clusters.names,
            control_namespace=control_ns,
        )
        if verdict.problems:
            raise AppError("; ".join(verdict.problems))
        try:
            cluster = await clusters.get(app.destination)
        except DestinationError as exc:
            raise AppError(str(exc)) from exc
        yield Destination(cluster, settings, verdict)
    finally:
        await clusters.close()
