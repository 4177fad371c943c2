"""``kaiun app``: manage Argo CD Applications from the command line in core mode, talking to
the Kubernetes API directly (as ``argocd --core``), with argocd's flags, output shapes and exit
codes. One module per concern: ``core`` (connection, errors), ``views`` (output shapes),
``spec`` (spec flags), ``edit`` (create/set/unset/patch), ``show`` (get/list/history/
resources), ``operations`` (sync/wait/rollback/terminate-op), ``watch`` (waiting),
``delete``, ``compare`` (diff/manifests) and ``orphans``.

Part of the cli room: may import every room below it.
"""

from __future__ import annotations

import os

import click

from kaiun.cli.app import compare, delete, edit, operations, show
from kaiun.cli.app.core import Core

__all__ = ["app"]


@click.group("app")
@click.option(
    "--kubeconfig",
    type=click.Path(dir_okay=False),
    default=None,
    help="Path to the kubeconfig (default: $KUBECONFIG or ~/.kube/config).",
)
@click.option("--kube-context", default=None, help="Kubeconfig context to use.")
@click.option(
    "--namespace",
    "-n",
    default=lambda: os.environ.get("KAIUN_NAMESPACE", "argocd"),
    show_default="argocd, or $KAIUN_NAMESPACE",
    help="Namespace of the control plane (projects, settings; default app namespace).",
)
@click.pass_context
def app(
    ctx: click.Context, kubeconfig: str | None, kube_context: str | None, namespace: str
) -> None:
    """Manage applications (core mode: talks to the Kubernetes API directly)."""
    ctx.obj = Core(kubeconfig=kubeconfig, context=kube_context, namespace=namespace)


for command in (
    edit.create,
    edit.set_,
    edit.unset,
    edit.patch,
    show.get,
    show.list_,
    show.history,
    show.resources,
    operations.sync,
    operations.wait,
    operations.rollback,
    operations.terminate_op,
    delete.delete,
    compare.diff,
    compare.manifests,
):
    app.add_command(command)
