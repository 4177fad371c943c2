"""The RBAC enforcer: casbin with Argo CD's model, built-in roles, argocd-rbac-cm and AppProject
roles, judging a caller's claims against ``(resource, action, object)``.

How a request is judged (as Argo CD's server judges it):
1. ``policy.default`` (if set) is tried first; if it allows, the request is allowed.
2. The subject is ``federated_claims.user_id`` or ``sub`` (``NAME:login``/``NAME:apiKey`` mean
   the local account NAME). For project-scoped objects (``PROJ/APP`` of applications,
   applicationsets, logs, exec; the project itself for ``projects``) the project's role
   policies join the global ones.
3. A project token (``proj:PROJ:ROLE``) is judged only for its own project; elsewhere it is
   refused.
4. Otherwise the subject, then each group named by the ``scopes`` claims, is tried in turn; the
   first subject allowed wins. Within one subject, deny overrides allow.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import casbin

from kaiun.auth.errors import RBACError
from kaiun.settings import rbac as rbac_settings
from kaiun.settings.rbac import MatchMode, PolicySet, RBACConfig

__all__ = ["MODEL", "Enforcer", "ProjectLookup", "subject_of"]

MODEL = """
[request_definition]
r = sub, res, act, obj

[policy_definition]
p = sub, res, act, obj, eft

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = g(r.sub, p.sub) && keyMatchMode(r.res, p.res) && keyMatchMode(r.act, p.act) \
&& keyMatchMode(r.obj, p.obj)
"""
"""Argo CD's casbin model (request sub, res, act, obj; deny overrides allow), in our words."""

ProjectLookup = Callable[[str], Mapping[str, Any] | None]
_RUNTIME_CACHE_SIZE = 256
_MEMO_SIZE = 20000
_LOCAL_CAPABILITIES = (":login", ":apiKey")


@lru_cache(maxsize=10000)
def _glob(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(rbac_settings.glob_regex(pattern))
    except (re.error, rbac_settings.RBACSettingsError):
        return None


@lru_cache(maxsize=10000)
def _regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _glob_match(value: str, pattern: str) -> bool:
    compiled = _glob(pattern)
    return compiled is not None and compiled.match(value) is not None


def _regex_match(value: str, pattern: str) -> bool:
    # Argo CD's regex mode is Go's regexp.MatchString: a search, anchored only if the
    # pattern says so.
    compiled = _regex(pattern)
    return compiled is not None and compiled.search(value) is not None


def subject_of(claims: Mapping[str, Any]) -> str:
    """The RBAC subject of a token's claims: Dex's ``federated_claims.user_id`` if present,
    else ``sub`` with a local account's capability suffix removed."""
    federated = claims.get("federated_claims")
    if isinstance(federated, Mapping) and isinstance(federated.get("user_id"), str):
        return str(federated["user_id"])
    sub = claims.get("sub")
    if not isinstance(sub, str):
        return ""
    if not sub.startswith("proj:"):
        for suffix in _LOCAL_CAPABILITIES:
            if sub.endswith(suffix):
                return sub[: -len(suffix)]
    return sub


def _groups(claims: Mapping[str, Any], scopes: tuple[str, ...]) -> list[str]:
    groups: list[str] = []
    for scope in scopes:
        value = claims.get(scope)
        if isinstance(value, str):
            groups.append(value)
        elif isinstance(value, list):
            groups += [v for v in value if isinstance(v, str)]
    return groups


class _Judge:
    """One casbin enforcer (policies and the role graph) answering requests.

    casbin evaluates its matcher against every policy line (milliseconds per request with a
    few hundred lines); the same rule, ``g(r.sub, p.sub)`` then pattern matches and
    deny-beats-allow, is evaluated here over only the lines whose subject is the caller or
    one of its roles as casbin resolves them. ``exact`` keeps casbin's own evaluation (tests
    compare the two). Answers are memoized: a changed policy builds a new judge.
    """

    def __init__(self, enforcer: casbin.Enforcer, mode: MatchMode, *, exact: bool) -> None:
        self._enforcer = enforcer
        self._exact = exact
        self._match = _regex_match if mode == "regex" else _glob_match
        self._rules: dict[str, list[tuple[str, str, str, bool]]] = {}
        for sub, res, act, obj, eft in enforcer.get_policy():
            self._rules.setdefault(sub, []).append((res, act, obj, eft == "deny"))
        self._memo: OrderedDict[tuple[str, str, str, str], bool] = OrderedDict()

    def enforce(self, sub: str, res: str, act: str, obj: str) -> bool:
        key = (sub, res, act, obj)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        if self._exact:
            allowed = bool(self._enforcer.enforce(sub, res, act, obj))
        else:
            allowed = self._evaluate(sub, res, act, obj)
        self._memo[key] = allowed
        if len(self._memo) > _MEMO_SIZE:
            self._memo.popitem(last=False)
        return allowed

    def _evaluate(self, sub: str, res: str, act: str, obj: str) -> bool:
        match = self._match
        allowed = False
        for subject in (sub, *self._enforcer.get_implicit_roles_for_user(sub)):
            for p_res, p_act, p_obj, deny in self._rules.get(subject, ()):
                if match(res, p_res) and match(act, p_act) and match(obj, p_obj):
                    if deny:
                        return False
                    allowed = True
        return allowed


def _casbin(sets: list[PolicySet], mode: MatchMode, exact: bool) -> _Judge:
    model = casbin.Enforcer.new_model(text=MODEL)
    enforcer = casbin.Enforcer(model)
    enforcer.add_function("keyMatchMode", _regex_match if mode == "regex" else _glob_match)
    policies = [p.as_row() for s in sets for p in s.policies]
    groupings = [[g.subject, g.role] for s in sets for g in s.groupings]
    # Duplicate lines are legal in a policy file; casbin refuses a batch holding any.
    if policies:
        enforcer.add_policies(list(map(list, dict.fromkeys(map(tuple, policies)))))
    if groupings:
        enforcer.add_grouping_policies(list(map(list, dict.fromkeys(map(tuple, groupings)))))
    return _Judge(enforcer, mode, exact=exact)


class Enforcer:
    """Judges requests against the built-in roles, argocd-rbac-cm and AppProject roles.

    ``projects`` looks up an AppProject (a plain dict) by name; without it project roles and
    project tokens grant nothing. ``exact`` makes casbin evaluate every request itself
    (slow; for checking). Rebuild the Enforcer when argocd-rbac-cm changes.
    """

    def __init__(
        self,
        config: RBACConfig | None = None,
        *,
        projects: ProjectLookup | None = None,
        builtin: bool = True,
        exact: bool = False,
    ) -> None:
        self.config = config or RBACConfig()
        self._exact = exact
        self._projects = projects
        try:
            mode = self.config.match_mode
            builtin_text = rbac_settings.builtin_policy(mode)
            base = (
                [rbac_settings.parse_policy_csv(builtin_text, match_mode=mode)] if builtin else []
            )
            base.append(
                rbac_settings.parse_policy_csv(
                    self.config.policy_csv, match_mode=self.config.match_mode
                )
            )
        except rbac_settings.RBACSettingsError as exc:
            raise RBACError(f"argocd-rbac-cm: {exc}") from exc
        self._base = base
        self._global = _casbin(base, self.config.match_mode, exact)
        self._runtime: OrderedDict[tuple[str, str], _Judge] = OrderedDict()

    @classmethod
    def from_configmap(
        cls, data: Mapping[str, str], *, projects: ProjectLookup | None = None
    ) -> Enforcer:
        """An Enforcer for argocd-rbac-cm ``data``."""
        try:
            config = rbac_settings.parse_rbac_config(data)
        except rbac_settings.RBACSettingsError as exc:
            raise RBACError(f"argocd-rbac-cm: {exc}") from exc
        return cls(config, projects=projects)

    def enforce(
        self, subject: Mapping[str, Any] | str | None, resource: str, action: str, obj: str
    ) -> bool:
        """Whether ``subject`` (token claims, a bare subject name, or None for an anonymous
        caller) may do ``action`` on ``resource`` ``obj``."""
        project = self._project(resource, obj)
        enforcer = self._enforcer_for(project)
        default = self.config.default_role
        if default and enforcer.enforce(default, resource, action, obj):
            return True
        if subject is None:
            return False
        if isinstance(subject, str):
            claims: Mapping[str, Any] = {"sub": subject}
        else:
            claims = subject
        name = subject_of(claims)
        if not name:
            return False
        if name.startswith("proj:"):
            return self._enforce_project_token(name, project, enforcer, resource, action, obj)
        if enforcer.enforce(name, resource, action, obj):
            return True
        return any(
            enforcer.enforce(group, resource, action, obj)
            for group in _groups(claims, self.config.scopes)
        )

    def _enforce_project_token(
        self,
        name: str,
        project: Mapping[str, Any] | None,
        enforcer: _Judge,
        resource: str,
        action: str,
        obj: str,
    ) -> bool:
        parts = name.split(":")
        if len(parts) != 3 or project is None:
            return False
        if parts[1] != (project.get("metadata") or {}).get("name"):
            return False
        return bool(enforcer.enforce(name, resource, action, obj))

    def _project(self, resource: str, obj: str) -> Mapping[str, Any] | None:
        name = rbac_settings.project_name_of(resource, obj)
        if name is None or self._projects is None:
            return None
        return self._projects(name)

    def _enforcer_for(self, project: Mapping[str, Any] | None) -> _Judge:
        if project is None:
            return self._global
        spec = project.get("spec") or {}
        roles = spec.get("roles") if isinstance(spec, Mapping) else None
        if not roles:
            return self._global
        # The roles' own text is the key: an edited project builds a new judge.
        key = (str((project.get("metadata") or {}).get("name")), repr(roles))
        cached = self._runtime.get(key)
        if cached is not None:
            self._runtime.move_to_end(key)
            return cached
        try:
            extra = rbac_settings.project_policy(project, match_mode=self.config.match_mode)
        except rbac_settings.RBACSettingsError:
            # A project whose roles cannot be read grants nothing beyond the global policy.
            built = self._global
        else:
            built = _casbin([*self._base, extra], self.config.match_mode, self._exact)
        self._runtime[key] = built
        if len(self._runtime) > _RUNTIME_CACHE_SIZE:
            self._runtime.popitem(last=False)
        return built
