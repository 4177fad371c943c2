"""``/api/v1/stream/applications`` delivers changes as Server-Sent Events, RBAC-filtered."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

from tests.integration.server.conftest import ApiServer
from tests.support import Kubectl


def _read_events(api: ApiServer, token: str, want: int, out: list[dict[str, Any]]) -> None:
    with api.client(token) as c, c.stream("GET", "/api/v1/stream/applications") as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        for line in resp.iter_lines():
            if line.startswith("data: "):
                out.append(json.loads(line[len("data: ") :])["result"])
                if len(out) >= want:
                    return


def test_stream_sends_current_apps_then_changes(api_server: ApiServer, kubectl: Kubectl) -> None:
    name = f"s-{uuid.uuid4().hex[:6]}"
    app = {
        "metadata": {"name": name},
        "spec": {
            "project": "team",
            "source": {"repoURL": "https://example.com/r.git", "path": "p"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "x"},
        },
    }
    with api_server.client() as c:
        assert c.post("/api/v1/applications", json=app).status_code == 200
        before = {a["metadata"]["name"] for a in c.get("/api/v1/applications").json()["items"]}
    team_visible = {n for n in before if n == name}
    events: list[dict[str, Any]] = []
    reader = threading.Thread(
        target=_read_events, args=(api_server, "team-token", len(team_visible) + 1, events)
    )
    reader.start()
    # Wait for the initial ADDED events, then change the app.
    for _ in range(100):
        if len(events) >= len(team_visible):
            break
        threading.Event().wait(0.05)
    kubectl(
        "annotate", "application", name, "-n", api_server.namespace, "touched=yes",
    )  # fmt: skip
    reader.join(30)
    assert not reader.is_alive()
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED"]
    assert all(e["application"]["metadata"]["name"] == name for e in events)
    assert events[1]["application"]["metadata"]["annotations"]["touched"] == "yes"
