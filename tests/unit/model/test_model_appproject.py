"""AppProject policy: fixture tables of Argo CD's answers, plus property tests for globs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from kaiun.model import globmatch
from kaiun.model.appproject import AppProject, normalize_git_url

CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "appproject_cases.yaml").read_text())


def _project(case: dict[str, Any]) -> AppProject:
    return AppProject.from_dict(
        {"metadata": {"name": "p", "namespace": "argocd"}, "spec": case["spec"]}
    )


def _rows(kind: str) -> list[Any]:
    return [
        pytest.param(case, row, id=f"{case['name']}: {row[:-1]}")
        for case in CASES
        for row in case.get(kind, ())
    ]


@pytest.mark.parametrize(("case", "row"), _rows("source"))
def test_source_permitted(case: dict[str, Any], row: list[Any]) -> None:
    url, expected = row
    assert _project(case).source_permitted(url) is expected


@pytest.mark.parametrize(("case", "row"), _rows("destination"))
def test_destination_permitted(case: dict[str, Any], row: list[Any]) -> None:
    server, name, namespace, expected = row
    assert _project(case).destination_permitted(server, name, namespace) is expected


@pytest.mark.parametrize(("case", "row"), _rows("resource"))
def test_resource_permitted(case: dict[str, Any], row: list[Any]) -> None:
    group, kind, namespaced, name, expected = row
    got = _project(case).resource_permitted(group, kind, namespaced=namespaced, name=name)
    assert got is expected


def test_fixture_table_covers_every_question() -> None:
    assert len(_rows("source")) >= 15 and len(_rows("destination")) >= 15
    assert len(_rows("resource")) >= 20


def _app(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "project": "team",
        "source": {"repoURL": "https://github.com/my-org/app.git", "path": "k8s"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": "team-a"},
    }
    base.update(spec)
    return {"metadata": {"name": "app", "namespace": "argocd"}, "spec": base}


TEAM = AppProject.from_dict(
    {
        "metadata": {"name": "team"},
        "spec": {
            "sourceRepos": ["https://github.com/my-org/*"],
            "destinations": [
                {"server": "https://kubernetes.default.svc", "namespace": "team-*"},
                {"name": "prod", "namespace": "team-*"},
            ],
        },
    }
)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({}, []),
        (
            {"source": {"repoURL": "https://github.com/evil/app", "path": "."}},
            ["application repo https://github.com/evil/app is not permitted in project 'team'"],
        ),
        (
            {
                "destination": {
                    "server": "https://kubernetes.default.svc",
                    "namespace": "kube-system",
                }
            },
            [
                "application destination server 'https://kubernetes.default.svc' and namespace "
                "'kube-system' do not match any of the allowed destinations in project 'team'"
            ],
        ),
        ({"destination": {"name": "in-cluster", "namespace": "team-b"}}, []),
        ({"destination": {"name": "prod", "namespace": "team-b"}}, []),
        (
            {"destination": {"name": "staging", "namespace": "team-b"}},
            ["unable to find destination server: there are no clusters with this name: staging"],
        ),
        (
            {"destination": {"name": "prod", "server": "https://x", "namespace": "team-b"}},
            ["application destination can't have both name and server defined: prod https://x"],
        ),
        ({"destination": {"namespace": "team-b"}}, ["Destination server missing from app spec"]),
        (
            {"source": {"repoURL": "https://github.com/my-org/app.git"}},
            ["spec.source.repoURL and either spec.source.path or spec.source.chart are required"],
        ),
        (
            {"source": {"repoURL": "https://github.com/my-org/charts", "chart": "web"}},
            ["spec.source.targetRevision is required if the manifest source is a helm chart"],
        ),
        (
            {
                "source": None,
                "sources": [
                    {"repoURL": "https://github.com/my-org/values.git", "ref": "values"},
                    {"repoURL": "https://charts.example.com", "chart": "x", "targetRevision": "1"},
                ],
            },
            ["application repo https://charts.example.com is not permitted in project 'team'"],
        ),
    ],
)
def test_validate_application(spec: dict[str, Any], expected: list[str]) -> None:
    cluster_names = {"prod": "https://prod.example.com"}
    assert TEAM.validate_application(_app(**spec), cluster_names=cluster_names) == expected


def test_server_addressed_app_matches_name_based_destination() -> None:
    proj = AppProject.from_dict(
        {
            "metadata": {"name": "named"},
            "spec": {
                "sourceRepos": ["*"],
                "destinations": [{"name": "in-cluster", "namespace": "web"}],
            },
        }
    )
    app = _app(destination={"server": "https://kubernetes.default.svc", "namespace": "web"})
    assert proj.validate_application(app, cluster_names={}) == []
    other = _app(destination={"server": "https://elsewhere", "namespace": "web"})
    assert proj.validate_application(other, cluster_names={}) != []


def test_permit_only_project_scoped_clusters() -> None:
    proj = AppProject.from_dict(
        {
            "metadata": {"name": "scoped"},
            "spec": {
                "destinations": [{"server": "*", "namespace": "*"}],
                "permitOnlyProjectScopedClusters": True,
            },
        }
    )
    assert not proj.destination_permitted("https://a", "", "ns")
    scoped = [("a", "https://a")]
    assert proj.destination_permitted("https://a", "", "ns", project_clusters=scoped)
    assert not proj.destination_permitted("https://b", "", "ns", project_clusters=scoped)


@pytest.mark.parametrize(
    ("patterns", "app_ns", "expected"),
    [
        ([], "argocd", True),
        ([], "", True),
        ([], "team-a", False),
        (["team-*"], "team-a", True),
        (["/^team-[0-9]+$/"], "team-12", True),
        (["/^team-[0-9]+$/"], "team-x", False),
        (["/[/"], "team-x", False),
    ],
)
def test_app_namespace_permitted(patterns: list[str], app_ns: str, expected: bool) -> None:
    proj = AppProject.from_dict({"metadata": {"name": "p"}, "spec": {"sourceNamespaces": patterns}})
    assert proj.app_namespace_permitted(app_ns, "argocd") is expected


def test_orphaned_resources_settings() -> None:
    off = AppProject.from_dict({"metadata": {"name": "p"}, "spec": {}})
    assert off.orphaned_resources is None and not off.orphan_ignored("", "ConfigMap", "x")
    on = AppProject.from_dict(
        {
            "metadata": {"name": "p"},
            "spec": {
                "orphanedResources": {
                    "ignore": [
                        {"group": "", "kind": "ConfigMap", "name": "kube-*"},
                        {"kind": "Secret"},
                    ]
                }
            },
        }
    )
    assert on.orphaned_resources is not None and on.orphaned_resources.warn is True
    assert on.orphan_ignored("", "ConfigMap", "kube-root-ca.crt")
    assert not on.orphan_ignored("", "ConfigMap", "app-config")
    assert on.orphan_ignored("", "Secret", "anything")
    quiet = AppProject.from_dict(
        {"metadata": {"name": "p"}, "spec": {"orphanedResources": {"warn": False}}}
    )
    assert quiet.orphaned_resources is not None and quiet.orphaned_resources.warn is False


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://GitHub.com/Org/Repo.git", "https://github.com/org/repo"),
        ("git@github.com:org/repo.git", "git@github.com/org/repo"),
        ("ssh://git@github.com/org/repo.git", "git@github.com/org/repo"),
        ("  https://x/y  ", "https://x/y"),
    ],
)
def test_normalize_git_url(url: str, expected: str) -> None:
    assert normalize_git_url(url) == expected


# -- glob properties -------------------------------------------------------------------

SEGMENT = st.text(alphabet="abcxyz-.", min_size=0, max_size=8)
PLAIN = st.text(alphabet="abcXYZ019-._/:@", min_size=0, max_size=20)


def _escaped(text: str) -> str:
    return "".join("\\" + c if c in "*?[]{},\\!" else c for c in text)


@given(PLAIN)
def test_literal_pattern_matches_only_itself(text: str) -> None:
    assert globmatch.match(_escaped(text), text, "/")
    assert not globmatch.match(_escaped(text), text + "x", "/")


@given(PLAIN, PLAIN)
def test_negation_is_the_complement(pattern: str, value: str) -> None:
    pattern = pattern.replace("[", "").replace("{", "")
    assert globmatch.match_negatable("!" + pattern, value, "/") is not globmatch.match(
        pattern, value, "/"
    )


@given(SEGMENT, SEGMENT)
def test_star_stops_at_separator_but_double_star_does_not(a: str, b: str) -> None:
    value = f"{a}/{b}"
    assert globmatch.match("**", value, "/")
    assert globmatch.match("*/*", value, "/")
    assert not globmatch.match("*", value, "/")
    assert globmatch.match("*", value)


@given(SEGMENT, SEGMENT)
def test_alternatives(a: str, b: str) -> None:
    pattern = "{" + _escaped(a) + "," + _escaped(b) + "}"
    assert globmatch.match(pattern, a) and globmatch.match(pattern, b)


@given(st.text(alphabet="abcdefgh", min_size=1, max_size=1))
def test_classes_and_ranges(c: str) -> None:
    assert globmatch.match("[a-d]", c) is (c <= "d")
    assert globmatch.match("[!a-d]", c) is (c > "d")
    assert globmatch.path_match("[^a-d]", c) is (c > "d")


@pytest.mark.parametrize("pattern", ["[", "[a-", "x\\", "{a,b", "[z-a]", "[]"])
def test_malformed_patterns_match_nothing(pattern: str) -> None:
    assert not globmatch.match(pattern, "x")
    assert not globmatch.match(pattern, pattern)


@pytest.mark.parametrize("pattern", ["[", "[a-", "x\\", "[z-a]", "[]"])
def test_malformed_path_patterns_match_nothing(pattern: str) -> None:
    assert not globmatch.path_match(pattern, "x")
