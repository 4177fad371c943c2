"""Built-in resource actions, as Argo CD ships them for core kinds.

An action is a name, whether it applies to an object now (``disabled``), and the merge
patch that runs it. Covered: ``restart`` of Deployments, StatefulSets and DaemonSets (the
``kubectl rollout restart`` annotation), ``pause``/``resume`` of Deployments and
``suspend``/``resume`` of CronJobs. Custom Lua actions from argocd-cm are not run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"

Obj = dict[str, Any]


@dataclass(frozen=True)
class Action:
    """One action: its name, when it is unavailable, and the patch it applies."""

    name: str
    display: str
    disabled: Callable[[Obj], bool]
    patch: Callable[[Obj], Obj]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _restart(_: Obj) -> Obj:
    return {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: _now()}}}}}


def _spec(obj: Obj, field: str) -> bool:
    return bool((obj.get("spec") or {}).get(field))


RESTART = Action("restart", "Restart", lambda _: False, _restart)
ACTIONS: dict[tuple[str, str], tuple[Action, ...]] = {
    ("apps", "Deployment"): (
        RESTART,
        Action(
            "pause", "Pause", lambda o: _spec(o, "paused"), lambda _: {"spec": {"paused": True}}
        ),
        Action(
            "resume",
            "Resume",
            lambda o: not _spec(o, "paused"),
            lambda _: {"spec": {"paused": None}},
        ),
    ),
    ("apps", "StatefulSet"): (RESTART,),
    ("apps", "DaemonSet"): (RESTART,),
    ("batch", "CronJob"): (
        Action(
            "suspend",
            "Suspend",
            lambda o: _spec(o, "suspend"),
            lambda _: {"spec": {"suspend": True}},
        ),
        Action(
            "resume",
            "Resume",
            lambda o: not _spec(o, "suspend"),
            lambda _: {"spec": {"suspend": False}},
        ),
    ),
}


def available(obj: Obj) -> list[dict[str, Any]]:
    """Argo CD's ``ResourceAction`` list for ``obj``."""
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    return [
        {"name": a.name, "displayName": a.display, "disabled": a.disabled(obj)}
        for a in ACTIONS.get((group, str(obj.get("kind"))), ())
    ]


def find(obj: Obj, name: str) -> Action | None:
    """The action ``name`` of ``obj``'s kind, if there is one."""
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    return next((a for a in ACTIONS.get((group, str(obj.get("kind"))), ()) if a.name == name), None)
