"""``kaiun admin settings rbac validate|can`` on real files: a policy CSV and an
argocd-rbac-cm YAML, answering Yes/No with exit codes 0/1 as ``argocd admin`` does."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kaiun.cli.main import cli

CSV = """\
p, role:dev, applications, get, team/*, allow
p, role:dev, applications, sync, team/*, allow
p, role:dev, applications, sync, team/prod, deny
g, alice, role:dev
"""

RBAC_CM = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "argocd-rbac-cm", "namespace": "argocd"},
    "data": {
        "policy.default": "role:readonly",
        "policy.matchMode": "regex",
        "policy.csv": "p, role:ops, clusters, (get|update), ^https://prod-.*$, allow\n"
        "g, bob, role:ops\n",
        "policy.extra.csv": "p, bob, logs, get, ^team/.*$, allow\n",
    },
}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    csv_path = tmp_path / "policy.csv"
    csv_path.write_text(CSV)
    cm_path = tmp_path / "argocd-rbac-cm.yaml"
    cm_path.write_text(yaml.safe_dump(RBAC_CM))
    return {"csv": str(csv_path), "cm": str(cm_path)}


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["admin", "settings", "rbac", *args])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("which", "args", "answer"),
    [
        ("csv", ["alice", "get", "applications", "team/web"], "Yes"),
        ("csv", ["alice", "get", "app", "team/web"], "Yes"),
        ("csv", ["alice", "sync", "applications", "team/prod"], "No"),
        ("csv", ["alice", "delete", "applications", "team/web"], "No"),
        ("csv", ["role:dev", "sync", "apps", "team/x/y"], "Yes"),
        ("csv", ["admin", "delete", "clusters", "https://x"], "Yes"),
        ("csv", ["role:readonly", "get", "clusters", "https://x"], "Yes"),
        ("csv", ["nobody", "get", "clusters", "https://x"], "No"),
        ("cm", ["bob", "update", "cluster", "https://prod-1"], "Yes"),
        ("cm", ["bob", "delete", "clusters", "https://prod-1"], "No"),
        ("cm", ["bob", "get", "logs", "team/web"], "Yes"),
        ("cm", ["nobody", "get", "projects", "default"], "Yes"),
        ("cm", ["nobody", "update", "projects", "default"], "No"),
    ],
)
def test_can(files: dict[str, str], which: str, args: list[str], answer: str) -> None:
    code, out = _run("can", *args, "--policy-file", files[which])
    assert (code, out) == (0 if answer == "Yes" else 1, answer + "\n")


def test_can_flags(files: dict[str, str]) -> None:
    base = ["can", "nobody", "get", "clusters", "x", "--policy-file", files["csv"]]
    assert _run(*base, "--default-role", "role:readonly") == (0, "Yes\n")
    assert _run(*base, "--default-role", "role:readonly", "--quiet") == (0, "")
    admin = ["can", "admin", "get", "clusters", "x", "--policy-file", files["csv"]]
    assert _run(*admin, "--no-use-builtin-policy") == (1, "No\n")


def test_validate(files: dict[str, str], tmp_path: Path) -> None:
    assert _run("validate", "--policy-file", files["csv"]) == (0, "Policy is valid.\n")
    assert _run("validate", "--policy-file", files["cm"]) == (0, "Policy is valid.\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("p, role:x, applications, get, */*, allow\np, role:x, clusters\n")
    code, out = _run("validate", "--policy-file", str(bad))
    assert code == 1
    assert "policy line 2" in out
    code, out = _run("validate", "--policy-file", str(tmp_path / "missing.csv"))
    assert code == 1
    assert "cannot read policy file" in out
