"""Chart version tracking's pure parts: which source, which settings, which version, what patch."""

from __future__ import annotations

from typing import Any

import pytest

from kaiun.controllers.imageupdater import charts
from kaiun.controllers.imageupdater.errors import ConfigError
from kaiun.controllers.imageupdater.updateplan import Action

INDEX = {"entries": {"web": [{"version": v} for v in
                             ("1.0.0", "1.2.0", "1.3.0-rc.1", "2.0.0", "2024.01")]}}  # fmt: skip


def _app(**source: Any) -> dict[str, Any]:
    return {"spec": {"source": {"repoURL": "https://charts.example", "chart": "web",
                                "targetRevision": "1.0.0", **source}}}  # fmt: skip


def _decide(constraint: str, current: str = "1.0.0", **extra: str) -> Any:
    app = _app(targetRevision=current)
    source = charts.chart_source(app)
    spec = charts.chart_spec({charts.VERSION: constraint, **extra}, "web")
    assert spec is not None
    return charts.decide_chart(spec, source, charts.index_versions(INDEX, "web"))


@pytest.mark.parametrize(
    ("constraint", "action", "tag"),
    [("1.x", Action.UPDATE, "1.2.0"), ("", Action.UPDATE, "2024.01"), ("~1.0", Action.UP_TO_DATE,
     None), (">=1.3.0-0 <2.0.0-0", Action.UPDATE, "1.3.0-rc.1"), ("^3", Action.SKIPPED, None)],
)  # fmt: skip
def test_versions_follow_the_constraint(constraint: str, action: Action, tag: str | None) -> None:
    decision = _decide(constraint)
    assert decision.action is action
    assert (decision.change.tag if decision.change else None) == tag


def test_unparsable_constraint_is_an_error_naming_it() -> None:
    decision = _decide(">=1 <<2")
    assert decision.action is Action.ERROR
    assert "'>=1 <<2'" in decision.message


def test_alphabetical_and_unsupported_strategies() -> None:
    decision = _decide("", **{"kaiun.io/image-updater-chart-strategy": "alphabetical"})
    assert decision.change is not None and decision.change.tag == "2024.01"
    with pytest.raises(ConfigError, match="not available for charts"):
        charts.chart_spec({charts.VERSION: "", charts.PREFIX + "strategy": "digest"}, "web")


def test_untracked_and_unusable_sources() -> None:
    assert charts.chart_spec({}, "web") is None
    with pytest.raises(ConfigError, match="Helm chart source"):
        charts.chart_source({"spec": {"source": {"repoURL": "https://g/x.git", "path": "a"}}})
    with pytest.raises(ConfigError, match=r"cannot read chart repository 'ssh://git@host/x\.git'"):
        charts.chart_source(_app(repoURL="ssh://git@host/x.git"))
    with pytest.raises(ConfigError, match="needs the chart source's repoURL"):
        charts.chart_source(_app(repoURL="oci://"))
    two = {"spec": {"sources": [_app()["spec"]["source"], _app()["spec"]["source"]]}}
    with pytest.raises(ConfigError, match="exactly one chart source; found 2"):
        charts.chart_source(two)


def test_patch_for_single_and_multi_source() -> None:
    app = _app()
    assert charts.chart_patch(app, charts.chart_source(app), "1.2.0") == {
        "spec": {"source": {**app["spec"]["source"], "targetRevision": "1.2.0"}}
    }
    git = {"repoURL": "https://g/x.git", "path": "a", "targetRevision": "main"}
    multi = {"spec": {"sources": [git, app["spec"]["source"]]}}
    patch = charts.chart_patch(multi, charts.chart_source(multi), "1.2.0")
    assert patch["spec"]["sources"][0] == git
    assert patch["spec"]["sources"][1]["targetRevision"] == "1.2.0"


@pytest.mark.parametrize(
    ("url", "registry", "repository"),
    [("oci://reg.example:5000/charts", "reg.example:5000", "charts/web"),
     ("reg.example/team/charts/", "reg.example", "team/charts/web"),
     ("oci://reg.example", "reg.example", "web")],
)  # fmt: skip
def test_oci_chart_sources(url: str, registry: str, repository: str) -> None:
    source = charts.chart_source(_app(repoURL=url))
    assert source.oci and source.oci_repository == (registry, repository)
    assert not charts.chart_source(_app()).oci


def test_oci_tags_read_back_as_helm_versions() -> None:
    assert charts.oci_versions(["1.0.0", "1.3.0_build.5", "latest"]) == [
        "1.0.0", "1.3.0+build.5", "latest"]  # fmt: skip
