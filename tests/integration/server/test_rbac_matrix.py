"""Every endpoint of the API server against admin, a ``role:readonly`` user, a project-role token
and an unauthenticated caller, with real accounts, tokens and argocd-rbac-cm."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

import pytest

from kaiun.localcluster import LocalCluster
from kaiun.server import ServerContext, create_app
from tests.integration.repo.repo_testkit import GitRepo
from tests.integration.server.authserver import AuthServer, auth_server
from tests.support import wait_for

CALLERS = ("admin", "reader", "project", "anonymous")
READER_PASSWORD = "reader-pass-1"


def _app(name: str, project: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {
            "project": project,
            "source": {"repoURL": "https://example.com/repo.git", "path": "guestbook"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "gb"},
        },
    }


def _created(server: AuthServer, method: str, path: str, body: Any) -> dict[str, Any]:
    with server.client(server.tokens["admin"]) as c:
        resp = c.request(method, path, json=body)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _team_app(server: AuthServer, u: str) -> dict[str, str]:
    _created(server, "POST", "/api/v1/applications", _app(f"t-{u}", "team"))
    return {"app": f"t-{u}"}


def _default_app(server: AuthServer, u: str) -> dict[str, str]:
    _created(server, "POST", "/api/v1/applications", _app(f"d-{u}", "default"))
    return {"app": f"d-{u}"}


def _project(server: AuthServer, u: str) -> dict[str, str]:
    _created(server, "POST", "/api/v1/projects", {"project": {"metadata": {"name": f"p-{u}"}}})
    return {"proj": f"p-{u}"}


def _role_token(server: AuthServer, u: str) -> dict[str, str]:
    _created(server, "POST", "/api/v1/projects/team/roles/dev/token", {"id": u})
    project = _created(server, "GET", "/api/v1/projects/team", None)
    role = next(r for r in project["spec"]["roles"] if r["name"] == "dev")
    return {"iat": str(next(t["iat"] for t in role["jwtTokens"] if t["id"] == u))}


def _ci_token(server: AuthServer, u: str) -> dict[str, str]:
    _created(server, "POST", "/api/v1/account/ci/token", {"id": u})
    return {}


def _git_repo(server: AuthServer, u: str) -> dict[str, str]:
    """A file:// git repository with one app directory (not registered with the server)."""
    repo = GitRepo(Path(server.scratch["repos"]) / f"r-{u}")
    repo.commit({"guestbook/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: g\n"})
    return {"repo": repo.url, "qrepo": quote(repo.url, safe="")}


def _repository(server: AuthServer, u: str) -> dict[str, str]:
    names = _git_repo(server, u)
    _created(server, "POST", "/api/v1/repositories", {"repo": names["repo"]})
    return names


def _creds_url(u: str) -> str:
    return f"https://creds-{u}.example.com/org"


def _repocreds(server: AuthServer, u: str) -> dict[str, str]:
    body = {"url": _creds_url(u), "username": "me", "password": "creds-pass"}
    _created(server, "POST", "/api/v1/repocreds", body)
    return {"qcreds": quote(_creds_url(u), safe="")}


def _cluster_url(u: str) -> str:
    # Port 1 on loopback refuses at once: connection probes fail fast, never hang.
    return f"https://127.0.0.1:1/c-{u}"


def _cluster_body(u: str) -> dict[str, Any]:
    config = {"bearerToken": "cluster-token", "tlsClientConfig": {"insecure": True}}
    return {"server": _cluster_url(u), "name": f"c-{u}", "config": config}


def _cluster(server: AuthServer, u: str) -> dict[str, str]:
    _created(server, "POST", "/api/v1/clusters", _cluster_body(u))
    return {"qcluster": quote(_cluster_url(u), safe="")}


def _known_host(u: str) -> dict[str, Any]:
    key = base64.b64encode(f"ssh-ed25519-key-{u}".encode()).decode()
    return {"items": [{"serverName": f"h-{u}.example.com", "certType": "ssh",
                       "certSubType": "ssh-ed25519",
                       "certData": base64.b64encode(key.encode()).decode()}]}  # fmt: skip


def _certificate(server: AuthServer, u: str) -> dict[str, str]:
    _created(server, "POST", "/api/v1/certificates", _known_host(u))
    return {}


def _app_with_resource(server: AuthServer, u: str) -> dict[str, str]:
    """A team app from a real repository whose status lists a live ConfigMap it tracks."""
    names = _git_repo(server, u)
    app, ns = f"r-{u}", server.namespace
    body = _app(app, "team")
    body["spec"]["source"] = {"repoURL": names["repo"], "path": "guestbook",
                              "targetRevision": "main"}  # fmt: skip
    body["spec"]["destination"]["namespace"] = ns
    _created(server, "POST", "/api/v1/applications", body)
    server.apply({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": f"cm-{u}", "annotations": {
            "argocd.argoproj.io/tracking-id": f"{app}:/ConfigMap:{ns}/cm-{u}"}},
        "data": {"k": "v"},
    })  # fmt: skip
    status = {"resources": [{"group": "", "version": "v1", "kind": "ConfigMap",
                             "namespace": ns, "name": f"cm-{u}"}]}  # fmt: skip
    server.kubectl("patch", "applications.argoproj.io", app, "-n", ns, "--type", "merge",
                   "-p", json.dumps({"status": status}))  # fmt: skip
    return {"app": app, "ns": ns}


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    path: str
    expect: tuple[int, int, int, int]  # admin, reader, project token, anonymous
    body: Any = None
    setup: Callable[[AuthServer, str], dict[str, str]] | None = None
    stream: bool = False
    own_token: bool = False  # the call ends the caller's session: use a fresh token


SPEC = _app("x", "team")["spec"]
RESOURCE = "/api/v1/applications/{app}/resource?resourceName=cm-{u}&kind=ConfigMap&namespace={ns}"
LABEL_PATCH = json.dumps({"metadata": {"labels": {"patched": "yes"}}})
PLACEHOLDERS = ("u", "app", "proj", "iat", "ns", "repo", "qrepo", "qcreds", "qcluster")
ROWS = [
    Row("list apps", "GET", "/api/v1/applications", (200, 200, 200, 401)),
    Row("get default app", "GET", "/api/v1/applications/{app}", (200, 200, 403, 401),
        setup=_default_app),
    Row("get team app", "GET", "/api/v1/applications/{app}", (200, 200, 200, 401),
        setup=_team_app),
    Row("get missing app", "GET", "/api/v1/applications/no-{u}", (404, 404, 403, 401)),
    Row("create default app", "POST", "/api/v1/applications", (200, 403, 403, 401),
        body=_app("c-{u}", "default")),
    Row("create team app", "POST", "/api/v1/applications", (200, 403, 200, 401),
        body=_app("c-{u}", "team")),
    Row("update app", "PUT", "/api/v1/applications/{app}", (200, 403, 200, 401),
        body=_app("{app}", "team"), setup=_team_app),
    Row("move app to default", "PUT", "/api/v1/applications/{app}", (200, 403, 403, 401),
        body=_app("{app}", "default"), setup=_team_app),
    Row("update spec", "PUT", "/api/v1/applications/{app}/spec", (200, 403, 200, 401),
        body=SPEC, setup=_team_app),
    Row("patch app", "PATCH", "/api/v1/applications/{app}", (200, 403, 200, 401),
        body={"patch": json.dumps({"metadata": {"labels": {"x": "y"}}})}, setup=_team_app),
    Row("patch default app", "PATCH", "/api/v1/applications/{app}", (200, 403, 403, 401),
        body={"patch": json.dumps({"metadata": {"labels": {"x": "y"}}})}, setup=_default_app),
    Row("delete app", "DELETE", "/api/v1/applications/{app}", (200, 403, 200, 401),
        setup=_team_app),
    Row("delete default app", "DELETE", "/api/v1/applications/{app}", (200, 403, 403, 401),
        setup=_default_app),
    Row("sync", "POST", "/api/v1/applications/{app}/sync", (200, 403, 200, 401), body={},
        setup=_team_app),
    Row("rollback", "POST", "/api/v1/applications/{app}/rollback", (404, 403, 404, 401),
        body={"id": 1}, setup=_team_app),
    Row("terminate", "DELETE", "/api/v1/applications/{app}/operation", (400, 403, 400, 401),
        setup=_team_app),
    Row("stream apps", "GET", "/api/v1/stream/applications", (200, 200, 200, 401), stream=True),
    Row("list projects", "GET", "/api/v1/projects", (200, 200, 200, 401)),
    Row("get default project", "GET", "/api/v1/projects/default", (200, 200, 403, 401)),
    Row("get team project", "GET", "/api/v1/projects/team", (200, 200, 200, 401)),
    Row("sync windows", "GET", "/api/v1/projects/team/syncwindows", (200, 200, 200, 401)),
    Row("create project", "POST", "/api/v1/projects", (200, 403, 403, 401),
        body={"project": {"metadata": {"name": "p-{u}"}}}),
    Row("update project", "PUT", "/api/v1/projects/{proj}", (200, 403, 403, 401),
        body={"project": {"metadata": {"name": "{proj}"}, "spec": {"description": "d"}}},
        setup=_project),
    Row("delete project", "DELETE", "/api/v1/projects/{proj}", (200, 403, 403, 401),
        setup=_project),
    Row("create role token", "POST", "/api/v1/projects/team/roles/dev/token",
        (200, 403, 403, 401), body={"id": "{u}"}),
    Row("delete role token", "DELETE", "/api/v1/projects/team/roles/dev/token/{iat}?id={u}",
        (200, 403, 403, 401), setup=_role_token),
    Row("login refused", "POST", "/api/v1/session", (401, 401, 401, 401),
        body={"username": "nobody-{u}", "password": "wrong-password"}),
    Row("logout", "DELETE", "/api/v1/session", (200, 200, 200, 401), own_token=True),
    Row("user info", "GET", "/api/v1/session/userinfo", (200, 200, 200, 200)),
    Row("list accounts", "GET", "/api/v1/account", (200, 200, 200, 401)),
    Row("get account", "GET", "/api/v1/account/admin", (200, 200, 403, 401)),
    Row("get missing account", "GET", "/api/v1/account/no-{u}", (404, 404, 403, 401)),
    Row("can-i", "GET", "/api/v1/account/can-i/applications/get/default/x",
        (200, 200, 200, 401)),
    Row("update another's password", "PUT", "/api/v1/account/password", (400, 403, 400, 401),
        body={"name": "ci", "currentPassword": "wrong-{u}", "newPassword": "new-pass-123"}),
    Row("create account token", "POST", "/api/v1/account/ci/token", (200, 403, 403, 401),
        body={"id": "{u}"}),
    Row("delete account token", "DELETE", "/api/v1/account/ci/token/{u}", (200, 403, 403, 401),
        setup=_ci_token),
    # Application sub-resources: reading needs `applications, get`; changing one resource
    # needs `update|delete/<group>/<kind>/<ns>/<name>` (Argo CD 3.x: no inheritance from
    # `update`/`delete`), which admin's built-in role and the project role's `*` grant.
    Row("resource tree", "GET", "/api/v1/applications/{app}/resource-tree",
        (200, 200, 200, 401), setup=_app_with_resource),
    Row("resource tree of default app", "GET", "/api/v1/applications/{app}/resource-tree",
        (200, 200, 403, 401), setup=_default_app),
    Row("managed resources", "GET", "/api/v1/applications/{app}/managed-resources",
        (200, 200, 200, 401), setup=_app_with_resource),
    Row("events", "GET", "/api/v1/applications/{app}/events", (200, 200, 200, 401),
        setup=_app_with_resource),
    Row("get resource", "GET", RESOURCE, (200, 200, 200, 401), setup=_app_with_resource),
    Row("patch resource", "PATCH", RESOURCE, (200, 403, 200, 401), body=LABEL_PATCH,
        setup=_app_with_resource),
    Row("patch resource (POST)", "POST", RESOURCE, (200, 403, 200, 401), body=LABEL_PATCH,
        setup=_app_with_resource),
    Row("delete resource", "DELETE", RESOURCE, (200, 403, 200, 401),
        setup=_app_with_resource),
    Row("manifests", "GET", "/api/v1/applications/{app}/manifests", (200, 200, 200, 401),
        setup=_app_with_resource),
    # Resource actions need `action/<group>/<kind>/<action>`; a ConfigMap has none (400).
    Row("list resource actions", "GET", RESOURCE.replace("/resource?", "/resource/actions?"),
        (200, 200, 200, 401), setup=_app_with_resource),
    Row("run resource action", "POST", RESOURCE.replace("/resource?", "/resource/actions?"),
        (400, 403, 400, 401), body="restart", setup=_app_with_resource),
    Row("run resource action v2", "POST", "/api/v1/applications/{app}/resource/actions/v2",
        (400, 403, 400, 401), setup=_app_with_resource,
        body={"resourceName": "cm-{u}", "kind": "ConfigMap", "namespace": "{ns}",
              "action": "restart"}),
    Row("revision metadata", "GET", "/api/v1/applications/{app}/revisions/main/metadata",
        (200, 200, 200, 401), setup=_app_with_resource),
    Row("image updater record", "GET", "/api/v1/applications/{app}/image-updater",
        (200, 200, 200, 401), setup=_team_app),
    Row("image updater record of default app", "GET",
        "/api/v1/applications/{app}/image-updater", (200, 200, 403, 401), setup=_default_app),
    # Repositories and credential templates: resource `repositories`, object the URL.
    Row("list repositories", "GET", "/api/v1/repositories", (200, 200, 200, 401)),
    Row("create repository", "POST", "/api/v1/repositories", (200, 403, 403, 401),
        body={"repo": "{repo}"}, setup=_git_repo),
    Row("get repository", "GET", "/api/v1/repositories/{qrepo}", (200, 200, 403, 401),
        setup=_repository),
    Row("get missing repository", "GET", "/api/v1/repositories/{qrepo}",
        (404, 404, 403, 401), setup=_git_repo),
    Row("repository refs", "GET", "/api/v1/repositories/{qrepo}/refs", (200, 200, 403, 401),
        setup=_repository),
    Row("repository helm charts (a git repo: 400 after RBAC)", "GET",
        "/api/v1/repositories/{qrepo}/helmcharts", (400, 400, 403, 401), setup=_repository),
    Row("repository OCI tags (a git repo: 400 after RBAC)", "GET",
        "/api/v1/repositories/{qrepo}/oci-tags", (400, 400, 403, 401), setup=_repository),
    Row("repository apps", "GET", "/api/v1/repositories/{qrepo}/apps", (200, 200, 403, 401),
        setup=_repository),
    Row("repository app details", "POST", "/api/v1/repositories/{qrepo}/appdetails",
        (200, 200, 403, 401), body={"source": {"repoURL": "{repo}", "path": "guestbook"}},
        setup=_repository),
    Row("update repository", "PUT", "/api/v1/repositories/{qrepo}", (200, 403, 403, 401),
        body={"repo": "{repo}", "name": "renamed"}, setup=_repository),
    Row("delete repository", "DELETE", "/api/v1/repositories/{qrepo}", (200, 403, 403, 401),
        setup=_repository),
    Row("validate repository", "POST", "/api/v1/repositories/{qrepo}/validate",
        (200, 403, 403, 401), body={"repo": "{repo}"}, setup=_git_repo),
    Row("list repocreds", "GET", "/api/v1/repocreds", (200, 200, 200, 401)),
    Row("create repocreds", "POST", "/api/v1/repocreds", (200, 403, 403, 401),
        body={"url": "https://creds-{u}.example.com/org", "username": "me", "password": "pw"}),
    Row("update repocreds", "PUT", "/api/v1/repocreds/{qcreds}", (200, 403, 403, 401),
        body={"url": "https://creds-{u}.example.com/org", "username": "other"},
        setup=_repocreds),
    Row("delete repocreds", "DELETE", "/api/v1/repocreds/{qcreds}", (200, 403, 403, 401),
        setup=_repocreds),
    # Clusters: resource `clusters`, object the server URL.
    Row("list clusters", "GET", "/api/v1/clusters", (200, 200, 200, 401)),
    Row("create cluster", "POST", "/api/v1/clusters", (200, 403, 403, 401),
        body=_cluster_body("{u}")),
    Row("get cluster", "GET", "/api/v1/clusters/{qcluster}", (200, 200, 403, 401),
        setup=_cluster),
    Row("get in-cluster", "GET", "/api/v1/clusters/https%3A%2F%2Fkubernetes.default.svc",
        (200, 200, 403, 401)),
    Row("update cluster", "PUT", "/api/v1/clusters/{qcluster}", (200, 403, 403, 401),
        body={"name": "renamed-{u}"}, setup=_cluster),
    Row("delete cluster", "DELETE", "/api/v1/clusters/{qcluster}", (200, 403, 403, 401),
        setup=_cluster),
    # Certificates: resource `certificates`, empty object.
    Row("list certificates", "GET", "/api/v1/certificates", (200, 200, 403, 401)),
    Row("create certificates", "POST", "/api/v1/certificates", (200, 403, 403, 401),
        body=_known_host("{u}")),
    Row("delete certificates", "DELETE", "/api/v1/certificates?hostNamePattern=h-{u}.example.com",
        (200, 403, 403, 401), setup=_certificate),
    # No login: a webhook is authenticated by its provider secret, the badge and metrics are
    # public (the badge says "disabled" unless argocd-cm turns it on).
    Row("webhook of unknown provider", "POST", "/api/webhook", (400, 400, 400, 400), body={}),
    Row("badge", "GET", "/api/badge?name={app}", (200, 200, 200, 200), setup=_default_app),
    Row("metrics", "GET", "/metrics", (200, 200, 200, 200)),
    Row("settings", "GET", "/api/v1/settings", (200, 200, 200, 200)),
    Row("version", "GET", "/api/version", (200, 200, 200, 200)),
    Row("healthz", "GET", "/healthz", (200, 200, 200, 200)),
    Row("openapi", "GET", "/swagger.json", (200, 200, 200, 200)),
]  # fmt: skip


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        for key, filled in names.items():
            value = value.replace("{" + key + "}", filled)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    return value


@pytest.fixture(scope="module")
def server(
    local_cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AuthServer]:
    with auth_server(local_cluster) as srv:
        srv.scratch["repos"] = tmp_path_factory.mktemp("matrix-repos")
        srv.apply({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AppProject",
            "metadata": {"name": "team"},
            "spec": {
                "sourceRepos": ["*"],
                "destinations": [{"server": "*", "namespace": "*"}],
                "roles": [{"name": "dev", "policies": [
                    "p, proj:team:dev, applications, *, team/*, allow",
                    "p, proj:team:dev, projects, get, team, allow",
                ]}],
            },
        })  # fmt: skip
        srv.set_configmap("argocd-rbac-cm", {"policy.csv": "g, reader, role:readonly\n"})
        srv.add_account("reader", READER_PASSWORD)
        srv.add_account("ci", "ci-pass-12345", "apiKey, login")
        srv.tokens["reader"] = srv.token("reader", READER_PASSWORD)
        srv.tokens["project"] = _created(
            srv, "POST", "/api/v1/projects/team/roles/dev/token", {"id": "matrix"}
        )["token"]

        def reader_is_readonly() -> bool:
            with srv.client(srv.tokens["reader"]) as c:
                resp = c.get("/api/v1/account/can-i/projects/get/default")
            return resp.status_code == 200 and resp.json() == {"value": "yes"}

        wait_for(reader_is_readonly, what="argocd-rbac-cm loaded")
        yield srv


def _fresh_token(server: AuthServer, caller: str) -> str | None:
    if caller == "admin":
        return server.token("admin", server.tokens["admin-password"])
    if caller == "reader":
        return server.token("reader", READER_PASSWORD)
    if caller == "project":
        body = {"id": uuid.uuid4().hex}
        return str(_created(server, "POST", "/api/v1/projects/team/roles/dev/token", body)["token"])
    return None


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
@pytest.mark.parametrize("caller", CALLERS)
def test_endpoint_authorization(server: AuthServer, row: Row, caller: str) -> None:
    u = uuid.uuid4().hex[:8]
    names = {"u": u}
    if row.setup:
        names |= row.setup(server, u)
    token = _fresh_token(server, caller) if row.own_token else server.tokens.get(caller)
    expected = row.expect[CALLERS.index(caller)]
    body = _fill(row.body, names) if row.body is not None else None
    with server.client(token) as c:
        if row.stream:
            with c.stream(row.method, _fill(row.path, names)) as resp:
                status = resp.status_code
                if status != 200:
                    resp.read()
        else:
            resp = c.request(row.method, _fill(row.path, names), json=body)
            status = resp.status_code
    assert status == expected, f"{caller} {row.method} {row.path}: {status} {resp.text[:300]}"
    if status in (401, 403):
        err = resp.json()
        assert err["code"] == (16 if status == 401 else 7) and err["message"]


def test_every_route_of_the_server_is_in_the_matrix() -> None:
    """A new endpoint must join the table above (or this fails); the OpenAPI document is
    the list of routes."""
    app = create_app(ServerContext(client=cast(Any, None), namespace="argocd",
                                   security=cast(Any, None)))  # fmt: skip
    placeholders = dict.fromkeys(PLACEHOLDERS, "1")
    covered = [(r.method, _fill(r.path, placeholders).split("?")[0]) for r in ROWS]
    paths = app.openapi()["paths"]
    assert len(paths) > 20
    missing = []
    for template, operations in paths.items():
        pattern = re.compile(
            re.sub(r"\\{(\w+)\\}", lambda m: ".+" if m[1] == "subresource" else "[^/]+",
                   re.escape(template)) + "$"
        )  # fmt: skip
        for method in operations:
            if not any(m == method.upper() and pattern.match(p) for m, p in covered):
                missing.append(f"{method.upper()} {template}")
    assert not missing, missing
