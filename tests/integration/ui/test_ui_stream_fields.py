"""The applications list streams trimmed events: ``fields=`` on the app stream keeps only the
named paths of each event (and always its type), as Argo CD's UI asks for."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.server.authserver import AuthServer
from tests.integration.ui.conftest import application


def test_stream_fields_trim_every_event(ui: AuthServer) -> None:
    ui.apply(application("trimmed", sync={"status": "Synced"}, health={"status": "Healthy"}))
    fields = "result.application.metadata.name,result.application.status.sync.status"
    events: list[dict[str, Any]] = []
    with (
        ui.client(ui.tokens["admin"]) as c,
        c.stream("GET", "/api/v1/stream/applications", params={"fields": fields}) as resp,
    ):
        for line in resp.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[len("data: ") :]))
                if any(e["result"]["application"]["metadata"]["name"] == "trimmed" for e in events):
                    break
    event = next(e for e in events if e["result"]["application"]["metadata"]["name"] == "trimmed")
    trimmed = {"metadata": {"name": "trimmed"}, "status": {"sync": {"status": "Synced"}}}
    assert event == {"result": {"type": "ADDED", "application": trimmed}}
