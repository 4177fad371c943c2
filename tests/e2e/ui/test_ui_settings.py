"""The settings pages, user info, the app creation form and the parameters view in real
headless chromium against ``kaiun up --demo``."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, expect

from tests.e2e.ui.uikit import KaiunUp, login
from tests.support import wait_for


@pytest.fixture
def errors(page: Page) -> Iterator[list[str]]:
    """Script errors and uncaught exceptions of ``page``; the test fails on any."""
    seen: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        # A failed API call is logged by chromium as "Failed to load resource"; the pages
        # show those errors themselves (and the tests look for them there).
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            seen.append(f"console: {msg.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: seen.append(f"pageerror: {exc}"))
    yield seen
    assert seen == [], seen


def _app(up: KaiunUp, name: str) -> dict[str, Any] | None:
    with up.client() as c:
        resp = c.get(f"/api/v1/applications/{name}")
    return resp.json() if resp.status_code == 200 else None


def _status(app: dict[str, Any] | None) -> tuple[str, str]:
    status = (app or {}).get("status") or {}
    return (
        (status.get("sync") or {}).get("status", ""),
        (status.get("health") or {}).get("status", ""),
    )


PAGES = [
    ("/settings", "settings"),
    ("/settings/repos", "repos"),
    ("/settings/repocreds", "repocreds"),
    ("/settings/clusters", "clusters"),
    ("/settings/projects", "projects"),
    ("/settings/projects/default", "project"),
    ("/settings/accounts", "accounts"),
    ("/settings/accounts/admin", "account"),
    ("/settings/password", "password"),
    ("/user-info", "user-info"),
    ("/applications/new", "app-create"),
]


@pytest.mark.parametrize(("path", "marker"), PAGES)
def test_settings_pages_render(
    page: Page,
    errors: list[str],
    kaiun_up: KaiunUp,
    shot: Callable[..., Path],
    path: str,
    marker: str,
) -> None:
    page.goto(kaiun_up.url + path)
    expect(page.locator(f'[data-page="{marker}"]')).to_be_visible()
    expect(page.locator(".error-banner:visible")).to_have_count(0)
    shot(page)


def test_add_repository_through_the_form_shows_it_connected(
    page: Page, errors: list[str], kaiun_up: KaiunUp, shot: Callable[..., Path]
) -> None:
    url = kaiun_up.demo_repo_url
    page.goto(f"{kaiun_up.url}/settings/repos")
    page.click("#add-repo")
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Connection method").select_option("https")
    dialog.get_by_label("Name (optional)").fill("demo")
    # A wrong URL first: the API's message is shown and nothing is stored.
    dialog.get_by_label("Repository URL").fill(url + "-missing")
    dialog.get_by_role("button", name="Test connection").click()
    expect(dialog.locator(".error-banner")).to_be_visible()
    expect(dialog.locator(".error-banner")).not_to_be_empty()
    dialog.get_by_label("Repository URL").fill(url)
    dialog.get_by_role("button", name="Test connection").click()
    expect(dialog.get_by_text("Connection successful")).to_be_visible()
    shot(page, "dialog")
    dialog.get_by_role("button", name="Connect", exact=True).click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    row = page.locator(f'tr[data-repo="{url}"]')
    expect(row.locator('[data-status="Successful"]')).to_be_visible()
    expect(row).to_contain_text("demo")
    shot(page)
    with kaiun_up.client() as c:
        listed = c.get("/api/v1/repositories").json()["items"]
    assert [r["repo"] for r in listed if r["repo"] == url] == [url]
    assert not any(r["repo"].endswith("-missing") for r in listed)
    # "New app" from the row: the creation form's revision picker lists the repository's
    # branches and its path picker the app directories.
    row.get_by_role("link", name="App").click()
    page.wait_for_url("**/applications/new?repo=*")
    expect(page.get_by_label("Repository URL")).to_have_value(url)
    expect(page.locator('#dl-revisions option[value="main"]')).to_have_count(1)
    expect(page.locator('#dl-paths option[value="helm-guestbook"]')).to_have_count(1)


def _delete_app(up: KaiunUp, name: str) -> None:
    with up.client() as c:
        c.delete(f"/api/v1/applications/{name}", params={"cascade": "true"})


def test_create_app_from_the_form_syncs(
    page: Page, errors: list[str], kaiun_up: KaiunUp, shot: Callable[..., Path]
) -> None:
    name = f"ui-form-{uuid.uuid4().hex[:6]}"
    try:
        page.goto(f"{kaiun_up.url}/applications/new")
        page.get_by_label("Application name").fill(name)
        page.get_by_label("Automatic sync").check()
        page.get_by_label("Auto-create namespace").check()
        page.get_by_label("Delete resources with the app (finalizer)").check()
        page.get_by_label("Repository URL").fill(kaiun_up.demo_repo_url)
        page.get_by_label("Path").fill("guestbook")
        page.get_by_label("Namespace", exact=True).fill(name)
        shot(page, "form")
        page.click("#create-app")
        page.wait_for_url(f"**/applications/argocd/{name}")

        def synced() -> bool:
            return _status(_app(kaiun_up, name)) == ("Synced", "Healthy")

        wait_for(synced, timeout=120, interval=1, what=f"{name} Synced/Healthy")
        app = _app(kaiun_up, name)
        assert app is not None
        assert app["spec"]["source"] == {
            "repoURL": kaiun_up.demo_repo_url,
            "targetRevision": "HEAD",
            "path": "guestbook",
        }
        assert app["spec"]["syncPolicy"]["syncOptions"] == ["CreateNamespace=true"]
        page.goto(f"{kaiun_up.url}/applications")
        expect(page.locator(f'a[href="/applications/argocd/{name}"]').first).to_be_visible()
        shot(page)
    finally:
        _delete_app(kaiun_up, name)


def test_create_app_as_yaml_and_see_api_errors(
    page: Page, errors: list[str], kaiun_up: KaiunUp, shot: Callable[..., Path]
) -> None:
    name = f"ui-yaml-{uuid.uuid4().hex[:6]}"
    try:
        page.goto(f"{kaiun_up.url}/applications/new")
        page.get_by_label("Application name").fill("placeholder")
        page.get_by_label("Repository URL").fill(kaiun_up.demo_repo_url)
        page.get_by_label("Path").fill("kustomize-guestbook/overlays/dev")
        page.get_by_label("Namespace", exact=True).fill(name)
        page.click("#edit-yaml")
        editor = page.locator("textarea[name=yaml]")
        text = editor.input_value()
        assert "name: placeholder" in text and "path: kustomize-guestbook/overlays/dev" in text
        # No destination: the API's message is shown, nothing is created.
        editor.fill(
            text.replace("name: placeholder", f"name: {name}").replace("destination:", "elsewhere:")
        )
        page.click("#create-app")
        banner = page.locator(".error-banner:visible")
        expect(banner).to_contain_text("spec.destination is required")
        assert _app(kaiun_up, name) is None
        # Invalid YAML is refused in the browser with its line.
        editor.fill("metadata:\n  name: x\n   bad: indent\n")
        page.click("#create-app")
        expect(banner).to_contain_text("line 3")
        editor.fill(text.replace("name: placeholder", f"name: {name}"))
        shot(page)
        page.click("#create-app")
        page.wait_for_url(f"**/applications/argocd/{name}")
        app = _app(kaiun_up, name)
        assert app is not None
        assert app["spec"]["source"]["path"] == "kustomize-guestbook/overlays/dev"
        assert app["spec"]["destination"]["namespace"] == name
    finally:
        _delete_app(kaiun_up, name)


def test_change_own_password_then_log_in_with_it(
    context: BrowserContext, kaiun_up: KaiunUp, shot: Callable[..., Path]
) -> None:
    user = f"pw{uuid.uuid4().hex[:6]}"
    kaiun_up.add_account(user, "first-Passw0rd")
    page = context.new_page()
    login(page, kaiun_up, user, "first-Passw0rd")
    page.goto(f"{kaiun_up.url}/user-info")
    expect(page.locator("#user-name")).to_have_text(user)
    page.get_by_label("Current password").fill("first-Passw0rd")
    page.get_by_label("New password", exact=True).fill("second-Passw0rd")
    page.get_by_label("Confirm new password").fill("second-Passw0rd-typo")
    page.get_by_role("button", name="Update password").click()
    expect(page.locator(".error-banner:visible")).to_contain_text("do not match")
    page.get_by_label("Confirm new password").fill("second-Passw0rd")
    shot(page, "form")
    page.get_by_role("button", name="Update password").click()
    page.wait_for_url("**/login**")
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill("second-Passw0rd")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/applications**")
    page.goto(f"{kaiun_up.url}/user-info")
    expect(page.locator("#user-name")).to_have_text(user)
    shot(page)
    with pytest.raises(AssertionError):
        kaiun_up.token(user, "first-Passw0rd")


def test_project_detail_shows_the_demo_projects_destinations(
    page: Page, errors: list[str], kaiun_up: KaiunUp, shot: Callable[..., Path]
) -> None:
    with kaiun_up.client() as c:
        default = c.get("/api/v1/projects/default").json()
    page.goto(f"{kaiun_up.url}/settings/projects/default")
    dests = page.locator('[data-section="destinations"] tbody tr')
    expect(dests).to_have_count(len(default["spec"]["destinations"]))
    for i, d in enumerate(default["spec"]["destinations"]):
        expect(dests.nth(i)).to_contain_text(d.get("server") or d.get("name"))
        expect(dests.nth(i)).to_contain_text(d["namespace"])
    shot(page)


def test_project_edits_sources_destinations_roles_and_tokens(
    page: Page, errors: list[str], kaiun_up: KaiunUp, shot: Callable[..., Path]
) -> None:
    name = f"ui-proj-{uuid.uuid4().hex[:6]}"
    try:
        page.goto(f"{kaiun_up.url}/settings/projects")
        page.click("#new-project")
        page.get_by_role("dialog").get_by_label("Project name").fill(name)
        page.get_by_role("dialog").get_by_label("Description").fill("made in the UI")
        page.get_by_role("dialog").get_by_role("button", name="Create").click()
        page.wait_for_url(f"**/settings/projects/{name}")
        section = page.locator('[data-section="destinations"]')
        section.get_by_label("Server").fill("https://kubernetes.default.svc")
        section.get_by_label("Namespace").fill("team-a")
        section.get_by_role("button", name="Add").click()
        expect(page.locator('[data-section="destinations"] tbody tr')).to_have_count(1)
        sources = page.locator('[data-section="sources"]')
        sources.get_by_label("Repository URL").fill(kaiun_up.demo_repo_url)
        sources.get_by_role("button", name="Add").click()
        expect(page.locator('[data-section="sources"] tbody tr')).to_have_count(1)
        roles = page.locator('[data-section="roles"]')
        roles.get_by_text("Add a role").click()
        roles.get_by_label("Role name").fill("ci")
        roles.get_by_label("Policies (one per line or comma)").fill(
            f"p, proj:{name}:ci, applications, get, {name}/*, allow"
        )
        roles.get_by_role("button", name="Add").click()
        page.locator('[data-role-token="ci"]').click()
        page.get_by_role("dialog").get_by_role("button", name="Generate").click()
        token = page.locator("textarea.token-once").input_value()
        assert token.count(".") == 2, "a JWT is shown once"
        shot(page, "token")
        page.get_by_role("dialog").get_by_role("button", name="Done").click()
        expect(page.locator('[data-role="ci"] .role-tokens tbody tr')).to_have_count(1)
        shot(page)
        with kaiun_up.client() as c:
            spec = c.get(f"/api/v1/projects/{name}").json()["spec"]
            assert spec["description"] == "made in the UI"
            assert spec["destinations"] == [
                {"server": "https://kubernetes.default.svc", "namespace": "team-a"}
            ]
            assert spec["sourceRepos"] == [kaiun_up.demo_repo_url]
            assert [r["name"] for r in spec["roles"]] == ["ci"]
            assert len(spec["roles"][0]["jwtTokens"]) == 1
            # The token works as the project role: it may read the project's apps.
            with kaiun_up.client(token) as as_role:
                assert as_role.get("/api/v1/applications").status_code == 200
        assert token not in page.content()
    finally:
        with kaiun_up.client() as c:
            c.delete(f"/api/v1/projects/{name}")


def test_readonly_user_cannot_add_repositories_or_edit_projects(
    context: BrowserContext, kaiun_up: KaiunUp, shot: Callable[..., Path]
) -> None:
    user = f"ro{uuid.uuid4().hex[:6]}"
    kaiun_up.add_account(user, "viewer-Passw0rd", role="role:readonly")
    page = context.new_page()
    login(page, kaiun_up, user, "viewer-Passw0rd")
    page.goto(f"{kaiun_up.url}/settings/repos")
    expect(page.locator('[data-page="repos"]')).to_be_visible()
    expect(page.locator("#add-repo")).to_have_count(0)
    page.goto(f"{kaiun_up.url}/settings/clusters")
    expect(page.locator('[data-page="clusters"] tbody tr').first).to_be_visible()
    expect(page.locator("#add-cluster")).to_have_count(0)
    page.goto(f"{kaiun_up.url}/settings/repos")
    expect(page.locator('[data-page="repos"] button[aria-label^="Disconnect"]')).to_have_count(0)
    shot(page)
    page.goto(f"{kaiun_up.url}/settings/projects/default")
    expect(page.locator('[data-section="destinations"] tbody tr').first).to_be_visible()
    expect(page.locator(".add-form")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)
    page.goto(f"{kaiun_up.url}/applications/new")
    expect(page.locator("#create-app")).to_be_disabled()


def _helm_app(up: KaiunUp, name: str) -> None:
    app = {
        "metadata": {"name": name, "finalizers": ["resources-finalizer.argocd.argoproj.io"]},
        "spec": {
            "project": "default",
            "source": {
                "repoURL": up.demo_repo_url,
                "path": "helm-guestbook",
                "targetRevision": "HEAD",
                "helm": {"valueFiles": ["values-dev.yaml"]},
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": name},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["CreateNamespace=true"],
            },
        },
    }
    with up.client() as c:
        resp = c.post("/api/v1/applications", json=app)
    assert resp.status_code == 200, resp.text


def _replicas(up: KaiunUp, namespace: str) -> list[int]:
    proc = up.kubectl.run("get", "deploy", "-n", namespace, "-o", "json", check=False)
    if proc.returncode != 0:
        return []
    return [d["spec"].get("replicas", 1) for d in json.loads(proc.stdout)["items"]]


def test_parameters_view_edits_helm_parameters_and_the_spec_as_yaml(
    page: Page, errors: list[str], kaiun_up: KaiunUp, shot: Callable[..., Path]
) -> None:
    name = f"ui-params-{uuid.uuid4().hex[:6]}"
    _helm_app(kaiun_up, name)
    try:
        wait_for(lambda: _replicas(kaiun_up, name) == [1], timeout=120, interval=1,
                 what=f"{name} deployed with values-dev.yaml")  # fmt: skip
        page.goto(f"{kaiun_up.url}/applications/argocd/{name}?view=parameters")
        view = page.locator('[data-view="parameters"].app-params')
        expect(view).to_contain_text("values-dev.yaml")
        expect(view.locator("h3")).to_contain_text("Helm")
        shot(page, "view")
        view.locator('[data-action="edit-params"]').click()
        view.get_by_label("Parameters (name=value per line)").fill("replicaCount=3")
        view.locator('[data-action="save-params"]').click()
        expect(view.locator("tbody")).to_contain_text("replicaCount")
        app = _app(kaiun_up, name)
        assert app is not None
        assert app["spec"]["source"]["helm"] == {
            "valueFiles": ["values-dev.yaml"],
            "parameters": [{"name": "replicaCount", "value": "3"}],
        }
        wait_for(lambda: _replicas(kaiun_up, name) == [3], timeout=120, interval=1,
                 what=f"{name} resynced with replicaCount=3")  # fmt: skip
        # The whole spec as YAML: switch the values file.
        view.locator('[data-action="edit-yaml"]').click()
        editor = view.locator("textarea[name=spec-yaml]")
        text = editor.input_value()
        assert "- values-dev.yaml" in text
        editor.fill(text.replace("values-dev.yaml", "values-prod.yaml"))
        shot(page, "yaml")
        view.locator('[data-action="save-spec"]').click()
        expect(view).to_contain_text("values-prod.yaml")
        app = _app(kaiun_up, name)
        assert app is not None
        assert app["spec"]["source"]["helm"]["valueFiles"] == ["values-prod.yaml"]
        assert app["spec"]["destination"]["namespace"] == name
        shot(page)
        # A Kustomize app shows its options.
        page.goto(f"{kaiun_up.url}/applications/argocd/kustomize-dev?view=parameters")
        expect(page.locator('[data-view="parameters"].app-params h3')).to_contain_text("Kustomize")
    finally:
        _delete_app(kaiun_up, name)


def test_hostile_repository_fields_render_as_text(
    page: Page, errors: list[str], kaiun_up: KaiunUp, shot: Callable[..., Path]
) -> None:
    """A Secret written straight to the cluster (the API refuses such URLs) cannot make the
    repository list run script: no javascript: link, no markup from its fields."""
    name = f"repo-hostile-{uuid.uuid4().hex[:6]}"
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": name,
            "namespace": kaiun_up.namespace,
            "labels": {"argocd.argoproj.io/secret-type": "repository"},
        },
        "stringData": {
            "url": "javascript:alert(document.domain)//x.git",
            "name": '<img src=x onerror="window.pwned=1">',
            "type": "git",
        },
    }
    kaiun_up.kubectl("apply", "-f", "-", input=json.dumps(secret))
    try:
        page.goto(f"{kaiun_up.url}/settings/repos")
        row = page.locator('tr[data-repo^="javascript:"]')
        expect(row).to_contain_text("javascript:alert(document.domain)//x.git")
        expect(row).to_contain_text('<img src=x onerror="window.pwned=1">')
        # The URL cell is text; the row's only link is the same-origin "New app" one.
        assert row.locator("td").nth(2).locator("a").count() == 0
        assert row.locator('a[href^="javascript:"]').count() == 0
        assert page.locator('a[href^="javascript:"]').count() == 0
        assert page.locator("img[onerror]").count() == 0
        assert page.evaluate("window.pwned") is None
        shot(page)
    finally:
        kaiun_up.kubectl("delete", "secret", name, "-n", kaiun_up.namespace)


@pytest.mark.parametrize(
    "path",
    [
        "/settings",
        "/settings/repos",
        "/settings/projects/default",
        "/applications/new",
        "/user-info",
    ],
)
def test_settings_pages_fit_a_phone(
    new_context: Callable[..., BrowserContext],
    kaiun_up: KaiunUp,
    shot: Callable[..., Path],
    path: str,
) -> None:
    page = new_context(viewport={"width": 390, "height": 844}).new_page()
    login(page, kaiun_up)
    page.goto(kaiun_up.url + path)
    expect(page.locator("[data-page]")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{path} is {width}px wide on a 390px phone"
    shot(page)


def test_add_a_cluster_through_the_form_shows_it_connected(
    page: Page, errors: list[str], kaiun_up: KaiunUp, shot: Callable[..., Path]
) -> None:
    """The local cluster added again under its loopback URL, with its token and CA."""
    config = yaml.safe_load(kaiun_up.kubeconfig.read_text())
    cluster = config["clusters"][0]["cluster"]
    token = config["users"][0]["user"]["token"]
    ca_pem = base64.b64decode(cluster["certificate-authority-data"]).decode()
    name = f"loop-{uuid.uuid4().hex[:6]}"
    try:
        page.goto(f"{kaiun_up.url}/settings/clusters")
        page.click("#add-cluster")
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("Name", exact=True).fill(name)
        dialog.get_by_label("Server URL").fill(cluster["server"])
        dialog.get_by_label("Bearer token").fill(token)
        dialog.get_by_label("CA certificate (PEM or base64, optional)").fill(ca_pem)
        dialog.get_by_label("Namespaces (comma separated; empty: all)").fill("team-a, team-b")
        dialog.get_by_role("button", name="Add", exact=True).click()
        expect(page.get_by_role("dialog")).to_have_count(0)
        row = page.locator(f'tr[data-cluster="{name}"]')
        expect(row.locator('[data-status="Successful"]')).to_be_visible(timeout=30_000)
        expect(row).to_contain_text("team-a, team-b")
        assert token not in page.content()
        shot(page)
    finally:
        with kaiun_up.client() as c:
            c.delete(f"/api/v1/clusters/{cluster['server']}")


def test_account_tokens_are_generated_once_and_revoked(
    page: Page, errors: list[str], kaiun_up: KaiunUp, shot: Callable[..., Path]
) -> None:
    user = f"bot{uuid.uuid4().hex[:6]}"
    kaiun_up.add_account(user, "bot-Passw0rd")
    page.goto(f"{kaiun_up.url}/settings/accounts")
    page.locator(f'tr[data-account="{user}"] a').click()
    page.wait_for_url(f"**/settings/accounts/{user}")
    page.click("#new-token")
    page.get_by_role("dialog").get_by_label("Token id (optional)").fill("ci")
    page.get_by_role("dialog").get_by_role("button", name="Generate").click()
    token = page.locator("textarea.token-once").input_value()
    page.get_by_role("dialog").get_by_role("button", name="Done").click()
    expect(page.locator('[data-page="account"] tbody tr')).to_contain_text("ci")
    assert token not in page.content()
    with kaiun_up.client(token) as c:
        assert c.get("/api/v1/session/userinfo").json()["username"] == user
    shot(page)
    page.get_by_role("button", name="Delete token ci").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator('[data-page="account"] p.empty')).to_have_text("No tokens.")
    with kaiun_up.client(token) as c:
        assert c.get("/api/v1/applications").status_code == 401


def test_repository_credentials_and_sync_windows(
    page: Page, errors: list[str], kaiun_up: KaiunUp
) -> None:
    prefix = f"https://git.example.com/{uuid.uuid4().hex[:6]}/"
    page.goto(f"{kaiun_up.url}/settings/repocreds")
    page.click("#add-creds")
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("URL prefix").fill(prefix)
    dialog.get_by_label("Username").fill("robot")
    dialog.get_by_label("Password or token").fill("creds-s3cret-value")
    dialog.get_by_role("button", name="Save").click()
    expect(page.locator('[data-page="repocreds"] tbody')).to_contain_text(prefix)
    assert "creds-s3cret-value" not in page.content()
    with kaiun_up.client() as c:
        listed = c.get("/api/v1/repocreds").json()["items"]
        assert {"url": prefix, "username": "robot"}.items() <= next(
            i for i in listed if i["url"] == prefix
        ).items()
    page.get_by_role("button", name=f"Delete credentials for {prefix}").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator('[data-page="repocreds"]')).not_to_contain_text(prefix)
    # A deny window on a new project, through the sync windows form.
    name = f"ui-win-{uuid.uuid4().hex[:6]}"
    with kaiun_up.client() as c:
        made = c.post("/api/v1/projects", json={"project": {"metadata": {"name": name}}})
        assert made.status_code == 200, made.text
    try:
        page.goto(f"{kaiun_up.url}/settings/projects/{name}")
        windows = page.locator('[data-section="sync-windows"]')
        windows.get_by_label("Kind").select_option("deny")
        windows.get_by_label("Schedule (cron)").fill("0 22 * * *")
        windows.get_by_label("Duration").fill("1h")
        windows.get_by_label("Applications").fill("helm-*, guestbook")
        windows.get_by_label("Allow manual sync").check()
        windows.get_by_role("button", name="Add").click()
        expect(page.locator('[data-section="sync-windows"] tbody tr')).to_have_count(1)
        with kaiun_up.client() as c:
            got = c.get(f"/api/v1/projects/{name}/syncwindows").json()["windows"]
        assert got == [
            {
                "kind": "deny",
                "schedule": "0 22 * * *",
                "duration": "1h",
                "applications": ["helm-*", "guestbook"],
                "manualSync": True,
            }
        ]
    finally:
        with kaiun_up.client() as c:
            c.delete(f"/api/v1/projects/{name}")
