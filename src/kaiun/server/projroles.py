"""Project role tokens: ``POST /api/v1/projects/{project}/roles/{role}/token`` and
``DELETE .../token/{iat}?id=``, as Argo CD's project service.

A token is a JWT with ``sub: proj:PROJECT:ROLE``; its ``{iat, exp, id}`` is recorded in
the role's ``jwtTokens`` and deleting that record revokes it. Both need
``projects, update, PROJECT``.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from kaiun import auth
from kaiun.kube import errors as kerrors
from kaiun.server.applications import Ctx, Who
from kaiun.server.context import ServerContext, translate
from kaiun.server.errors import InvalidArgument, NotFound
from kaiun.server.projects import load_project
from kaiun.server.session import auth_of

router = APIRouter(prefix="/api/v1/projects", tags=["ProjectService"])
_RETRIES = 5


class ProjectTokenCreateRequest(BaseModel):
    """Argo CD's ``ProjectTokenCreateRequest``."""

    model_config = ConfigDict(extra="ignore")
    project: str = ""
    role: str = ""
    description: str = ""
    expiresIn: int = 0
    id: str = ""


def _role(project: dict[str, Any], role: str) -> dict[str, Any]:
    for entry in (project.get("spec") or {}).get("roles") or []:
        if isinstance(entry, dict) and entry.get("name") == role:
            return entry
    name = project["metadata"]["name"]
    raise NotFound(f"project '{name}' does not have role '{role}'")


@router.post("/{project}/roles/{role}/token")
async def create_project_token(
    ctx: Ctx, caller: Who, project: str, role: str, body: ProjectTokenCreateRequest
) -> dict[str, str]:
    """A new token for the project role (returned only this once)."""
    security = auth_of(ctx)
    if body.expiresIn < 0:
        raise InvalidArgument("expiresIn must be 0 (never) or a number of seconds")
    token_id = body.id or str(uuid.uuid4())
    for _ in range(_RETRIES):
        current = await load_project(ctx, caller, project, "update")
        entry = _role(current, role)
        if any(
            isinstance(t, dict) and t.get("id") == token_id for t in entry.get("jwtTokens") or []
        ):
            raise InvalidArgument(f"role '{role}' already has a token with id '{token_id}'")
        try:
            sessions = await security.store.session_manager()
        except auth.AuthError as exc:
            raise InvalidArgument(str(exc)) from exc
        token = sessions.create(
            f"proj:{project}:{role}", expires_in=body.expiresIn, token_id=token_id
        )
        record = sessions.token_record(token)
        new_entry: dict[str, Any] = {"iat": record.issued_at, "id": record.id}
        if record.expires_at:
            new_entry["exp"] = record.expires_at
        updated = copy.deepcopy(current)
        _role(updated, role).setdefault("jwtTokens", []).append(new_entry)
        if await _replace(ctx, updated):
            security.invalidate()
            return {"token": token}
    raise InvalidArgument(f"project {project!r} kept changing: retry")


@router.delete("/{project}/roles/{role}/token/{iat}")
async def delete_project_token(
    ctx: Ctx, caller: Who, project: str, role: str, iat: int, id: str = ""
) -> dict[str, Any]:
    """Revoke a role token, named by ``id`` (or, for tokens without one, by ``iat``)."""
    security = auth_of(ctx)
    for _ in range(_RETRIES):
        current = await load_project(ctx, caller, project, "update")
        updated = copy.deepcopy(current)
        entry = _role(updated, role)
        tokens = list(entry.get("jwtTokens") or [])
        keep = [
            t
            for t in tokens
            if not isinstance(t, dict) or not ((t.get("id") == id) if id else (_iat(t) == iat))
        ]
        if len(keep) == len(tokens):
            raise NotFound(f"role '{role}' has no such token")
        entry["jwtTokens"] = keep
        if await _replace(ctx, updated):
            security.invalidate()
            return {}
    raise InvalidArgument(f"project {project!r} kept changing: retry")


def _iat(entry: Any) -> int | None:
    """A token record's ``iat``; None when the record is not readable."""
    try:
        return int(entry.get("iat"))
    except (AttributeError, TypeError, ValueError):
        return None


async def _replace(ctx: ServerContext, project: dict[str, Any]) -> bool:
    """Write the project; False when someone else changed it first (retry)."""
    try:
        await ctx.client.replace(project)
    except kerrors.Conflict:
        return False
    except kerrors.KubeError as exc:
        raise translate(exc, f"project {project['metadata']['name']!r}") from exc
    return True
