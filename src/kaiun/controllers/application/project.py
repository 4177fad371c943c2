"""AppProject enforcement for one Application: spec validation and sync windows.

The policy itself is pure and lives in ``kaiun.model.appproject`` / ``kaiun.model.syncwindows``;
this module applies it with what only the controller knows (the project objects it
watches, cluster names, the clock).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kaiun.model.application import Application
from kaiun.model.appproject import AppProject
from kaiun.model.syncwindows import sync_permitted


@dataclass(frozen=True)
class ProjectVerdict:
    """The project (None when missing) and the InvalidSpecError messages for the app."""

    project: AppProject | None
    problems: list[str]


def check(
    app: Application,
    project_obj: Mapping[str, Any] | None,
    *,
    cluster_names: Mapping[str, str],
    control_namespace: str,
) -> ProjectVerdict:
    """Whether ``app`` may use its project's sources and destination."""
    if project_obj is None:
        return ProjectVerdict(
            None, [f"Application referencing project {app.project} which does not exist"]
        )
    try:
        project = AppProject.from_dict(project_obj)
    except ValueError as exc:
        return ProjectVerdict(None, [f"project {app.project} is invalid: {exc}"])
    problems = list(project.validate_application(app.raw, cluster_names=cluster_names))
    if not project.app_namespace_permitted(app.namespace, control_namespace):
        problems.append(
            f"application namespace {app.namespace} is not permitted in project {app.project}"
        )
    return ProjectVerdict(project, problems)


def window_allows(
    project: AppProject | None,
    app: Application,
    *,
    server: str,
    cluster_name: str,
    now: datetime,
    manual: bool,
) -> tuple[bool, str]:
    """Whether the project's sync windows let ``app`` sync now (``manual`` or automated)."""
    if project is None or not project.sync_windows:
        return True, ""
    return sync_permitted(
        project,
        app_name=app.name,
        namespace=app.destination.namespace,
        server=server,
        cluster_name=cluster_name,
        now=now,
        manual=manual,
    )
