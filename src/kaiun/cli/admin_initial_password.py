"""``kaiun admin initial-password``: print the admin's initial password from Secret
``argocd-initial-admin-secret``, read through a kubeconfig."""

from __future__ import annotations

import asyncio

import click

from kaiun.auth import INITIAL_ADMIN_SECRET, AccountStore
from kaiun.kube import KubeClient, from_kubeconfig
from kaiun.kube import errors as kube_errors


async def _read(kubeconfig: str | None, context: str | None, namespace: str) -> str | None:
    async with await KubeClient.connect(from_kubeconfig(kubeconfig, context=context)) as kube:
        return await AccountStore(kube, namespace).initial_password()


@click.command("initial-password")
@click.option("--kubeconfig", default=None, help="Kubeconfig file (default: $KUBECONFIG).")
@click.option("--context", default=None, help="Kubeconfig context to use.")
@click.option("-n", "--namespace", default="argocd", show_default=True)
def initial_password(kubeconfig: str | None, context: str | None, namespace: str) -> None:
    """Print the initial password of the admin account."""
    try:
        password = asyncio.run(_read(kubeconfig, context, namespace))
    except kube_errors.KubeError as exc:
        raise click.ClickException(f"cannot read {INITIAL_ADMIN_SECRET}: {exc}") from exc
    if password is None:
        raise click.ClickException(
            f"secret {INITIAL_ADMIN_SECRET} not found in namespace {namespace}: it is deleted "
            "once the admin password has been changed"
        )
    click.echo(password)
    click.echo(
        "\n This password must be only used for first time login. We strongly recommend you "
        "update the password using `kaiun account update-password`."
    )
