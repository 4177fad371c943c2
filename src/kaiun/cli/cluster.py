"""``kaiun cluster add|list|get|rm``: Argo CD's cluster commands over the REST API.

``cluster add CONTEXT`` does what ``argocd cluster add`` does: it reads the context from the
kubeconfig, installs the ``argocd-manager`` ServiceAccount with its RBAC on that cluster,
waits for the cluster to issue the account a token, and registers the cluster with that
bearer token. ``--bearer-token`` registers a token you already have instead.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import click

from kaiun.cli.cluster_manager import ManagerAccount, install_manager
from kaiun.cli.restcmd import (
    CommandError,
    api,
    client,
    emit,
    output_option,
    rest_options,
    segment,
    table,
)
from kaiun.kube import KubeClient, from_kubeconfig
from kaiun.kube import errors as kerrors
from kaiun.model.appproject import IN_CLUSTER_SERVER


@click.group("cluster")
def cluster() -> None:
    """Manage the clusters applications deploy to."""


def _pairs(values: tuple[str, ...], flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        k, sep, v = item.partition("=")
        if not sep or not k:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint=flag)
        out[k] = v
    return out


@cluster.command("add")
@click.argument("context")
@click.option(
    "--kubeconfig",
    type=click.Path(dir_okay=False),
    default=None,
    help="Kubeconfig to read CONTEXT from (default $KUBECONFIG or ~/.kube/config).",
)
@click.option("--name", default="", help="Cluster name (default: the context name).")
@click.option(
    "--namespace",
    "namespaces",
    multiple=True,
    help="Namespace the cluster is restricted to (repeatable; default: all).",
)
@click.option(
    "--cluster-resources",
    is_flag=True,
    help="With --namespace: manage cluster-scoped resources too.",
)
@click.option("--project", default="", help="Project the cluster is scoped to.")
@click.option("--label", "labels", multiple=True, help="Label KEY=VALUE of the cluster.")
@click.option("--annotation", "annotations", multiple=True, help="Annotation KEY=VALUE.")
@click.option(
    "--in-cluster",
    is_flag=True,
    help=f"Register as {IN_CLUSTER_SERVER} (kaiun runs inside this cluster).",
)
@click.option(
    "--system-namespace",
    default="kube-system",
    show_default=True,
    help="Namespace of the manager ServiceAccount.",
)
@click.option(
    "--service-account",
    default="",
    help="Use this existing ServiceAccount instead of creating argocd-manager.",
)
@click.option(
    "--bearer-token", default="", help="Register with this token; installs nothing on the cluster."
)
@click.option(
    "--token-timeout",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds to wait for the cluster to issue the account's token.",
)
@click.option("--upsert", is_flag=True, help="Replace an existing cluster that differs.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@rest_options
def add(context: str, **opts: Any) -> None:
    """Register the cluster of a kubeconfig context."""
    try:
        config = from_kubeconfig(opts["kubeconfig"], context=context)
    except kerrors.ConfigError as exc:
        raise CommandError(str(exc)) from None
    namespaces = list(opts["namespaces"])
    token = opts["bearer_token"]
    if not token:
        account = ManagerAccount(
            namespace=opts["system_namespace"],
            name=opts["service_account"] or "argocd-manager",
            create=not opts["service_account"],
            namespaces=tuple(namespaces),
            cluster_resources=opts["cluster_resources"],
        )
        if account.create and not opts["yes"]:
            scope = f"namespaces {', '.join(namespaces)}" if namespaces else "full cluster level"
            click.confirm(
                f"WARNING: This will create a service account `{account.name}` on the cluster "
                f"referenced by context `{context}` with {scope} privileges. Do you want to "
                "continue", abort=True,
            )  # fmt: skip

        async def work() -> str:
            async with await KubeClient.connect(config) as kube:
                return await install_manager(
                    kube, account, wait_seconds=opts["token_timeout"], report=click.echo
                )

        try:
            token = asyncio.run(work())
        except kerrors.KubeError as exc:
            raise CommandError(f"cannot install the manager account: {exc}") from None
    tls: dict[str, Any] = {"insecure": config.insecure}
    if config.ca_data and not config.insecure:
        tls["caData"] = base64.b64encode(config.ca_data.encode()).decode()
    if config.tls_server_name:
        tls["serverName"] = config.tls_server_name
    body = {
        "server": IN_CLUSTER_SERVER if opts["in_cluster"] else config.server,
        "name": opts["name"] or context,
        "config": {"bearerToken": token, "tlsClientConfig": tls},
        "namespaces": namespaces,
        "clusterResources": opts["cluster_resources"],
        "project": opts["project"],
        "labels": _pairs(opts["labels"], "--label"),
        "annotations": _pairs(opts["annotations"], "--annotation"),
    }
    params = {"upsert": "true"} if opts["upsert"] else {}
    with client(opts) as c:
        created = api(c, "POST", "/api/v1/clusters", json=body, params=params)
    click.echo(f"Cluster '{created.get('server', body['server'])}' added")


HEADER = ("SERVER", "NAME", "VERSION", "STATUS", "MESSAGE", "PROJECT")


def _row(c: dict[str, Any]) -> list[Any]:
    state = c.get("connectionState") or (c.get("info") or {}).get("connectionState") or {}
    version = c.get("serverVersion") or (c.get("info") or {}).get("serverVersion", "")
    return [
        c.get("server", ""), c.get("name", ""), version, state.get("status", ""),
        state.get("message", ""), c.get("project", ""),
    ]  # fmt: skip


@cluster.command("list")
@output_option("wide", "server", "json", "yaml")
@rest_options
def list_(output: str, **opts: Any) -> None:
    """List clusters with their connection state."""
    with client(opts) as c:
        items = api(c, "GET", "/api/v1/clusters").get("items") or []
    if emit(items, output):
        return
    if output == "server":
        for item in items:
            click.echo(item.get("server", ""))
        return
    table(HEADER, [_row(i) for i in items])


def _ident(server_or_name: str) -> tuple[str, dict[str, str]]:
    """A URL names a cluster by server, anything else by name (as argocd)."""
    if "://" in server_or_name:
        return segment(server_or_name), {}
    return segment(server_or_name), {"id.type": "name"}


@cluster.command("get")
@click.argument("server_or_name", metavar="SERVER/NAME")
@output_option("yaml", "json", "wide", "server", default="yaml")
@rest_options
def get(server_or_name: str, output: str, **opts: Any) -> None:
    """Show one cluster (by server URL or name); never its credentials."""
    ident, params = _ident(server_or_name)
    with client(opts) as c:
        body = api(c, "GET", f"/api/v1/clusters/{ident}", params=params)
    if emit(body, output):
        return
    if output == "server":
        click.echo(body.get("server", ""))
        return
    table(HEADER, [_row(body)])


@cluster.command("set")
@click.argument("server_or_name", metavar="NAME")
@click.option("--name", "new_name", default="", help="New name of the cluster.")
@click.option(
    "--namespace",
    "namespaces",
    multiple=True,
    help="Namespaces the cluster is restricted to (repeatable; '*' for all).",
)
@click.option("--label", "labels", multiple=True, help="Label KEY=VALUE (replaces labels).")
@click.option(
    "--annotation",
    "annotations",
    multiple=True,
    help="Annotation KEY=VALUE (replaces annotations).",
)
@rest_options
def set_(
    server_or_name: str,
    new_name: str,
    namespaces: tuple[str, ...],
    labels: tuple[str, ...],
    annotations: tuple[str, ...],
    **opts: Any,
) -> None:
    """Change a cluster's name, namespaces, labels or annotations (credentials are kept)."""
    ident, params = _ident(server_or_name)
    with client(opts) as c:
        current = api(c, "GET", f"/api/v1/clusters/{ident}", params=params)
        body = {
            k: v
            for k, v in current.items()
            if k not in ("connectionState", "serverVersion", "info", "config")
        }
        if new_name:
            body["name"] = new_name
        if namespaces:
            body["namespaces"] = [] if list(namespaces) == ["*"] else list(namespaces)
        if labels:
            body["labels"] = _pairs(labels, "--label")
        if annotations:
            body["annotations"] = _pairs(annotations, "--annotation")
        api(c, "PUT", f"/api/v1/clusters/{segment(str(current['server']))}", json=body)
    click.echo(f"Cluster '{server_or_name}' updated.")


@cluster.command("rm")
@click.argument("servers_or_names", nargs=-1, required=True, metavar="SERVER/NAME...")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@rest_options
def rm(servers_or_names: tuple[str, ...], yes: bool, **opts: Any) -> None:
    """Remove clusters (apps deploying to them turn Unknown)."""
    with client(opts) as c:
        for item in servers_or_names:
            if not yes and not click.confirm(
                f"Are you sure you want to remove '{item}'? Any Apps deploying to this "
                "cluster will go to health status Unknown."
            ):
                continue
            ident, params = _ident(item)
            api(c, "DELETE", f"/api/v1/clusters/{ident}", params=params)
            click.echo(f"Cluster '{item}' removed")


__all__ = ["cluster"]
