"""Secret values never appear in any diff output; masks still show which keys changed."""

from __future__ import annotations

import base64
import json
from typing import Any

from kaiun import diff

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _secret(data: dict[str, str], **metadata: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "shop", **metadata},
        "type": "Opaque",
        "data": {k: _b64(v) for k, v in data.items()},
    }


def _outputs(result: diff.DiffResult) -> str:
    return json.dumps(
        [result.normalized_live, result.predicted_live, result.json_patch, result.unified_diff]
    )


def test_changed_and_unchanged_keys_get_distinct_stable_masks() -> None:
    config = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "shop"},
        "type": "Opaque",
        "stringData": {"password": "n3w-s3cret", "user": "app"},
    }
    live = _secret(
        {"password": "old-s3cret", "user": "app"},
        annotations={
            LAST_APPLIED: json.dumps({"kind": "Secret", "stringData": {"password": "old-s3cret"}})
        },
    )
    result = diff.diff(config, live)
    assert result.modified
    out = _outputs(result)
    for secret in ("n3w-s3cret", "old-s3cret", _b64("n3w-s3cret"), _b64("old-s3cret"), _b64("app")):
        assert secret not in out
    live_data = result.normalized_live["data"]  # type: ignore[index]
    target_data = result.predicted_live["data"]  # type: ignore[index]
    assert live_data["user"] == target_data["user"]
    assert live_data["password"] != target_data["password"]
    assert set(live_data["password"]) == {"+"}
    assert [op["path"] for op in result.json_patch] == ["/data/password"]


def test_last_applied_annotation_is_masked_too() -> None:
    live = _secret(
        {"token": "abc"},
        annotations={LAST_APPLIED: json.dumps({"data": {"token": _b64("abc")}})},
    )
    [masked] = diff.redact_secrets(live)[:1]
    assert _b64("abc") not in json.dumps(masked)
    inner = json.loads(masked["metadata"]["annotations"][LAST_APPLIED])
    assert inner["data"]["token"] == masked["data"]["token"]


def test_server_side_diff_masks_the_dry_run_result() -> None:
    config = _secret({"token": "new"})
    live = _secret({"token": "old"})
    dry_run = _secret({"token": "new"}, uid="u-1", resourceVersion="9")
    result = diff.server_side_diff(config, live, dry_run)
    assert result.modified
    assert _b64("new") not in _outputs(result) and _b64("old") not in _outputs(result)


def test_non_secrets_are_untouched() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}}
    assert diff.redact_secrets(cm, None) == (cm, None)
