"""argocd-cm edits reach a running controller: ignoreDifferences and health Lua change an
app's status without a restart; a malformed edit keeps the settings in force."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tests.integration.controller.conftest import Plane, configmap, synced_healthy
from tests.support import wait_for


def _sync(app: dict[str, Any]) -> str:
    return str(((app.get("status") or {}).get("sync") or {}).get("status"))


def _health(app: dict[str, Any]) -> str:
    return str(((app.get("status") or {}).get("health") or {}).get("status"))


def _set_argocd_cm(plane: Plane, data: dict[str, str | None]) -> None:
    patch = json.dumps({"data": data})
    plane.kubectl("patch", "configmap", "argocd-cm", "-n", plane.namespace, "--type=merge",
                  "-p", patch)  # fmt: skip


def test_ignore_differences_and_health_lua_apply_live(
    plane: Plane, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="kaiun.controllers.application.controller")
    plane.repo.commit({"app/cm.yaml": configmap("cfg", "v1")})
    plane.apply(plane.app_yaml("live", automated={"prune": True}))  # no self-heal
    plane.wait_app("live", synced_healthy)
    plane.kubectl("patch", "configmap", "cfg", "-n", plane.dest, "--type=merge",
                  "-p", '{"data": {"key": "drifted"}}')  # fmt: skip
    plane.wait_app("live", lambda a: _sync(a) == "OutOfSync")

    _set_argocd_cm(
        plane, {"resource.customizations.ignoreDifferences.ConfigMap": "jsonPointers:\n- /data\n"}
    )
    app = plane.wait_app("live", lambda a: _sync(a) == "Synced")
    [cfg] = app["status"]["resources"]
    assert cfg["status"] == "Synced"
    live = plane.get("configmap", "cfg")
    assert live is not None and live["data"]["key"] == "drifted"  # ignored, not synced back

    lua = 'hs = {}\nhs.status = "Degraded"\nhs.message = "configured by lua"\nreturn hs\n'
    _set_argocd_cm(plane, {"resource.customizations.health.ConfigMap": lua})
    app = plane.wait_app("live", lambda a: _health(a) == "Degraded")
    assert app["status"]["resources"][0]["health"] == {
        "status": "Degraded",
        "message": "configured by lua",
    }

    # A malformed edit is refused as a whole (its new Lua message is not used either); the
    # settings in force stay, and the next good edit applies.
    bad_lua = lua.replace("configured by lua", "from the refused edit")
    _set_argocd_cm(plane, {"timeout.reconciliation": "soon",
                           "resource.customizations.health.ConfigMap": bad_lua})  # fmt: skip
    wait_for(lambda: "settings change not applied" in caplog.text, timeout=30, what="refusal")
    assert "timeout.reconciliation" in caplog.text
    plane.kubectl("annotate", "application", "live", "-n", plane.namespace,
                  "argocd.argoproj.io/refresh=normal", "--overwrite")  # fmt: skip
    app = plane.wait_app(
        "live", lambda a: "argocd.argoproj.io/refresh" not in a["metadata"].get("annotations", {})
    )
    assert app["status"]["resources"][0]["health"]["message"] == "configured by lua"
    _set_argocd_cm(plane, {"timeout.reconciliation": None,
                           "resource.customizations.health.ConfigMap": None})  # fmt: skip
    plane.wait_app("live", lambda a: _health(a) == "Healthy")
