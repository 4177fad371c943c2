"""``GET /api/v1/applications/{name}/image-updater``: the image updater's last check of one
Application, typed (a kaiun addition; Argo CD has no such endpoint).

The record lives in the Application's ``kaiun.io/image-updater-status`` annotation, which
``GET /api/v1/applications/{name}`` also returns as a JSON string; this endpoint decodes it,
adds the pins, and runs it through the record's credential redaction once more. RBAC is
``applications, get, <project>/<name>``, as for reading the Application itself.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kaiun.controllers.imageupdater import record
from kaiun.server.applications import Ctx, Who, load_app

router = APIRouter(prefix="/api/v1", tags=["ApplicationService"])
M = TypeVar("M", bound=BaseModel)


class ImageCheck(BaseModel):
    """One watched image (or the tracked chart, alias ``chart``) in the last check."""

    model_config = ConfigDict(populate_by_name=True)
    alias: str = ""
    image: str
    action: str = Field(description="update, up-to-date, skipped or error")
    message: str = ""
    strategy: str = ""
    constraint: str = ""
    running: str = Field("", description="the image running before the check")
    chosen: str = Field("", description="the tag the strategy picked")
    pinned: str | None = Field(None, description="the held tag when pinned ('' = what runs)")
    tagsFound: int | None = None
    candidates: int | None = None


class ImageChange(BaseModel):
    image: str
    from_: str = Field("", alias="from")
    to: str

    model_config = ConfigDict(populate_by_name=True)


class ImageUpdaterRecord(BaseModel):
    """The record of the last check, plus the pins that currently hold images."""

    application: str
    checked: bool = Field(description="false when the updater has not checked it yet")
    lastCheckedAt: str = ""
    images: list[ImageCheck] = []
    changes: list[ImageChange] = []
    writeBack: dict[str, Any] = Field(
        default_factory=dict, description="method, where (which file/field/override), commit…"
    )
    errors: list[str] = []
    notes: list[str] = []
    pins: dict[str, str] = Field(default_factory=dict, description="pin key → held tag")


def _valid(model: type[M], raw: Any) -> list[M]:
    # The annotation can be edited by hand: an entry that does not fit is left out rather
    # than failing the whole response.
    found = []
    for entry in raw if isinstance(raw, list) else []:
        try:
            found.append(model.model_validate(entry))
        except ValidationError:
            continue
    return found


def _list(raw: Any) -> list[Any]:
    return raw if isinstance(raw, list) else []


def _typed(name: str, app: dict[str, Any]) -> ImageUpdaterRecord:
    annotations = (app.get("metadata") or {}).get("annotations") or {}
    rec = record.redact(record.decode(app) or {})
    images = _valid(ImageCheck, rec.get("images"))
    changes = _valid(ImageChange, rec.get("changes"))
    return ImageUpdaterRecord(
        application=name,
        checked=bool(rec),
        lastCheckedAt=str(rec.get("lastCheckedAt") or ""),
        images=images,
        changes=changes,
        writeBack=dict(rec["writeBack"]) if isinstance(rec.get("writeBack"), dict) else {},
        errors=[str(e) for e in _list(rec.get("errors"))],
        notes=[str(n) for n in _list(rec.get("notes"))],
        pins=record.pins(annotations),
    )


@router.get(
    "/applications/{name}/image-updater",
    response_model=ImageUpdaterRecord,
    response_model_by_alias=True,
)
async def get_image_updater_record(
    ctx: Ctx, caller: Who, name: str, appNamespace: str | None = None
) -> ImageUpdaterRecord:
    """The image updater's last check of the Application and its pins."""
    app = await load_app(ctx, caller, name, "get", appNamespace)
    return _typed(name, app)
