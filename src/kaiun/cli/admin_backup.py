"""``kaiun admin export`` / ``kaiun admin import``: back up a control plane (settings
ConfigMaps, Argo CD Secrets, AppProjects, Applications, ApplicationSets) to one YAML stream
and restore it, idempotently, as ``argocd admin export|import`` do. Core mode: Kubernetes
directly, with the kubeconfig's rights.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from kaiun.cli import backup
from kaiun.cli.app.core import AppError, Core, default_namespace
from kaiun.kube import KubeClient
from kaiun.kube import errors as kerrors

_CONFLICT_RETRIES = 5


def _connection(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--kubeconfig", type=click.Path(dir_okay=False), default=None,
                     help="Path to the kubeconfig (default: $KUBECONFIG or ~/.kube/config)."),
        click.option("--kube-context", "--context", "kube_context", default=None,
                     help="Kubeconfig context to use."),
        click.option("-n", "--namespace", default=None,
                     help="Control-plane namespace (default argocd or $KAIUN_NAMESPACE)."),
        click.option("--application-namespaces", default="",
                     help="Comma-separated namespace globs of apps beside the control plane's."),
        click.option("--applicationset-namespaces", default="",
                     help="Comma-separated namespace globs of ApplicationSets likewise."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def _core(opts: dict[str, Any]) -> Core:
    return Core(opts["kubeconfig"], opts["kube_context"], opts["namespace"] or default_namespace())


def _globs(value: str) -> tuple[str, ...]:
    return tuple(g.strip() for g in value.split(",") if g.strip())


async def _live(
    client: KubeClient, namespace: str, app_globs: tuple[str, ...], set_globs: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Every live object export and import consider, in export order."""
    out: list[dict[str, Any]] = []
    for api, kind in backup.KINDS:
        globs = app_globs if kind == "Application" else set_globs
        wide = kind in ("Application", "ApplicationSet") and bool(globs)
        try:
            items = (await client.list(api, kind, None if wide else namespace)).items
        except kerrors.NotFound:
            if kind == "ApplicationSet":  # the CRD is optional, as in Argo CD
                continue
            raise
        items = [
            {"apiVersion": api, "kind": kind, **i}
            for i in items
            if backup.in_scope(str((i.get("metadata") or {}).get("namespace")), namespace, globs)
        ]
        items = [i for i in items if backup.belongs(i)]
        if kind == "ConfigMap":
            order = {n: p for p, n in enumerate(backup.CONFIGMAPS)}
            items.sort(key=lambda i: order[i["metadata"]["name"]])
        else:
            items.sort(key=lambda i: (i["metadata"].get("namespace", ""), i["metadata"]["name"]))
        out.extend(items)
    return out


@click.command("export")
@_connection
@click.option("-o", "--out", default="-", help="Write to this file instead of stdout.")
def export(out: str, **opts: Any) -> None:
    """Export all Argo CD data (settings, secrets, projects, apps, appsets) as YAML."""
    core = _core(opts)
    apps, sets = _globs(opts["application_namespaces"]), _globs(opts["applicationset_namespaces"])

    async def work(client: KubeClient) -> list[dict[str, Any]]:
        return await _live(client, core.namespace, apps, sets)

    text = backup.dump(backup.clean(o, core.namespace) for o in core.run(work))
    if out == "-":
        sys.stdout.write(text)
        return
    # The backup holds Secrets' data: readable by its owner only.
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
    except OSError as exc:
        raise AppError(f"cannot write {out}: {exc.strerror}") from exc


def _read(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    try:
        with open(source, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise AppError(f"cannot read {source}: {exc.strerror}") from exc
    except UnicodeDecodeError:
        raise AppError(f"{source} is not UTF-8 text") from None


async def _apply(
    client: KubeClient,
    doc: dict[str, Any],
    live: dict[str, Any] | None,
    namespace: str,
    *,
    dry_run: bool,
    stop_operation: bool,
) -> str:
    """Create or update one object from the backup; returns the verb for the report."""
    for _ in range(_CONFLICT_RETRIES):
        if live is None:
            if not dry_run:
                try:
                    await client.create(
                        backup.created(doc, namespace, stop_operation=stop_operation),
                        field_manager="kaiun-import",
                    )
                except kerrors.AlreadyExists:
                    live = await _get(client, doc, namespace)
                    continue
            return "created"
        if not backup.differs(doc, live):
            return "unchanged"
        if not dry_run:
            try:
                await client.replace(
                    backup.updated(doc, live, stop_operation=stop_operation),
                    field_manager="kaiun-import",
                )
            except kerrors.Conflict:  # e.g. the controller wrote the app's status meanwhile
                live = await _get(client, doc, namespace)
                continue
        return "updated"
    kind, ns, name = backup.key(doc, namespace)
    raise AppError(f"{kind} {ns}/{name} kept changing while importing it; try again")


async def _get(client: KubeClient, doc: dict[str, Any], namespace: str) -> dict[str, Any] | None:
    kind, ns, name = backup.key(doc, namespace)
    try:
        obj = await client.get(str(doc["apiVersion"]), kind, name, ns)
    except kerrors.NotFound:
        return None
    return {"apiVersion": doc["apiVersion"], "kind": kind, **obj}


async def _prune(client: KubeClient, obj: dict[str, Any], *, dry_run: bool) -> None:
    meta = obj["metadata"]
    api, kind, name, ns = str(obj["apiVersion"]), str(obj["kind"]), meta["name"], meta["namespace"]
    if dry_run:
        return
    if kind == "Application" and meta.get("finalizers"):
        # Without this the controller would delete everything the app deployed.
        await client.patch(api, kind, name, {"metadata": {"finalizers": None}}, namespace=ns)
    with contextlib.suppress(kerrors.NotFound):
        await client.delete(api, kind, name, namespace=ns)


@click.command("import")
@click.argument("source")
@_connection
@click.option("--dry-run", is_flag=True, help="Print what would change without changing it.")
@click.option("--prune", is_flag=True, help="Delete objects that are not in the backup.")
@click.option("--verbose", is_flag=True, help="Also list unchanged objects.")
@click.option("--stop-operation", is_flag=True, help="Drop running operations of apps.")
@click.option(
    "--skip-resources-with-label",
    "skip_label",
    default="",
    help="Neither import nor prune objects with this label (KEY=VALUE or KEY).",
)
def import_(
    source: str,
    dry_run: bool,
    prune: bool,
    verbose: bool,
    stop_operation: bool,
    skip_label: str,
    **opts: Any,
) -> None:
    """Import Argo CD data from a file (or stdin with ``-``), creating and updating objects."""
    core = _core(opts)
    apps, sets = _globs(opts["application_namespaces"]), _globs(opts["applicationset_namespaces"])
    try:
        docs = backup.parse_stream(_read(source), core.namespace)
    except backup.BackupError as exc:
        raise AppError(str(exc)) from None
    if skip_label:
        docs = [d for d in docs if not backup.has_label(d, skip_label)]
    for doc in docs:
        kind, ns, name = backup.key(doc, core.namespace)
        globs = apps if kind == "Application" else sets
        if kind in backup.NAMESPACED_ANYWHERE and not backup.in_scope(ns, core.namespace, globs):
            raise AppError(
                f"{kind} {ns}/{name} is outside the control-plane namespace {core.namespace!r}: "
                f"allow its namespace with --{kind.lower()}-namespaces"
            )

    async def work(client: KubeClient) -> None:
        live = {
            backup.key(o, core.namespace): o
            for o in await _live(client, core.namespace, apps, sets)
        }
        for doc in docs:
            k = backup.key(doc, core.namespace)
            verb = await _apply(
                client, doc, live.pop(k, None), core.namespace,
                dry_run=dry_run, stop_operation=stop_operation,
            )  # fmt: skip
            if verb != "unchanged" or verbose:
                click.echo(backup.Change(doc, verb).line(dry_run))
        if prune:
            for obj in live.values():
                if skip_label and backup.has_label(obj, skip_label):
                    continue
                await _prune(client, obj, dry_run=dry_run)
                click.echo(backup.Change(obj, "pruned").line(dry_run))

    core.run(work)


__all__ = ["export", "import_"]
