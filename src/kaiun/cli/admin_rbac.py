"""``kaiun admin settings rbac validate|can``: check an RBAC policy offline, from a policy CSV
file or an argocd-rbac-cm ConfigMap YAML, answering as ``argocd admin settings rbac`` does."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
import yaml

from kaiun.auth import Enforcer, RBACError
from kaiun.settings import rbac as rbac_settings

# The short names ``argocd admin settings rbac can`` accepts for resources.
_ALIASES = {
    "account": "accounts",
    "app": "applications",
    "apps": "applications",
    "application": "applications",
    "applicationset": "applicationsets",
    "appset": "applicationsets",
    "appsets": "applicationsets",
    "cert": "certificates",
    "certs": "certificates",
    "certificate": "certificates",
    "cluster": "clusters",
    "gpgkey": "gpgkeys",
    "key": "gpgkeys",
    "log": "logs",
    "proj": "projects",
    "project": "projects",
    "repo": "repositories",
    "repos": "repositories",
    "repository": "repositories",
}


@click.group("rbac")
def rbac() -> None:
    """Validate and test RBAC policies offline."""


def _load(path: str) -> dict[str, str]:
    """argocd-rbac-cm data from a ConfigMap YAML, or ``{"policy.csv": text}`` for a CSV."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise click.ClickException(f"cannot read policy file {path}: {exc.strerror}") from exc
    try:
        doc: Any = yaml.safe_load(text)
    except yaml.YAMLError:
        doc = None
    if isinstance(doc, Mapping) and doc.get("kind") == "ConfigMap":
        data = doc.get("data") or {}
        if not isinstance(data, Mapping):
            raise click.ClickException(f"{path}: data must be a mapping of strings")
        return {str(k): str(v) for k, v in data.items()}
    return {"policy.csv": text}


def _enforcer(data: dict[str, str], default_role: str | None, builtin: bool) -> Enforcer:
    if default_role is not None:
        data = {**data, "policy.default": default_role}
    try:
        config = rbac_settings.parse_rbac_config(data)
        return Enforcer(config, builtin=builtin)
    except (rbac_settings.RBACSettingsError, RBACError) as exc:
        raise click.ClickException(f"policy is invalid: {exc}") from exc


@rbac.command("validate")
@click.option("--policy-file", required=True, help="Policy CSV or argocd-rbac-cm YAML.")
def validate(policy_file: str) -> None:
    """Check that a policy file loads."""
    _enforcer(_load(policy_file), None, True)
    click.echo("Policy is valid.")


@rbac.command("can")
@click.argument("subject", metavar="ROLE/SUBJECT")
@click.argument("action")
@click.argument("resource")
@click.argument("subresource", required=False, default="")
@click.option("--policy-file", required=True, help="Policy CSV or argocd-rbac-cm YAML.")
@click.option("--default-role", default=None, help="Role every subject has.")
@click.option(
    "--use-builtin-policy/--no-use-builtin-policy",
    default=True,
    help="Include role:readonly and role:admin.",
)
@click.option("-q", "--quiet", is_flag=True, help="Answer with the exit code only.")
def can(
    subject: str,
    action: str,
    resource: str,
    subresource: str,
    policy_file: str,
    default_role: str | None,
    use_builtin_policy: bool,
    quiet: bool,
) -> None:
    """Whether SUBJECT may do ACTION on RESOURCE [SUBRESOURCE]: prints Yes (exit 0) or No
    (exit 1)."""
    enforcer = _enforcer(_load(policy_file), default_role, use_builtin_policy)
    real = _ALIASES.get(resource, resource)
    allowed = enforcer.enforce(subject, real, action, subresource)
    if not quiet:
        click.echo("Yes" if allowed else "No")
    sys.exit(0 if allowed else 1)
