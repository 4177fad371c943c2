"""``kaiun repo render`` (one source via the repo server) and ``kaiun repo-server`` (the role)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import click
import orjson
import yaml

from kaiun import repo
from kaiun.kube.errors import KubeError

__all__ = ["repo_group", "repo_server"]


def _pairs(values: tuple[str, ...], flag: str) -> list[tuple[str, str]]:
    out = []
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint=flag)
        out.append((name, value))
    return out


def _source(opts: dict[str, Any]) -> dict[str, Any]:
    source: dict[str, Any] = {
        "repoURL": opts["repo_url"],
        "targetRevision": opts["revision"],
        "path": opts["path"],
        "chart": opts["chart"],
    }
    helm: dict[str, Any] = {}
    if opts["helm_set"]:
        helm["parameters"] = [
            {"name": k, "value": v} for k, v in _pairs(opts["helm_set"], "--helm-set")
        ]
    if opts["helm_values"]:
        helm["valueFiles"] = list(opts["helm_values"])
    if opts["release_name"]:
        helm["releaseName"] = opts["release_name"]
    if helm:
        source["helm"] = helm
    if opts["kustomize_image"]:
        source["kustomize"] = {"images": list(opts["kustomize_image"])}
    if opts["jsonnet_ext_var"]:
        ext = [
            {"name": k, "value": v} for k, v in _pairs(opts["jsonnet_ext_var"], "--jsonnet-ext-var")
        ]
        source["directory"] = {"jsonnet": {"extVars": ext}}
    return {k: v for k, v in source.items() if v not in ("", None)}


@click.group("repo")
def repo_group() -> None:
    """Work with repositories the way the repo server does."""


@repo_group.command("render")
@click.option("--repo", "repo_url", required=True, help="Git or Helm repository URL.")
@click.option(
    "--revision", default="HEAD", show_default=True, help="Branch, tag, SHA or semver range."
)
@click.option("--path", default="", help="Path of the app inside the repository.")
@click.option("--chart", default="", help="Chart name (for a Helm chart repository).")
@click.option("--app-name", default="", help="Application name (Helm release name default).")
@click.option("--namespace", default="default", show_default=True)
@click.option("--helm-set", multiple=True, help="Helm parameter NAME=VALUE (repeatable).")
@click.option("--helm-values", multiple=True, help="Helm value file in the repo (repeatable).")
@click.option("--release-name", default="", help="Helm release name.")
@click.option("--kustomize-image", multiple=True, help="Kustomize image override (repeatable).")
@click.option("--jsonnet-ext-var", multiple=True, help="Jsonnet ext var NAME=VALUE (repeatable).")
@click.option("-o", "--output", type=click.Choice(["yaml", "json"]), default="yaml")
@click.option(
    "--work-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: (
        Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kaiun" / "repo"
    ),
    help="Where mirrors and checkouts are kept.",
)
def render(**opts: Any) -> None:
    """Render the manifests of one source and print them."""
    request = repo.ManifestRequest(
        source=repo.ApplicationSource.from_dict(_source(opts)),
        app_name=opts["app_name"],
        namespace=opts["namespace"],
    )
    service = repo.RepoService(opts["work_dir"])
    try:
        response = asyncio.run(service.generate_manifest(request))
    except repo.RepoError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if opts["output"] == "json":
        click.echo(orjson.dumps(list(response.manifests), option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(yaml.safe_dump_all(response.manifests, sort_keys=False), nl=False)


@click.command("repo-server")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8081, show_default=True, type=int)
@click.option(
    "--work-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("/var/lib/kaiun/repo-server"),
    show_default=True,
    help="Where mirrors, checkouts and charts are kept.",
)
@click.option("--parallelism-limit", default=10, show_default=True, type=int)
@click.option(
    "--token-env",
    default="KAIUN_REPO_SERVER_TOKEN",
    show_default=True,
    help="Environment variable holding the bearer token clients must send (unset: none).",
)
@click.option(
    "--credentials-namespace",
    default=None,
    help="Read repository Secrets, argocd-ssh-known-hosts-cm and argocd-tls-certs-cm from "
    "this control-plane namespace and keep them current (default: anonymous access only).",
)
@click.option(
    "--kubeconfig",
    type=click.Path(path_type=Path),
    default=None,
    help="Cluster to read credentials from (default: $KUBECONFIG, ~/.kube/config, then the "
    "pod's service account).",
)
def repo_server(
    host: str,
    port: int,
    work_dir: Path,
    parallelism_limit: int,
    token_env: str,
    credentials_namespace: str | None,
    kubeconfig: Path | None,
) -> None:
    """Run the repo server role over HTTP (distributed mode)."""
    import uvicorn

    from kaiun.repo.http import repo_server_app

    service = repo.RepoService(work_dir, parallelism=parallelism_limit)
    app = repo_server_app(service, token=os.environ.get(token_env, ""))
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="info"))
    try:
        asyncio.run(_serve(server, service, credentials_namespace, kubeconfig))
    except KubeError as exc:
        raise click.ClickException(str(exc)) from exc


async def _serve(
    server: Any, service: repo.RepoService, namespace: str | None, kubeconfig: Path | None
) -> None:
    """Serve; with a namespace, beside a live watch of its repository credentials."""
    if not namespace:
        await server.serve()
        return
    from kaiun.cli.controller import _config
    from kaiun.controllers.repocreds import RepoCredentialsWatch
    from kaiun.kube import KubeClient

    async with await KubeClient.connect(_config(kubeconfig)) as client:
        watch = RepoCredentialsWatch(client, namespace, service)
        await watch.start()
        try:
            await server.serve()
        finally:
            await watch.stop()
