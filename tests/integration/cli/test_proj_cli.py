"""``kaiun proj`` end to end: real CLI invocations against the local cluster's control plane,
cross-checked with real kubectl."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from kaiun.cli.main import cli
from kaiun.engine import install_control_plane
from kaiun.kube import KubeClient, from_kubeconfig
from kaiun.localcluster import LocalCluster
from tests.support import Kubectl

Invoke = Callable[..., Result]

SEED_PROJECT = """
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: team-backend
  namespace: argocd
spec:
  description: "Backend team project"
  sourceRepos:
  - 'https://github.com/my-org/backend-*'
  destinations:
  - server: https://kubernetes.default.svc
    namespace: 'backend-*'
  clusterResourceWhitelist:
  - group: ''
    kind: Namespace
  roles:
  - name: developer
    policies:
    - p, proj:team-backend:developer, applications, get, team-backend/*, allow
    - p, proj:team-backend:developer, applications, sync, team-backend/*, allow
    groups:
    - my-org:backend-developers
  syncWindows:
  - kind: allow
    schedule: '0 6-22 * * 1-5'
    duration: 16h
    applications:
    - '*'
    timeZone: Asia/Tokyo
"""


async def _install(lc: LocalCluster, namespace: str) -> None:
    async with await KubeClient.connect(from_kubeconfig(lc.kubeconfig)) as client:
        await install_control_plane(client, namespace)


@pytest.fixture(scope="module")
def control_ns(local_cluster: LocalCluster) -> str:
    ns = f"proj-{uuid.uuid4().hex[:8]}"
    asyncio.run(_install(local_cluster, ns))
    return ns


@pytest.fixture
def kaiun(local_cluster: LocalCluster, control_ns: str) -> Invoke:
    """Run ``kaiun proj ...`` with the connection flags of the local cluster."""

    def invoke(*args: str, input: str | None = None) -> Result:
        argv = ["proj", *args, "--kubeconfig", str(local_cluster.kubeconfig), "-n", control_ns]
        return CliRunner().invoke(cli, argv, input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def project(kaiun: Invoke) -> str:
    name = f"p-{uuid.uuid4().hex[:6]}"
    result = kaiun("create", name, "--description", "a team", "--src", "https://github.com/o/*")
    assert result.exit_code == 0, result.output
    return name


def _spec(kubectl: Kubectl, ns: str, name: str) -> dict[str, object]:
    obj = json.loads(kubectl("get", "appproject", name, "-n", ns, "-o", "json"))
    return obj["spec"]


def test_create_from_flags_is_what_kubectl_sees(
    kaiun: Invoke, kubectl: Kubectl, control_ns: str
) -> None:
    result = kaiun(
        "create", "flags",
        "-d", "from flags",
        "--dest", "https://kubernetes.default.svc,team-*",
        "--src", "https://github.com/o/a.git", "-s", "https://github.com/o/b.git",
        "--allow-cluster-resource", "/Namespace",
        "--deny-namespaced-resource", "/ResourceQuota,/LimitRange",
        "--orphaned-resources-warn",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _spec(kubectl, control_ns, "flags") == {
        "description": "from flags",
        "sourceRepos": ["https://github.com/o/a.git", "https://github.com/o/b.git"],
        "destinations": [{"server": "https://kubernetes.default.svc", "namespace": "team-*"}],
        "clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}],
        "namespaceResourceBlacklist": [
            {"group": "", "kind": "ResourceQuota"},
            {"group": "", "kind": "LimitRange"},
        ],
        "orphanedResources": {"warn": True},
    }
    got = kaiun("get", "flags")
    assert got.exit_code == 0
    lines = got.output.splitlines()
    assert lines[0] == f"{'Name:':<29}flags"
    assert f"{'Destinations:':<29}https://kubernetes.default.svc,team-*" in lines
    assert f"{'Repositories:':<29}https://github.com/o/a.git" in lines
    assert f"{'':<29}https://github.com/o/b.git" in lines
    assert f"{'Allowed Cluster Resources:':<29}/Namespace" in lines
    assert f"{'Orphaned Resources:':<29}enabled (warn=true)" in lines


def test_list_shapes(kaiun: Invoke, project: str) -> None:
    table = kaiun("list").output.splitlines()
    assert table[0].split() == [
        "NAME", "DESCRIPTION", "DESTINATIONS", "SOURCES", "CLUSTER-RESOURCE-WHITELIST",
        "NAMESPACE-RESOURCE-BLACKLIST", "SIGNATURE-KEYS", "ORPHANED-RESOURCES",
        "DESTINATION-SERVICE-ACCOUNTS",
    ]  # fmt: skip
    default = next(line for line in table if line.startswith("default "))
    assert default.split() == [
        "default",
        "*,*",
        "*",
        "*/*",
        "<none>",
        "<none>",
        "disabled",
        "<none>",
    ]
    mine = next(line for line in table if line.startswith(project + " "))
    assert mine.split()[1:4] == ["a", "team", "<none>"]
    names = kaiun("list", "-o", "name").output.split()
    assert "default" in names and project in names
    as_json = json.loads(kaiun("list", "-o", "json").output)
    assert {p["metadata"]["name"] for p in as_json} >= {"default", project}
    assert all("managedFields" not in p["metadata"] for p in as_json)
    as_yaml = yaml.safe_load(kaiun("list", "-o", "yaml").output)
    assert [p["metadata"]["name"] for p in as_yaml] == [p["metadata"]["name"] for p in as_json]


def test_create_existing_and_upsert(
    kaiun: Invoke, project: str, kubectl: Kubectl, control_ns: str
) -> None:
    same = kaiun("create", project, "--description", "a team", "--src", "https://github.com/o/*")
    assert same.exit_code == 0
    different = kaiun("create", project, "--description", "changed")
    assert different.exit_code == 20
    assert "existing project spec is different, use upsert flag to force update" in different.output
    upsert = kaiun("create", project, "--description", "changed", "--upsert")
    assert upsert.exit_code == 0
    assert _spec(kubectl, control_ns, project) == {"description": "changed"}


def test_create_from_the_seed_manifest(
    kaiun: Invoke, tmp_path: Path, kubectl: Kubectl, control_ns: str
) -> None:
    path = tmp_path / "project.yaml"
    path.write_text(SEED_PROJECT)
    result = kaiun("create", "-f", str(path))
    assert result.exit_code == 0, result.output
    spec = _spec(kubectl, control_ns, "team-backend")
    assert spec["roles"][0]["groups"] == ["my-org:backend-developers"]  # type: ignore[index]
    windows = kaiun("windows", "list", "team-backend").output.splitlines()
    assert windows[0].split() == [
        "ID", "STATUS", "KIND", "SCHEDULE", "DURATION", "APPLICATIONS", "NAMESPACES",
        "CLUSTERS", "MANUALSYNC", "TIMEZONE", "USEANDOPERATOR",
    ]  # fmt: skip
    row = windows[1]
    assert row.startswith("0   ") and "0 6-22 * * 1-5" in row and "Asia/Tokyo" in row
    assert row.split()[1] in ("Active", "Inactive")
    from_stdin = kaiun("create", "-f", "-", "--upsert", input=SEED_PROJECT.replace("Backend", "B"))
    assert from_stdin.exit_code == 0
    assert _spec(kubectl, control_ns, "team-backend")["description"] == "B team project"


def test_sources(kaiun: Invoke, project: str, kubectl: Kubectl, control_ns: str) -> None:
    assert kaiun("add-source", project, "https://github.com/x/y.git").exit_code == 0
    dup = kaiun("add-source", project, "https://GitHub.com/x/y")
    assert dup.exit_code == 0
    assert (
        dup.output == "Source repository 'https://github.com/x/y.git' already allowed in project\n"
    )
    assert _spec(kubectl, control_ns, project)["sourceRepos"] == [
        "https://github.com/o/*",
        "https://github.com/x/y.git",
    ]
    missing = kaiun("remove-source", project, "https://nope")
    assert missing.output == "Source repository 'https://nope' does not exist in project\n"
    assert kaiun("remove-source", project, "https://github.com/o/*").exit_code == 0
    assert kaiun("remove-source", project, "https://github.com/x/y.git").exit_code == 0
    assert "sourceRepos" not in _spec(kubectl, control_ns, project)


def test_destinations(kaiun: Invoke, project: str, kubectl: Kubectl, control_ns: str) -> None:
    assert kaiun("add-destination", project, "https://kubernetes.default.svc", "web").exit_code == 0
    assert kaiun("add-destination", project, "in-cluster", "api", "--name").exit_code == 0
    dup = kaiun("add-destination", project, "https://kubernetes.default.svc", "web")
    assert dup.exit_code == 1
    assert "Specified destination is already defined in project" in dup.output
    assert _spec(kubectl, control_ns, project)["destinations"] == [
        {"server": "https://kubernetes.default.svc", "namespace": "web"},
        {"name": "in-cluster", "namespace": "api"},
    ]
    assert kaiun("remove-destination", project, "in-cluster", "api").exit_code == 0
    gone = kaiun("remove-destination", project, "in-cluster", "api")
    assert gone.exit_code == 1 and "does not exist in project" in gone.output


def test_resource_lists(kaiun: Invoke, project: str, kubectl: Kubectl, control_ns: str) -> None:
    added = kaiun("allow-cluster-resource", project, "", "Namespace")
    assert added.output == "Group '' and kind 'Namespace' is added to allowed cluster resources\n"
    again = kaiun("allow-cluster-resource", project, "", "Namespace")
    assert "already present in allowed cluster resources" in again.output
    denied = kaiun("deny-cluster-resource", project, "rbac.authorization.k8s.io", "*", "-l", "deny")
    assert "is added to denied cluster resources" in denied.output
    ns_deny = kaiun("deny-namespace-resource", project, "", "Secret")
    assert "is added to denied namespaced resources" in ns_deny.output
    ns_allow = kaiun("allow-namespace-resource", project, "apps", "*", "-l", "allow")
    assert "is added to allowed namespaced resources" in ns_allow.output
    spec = _spec(kubectl, control_ns, project)
    assert spec["clusterResourceWhitelist"] == [{"group": "", "kind": "Namespace"}]
    assert spec["clusterResourceBlacklist"] == [{"group": "rbac.authorization.k8s.io", "kind": "*"}]
    assert spec["namespaceResourceBlacklist"] == [{"group": "", "kind": "Secret"}]
    assert spec["namespaceResourceWhitelist"] == [{"group": "apps", "kind": "*"}]
    removed = kaiun("deny-cluster-resource", project, "", "Namespace")
    assert "is removed from allowed cluster resources" in removed.output
    assert kaiun("allow-namespace-resource", project, "", "Secret").exit_code == 0
    spec = _spec(kubectl, control_ns, project)
    assert "clusterResourceWhitelist" not in spec and "namespaceResourceBlacklist" not in spec


def test_windows_lifecycle(kaiun: Invoke, project: str, kubectl: Kubectl, control_ns: str) -> None:
    ok = kaiun(
        "windows", "add", project, "--kind", "deny", "--schedule", "* * * * *",
        "--duration", "1h", "--applications", "prod-*,web", "--namespaces", "default",
        "--time-zone", "Europe/Paris", "--use-and-operator",
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert kaiun(
        "windows", "add", project, "-k", "allow", "--schedule", "0 22 * * *",
        "--duration", "1h", "--clusters", "in-cluster", "--manual-sync",
    ).exit_code == 0  # fmt: skip
    rows = kaiun("windows", "list", project).output.splitlines()[1:]
    assert rows[0].split() == [
        "0", "Active", "deny", "*", "*", "*", "*", "*", "1h", "prod-*,web", "default", "-",
        "Disabled", "Europe/Paris", "Enabled",
    ]  # fmt: skip
    assert rows[1].split()[2:] == [
        "allow", "0", "22", "*", "*", "*", "1h", "-", "-", "in-cluster", "Enabled", "UTC",
        "Disabled",
    ]  # fmt: skip
    assert kaiun("windows", "enable-manual-sync", project, "0").exit_code == 0
    assert kaiun("windows", "disable-manual-sync", project, "1").exit_code == 0
    windows = json.loads(kaiun("windows", "list", project, "-o", "json").output)
    assert [w.get("manualSync", False) for w in windows] == [True, False]
    assert windows[0]["andOperator"] is True
    assert kaiun("windows", "delete", project, "0").exit_code == 0
    left = _spec(kubectl, control_ns, project)["syncWindows"]
    assert left == [{"kind": "allow", "schedule": "0 22 * * *", "duration": "1h",
                     "clusters": ["in-cluster"], "timeZone": "UTC"}]  # fmt: skip
    assert kaiun("windows", "delete", project, "0").exit_code == 0
    assert "syncWindows" not in _spec(kubectl, control_ns, project)


def test_windows_refusals(kaiun: Invoke, project: str) -> None:
    bad = kaiun(
        "windows", "add", project, "-k", "deny", "--schedule", "0 25 * * *",
        "--duration", "1x", "--applications", "*",
    )  # fmt: skip
    assert bad.exit_code == 20
    assert "cannot parse schedule '0 25 * * *'" in bad.output
    assert "cannot parse duration '1x'" in bad.output
    incomplete = kaiun("windows", "add", project, "-k", "deny", "--schedule", "* * * * *")
    assert incomplete.exit_code == 1 and "cannot create window: require kind" in incomplete.output
    args = ["-k", "deny", "--schedule", "0 1 * * *", "--duration", "1h", "--namespaces", "x"]
    assert kaiun("windows", "add", project, *args).exit_code == 0
    dup = kaiun("windows", "add", project, *args)
    assert dup.exit_code == 20
    assert "window 'deny':'0 1 * * *':'1h' already exists, update or edit" in dup.output
    missing = kaiun("windows", "enable-manual-sync", project, "7")
    assert missing.exit_code == 1 and "window with id '7' not found" in missing.output


def test_errors_and_delete(kaiun: Invoke, project: str, kubectl: Kubectl, control_ns: str) -> None:
    nope = kaiun("get", "no-such-project")
    assert nope.exit_code == 13
    assert 'appprojects.argoproj.io "no-such-project" not found' in nope.output
    reserved = kaiun("delete", "default")
    assert reserved.exit_code == 20 and "reserved" in reserved.output
    kubectl("apply", "-f", "-", input=f"""
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: user-of-{project}, namespace: {control_ns}}}
spec:
  project: {project}
  source: {{repoURL: https://github.com/o/app, path: .}}
  destination: {{server: https://kubernetes.default.svc, namespace: default}}
""")  # fmt: skip
    in_use = kaiun("delete", project)
    assert in_use.exit_code == 20
    assert "project is referenced by 1 applications" in in_use.output
    kubectl("delete", "application", f"user-of-{project}", "-n", control_ns)
    assert kaiun("delete", project).exit_code == 0
    gone = kubectl.run("get", "appproject", project, "-n", control_ns, check=False)
    assert gone.returncode != 0 and "NotFound" in gone.stderr


def test_unreachable_cluster_exits_11(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    result = CliRunner().invoke(cli, ["proj", "list", "--kubeconfig", str(config)])
    assert result.exit_code == 11
    assert "cannot reach the Kubernetes API at https://127.0.0.1:1" in result.output


def test_windows_update_and_overrun(
    kaiun: Invoke, project: str, kubectl: Kubectl, control_ns: str
) -> None:
    add = ["-k", "allow", "--schedule", "0 8 * * *", "--duration", "2h", "--namespaces", "a"]
    assert kaiun("windows", "add", project, *add, "--time-zone", "Asia/Tokyo").exit_code == 0
    nothing = kaiun("windows", "update", project, "0", "--time-zone", "UTC")
    assert nothing.exit_code == 1 and "cannot update: require one or more" in nothing.output
    changed = kaiun(
        "windows", "update", project, "0", "--schedule", "0 9 * * 1-5", "--clusters", "in-cluster"
    )
    assert changed.exit_code == 0, changed.output
    assert kaiun("windows", "enable-sync-overrun", project, "0").exit_code == 0
    [window] = _spec(kubectl, control_ns, project)["syncWindows"]  # type: ignore[misc]
    assert window == {
        "kind": "allow",
        "schedule": "0 9 * * 1-5",
        "duration": "2h",
        "namespaces": ["a"],
        "clusters": ["in-cluster"],
        "timeZone": "Asia/Tokyo",
        "syncOverrun": True,
    }
    bad = kaiun("windows", "update", project, "0", "--duration", "soon")
    assert bad.exit_code == 20 and "cannot parse duration 'soon'" in bad.output
    assert kaiun("windows", "disable-sync-overrun", project, "0").exit_code == 0
    assert "syncOverrun" not in _spec(kubectl, control_ns, project)["syncWindows"][0]  # type: ignore[index]


def test_source_namespaces_and_orphaned_ignores(
    kaiun: Invoke, project: str, kubectl: Kubectl, control_ns: str
) -> None:
    assert kaiun("add-source-namespace", project, "team-*").exit_code == 0
    again = kaiun("add-source-namespace", project, "team-*")
    assert again.output == "Source namespace 'team-*' already allowed in project\n"
    assert _spec(kubectl, control_ns, project)["sourceNamespaces"] == ["team-*"]
    missing = kaiun("remove-source-namespace", project, "other")
    assert "does not exist in project or cannot be removed" in missing.output
    assert kaiun("remove-source-namespace", project, "team-*").exit_code == 0
    assert "sourceNamespaces" not in _spec(kubectl, control_ns, project)

    assert kaiun("add-orphaned-ignore", project, "", "ConfigMap", "--name", "kube-*").exit_code == 0
    assert kaiun("add-orphaned-ignore", project, "apps", "ReplicaSet").exit_code == 0
    dup = kaiun("add-orphaned-ignore", project, "apps", "ReplicaSet")
    assert dup.exit_code == 1 and "already defined in the orphaned ignore list" in dup.output
    assert _spec(kubectl, control_ns, project)["orphanedResources"] == {
        "ignore": [
            {"group": "", "kind": "ConfigMap", "name": "kube-*"},
            {"group": "apps", "kind": "ReplicaSet"},
        ]
    }
    listed = kaiun("list").output
    assert "enabled (warn=true, ignored 2)" in listed
    assert (
        kaiun("remove-orphaned-ignore", project, "", "ConfigMap", "--name", "kube-*").exit_code == 0
    )
    gone = kaiun("remove-orphaned-ignore", project, "", "ConfigMap", "--name", "kube-*")
    assert gone.exit_code == 1 and "does not exist in the orphaned ignore list" in gone.output
