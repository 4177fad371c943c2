"""The application details page's resource views in real chromium against ``kaiun up
--demo``: the resource tree (Application → Deployment → ReplicaSet → Pods), the resource
panel (live manifest, events, actions, delete), the whole-app diff after a ``kubectl``
change, Secret redaction, the network and list views, and the pure layout/diff modules."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.ui.uikit import KaiunUp, login
from tests.integration.repo.repo_testkit import GitRepo
from tests.support import wait_for

APP = "tree-e2e"
NS = "tree-e2e"
SECRET_TEXT = "tree-e2e-secret-value"
SECRET_B64 = base64.b64encode(SECRET_TEXT.encode()).decode()
DOCS_IMG = Path(__file__).resolve().parents[3] / "docs" / "img" / "app-details.png"

MANIFESTS = {
    "app/deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: tree-web
  annotations:
    link.argocd.argoproj.io/docs: https://example.com/docs
    link.argocd.argoproj.io/evil: javascript:alert(document.domain)
spec:
  replicas: 2
  selector:
    matchLabels:
      app: tree-web
  template:
    metadata:
      labels:
        app: tree-web
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
""",
    "app/service.yaml": """\
apiVersion: v1
kind: Service
metadata:
  name: tree-web
spec:
  selector:
    app: tree-web
  ports:
  - port: 80
    targetPort: 80
""",
    "app/ingress.yaml": """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: tree-web
spec:
  rules:
  - host: tree.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: tree-web
            port:
              number: 80
""",
    "app/config.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: tree-config
data:
  greeting: hello
""",
    "app/secret.yaml": f"""\
apiVersion: v1
kind: Secret
metadata:
  name: tree-creds
type: Opaque
data:
  password: {SECRET_B64}
""",
}


def _status(up: KaiunUp) -> tuple[str, str]:
    with up.client() as c:
        app = c.get(f"/api/v1/applications/{APP}").json()
    status = app.get("status") or {}
    return (status.get("sync") or {}).get("status", ""), (status.get("health") or {}).get(
        "status", ""
    )


def _sync(up: KaiunUp) -> None:
    with up.client() as c:
        resp = c.post(f"/api/v1/applications/{APP}/sync", json={"prune": True})
    assert resp.status_code == 200, resp.text
    wait_for(lambda: _status(up) == ("Synced", "Healthy"), timeout=120, interval=0.5,
             what=f"{APP} Synced/Healthy: {_status(up)}")  # fmt: skip


@pytest.fixture(scope="module")
def tree_app(kaiun_up: KaiunUp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An app of its own (no automated sync, so kubectl changes stay OutOfSync) with a
    Deployment of two pods, a Service, an Ingress, a ConfigMap and a Secret."""
    repo = GitRepo(tmp_path_factory.mktemp("tree-e2e") / "repo")
    repo.commit(MANIFESTS, message="tree e2e app")
    body = {
        "metadata": {"name": APP},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo.url, "path": "app", "targetRevision": "main"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": NS},
            "syncPolicy": {"syncOptions": ["CreateNamespace=true"]},
        },
    }
    with kaiun_up.client() as c:
        resp = c.post("/api/v1/applications", json=body)
        assert resp.status_code == 200, resp.text
    wait_for(lambda: _status(kaiun_up)[0] != "", timeout=60, interval=0.5, what="first compare")
    _sync(kaiun_up)
    yield APP
    with kaiun_up.client() as c:
        c.delete(f"/api/v1/applications/{APP}", params={"cascade": "true"})


def open_view(page: Page, up: KaiunUp, view: str) -> None:
    """The app's details page with one of the resource views selected, loaded."""
    page.goto(f"{up.url}/applications/argocd/{APP}?view={view}")
    selector = ".app-diff[data-loaded='1']" if view == "diff" else f".{view}-view[data-loaded='1']"
    page.wait_for_selector(selector)


def node(page: Page, kind: str, name: str | None = None) -> Any:
    sel = f"g.tnode[data-kind='{kind}']" + (f"[data-name='{name}']" if name else "")
    return page.locator(sel)


def opened_panel(page: Page) -> Any:
    """The resource panel once its first tab (Summary) has rendered: a tab picked while
    another is still loading could otherwise be overwritten by the slower one."""
    panel = page.locator("aside.panel")
    expect(panel.locator(".res-summary")).to_be_visible()
    return panel


def test_tree_shows_app_deployment_replicaset_pods(
    page: Page, kaiun_up: KaiunUp, tree_app: str, shot: Callable[..., Path]
) -> None:
    open_view(page, kaiun_up, "tree")
    expect(node(page, "Application", APP)).to_have_count(1)
    for kind, name in [("Deployment", "tree-web"), ("Service", "tree-web"),
                       ("Ingress", "tree-web"), ("ConfigMap", "tree-config"),
                       ("Secret", "tree-creds")]:  # fmt: skip
        expect(node(page, kind, name)).to_have_count(1)
        expect(node(page, kind, name)).to_have_attribute("data-sync", "Synced")
    expect(node(page, "ReplicaSet")).to_have_count(1)
    expect(node(page, "Pod")).to_have_count(2)
    # The Service's EndpointSlice (owned by it) hangs off the Service.
    expect(node(page, "EndpointSlice")).to_have_count(1)
    svc_box = node(page, "Service", "tree-web").bounding_box()
    slice_box = node(page, "EndpointSlice").bounding_box()
    assert svc_box and slice_box and slice_box["x"] > svc_box["x"]
    for pod in node(page, "Pod").all():
        assert pod.get_attribute("data-health") == "Healthy"
        assert pod.locator("svg.health-icon.icon-healthy").count() == 1
    assert node(page, "Deployment", "tree-web").locator("svg.sync-icon.icon-synced").count() == 1
    # Columns left to right: Application → Deployment → ReplicaSet → Pod.
    xs = [node(page, k).first.bounding_box()["x"]
          for k in ("Application", "Deployment", "ReplicaSet", "Pod")]  # fmt: skip
    assert xs == sorted(xs) and len(set(xs)) == 4, xs
    # One edge per non-root node.
    assert page.locator("path.tedge").count() == page.locator("g.tnode").count() - 1
    shot(page)
    # The README's picture: the header and the whole tree in one window.
    page.set_viewport_size({"width": 1440, "height": 1100})
    page.locator(".view-toggles").scroll_into_view_if_needed()
    # Tests never rewrite tracked files: the README picture is refreshed on request only.
    if os.environ.get("KAIUN_UPDATE_DOCS_IMG") == "1":
        DOCS_IMG.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG))
    shot(page, "app-details-readme")
    page.set_viewport_size({"width": 1280, "height": 860})

    page.click("button[data-layout='compact']")
    expect(page.locator("svg.tree-svg.tree-compact")).to_have_count(1)
    compact_h = page.locator("g.tnode[data-kind='Pod'] rect.tnode-box").first.get_attribute(
        "height"
    )
    page.click("button[data-layout='full']")
    expect(page.locator("svg.tree-svg.tree-full")).to_have_count(1)
    full_h = page.locator("g.tnode[data-kind='Pod'] rect.tnode-box").first.get_attribute("height")
    assert int(compact_h or 0) < int(full_h or 0)


def test_pod_panel_by_keyboard_shows_live_manifest_and_events(
    page: Page, kaiun_up: KaiunUp, tree_app: str, shot: Callable[..., Path]
) -> None:
    open_view(page, kaiun_up, "tree")
    node(page, "Deployment", "tree-web").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("g.tnode[data-kind='ReplicaSet']:focus")).to_have_count(1)
    page.keyboard.press("ArrowRight")
    focused = page.locator("g.tnode[data-kind='Pod']:focus")
    expect(focused).to_have_count(1)
    pod_name = focused.get_attribute("data-name")
    assert pod_name and pod_name.startswith("tree-web-")
    page.keyboard.press("Enter")
    panel = page.locator("aside.panel")
    expect(panel.locator("h2")).to_have_text(f"Pod {pod_name}")
    expect(panel.locator(".res-summary")).to_contain_text("Healthy")
    panel.locator("button.tab[data-tab='live']").click()
    manifest = panel.locator("pre.manifest")
    expect(manifest).to_contain_text("kind: Pod")
    expect(manifest).to_contain_text(f"name: {pod_name}")
    expect(manifest).to_contain_text("image: nginx:1.27")
    expect(manifest).not_to_contain_text("managedFields")
    shot(page, "live")
    panel.locator("button.tab[data-tab='desired']").click()
    expect(panel).to_contain_text("not in Git")
    panel.locator("button.tab[data-tab='events']").click()
    expect(panel.locator("table.events, p.muted").first).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("aside.panel")).to_have_count(0)


def test_diff_view_after_kubectl_scale_and_pod_group(
    page: Page, kaiun_up: KaiunUp, tree_app: str, shot: Callable[..., Path]
) -> None:
    kaiun_up.kubectl("scale", "deployment", "tree-web", "-n", NS, "--replicas", "6")
    wait_for(lambda: _status(kaiun_up)[0] == "OutOfSync", timeout=60, interval=0.5,
             what="app OutOfSync after kubectl scale")  # fmt: skip
    try:
        open_view(page, kaiun_up, "diff")
        section = page.locator(
            "details.diff-resource[data-key='apps/Deployment/tree-e2e/tree-web']"
        )
        expect(section).to_have_count(1)
        # Only out-of-sync resources by default: the in-sync Service is not listed.
        expect(page.locator("details.diff-resource")).to_have_count(1)
        page.locator("button[data-mode='unified']").click()
        expect(section.locator("tr.dl.del td.dl-text")).to_have_text(["removed: replicas: 6"])
        expect(section.locator("tr.dl.add td.dl-text")).to_have_text(["added: replicas: 2"])
        expect(section.locator("tr.dl.skip").first).to_be_visible()  # compact folds the rest
        shot(page, "unified")
        page.locator("button[data-mode='split']").click()
        row = section.locator("tr.dl.change")
        expect(row).to_have_count(1)
        expect(row.locator("td.dl-text.del")).to_have_text("  replicas: 6")
        expect(row.locator("td.dl-text.add")).to_have_text("  replicas: 2")
        shot(page, "split")
        page.locator("button[data-opt='compact']").click()
        expect(section.locator("tr.dl.skip")).to_have_count(0)
        page.locator("button[data-opt='only-changed']").click()
        expect(page.locator("details.diff-resource")).to_have_count(5)
        page.locator("button[data-mode='unified']").click()
        page.locator("button[data-opt='compact']").click()

        # Six pods are one group node until it is expanded.
        wait_for(lambda: _grouped(page, kaiun_up), timeout=60, interval=1,
                 what="six pods in one group node")  # fmt: skip
        group = page.locator("g.tnode.group[data-kind='Pod']")
        expect(group).to_have_attribute("data-name", "6 Pods")
        expect(node(page, "Deployment", "tree-web")).to_have_attribute("data-sync", "OutOfSync")
        shot(page, "grouped")
        group.focus()
        page.keyboard.press("Enter")
        expect(page.locator("g.tnode.group")).to_have_count(0)
        expect(node(page, "Pod")).to_have_count(6)

        # The resource panel's diff tab shows the same change.
        node(page, "Deployment", "tree-web").click()
        panel = opened_panel(page)
        panel.locator("button.tab[data-tab='diff']").click()
        expect(panel.locator("tr.dl.del td.dl-text")).to_have_text(["removed: replicas: 6"])
        page.keyboard.press("Escape")
    finally:
        _sync(kaiun_up)


def _grouped(page: Page, up: KaiunUp) -> bool:
    open_view(page, up, "tree")
    return page.locator("g.tnode.group[data-name='6 Pods']").count() == 1


def test_tree_follows_live_changes_without_reloading(
    page: Page, kaiun_up: KaiunUp, tree_app: str
) -> None:
    open_view(page, kaiun_up, "tree")
    expect(node(page, "Pod")).to_have_count(2)
    page.evaluate("window.__sameDocument = true")
    kaiun_up.kubectl("scale", "deployment", "tree-web", "-n", NS, "--replicas", "3")
    try:
        expect(node(page, "Pod")).to_have_count(3, timeout=60_000)
        expect(node(page, "Deployment", "tree-web")).to_have_attribute("data-sync", "OutOfSync")
        assert page.evaluate("window.__sameDocument") is True
    finally:
        _sync(kaiun_up)
    expect(node(page, "Pod")).to_have_count(2, timeout=60_000)
    expect(node(page, "Deployment", "tree-web")).to_have_attribute("data-sync", "Synced")
    assert page.evaluate("window.__sameDocument") is True


def test_secret_values_are_redacted_everywhere(
    page: Page, kaiun_up: KaiunUp, tree_app: str, shot: Callable[..., Path]
) -> None:
    open_view(page, kaiun_up, "list")
    page.fill("input[name='filter']", "tree-creds")
    expect(page.locator("table.res-table tbody tr")).to_have_count(1)
    page.locator("table.res-table button.link-button", has_text="tree-creds").click()
    panel = opened_panel(page)
    panel.locator("button.tab[data-tab='live']").click()
    manifest = panel.locator("pre.manifest")
    expect(manifest).to_contain_text("kind: Secret")
    expect(manifest).to_contain_text('password: "++++++++')
    live_text = manifest.inner_text()
    panel.locator("button.tab[data-tab='desired']").click()
    expect(panel.locator("pre.manifest")).to_contain_text('password: "++++++++')
    desired_text = panel.locator("pre.manifest").inner_text()
    panel.locator("button.tab[data-tab='diff']").click()
    expect(panel.locator(".res-diff")).to_be_visible()
    diff_html = page.content()
    shot(page)
    for text in (live_text, desired_text, diff_html):
        assert SECRET_B64 not in text and SECRET_TEXT not in text
    page.keyboard.press("Escape")
    open_view(page, kaiun_up, "diff")
    page.locator("button[data-opt='only-changed']").click()
    expect(
        page.locator("details.diff-resource[data-key='/Secret/tree-e2e/tree-creds']")
    ).to_have_count(1)
    assert SECRET_B64 not in page.content() and SECRET_TEXT not in page.content()


def test_summary_links_only_http_urls(page: Page, kaiun_up: KaiunUp, tree_app: str) -> None:
    open_view(page, kaiun_up, "tree")
    node(page, "Deployment", "tree-web").click()
    summary = page.locator("aside.panel .res-summary")
    expect(summary.locator("a[href='https://example.com/docs']")).to_have_count(1)
    expect(summary).to_contain_text("javascript:alert(document.domain)")
    assert summary.locator("a[href^='javascript']").count() == 0
    assert page.locator("a[href^='javascript'], [href^='javascript']").count() == 0


def test_network_view_links_ingress_service_pods(
    page: Page, kaiun_up: KaiunUp, tree_app: str, shot: Callable[..., Path]
) -> None:
    open_view(page, kaiun_up, "network")
    expect(page.locator(".net-urls a[href='http://tree.example.com/']")).to_have_count(1)
    for kind in ("Ingress", "Service"):
        expect(node(page, kind, "tree-web")).to_have_count(1)
    expect(node(page, "Pod")).to_have_count(2)
    xs = [node(page, k).first.bounding_box()["x"]
          for k in ("Ingress", "Service", "Pod")]  # fmt: skip
    assert xs == sorted(xs) and len(set(xs)) == 3, xs
    assert node(page, "ConfigMap").count() == 0
    shot(page)


def test_restart_action_and_delete_resource_from_panel(
    page: Page, kaiun_up: KaiunUp, tree_app: str
) -> None:
    open_view(page, kaiun_up, "tree")
    node(page, "Deployment", "tree-web").click()
    panel = opened_panel(page)
    panel.locator("button.tab[data-tab='actions']").click()
    panel.locator("ul.actions-list button", has_text="Restart").click()
    expect(page.locator(".toast-success")).to_contain_text("restart")

    def restarted() -> bool:
        dep = json.loads(kaiun_up.kubectl("get", "deployment", "tree-web", "-n", NS, "-o", "json"))
        annotations = dep["spec"]["template"]["metadata"].get("annotations") or {}
        return "kubectl.kubernetes.io/restartedAt" in annotations

    wait_for(restarted, timeout=30, interval=0.3, what="restartedAt set by the action")
    page.keyboard.press("Escape")
    try:
        node(page, "ConfigMap", "tree-config").click()
        page.locator("aside.panel .res-summary button.btn.danger", has_text="Delete").click()
        dialog = page.locator(".dialog")
        dialog.locator("button[data-action='Delete']").click()
        expect(dialog).to_contain_text("Type tree-config to confirm")
        dialog.locator("input[name='confirm-name']").fill("tree-config")
        dialog.locator("button[data-action='Delete']").click()
        expect(page.locator(".dialog")).to_have_count(0)
        wait_for(
            lambda: kaiun_up.kubectl.run(
                "get", "configmap", "tree-config", "-n", NS, check=False
            ).returncode != 0,
            timeout=30, interval=0.3, what="ConfigMap deleted",
        )  # fmt: skip
    finally:
        _sync(kaiun_up)


def test_layout_and_line_diff_modules(page: Page, kaiun_up: KaiunUp) -> None:
    page.goto(f"{kaiun_up.url}/applications")
    result = page.evaluate(
        """async () => {
          const d = await import('/assets/js/tree/linediff.js');
          const l = await import('/assets/js/tree/layout.js');
          const y = await import('/assets/js/tree/yaml.js');
          const m = await import('/assets/js/tree/model.js');
          const app = {metadata: {name: 'a', namespace: 'argocd'}, status: {
            health: {status: 'Healthy'}, sync: {status: 'OutOfSync'},
            resources: [{group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'n',
                         name: 'd', status: 'OutOfSync', health: {status: 'Healthy'}}]}};
          const nodes = [
            {group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'n', name: 'd', uid: 'd',
             parentRefs: []},
            {group: 'apps', version: 'v1', kind: 'ReplicaSet', namespace: 'n', name: 'r', uid: 'r',
             parentRefs: [{group: 'apps', kind: 'Deployment', name: 'd', uid: 'd'}]},
          ];
          for (let i = 0; i < 1000; i++) {
            nodes.push({group: '', version: 'v1', kind: 'Pod', namespace: 'n', name: `p${i}`,
              uid: `p${i}`, health: {status: i === 7 ? 'Degraded' : 'Healthy'},
              parentRefs: [{group: 'apps', kind: 'ReplicaSet', name: 'r', uid: 'r'}]});
          }
          const graph = m.buildGraph(app, {nodes});
          const grouped = m.groupChildren(graph, {limit: 4});
          const gkey = grouped.children.get('apps/ReplicaSet/n/r')[0];
          const group = grouped.nodes.get(gkey);
          const open = m.groupChildren(graph, {limit: 4, expanded: new Set([gkey])});
          const big = l.layoutTree('app', open.children, 'compact');
          const ys = new Set([...big.pos.values()].filter((p) => p.depth === 3).map((p) => p.y));
          const ops = d.diffLines(['a','b','c','d'], ['a','x','c','d','e']);
          const tree = new Map([['app', ['d1', 's1']], ['d1', ['r1']], ['r1', ['p1', 'p2']]]);
          const lay = l.layoutTree('app', tree, 'full');
          const pos = Object.fromEntries([...lay.pos].map(([k, p]) => [k, [p.x, p.y]]));
          return {
            ops: ops.map((o) => o.op[0] + o.text).join(' '),
            compact: d.compactOps(d.diffLines([...'abcdefghij'], [...'abcdeXghij']), 1)
              .map((o) => o.op === 'skip' ? `~${o.count}` : o.op[0] + o.text).join(' '),
            rows: d.sideBySide(ops).map((r) => [r.left && r.left.text, r.right && r.right.text]),
            pos, edges: lay.edges.length,
            deploymentSync: graph.nodes.get('apps/Deployment/n/d').sync,
            rsParent: graph.nodes.get('apps/ReplicaSet/n/r').parents,
            group: [group.name, group.health, group.healthCounts, group.count],
            groupedCount: grouped.nodes.size, podRows: ys.size, bigEdges: big.edges.length,
            yaml: y.toYaml({kind: 'ConfigMap', apiVersion: 'v1',
              data: {on: 'yes', n: '1', s: 'a: b', m: 'l1\\nl2\\n'}, list: [{a: 1}, 'x']}),
          };
        }"""
    )
    assert result["ops"] == "ea db ax ec ed ae"
    assert result["compact"] == "~4 ee df aX eg ~3"
    assert result["rows"] == [["a", "a"], ["b", "x"], ["c", "c"], ["d", "d"], [None, "e"]]
    pos = result["pos"]
    # Leaves on successive rows; each parent centred on its children; depth sets x.
    assert pos["p1"][1] < pos["p2"][1] and pos["s1"][1] > pos["p2"][1]
    assert pos["r1"][1] == (pos["p1"][1] + pos["p2"][1]) / 2 == pos["d1"][1]
    assert pos["app"][0] < pos["d1"][0] < pos["r1"][0] < pos["p1"][0]
    assert pos["s1"][0] == pos["d1"][0]
    assert result["edges"] == 5
    # 1000 pods of one ReplicaSet: one group node with the worst health until expanded,
    # then 1000 rows.
    assert result["deploymentSync"] == "OutOfSync"
    assert result["rsParent"] == ["apps/Deployment/n/d"]
    assert result["group"] == ["1000 Pods", "Degraded", {"Healthy": 999, "Degraded": 1}, 1000]
    assert result["podRows"] == 1000 and result["bigEdges"] == 1002
    assert result["yaml"] == (
        "apiVersion: v1\nkind: ConfigMap\ndata:\n"
        '  m: |\n    l1\n    l2\n  "n": "1"\n  "on": "yes"\n  s: "a: b"\n'
        "list:\n- a: 1\n- x\n"
    )


def test_phone_width_dark_tree_and_panel(
    new_context: Callable[..., Any], kaiun_up: KaiunUp, tree_app: str, shot: Callable[..., Path]
) -> None:
    ctx = new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    page = ctx.new_page()
    login(page, kaiun_up)
    open_view(page, kaiun_up, "tree")
    scroller = page.locator(".tree-scroll")
    box = scroller.bounding_box()
    assert box is not None and box["width"] <= 390
    # The tree is wider than the phone: it scrolls inside its box, not the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    # Dark theme: node boxes take the page's dark background, names its light text.
    colours = page.evaluate(
        """() => {
          const g = document.querySelector("g.tnode[data-kind='Deployment']");
          return [getComputedStyle(g.querySelector('.tnode-box')).fill,
                  getComputedStyle(g.querySelector('.tnode-name')).fill];
        }"""
    )
    box_rgb, name_rgb = (
        [int(v) for v in c[c.index("(") + 1 : c.index(")")].split(",")[:3]] for c in colours
    )
    assert sum(box_rgb) < 300 < sum(name_rgb), colours
    shot(page, "tree")
    node(page, "Deployment", "tree-web").scroll_into_view_if_needed()
    node(page, "Deployment", "tree-web").click()
    expect(opened_panel(page)).to_be_visible()
    shot(page)
