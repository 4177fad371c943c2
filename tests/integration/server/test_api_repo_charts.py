"""``/repositories/{repo}/helmcharts`` against a real Helm repository on loopback and
``/oci-tags`` against the real docker-registry, with credentials and RBAC."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.integration.repo.repo_testkit import (
    CHART_FILES,
    RegistryServer,
    StaticHttpServer,
    package_chart,
)
from tests.integration.server.conftest import ApiServer

CHART_PASSWORD = "chart-pw-8d1f"
REGISTRY_PASSWORD = "reg-pw-41c7"


def _chart_sources(base: Path, names: tuple[str, ...]) -> dict[str, Path]:
    out = {}
    for name in names:
        src = base / "src" / name
        for rel, text in CHART_FILES.items():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            (src / rel).write_text(text.replace("name: my-chart", f"name: {name}"))
        out[name] = src
    return out


@pytest.fixture(scope="module")
def chart_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaticHttpServer]:
    base = tmp_path_factory.mktemp("charts")
    sources = _chart_sources(base, ("web", "db"))
    package_chart(sources["web"], base / "site", ["1.0.0", "1.2.0"])
    package_chart(sources["db"], base / "site", ["0.3.0"])
    with StaticHttpServer(base / "site", "admin", CHART_PASSWORD) as server:
        yield server


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    if shutil.which("docker-registry") is None or shutil.which("htpasswd") is None:
        pytest.skip("docker-registry/htpasswd missing (scripts/setup installs them)")
    work = tmp_path_factory.mktemp("registry")
    with RegistryServer(work, "admin", REGISTRY_PASSWORD) as server:
        chart = _chart_sources(work, ("my-chart",))["my-chart"]
        for version in ("1.0.0", "1.4.0"):
            server.push_chart(chart, version, work / "pkg")
        yield server


def _path(url: str) -> str:
    return quote(url, safe="")


def test_helm_charts_of_a_registered_repository(
    api_server: ApiServer, chart_server: StaticHttpServer
) -> None:
    url = chart_server.url
    with api_server.client() as c:
        unauthorized = c.get(f"/api/v1/repositories/{_path(url)}/helmcharts")
        assert unauthorized.status_code == 400, unauthorized.text  # no credentials yet
        assert CHART_PASSWORD not in unauthorized.text
        made = c.post("/api/v1/repositories", json={
            "repo": url, "type": "helm", "name": "charts",
            "username": "admin", "password": CHART_PASSWORD,
        })  # fmt: skip
        assert made.status_code == 200, made.text
        resp = c.get(f"/api/v1/repositories/{_path(url)}/helmcharts", params={"forceRefresh": 1})
        assert resp.status_code == 200, resp.text
        items = resp.json()["items"]
        assert [i["name"] for i in items] == ["db", "web"]
        assert sorted(items[1]["versions"]) == ["1.0.0", "1.2.0"]
        assert items[0]["versions"] == ["0.3.0"]
    with api_server.client("reader-token") as c:
        denied = c.get(f"/api/v1/repositories/{_path(url)}/helmcharts")
        assert denied.status_code == 403
        assert "charts" not in denied.text.replace("helmcharts", "")
    with api_server.client() as c:
        assert c.delete(f"/api/v1/repositories/{_path(url)}").status_code == 200


def test_helm_charts_refuses_what_is_not_a_helm_index(api_server: ApiServer) -> None:
    with api_server.client() as c:
        oci = c.get(f"/api/v1/repositories/{_path('oci://127.0.0.1:1/charts')}/helmcharts")
        assert oci.status_code == 400 and "/oci-tags" in oci.json()["message"]
        ssh = c.get(f"/api/v1/repositories/{_path('git@example.com:org/repo.git')}/helmcharts")
        assert ssh.status_code == 400 and "not a Helm repository" in ssh.json()["message"]


def test_oci_tags_with_a_credential_template(
    api_server: ApiServer, registry: RegistryServer
) -> None:
    chart_url = f"oci://{registry.host}/charts/my-chart"
    with api_server.client() as c:
        anonymous = c.get(f"/api/v1/repositories/{_path(chart_url)}/oci-tags")
        assert anonymous.status_code == 400, anonymous.text
        template = {
            "url": f"oci://{registry.host}", "type": "helm", "enableOCI": True,
            "insecureOCIForceHttp": True, "username": "admin", "password": REGISTRY_PASSWORD,
        }  # fmt: skip
        assert c.post("/api/v1/repocreds", json=template).status_code == 200
        resp = c.get(f"/api/v1/repositories/{_path(chart_url)}/oci-tags")
        assert resp.status_code == 200, resp.text
        assert sorted(resp.json()["tags"]) == ["1.0.0", "1.4.0"]
        assert resp.json()["branches"] == []
        missing = c.get(f"/api/v1/repositories/{_path(chart_url + '-nope')}/oci-tags")
        assert missing.status_code == 400
        assert REGISTRY_PASSWORD not in missing.text
        bad = c.get(f"/api/v1/repositories/{_path('oci://')}/oci-tags")
        assert bad.status_code == 400
        git = c.get(f"/api/v1/repositories/{_path('https://example.com/r.git')}/oci-tags")
        assert git.status_code == 400 and "not an OCI repository" in git.json()["message"]
    with api_server.client("team-token") as c:
        assert c.get(f"/api/v1/repositories/{_path(chart_url)}/oci-tags").status_code == 403
    with api_server.client() as c:
        assert c.delete(f"/api/v1/repocreds/{_path(template['url'])}").status_code == 200
