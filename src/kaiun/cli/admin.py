"""``kaiun admin``: operator commands; here ``settings resource-overrides`` for testing
resource customizations from an argocd-cm file, printing what ``argocd admin`` prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import yaml

from kaiun import diff, health
from kaiun.settings import resource_customizations as rc


@click.group()
def admin() -> None:
    """Administer kaiun."""


@admin.group()
def settings() -> None:
    """Troubleshoot and validate kaiun settings."""


@settings.group("resource-overrides")
def resource_overrides() -> None:
    """Troubleshoot resource overrides (health, actions, ignoreDifferences)."""


def _read_yaml(path: str, what: str) -> Mapping[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise click.ClickException(f"cannot read {what} {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise click.ClickException(f"{what} {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, Mapping):
        raise click.ClickException(f"{what} {path} must hold one YAML object")
    return data


def _load(
    resource_path: str, cm_path: str | None
) -> tuple[Mapping[str, Any], dict[str, rc.ResourceOverride]]:
    if not cm_path:
        raise click.ClickException(
            "--argocd-cm-path is required: give the argocd-cm ConfigMap YAML to read "
            "customizations from"
        )
    resource = _read_yaml(resource_path, "resource")
    cm = _read_yaml(cm_path, "argocd-cm")
    data = cm.get("data") or {}
    if not isinstance(data, Mapping):
        raise click.ClickException(f"argocd-cm {cm_path}: data must be a mapping of strings")
    try:
        overrides = rc.parse_resource_overrides({str(k): str(v) for k, v in data.items()})
    except rc.ResourceCustomizationsError as exc:
        raise click.ClickException(str(exc)) from exc
    return resource, overrides


def _group_kind(resource: Mapping[str, Any]) -> tuple[str, str]:
    group = str(resource.get("apiVersion", "")).rpartition("/")[0]
    return group, str(resource.get("kind", ""))


def _sandbox() -> health.LuaSandbox:
    return health.LuaSandbox(clock=lambda: datetime.now(UTC))


cm_option = click.option(
    "--argocd-cm-path", "cm_path", help="Path to the local argocd-cm ConfigMap YAML file."
)


@resource_overrides.command("health")
@click.argument("resource_path", metavar="RESOURCE_YAML_PATH")
@cm_option
def health_cmd(resource_path: str, cm_path: str | None) -> None:
    """Assess resource health using the Lua script configured in argocd-cm."""
    resource, overrides = _load(resource_path, cm_path)
    group, kind = _group_kind(resource)
    result = health.assess(resource, overrides=overrides, sandbox=_sandbox())
    if result is None:
        click.echo(f"Health script is not configured for '{group}/{kind}'")
        return
    click.echo(f"STATUS: {result.status}")
    click.echo(f"MESSAGE: {result.message}")


@resource_overrides.command("ignore-differences")
@click.argument("resource_path", metavar="RESOURCE_YAML_PATH")
@cm_option
def ignore_differences_cmd(resource_path: str, cm_path: str | None) -> None:
    """Render the fields excluded from diffing by argocd-cm's ignoreDifferences."""
    resource, overrides = _load(resource_path, cm_path)
    group, kind = _group_kind(resource)
    own = overrides.get(health.override_key(group, kind))
    spec = own.ignore_differences if own is not None else None
    if spec is None or not (spec.json_pointers or spec.jq_path_expressions):
        click.echo(f"Ignore differences are not configured for '{group}/{kind}'")
        return
    rules = tuple(r for r in rc.ignore_rules(overrides) if r.json_pointers or r.jq_path_expressions)
    _print_ignored(resource, rules, "ignoreDifferences", spec)


@resource_overrides.command("ignore-resource-updates")
@click.argument("resource_path", metavar="RESOURCE_YAML_PATH")
@cm_option
def ignore_resource_updates_cmd(resource_path: str, cm_path: str | None) -> None:
    """Render the fields excluded from resource updates by ignoreResourceUpdates."""
    resource, overrides = _load(resource_path, cm_path)
    group, kind = _group_kind(resource)
    own = overrides.get(health.override_key(group, kind))
    if own is None:
        click.echo(f"No overrides configured for '{group}/{kind}'")
        return
    spec = own.ignore_resource_updates
    if not (spec.json_pointers or spec.jq_path_expressions):
        click.echo(f"Ignore resource updates are not configured for '{group}/{kind}'")
        return
    rules = tuple(
        r
        for r in rc.ignore_resource_update_rules(overrides)
        if r.json_pointers or r.jq_path_expressions
    )
    _print_ignored(resource, rules, "ignoreResourceUpdates", spec)


def _print_ignored(
    resource: Mapping[str, Any], rules: tuple[diff.IgnoreRule, ...], setting: str, spec: object
) -> None:
    original = dict(resource)
    try:
        normalized = _apply_rules(original, rules)
    except diff.DiffError as exc:
        raise click.ClickException(str(exc)) from exc
    if normalized == original:
        click.echo(f"No fields are ignored by {setting} settings: \n{spec}")
        return
    click.echo("Following fields are ignored:\n")
    name = str((resource.get("metadata") or {}).get("name", ""))
    click.echo(diff.unified_diff(original, normalized, name=name), nl=False)


def _apply_rules(obj: dict[str, Any], rules: tuple[diff.IgnoreRule, ...]) -> dict[str, Any]:
    # Only pointers and jq: managedFieldsManagers need a live object, as in Argo CD.
    copied: dict[str, Any] = yaml.safe_load(yaml.safe_dump(obj))
    return diff.remove_ignored(copied, [r for r in rules if r.matches(obj)])


def _actions(
    overrides: Mapping[str, rc.ResourceOverride], group: str, kind: str
) -> health.ResourceActions | None:
    override = health.find_override(overrides, group, kind, has="actions")
    if override is None:
        return None
    try:
        return override.parsed_actions()
    except health.ActionError as exc:
        raise click.ClickException(str(exc)) from exc


@resource_overrides.command("list-actions")
@click.argument("resource_path", metavar="RESOURCE_YAML_PATH")
@cm_option
def list_actions_cmd(resource_path: str, cm_path: str | None) -> None:
    """List the actions available for a resource, from the Lua discovery script."""
    resource, overrides = _load(resource_path, cm_path)
    group, kind = _group_kind(resource)
    actions = _actions(overrides, group, kind)
    if actions is None:
        click.echo(f"Actions are not configured for '{group}/{kind}'")
        return
    try:
        found = health.discover_actions(resource, actions, sandbox=_sandbox())
    except health.HealthError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = [("NAME", "DISABLED")] + [(a.name, str(a.disabled).lower()) for a in found]
    width = max(len(r[0]) for r in rows) + 2
    for name, disabled in rows:
        click.echo(f"{name.ljust(width)}{disabled}")


@resource_overrides.command("run-action")
@click.argument("resource_path", metavar="RESOURCE_YAML_PATH")
@click.argument("action")
@cm_option
@click.option("--param", "params", multiple=True, help="Action parameter (key=value).")
def run_action_cmd(
    resource_path: str, action: str, cm_path: str | None, params: tuple[str, ...]
) -> None:
    """Run a resource action and print the fields it changes."""
    parsed = {}
    for param in params:
        key, sep, value = param.partition("=")
        if not sep:
            raise click.ClickException(f"Invalid parameter format: {param} (use key=value)")
        parsed[key] = value
    resource, overrides = _load(resource_path, cm_path)
    group, kind = _group_kind(resource)
    actions = _actions(overrides, group, kind)
    if actions is None:
        click.echo(f"Actions are not configured for '{group}/{kind}'")
        return
    try:
        impacted = health.run_action(resource, actions, action, sandbox=_sandbox(), params=parsed)
    except health.HealthError as exc:
        raise click.ClickException(str(exc)) from exc
    name = str((resource.get("metadata") or {}).get("name", ""))
    for item in impacted:
        if item.operation == "create":
            click.echo("Following resource was created:")
            click.echo(diff.to_yaml(dict(item.obj)))
        elif dict(item.obj) == dict(resource):
            click.echo(f"No fields had been changed by action: \n{action}")
        else:
            click.echo("Following fields have been changed:\n")
            click.echo(diff.unified_diff(dict(resource), dict(item.obj), name=name), nl=False)
