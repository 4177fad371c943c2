"""RBAC: the built-in role matrix, glob vs regex matching, deny overrides, policy.default,
scopes, merged policy files and project roles, each from a fixture table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kaiun.auth import Enforcer, RBACError
from kaiun.settings import rbac as rbac_settings

FIXTURES = Path(__file__).parent / "fixtures"
MATRIX = yaml.safe_load((FIXTURES / "builtin_matrix.yaml").read_text())
CASES = yaml.safe_load((FIXTURES / "rbac_cases.yaml").read_text())


@pytest.mark.parametrize("exact", [False, True], ids=["indexed", "casbin"])
@pytest.mark.parametrize(("resource", "action", "obj", "admin", "readonly"), MATRIX)
def test_builtin_roles(
    resource: str, action: str, obj: str, admin: bool, readonly: bool, exact: bool
) -> None:
    enforcer = Enforcer(exact=exact)
    assert enforcer.enforce("admin", resource, action, obj) is admin
    assert enforcer.enforce({"sub": "admin:login"}, resource, action, obj) is admin
    assert enforcer.enforce("role:admin", resource, action, obj) is admin
    assert enforcer.enforce("role:readonly", resource, action, obj) is readonly
    assert enforcer.enforce("nobody", resource, action, obj) is False
    assert enforcer.enforce(None, resource, action, obj) is False


@pytest.mark.parametrize("mode", ["glob", "regex"])
def test_readonly_default_role_applies_to_everyone(mode: str) -> None:
    enforcer = Enforcer.from_configmap(
        {"policy.default": "role:readonly", "policy.matchMode": mode}
    )
    for resource, action, obj, admin, readonly in MATRIX:
        assert enforcer.enforce({"sub": "someone"}, resource, action, obj) is readonly
        assert enforcer.enforce("admin", resource, action, obj) is admin


def _checks() -> list[tuple[str, dict[str, Any], list[dict[str, Any]], list[Any]]]:
    return [
        (case["name"], case["rbac"], case.get("projects") or [], check)
        for case in CASES
        for check in case["checks"]
    ]


@pytest.mark.parametrize(
    ("name", "rbac", "projects", "check"),
    _checks(),
    ids=[f"{c[0]}:{c[3][0]}:{c[3][2]}:{c[3][3]}" for c in _checks()],
)
def test_policy_cases(
    name: str, rbac: dict[str, str], projects: list[dict[str, Any]], check: list[Any]
) -> None:
    by_name = {p["metadata"]["name"]: p for p in projects}
    config = rbac_settings.parse_rbac_config(rbac)
    subject, resource, action, obj, expected = check
    for exact in (False, True):
        enforcer = Enforcer(config, projects=by_name.get, exact=exact)
        assert enforcer.enforce(subject, resource, action, obj) is expected, (name, exact)


def test_project_roles_need_a_project_lookup() -> None:
    project = CASES[-2]["projects"][0]
    assert project["metadata"]["name"] == "team"
    without = Enforcer()
    with_lookup = Enforcer(projects={"team": project}.get)
    claims = {"sub": "proj:team:ci"}
    assert without.enforce(claims, "applications", "sync", "team/web") is False
    assert with_lookup.enforce(claims, "applications", "sync", "team/web") is True


def test_project_policy_changes_take_effect() -> None:
    project: dict[str, Any] = {
        "metadata": {"name": "p"},
        "spec": {"roles": [{"name": "r", "policies": []}]},
    }
    enforcer = Enforcer(projects={"p": project}.get)
    claims = {"sub": "proj:p:r"}
    assert enforcer.enforce(claims, "applications", "get", "p/a") is False
    project["spec"]["roles"][0]["policies"] = ["p, proj:p:r, applications, get, p/*, allow"]
    assert enforcer.enforce(claims, "applications", "get", "p/a") is True
    project["spec"]["roles"][0]["policies"] = []
    assert enforcer.enforce(claims, "applications", "get", "p/a") is False


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"policy.csv": "p, a, applications, get"}, "policy line 1"),
        ({"policy.csv": "g, a\n"}, "g, SUBJECT, ROLE"),
        ({"policy.csv": "x, a, b\n"}, "start with p or g"),
        ({"policy.csv": "p, a, applications, get, */*, maybe"}, "allow or deny"),
        ({"policy.csv": "\n\np, a, applications, get, [ab, allow"}, "policy line 3"),
        (
            {"policy.matchMode": "regex", "policy.csv": "p, a, applications, get, (x, allow"},
            "not a valid regex pattern",
        ),
        ({"policy.matchMode": "exact"}, "glob or regex"),
        ({"scopes": "{a: b}"}, "list of claim names"),
        ({"scopes": "[unclosed"}, "YAML list"),
    ],
)
def test_invalid_policies_are_refused_with_the_line(data: dict[str, str], message: str) -> None:
    with pytest.raises(RBACError, match=message.replace("(", r"\(").replace("[", r"\[")):
        Enforcer.from_configmap(data)


def test_comments_blank_lines_quotes_and_duplicates() -> None:
    text = (
        "# a comment\n\n"
        'p, "role:x", applications, get, "a/*", allow\n'
        "p, role:x, applications, get, a/*, allow\n"
        "g, nora, role:x\ng, nora, role:x\n"
    )
    parsed = rbac_settings.parse_policy_csv(text)
    assert len(parsed.policies) == 2
    enforcer = Enforcer.from_configmap({"policy.csv": text})
    assert enforcer.enforce("nora", "applications", "get", "a/b") is True


def test_config_parsing_defaults() -> None:
    config = rbac_settings.parse_rbac_config({})
    assert config == rbac_settings.RBACConfig("", "", ("groups",), "glob")
    config = rbac_settings.parse_rbac_config(
        {"policy.default": " role:readonly ", "scopes": "email", "policy.matchMode": "regex"}
    )
    assert (config.default_role, config.scopes, config.match_mode) == (
        "role:readonly",
        ("email",),
        "regex",
    )


def test_merged_policy_order() -> None:
    data = {"policy.b.csv": "B", "policy.csv": "MAIN", "policy.a.csv": "A", "other.csv": "X"}
    assert rbac_settings.merged_policy_csv(data) == "MAIN\nA\nB"


@pytest.mark.parametrize(
    ("resource", "obj", "project"),
    [
        ("applications", "team/app", "team"),
        ("applications", "team/ns/app", "team"),
        ("applicationsets", "team/set", "team"),
        ("logs", "team/app", "team"),
        ("exec", "team/app", "team"),
        ("projects", "team", "team"),
        ("applications", "noslash", None),
        ("clusters", "team/x", None),
        ("repositories", "https://x/y", None),
    ],
)
def test_project_of_request(resource: str, obj: str, project: str | None) -> None:
    assert rbac_settings.project_name_of(resource, obj) == project


_SUBJECTS = ["alice", "bob", "role:a", "role:b", "role:c", "role:readonly", "org:g"]
_PATTERNS = ["*", "team/*", "team/web", "*/web", "t?am/*", "{team,ops}/*", "ops/*", "[a-t]*"]
_ACTIONS = ["get", "sync", "*", "action/*", "delete"]
_OBJECTS = ["team/web", "ops/web", "team/ns/api", "x", "tram/db"]

_policy_line = st.tuples(
    st.sampled_from(_SUBJECTS),
    st.sampled_from(["applications", "clusters", "*"]),
    st.sampled_from(_ACTIONS),
    st.sampled_from(_PATTERNS),
    st.sampled_from(["allow", "deny"]),
).map(lambda t: f'p, {t[0]}, {t[1]}, {t[2]}, "{t[3]}", {t[4]}')
_grouping = st.tuples(st.sampled_from(_SUBJECTS), st.sampled_from(_SUBJECTS)).map(
    lambda t: f"g, {t[0]}, {t[1]}"
)


@settings(max_examples=60)
@given(
    lines=st.lists(st.one_of(_policy_line, _grouping), max_size=12),
    requests=st.lists(
        st.tuples(
            st.sampled_from(_SUBJECTS),
            st.sampled_from(["applications", "clusters"]),
            st.sampled_from(["get", "sync", "delete", "action/apps/Deployment/restart"]),
            st.sampled_from(_OBJECTS),
        ),
        min_size=1,
        max_size=8,
    ),
)
def test_indexed_evaluation_agrees_with_casbin(
    lines: list[str], requests: list[tuple[str, str, str, str]]
) -> None:
    config = rbac_settings.RBACConfig(policy_csv="\n".join(lines))
    fast, exact = Enforcer(config), Enforcer(config, exact=True)
    for sub, res, act, obj in requests:
        assert fast.enforce(sub, res, act, obj) == exact.enforce(sub, res, act, obj), (
            sub,
            res,
            act,
            obj,
        )
