"""The pure rules of app deletion: Argo CD's deletion-approved time check, Delete=confirm,
and which pre-/post-delete finalizers an app's hooks call for."""

from __future__ import annotations

from typing import Any

import pytest

from kaiun.controllers.application.deletehooks import (
    deletion_approved,
    finalizers_for,
    needs_confirm,
)
from kaiun.model.application import Application

DELETED_AT = "2026-01-02T03:04:05Z"


@pytest.mark.parametrize(
    ("approved", "expected"),
    [
        (None, False),
        ("not a time", False),
        ("2026-01-02T03:04:04Z", False),  # approved before the deletion started
        (DELETED_AT, True),  # the same second counts, as in Argo CD
        ("2026-01-02T03:05:00Z", True),
        ("2026-01-02T04:04:06+01:00", True),  # offsets compare as instants
    ],
)
def test_deletion_approved(approved: str | None, expected: bool) -> None:
    annotations = {} if approved is None else {"argocd.argoproj.io/deletion-approved": approved}
    raw = {"metadata": {"deletionTimestamp": DELETED_AT, "annotations": annotations}}
    assert deletion_approved(raw) is expected


def test_deletion_approved_needs_a_deletion() -> None:
    raw = {"metadata": {"annotations": {"argocd.argoproj.io/deletion-approved": DELETED_AT}}}
    assert not deletion_approved(raw)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ("Delete=confirm", True),
        ("Prune=false, Delete=confirm", True),
        ("Delete=false", False),
        ("Prune=confirm", False),
        (None, False),
    ],
)
def test_needs_confirm(options: str | None, expected: bool) -> None:
    annotations = {} if options is None else {"argocd.argoproj.io/sync-options": options}
    assert needs_confirm({"metadata": {"annotations": annotations}}) is expected


def _hook(kind: str) -> dict[str, Any]:
    return {"kind": "Job", "metadata": {"annotations": {"argocd.argoproj.io/hook": kind}}}


def _app(finalizers: list[str]) -> Application:
    return Application.from_dict(
        {"metadata": {"name": "a", "finalizers": finalizers}, "spec": {"source": {"repoURL": "x"}}}
    )


PRE = "pre-delete-finalizer.argocd.argoproj.io"
POST = "post-delete-finalizer.argocd.argoproj.io"
RES = "resources-finalizer.argocd.argoproj.io"


@pytest.mark.parametrize(
    ("have", "hooks", "expected"),
    [
        ([RES], [], None),
        ([RES], ["PostSync"], None),
        ([RES], ["PreDelete"], [RES, PRE]),
        ([], ["PostDelete", "PreDelete"], [PRE, POST]),
        ([POST], ["PostDelete"], None),
        ([POST], ["PostDelete", "PreDelete"], [POST, PRE]),
    ],
)
def test_finalizers_for(have: list[str], hooks: list[str], expected: list[str] | None) -> None:
    assert finalizers_for(_app(have), [_hook(h) for h in hooks]) == expected
