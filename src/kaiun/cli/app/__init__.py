"""``kaiun app``: manage Argo CD Applications from the command line in core mode, talking to
the Kubernetes API directly (as ``argocd --core``), with argocd's flags, output shapes and exit
codes. One module per concern: ``core`` (connection, errors), ``views`` (output shapes),
``spec`` (spec flags), ``edit`` (create/set/unset/patch), ``show`` (get/list/history/
resources), ``operations`` (sync/wait/rollback/terminate-op), ``watch`` (waiting),
``delete``, ``compare`` (diff/manifests) and ``orphans``.

Part of the cli room: may import every room below it.
"""

from __future__ import annotations

from typing import Any

import click

from kaiun.cli.app import compare, delete, edit, operations, show
from kaiun.cli.app.core import Core, connection_options, default_namespace
from kaiun.cli.restclient import REST_KEYS

__all__ = ["app"]


@click.group("app")
@click.pass_context
def app(ctx: click.Context, /, **opts: Any) -> None:
    """Manage applications, through an API server (after `kaiun login`, or with --server)
    or, in core mode (--core, or no login at all), through the Kubernetes API directly.

    The connection options may be given here or after the subcommand.
    """
    ctx.obj = Core(
        kubeconfig=opts["kubeconfig"],
        context=opts["kube_context"],
        namespace=opts["namespace"] or default_namespace(),
        flags={k: v for k, v in opts.items() if k in (*REST_KEYS, "core") and v is not None},
    )


app.params.extend(connection_options())


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
