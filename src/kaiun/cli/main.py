"""Entry point of the ``kaiun`` command; nouns register their groups here."""

from __future__ import annotations

import click

from kaiun import __version__
from kaiun.cli import account as account_cli
from kaiun.cli import (
    admin_backup,
    admin_initial_password,
    admin_rbac,
    controller,
    imageupdater,
    imageupdater_run,
    localcluster,
    proj,
    repo_render,
    up,
)
from kaiun.cli import login as login_cli
from kaiun.cli import server as server_cli
from kaiun.cli.admin import admin
from kaiun.cli.admin import settings as admin_settings
from kaiun.cli.app import app
from kaiun.cli.cert import cert
from kaiun.cli.cluster import cluster
from kaiun.cli.repo_rest import REPO_COMMANDS, repocreds


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """kaiun: GitOps continuous delivery for Kubernetes."""


@cli.command()
def version() -> None:
    """Print the kaiun version."""
    click.echo(f"kaiun: v{__version__}")


cli.add_command(localcluster.group)
cli.add_command(up.up)
cli.add_command(controller.controller)
cli.add_command(repo_render.repo_group)
cli.add_command(repo_render.repo_server)
cli.add_command(admin)
admin_settings.add_command(admin_rbac.rbac)
admin.add_command(admin_initial_password.initial_password)
admin.add_command(admin_backup.export)
admin.add_command(admin_backup.import_)
cli.add_command(imageupdater.group)
assert imageupdater_run.run.name == "run"  # registers run/pin/unpin on the group
cli.add_command(proj.proj)
cli.add_command(server_cli.server)
cli.add_command(login_cli.login)
cli.add_command(login_cli.logout)
cli.add_command(login_cli.context)
cli.add_command(account_cli.account)
cli.add_command(app)
for _command in REPO_COMMANDS:
    repo_render.repo_group.add_command(_command)
cli.add_command(repocreds)
cli.add_command(cluster)
cli.add_command(cert)


def main() -> None:
    """Run the ``kaiun`` command line."""
    cli(prog_name="kaiun")
