"""``kaiun admin settings resource-overrides``: real files in, Argo CD's output out."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kaiun.cli.main import cli

CM = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "argocd-cm", "namespace": "argocd"},
    "data": {
        "resource.customizations.health.cert-manager.io_Certificate": (
            "hs = {}\nif obj.status ~= nil and obj.status.conditions ~= nil then\n"
            "  for _, c in ipairs(obj.status.conditions) do\n"
            '    if c.type == "Ready" and c.status == "True" then\n'
            '      hs.status = "Healthy"; hs.message = "Certificate is ready"; return hs\n'
            "    end\n  end\nend\n"
            'hs.status = "Progressing"; hs.message = "Waiting for certificate"; return hs\n'
        ),
        "resource.customizations.actions.argoproj.io_Rollout": (
            "discovery.lua: |\n"
            "  return {resume = {disabled = false}, abort = {disabled = true}}\n"
            "definitions:\n"
            "- name: resume\n"
            "  action.lua: |\n"
            "    obj.status.pauseConditions = nil\n"
            "    return obj\n"
            "- name: restart\n"
            "  action.lua: |\n"
            "    obj.spec.restartAt = os.date('!%Y')\n"
            "    return obj\n"
        ),
        "resource.customizations.ignoreResourceUpdates.cert-manager.io_Certificate": (
            "jsonPointers:\n- /status\n"
        ),
        "resource.customizations": (
            "admissionregistration.k8s.io/MutatingWebhookConfiguration:\n"
            "  ignoreDifferences: |\n"
            "    jsonPointers:\n"
            "    - /webhooks/0/clientConfig/caBundle\n"
        ),
    },
}
CERT = {
    "apiVersion": "cert-manager.io/v1",
    "kind": "Certificate",
    "metadata": {"name": "web-tls"},
    "status": {"conditions": [{"type": "Ready", "status": "True"}]},
}
ROLLOUT = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Rollout",
    "metadata": {"name": "web"},
    "spec": {"replicas": 2},
    "status": {"pauseConditions": [{"reason": "CanaryPauseStep"}]},
}
MWC = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "MutatingWebhookConfiguration",
    "metadata": {"name": "hooks"},
    "webhooks": [{"name": "a.example.com", "clientConfig": {"caBundle": "Q0EK"}}],
}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    paths = {}
    for name, doc in {"cm": CM, "cert": CERT, "rollout": ROLLOUT, "mwc": MWC}.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(doc))
        paths[name] = str(path)
    deploy = tmp_path / "deploy.yaml"
    deploy.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "web", "generation": 1},
                "spec": {"replicas": 1},
                "status": {
                    "observedGeneration": 1,
                    "replicas": 1,
                    "updatedReplicas": 1,
                    "availableReplicas": 1,
                },
            }
        )
    )
    paths["deploy"] = str(deploy)
    return paths


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["admin", "settings", "resource-overrides", *args])
    return result.exit_code, result.output


def test_health_with_lua_and_builtin(files: dict[str, str]) -> None:
    assert _run("health", files["cert"], "--argocd-cm-path", files["cm"]) == (
        0,
        "STATUS: Healthy\nMESSAGE: Certificate is ready\n",
    )
    assert _run("health", files["deploy"], "--argocd-cm-path", files["cm"]) == (
        0,
        "STATUS: Healthy\nMESSAGE: \n",
    )
    assert _run("health", files["mwc"], "--argocd-cm-path", files["cm"]) == (
        0,
        "Health script is not configured for "
        "'admissionregistration.k8s.io/MutatingWebhookConfiguration'\n",
    )


def test_list_actions_prints_a_table(files: dict[str, str]) -> None:
    code, out = _run("list-actions", files["rollout"], "--argocd-cm-path", files["cm"])
    assert code == 0
    assert out == "NAME    DISABLED\nabort   true\nresume  false\n"
    assert _run("list-actions", files["cert"], "--argocd-cm-path", files["cm"])[1] == (
        "Actions are not configured for 'cert-manager.io/Certificate'\n"
    )


def test_run_action_prints_the_changed_fields(files: dict[str, str]) -> None:
    code, out = _run("run-action", files["rollout"], "resume", "--argocd-cm-path", files["cm"])
    assert code == 0
    assert out.startswith(
        "Following fields have been changed:\n\n--- web (live)\n+++ web (target)\n"
    )
    assert "-  pauseConditions:" in out
    code, out = _run("run-action", files["rollout"], "restart", "--argocd-cm-path", files["cm"])
    assert code == 0 and "+  restartAt: '20" in out


def test_run_action_unknown_action_fails_clearly(files: dict[str, str]) -> None:
    code, out = _run("run-action", files["rollout"], "promote", "--argocd-cm-path", files["cm"])
    assert code == 1
    assert "action 'promote' is not configured (configured: resume, restart)" in out


def test_ignore_differences_shows_the_ignored_fields(files: dict[str, str]) -> None:
    code, out = _run("ignore-differences", files["mwc"], "--argocd-cm-path", files["cm"])
    assert code == 0
    assert out.startswith("Following fields are ignored:\n\n")
    assert "-    caBundle: Q0EK" in out
    assert _run("ignore-differences", files["cert"], "--argocd-cm-path", files["cm"])[1] == (
        "Ignore differences are not configured for 'cert-manager.io/Certificate'\n"
    )


def test_ignore_resource_updates(files: dict[str, str]) -> None:
    code, out = _run("ignore-resource-updates", files["cert"], "--argocd-cm-path", files["cm"])
    assert code == 0
    assert out.startswith("Following fields are ignored:\n\n")
    assert "-status:" in out
    _, out = _run("ignore-resource-updates", files["deploy"], "--argocd-cm-path", files["cm"])
    assert out == "No overrides configured for 'apps/Deployment'\n"
    assert _run("ignore-resource-updates", files["mwc"], "--argocd-cm-path", files["cm"])[1] == (
        "Ignore resource updates are not configured for "
        "'admissionregistration.k8s.io/MutatingWebhookConfiguration'\n"
    )


def test_missing_inputs_are_reported(files: dict[str, str], tmp_path: Path) -> None:
    code, out = _run("health", files["cert"])
    assert code == 1 and "--argocd-cm-path is required" in out
    code, out = _run("health", str(tmp_path / "nope.yaml"), "--argocd-cm-path", files["cm"])
    assert code == 1 and "cannot read resource" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [")
    code, out = _run("health", str(bad), "--argocd-cm-path", files["cm"])
    assert code == 1 and "is not valid YAML" in out
