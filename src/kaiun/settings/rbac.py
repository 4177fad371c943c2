"""RBAC settings as Argo CD reads them: argocd-rbac-cm, AppProject roles, the built-in roles,
and the glob/regex matching Argo CD's casbin model uses.

argocd-rbac-cm keys: ``policy.csv`` then every other ``policy.<name>.csv`` (sorted by key),
``policy.default`` (a role every subject has), ``scopes`` (claims whose values are groups;
default ``[groups]``) and ``policy.matchMode`` (``glob``, the default, or ``regex``). Policy
lines are ``p, SUBJECT, RESOURCE, ACTION, OBJECT, allow|deny`` and ``g, SUBJECT, ROLE``.
Pure: the caller hands in the ConfigMap data and AppProject dicts.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import yaml

__all__ = [
    "ACTIONS",
    "BUILTIN_POLICY",
    "DEFAULT_SCOPES",
    "RESOURCES",
    "Grouping",
    "MatchMode",
    "Policy",
    "PolicySet",
    "RBACConfig",
    "RBACSettingsError",
    "builtin_policy",
    "glob_regex",
    "merged_policy_csv",
    "parse_policy_csv",
    "parse_rbac_config",
    "project_name_of",
    "project_policy",
]

MatchMode = Literal["glob", "regex"]
DEFAULT_SCOPES = ("groups",)
RESOURCES = (
    "clusters",
    "projects",
    "applications",
    "applicationsets",
    "repositories",
    "write-repositories",
    "certificates",
    "accounts",
    "gpgkeys",
    "logs",
    "exec",
    "extensions",
)
ACTIONS = ("get", "create", "update", "delete", "sync", "override", "action", "invoke")
# Resources whose objects are PROJECT/NAME (or PROJECT/NAMESPACE/NAME).
PROJECT_SCOPED = ("applications", "applicationsets", "logs", "exec")


def _builtin() -> str:
    lines = [
        "p, role:readonly, applications, get, */*, allow",
        "p, role:readonly, applicationsets, get, */*, allow",
        "p, role:readonly, logs, get, */*, allow",
    ]
    lines += [
        f"p, role:readonly, {res}, get, *, allow"
        for res in (
            "certificates",
            "clusters",
            "repositories",
            "write-repositories",
            "projects",
            "accounts",
            "gpgkeys",
        )
    ]
    # Since Argo CD 3.0 update/delete no longer reach an app's resources: admin gets both.
    app_actions = ["create", "update", "delete", "sync", "override", "action/*"]
    app_actions += ["update/*", "delete/*"]
    lines += [f"p, role:admin, applications, {a}, */*, allow" for a in app_actions]
    lines += [
        f"p, role:admin, applicationsets, {a}, */*, allow" for a in ("create", "update", "delete")
    ]
    for res in ("certificates", "clusters", "repositories", "write-repositories", "projects"):
        lines += [f"p, role:admin, {res}, {a}, *, allow" for a in ("create", "update", "delete")]
    lines += [
        "p, role:admin, accounts, update, *, allow",
        "p, role:admin, gpgkeys, create, *, allow",
        "p, role:admin, gpgkeys, delete, *, allow",
        "p, role:admin, exec, create, */*, allow",
        "p, role:admin, extensions, invoke, *, allow",
        "g, role:admin, role:readonly",
        "g, admin, role:admin",
    ]
    return "\n".join(lines) + "\n"


BUILTIN_POLICY = _builtin()
"""The built-in roles: ``role:readonly`` reads everything, ``role:admin`` does everything and
includes readonly; the ``admin`` account is ``role:admin``."""


def builtin_policy(mode: MatchMode = "glob") -> str:
    """BUILTIN_POLICY written for ``mode``: in regex mode its ``*`` wildcards become ``.*``
    so the built-in roles grant the same in both modes."""
    if mode == "glob":
        return BUILTIN_POLICY
    lines = []
    for line in BUILTIN_POLICY.splitlines():
        cells = [c.strip() for c in line.split(",")]
        if cells[0] == "p":
            cells[2:5] = ["^" + c.replace("*", ".*") + "$" for c in cells[2:5]]
        lines.append(", ".join(cells))
    return "\n".join(lines) + "\n"


class RBACSettingsError(ValueError):
    """A policy line, argocd-rbac-cm key or project role that cannot be used."""


@dataclass(frozen=True)
class Policy:
    """``p, subject, resource, action, object, effect``."""

    subject: str
    resource: str
    action: str
    object: str
    effect: Literal["allow", "deny"] = "allow"

    def as_row(self) -> list[str]:
        """The casbin row of this policy."""
        return [self.subject, self.resource, self.action, self.object, self.effect]


@dataclass(frozen=True)
class Grouping:
    """``g, subject, role``: the subject (user, group or role) has the role."""

    subject: str
    role: str


@dataclass(frozen=True)
class PolicySet:
    """Parsed policy lines."""

    policies: tuple[Policy, ...] = ()
    groupings: tuple[Grouping, ...] = ()


@dataclass(frozen=True)
class RBACConfig:
    """argocd-rbac-cm, merged and parsed."""

    policy_csv: str = ""
    default_role: str = ""
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    match_mode: MatchMode = "glob"


def merged_policy_csv(data: Mapping[str, str]) -> str:
    """``policy.csv`` followed by every other ``policy.*.csv`` key in key order."""
    parts = [data.get("policy.csv", "")]
    parts += [
        data[k]
        for k in sorted(data)
        if k.startswith("policy.") and k.endswith(".csv") and k != "policy.csv"
    ]
    return "\n".join(p for p in parts if p)


def _scopes(value: str | None) -> tuple[str, ...]:
    if value is None or not value.strip():
        return DEFAULT_SCOPES
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError as exc:
        raise RBACSettingsError(
            f"scopes {value!r} is not a YAML list like [groups, email]"
        ) from exc
    if isinstance(parsed, str):
        parsed = [parsed]
    if not isinstance(parsed, list) or not all(isinstance(s, str) for s in parsed):
        raise RBACSettingsError(f"scopes {value!r} must be a list of claim names")
    return tuple(parsed)


def parse_rbac_config(data: Mapping[str, str]) -> RBACConfig:
    """argocd-rbac-cm data as an RBACConfig; the policy lines are checked too."""
    mode = (data.get("policy.matchMode") or "glob").strip()
    if mode not in ("glob", "regex"):
        raise RBACSettingsError(f"policy.matchMode must be glob or regex, not {mode!r}")
    config = RBACConfig(
        policy_csv=merged_policy_csv(data),
        default_role=(data.get("policy.default") or "").strip(),
        scopes=_scopes(data.get("scopes")),
        match_mode="regex" if mode == "regex" else "glob",
    )
    parse_policy_csv(config.policy_csv, match_mode=config.match_mode)
    return config


def _rows(text: str) -> Iterable[tuple[int, list[str]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        row = next(csv.reader([stripped], skipinitialspace=True))
        yield number, [cell.strip() for cell in row]


def _check_pattern(value: str, mode: MatchMode, where: str) -> None:
    try:
        re.compile(value if mode == "regex" else glob_regex(value))
    except (re.error, RBACSettingsError) as exc:
        raise RBACSettingsError(f"{where}: {value!r} is not a valid {mode} pattern") from exc


def _policy(row: list[str], mode: MatchMode, where: str) -> Policy:
    if len(row) not in (5, 6):
        raise RBACSettingsError(
            f"{where}: a p line needs subject, resource, action, object, allow|deny"
        )
    effect = row[5].lower() if len(row) == 6 else "allow"
    if effect not in ("allow", "deny"):
        raise RBACSettingsError(f"{where}: the effect must be allow or deny, not {row[5]!r}")
    for value in row[2:5]:
        _check_pattern(value, mode, where)
    return Policy(row[1], row[2], row[3], row[4], "deny" if effect == "deny" else "allow")


def parse_policy_csv(text: str, *, match_mode: MatchMode = "glob") -> PolicySet:
    """Every ``p`` and ``g`` line of ``text``; anything else is an error naming the line."""
    policies: list[Policy] = []
    groupings: list[Grouping] = []
    for number, row in _rows(text):
        where = f"policy line {number}"
        kind = row[0]
        if kind == "p":
            policies.append(_policy(row, match_mode, where))
        elif kind == "g":
            if len(row) != 3 or not row[1] or not row[2]:
                raise RBACSettingsError(f"{where}: a g line is 'g, SUBJECT, ROLE'")
            groupings.append(Grouping(row[1], row[2]))
        else:
            raise RBACSettingsError(f"{where}: lines start with p or g, not {kind!r}")
    return PolicySet(tuple(policies), tuple(groupings))


def glob_regex(pattern: str) -> str:
    """The anchored regex of a glob where ``*`` and ``?`` cross ``/`` (Argo CD's matching):
    ``[...]``/``[!...]`` classes, ``{a,b}`` alternatives and ``\\`` escapes."""
    out: list[str] = []
    depth = 0
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                raise RBACSettingsError(f"unclosed [ in {pattern!r}")
            body = pattern[i + 1 : end]
            negate = body[:1] == "!"
            body = body[1:] if negate else body
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            i = end
        elif c == "{":
            depth += 1
            out.append("(?:")
        elif c == "}" and depth:
            depth -= 1
            out.append(")")
        elif c == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(c))
        i += 1
    if depth:
        raise RBACSettingsError(f"unclosed {{ in {pattern!r}")
    return "(?s:" + "".join(out) + r")\Z"


def project_name_of(resource: str, obj: str) -> str | None:
    """The AppProject a request is about: the first segment of ``PROJ/...`` objects of
    project-scoped resources, the object itself for ``projects``, else None."""
    if resource == "projects":
        return obj or None
    if resource in PROJECT_SCOPED and "/" in obj:
        return obj.split("/", 1)[0] or None
    return None


def _spec_roles(project: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    spec = project.get("spec") or {}
    roles = spec.get("roles") if isinstance(spec, Mapping) else None
    return [r for r in roles or [] if isinstance(r, Mapping)]


def project_policy(project: Mapping[str, Any], *, match_mode: MatchMode = "glob") -> PolicySet:
    """The policies of an AppProject's roles (``p, proj:PROJ:ROLE, ...``) plus
    ``g, GROUP, proj:PROJ:ROLE`` for each role's groups. A role line naming another
    subject or another project's objects is refused, as Argo CD refuses it."""
    name = str((project.get("metadata") or {}).get("name") or "")
    policies: list[Policy] = []
    groupings: list[Grouping] = []
    for role in _spec_roles(project):
        role_name = str(role.get("name") or "")
        subject = f"proj:{name}:{role_name}"
        for line in role.get("policies") or []:
            parsed = parse_policy_csv(str(line), match_mode=match_mode)
            if parsed.groupings:
                raise RBACSettingsError(f"project {name} role {role_name}: only p lines allowed")
            for pol in parsed.policies:
                _check_project_line(pol, name, subject, role_name)
                policies.append(pol)
        groupings += [Grouping(str(g), subject) for g in role.get("groups") or []]
    return PolicySet(tuple(policies), tuple(groupings))


def _check_project_line(pol: Policy, project: str, subject: str, role: str) -> None:
    where = f"project {project} role {role}"
    if pol.subject != subject:
        raise RBACSettingsError(f"{where}: policy subject must be {subject}, not {pol.subject}")
    if pol.resource in PROJECT_SCOPED and not pol.object.startswith(project + "/"):
        raise RBACSettingsError(f"{where}: object {pol.object!r} must start with {project}/")
    if pol.resource == "projects" and pol.object != project:
        raise RBACSettingsError(f"{where}: a projects line may only name {project}")
