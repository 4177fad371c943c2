"""Where ``kaiun proj`` reads and writes AppProjects: one protocol, two implementations.

``KubeProjects`` is core mode (the Kubernetes API, as before); ``RestProjects`` is Argo CD's
``ProjectService`` on an API server (``/api/v1/projects``). The commands build and print
the same objects either way, so both modes print the same output.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, Protocol

from kaiun.cli.proj_support import (
    API_VERSION,
    KIND,
    CommandError,
    CoreOptions,
    check_spec,
    get_project,
    run,
    update_project,
)
from kaiun.cli.restclient import RestClient, RestError, classified_exit, path
from kaiun.cli.restconfig import Target
from kaiun.kube import KubeClient
from kaiun.kube import errors as kube_errors
from kaiun.model.appproject import DEFAULT_PROJECT

Mutate = Callable[[dict[str, Any]], bool]
ATTEMPTS = 5


class ProjectBackend(Protocol):
    """AppProject operations; failures are ``CommandError``/``RestError`` (exit codes set)."""

    def get(self, name: str) -> dict[str, Any]:
        """One project."""
        ...

    def list_projects(self) -> list[dict[str, Any]]:
        """Every project the caller may see."""
        ...

    def create(self, obj: dict[str, Any], *, upsert: bool) -> None:
        """Create; an existing project with another spec needs ``upsert``."""
        ...

    def modify(self, name: str, mutate: Mutate) -> dict[str, Any]:
        """Read, let ``mutate`` edit the spec (False: nothing to write), check, write."""
        ...

    def delete(self, name: str) -> None:
        """Delete a project no application uses."""
        ...

    def scoped(self, name: str) -> tuple[list[str], list[str]]:
        """Repository URLs and cluster servers scoped to the project."""
        ...


def backend(core: CoreOptions) -> ProjectBackend:
    """The backend the options choose (REST when a server or login context is in play)."""
    return RestProjects(core.rest) if core.rest else KubeProjects(core)


class KubeProjects:
    """Core mode: the AppProject objects in the control-plane namespace."""

    def __init__(self, core: CoreOptions) -> None:
        self.core = core
        self.ns = core.namespace

    def get(self, name: str) -> dict[str, Any]:
        """One project (exit 13 when missing)."""
        return run(self.core, lambda c: get_project(c, self.ns, name))

    def list_projects(self) -> list[dict[str, Any]]:
        """Every project of the namespace."""

        async def action(client: KubeClient) -> list[dict[str, Any]]:
            return (await client.list(API_VERSION, KIND, self.ns)).items

        return run(self.core, action)

    def create(self, obj: dict[str, Any], *, upsert: bool) -> None:
        """Create; an unchanged existing project is fine, a different one needs upsert."""
        name = obj["metadata"]["name"]

        async def action(client: KubeClient) -> None:
            try:
                await client.create(obj, field_manager="kaiun-cli")
                return
            except kube_errors.AlreadyExists:
                existing = await get_project(client, self.ns, name)
            if (existing.get("spec") or {}) == obj["spec"]:
                return
            if not upsert:
                raise CommandError(
                    "existing project spec is different, use upsert flag to force update"
                )
            existing["spec"] = obj["spec"]
            await client.replace(existing, field_manager="kaiun-cli")

        run(self.core, action)

    def modify(self, name: str, mutate: Mutate) -> dict[str, Any]:
        """Read-modify-write guarded by resourceVersion (retried on conflicts)."""
        return run(self.core, lambda c: update_project(c, self.ns, name, mutate))

    def delete(self, name: str) -> None:
        """Refused while Applications use the project."""

        async def action(client: KubeClient) -> None:
            apps = (await client.list(API_VERSION, "Application", self.ns)).items
            users = [
                a for a in apps if ((a.get("spec") or {}).get("project") or DEFAULT_PROJECT) == name
            ]
            if users:
                raise CommandError(f"project is referenced by {len(users)} applications")
            await get_project(client, self.ns, name)
            await client.delete(API_VERSION, KIND, name, namespace=self.ns)

        run(self.core, action)

    def scoped(self, name: str) -> tuple[list[str], list[str]]:
        """From the repository and cluster Secrets whose ``project`` is ``name``."""

        async def action(client: KubeClient) -> tuple[list[str], list[str]]:
            repos = await _scoped(client, self.ns, name, "repository", "url")
            clusters = await _scoped(client, self.ns, name, "cluster", "server")
            return repos, clusters

        return run(self.core, action)


async def _scoped(client: KubeClient, namespace: str, name: str, kind: str, key: str) -> list[str]:
    # Repository and cluster Secrets scoped to a project carry data.project = <name>.
    secrets = await client.list(
        "v1", "Secret", namespace, label_selector=f"argocd.argoproj.io/secret-type={kind}"
    )
    out = []
    for s in secrets.items:
        data = s.get("data") or {}
        if _b64(data.get("project")) == name:
            out.append(_b64(data.get(key)))
    return sorted(out)


def _b64(value: Any) -> str:
    try:
        return base64.b64decode(str(value or "")).decode()
    except (ValueError, UnicodeDecodeError):
        return ""


class RestProjects:
    """Argo CD's ``ProjectService`` over an API server."""

    def __init__(self, target: Target) -> None:
        self.http = RestClient(target, classified_exit)

    def get(self, name: str) -> dict[str, Any]:
        """``GET /api/v1/projects/NAME``."""
        return dict(self.http.get(f"/api/v1/projects/{path(name)}"))

    def list_projects(self) -> list[dict[str, Any]]:
        """``GET /api/v1/projects``."""
        return list(self.http.get("/api/v1/projects").get("items") or [])

    def create(self, obj: dict[str, Any], *, upsert: bool) -> None:
        """``POST /api/v1/projects`` (the server compares specs and honours upsert)."""
        self.http.post("/api/v1/projects", {"project": obj, "upsert": upsert})

    def modify(self, name: str, mutate: Mutate) -> dict[str, Any]:
        """GET, edit, ``PUT`` (the server replaces the spec; a 409 is read again)."""
        for attempt in range(ATTEMPTS):
            proj = self.get(name)
            spec = proj.setdefault("spec", {})
            if not mutate(spec):
                return proj
            check_spec(spec)
            try:
                return dict(self.http.put(f"/api/v1/projects/{path(name)}", {"project": proj}))
            except RestError as exc:
                if exc.status != 409 or attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def delete(self, name: str) -> None:
        """``DELETE /api/v1/projects/NAME`` (the server refuses a project in use)."""
        self.http.delete(f"/api/v1/projects/{path(name)}")

    def scoped(self, name: str) -> tuple[list[str], list[str]]:
        """Repositories and clusters whose ``project`` is ``name`` (those the caller may
        list; none when it may list neither)."""
        out: list[list[str]] = []
        for url, key in (("/api/v1/repositories", "repo"), ("/api/v1/clusters", "server")):
            try:
                items = self.http.get(url).get("items") or []
            except RestError:
                items = []
            out.append(sorted(str(i.get(key, "")) for i in items if i.get("project") == name))
        return out[0], out[1]
