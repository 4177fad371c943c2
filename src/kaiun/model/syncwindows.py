"""AppProject sync windows: when an Application may sync, with Argo CD's rules.

A window (``spec.syncWindows[]``) opens at each ``schedule`` (5-field cron, evaluated in
``timeZone``, default UTC) and stays open for ``duration`` (Go duration: ``1h30m``). It applies
to an app when any of its ``applications``/``namespaces``/``clusters`` globs matches (all of
the non-empty ones with ``andOperator``). Then: an active matching deny window blocks (a
manual sync passes only if every active deny window has ``manualSync``); otherwise, if any
allow windows match, the app syncs only while one is active (manual syncs pass when every
inactive allow window has ``manualSync``); no matching window means no restriction. With
``syncOverrun`` an operation already running may continue past a window's boundary.

Pure: the caller passes ``now``; cron arithmetic is croniter's, time zones are zoneinfo's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from kaiun.model import globmatch
from kaiun.model.duration import DurationError, parse_go_duration

if TYPE_CHECKING:
    from kaiun.model.appproject import AppProject

__all__ = [
    "SyncWindow",
    "SyncWindowError",
    "active_windows",
    "matching_windows",
    "parse_duration",
    "sync_permitted",
]

ALLOW = "allow"
DENY = "deny"
BLOCKED = "blocked by sync window"


class SyncWindowError(ValueError):
    """A sync window is malformed (bad kind, schedule, duration or time zone)."""


def parse_duration(text: str) -> timedelta:
    """Parse a Go ``time.ParseDuration`` string (``1h``, ``30m``, ``1h30m``, ``1.5h``)."""
    try:
        return timedelta(seconds=parse_go_duration(text))
    except DurationError:
        raise SyncWindowError(
            f"cannot parse duration '{text}': use a Go duration like 1h30m"
        ) from None


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value or ())


@dataclass(frozen=True, slots=True)
class SyncWindow:
    """One ``spec.syncWindows[]`` entry, in Argo CD's fields."""

    kind: str
    schedule: str
    duration: str
    applications: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    manual_sync: bool = False
    time_zone: str = ""
    and_operator: bool = False
    description: str = ""
    sync_overrun: bool = False
    # Fields this model does not interpret, kept so a round trip loses nothing.
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SyncWindow:
        """Read a window from its JSON form."""
        known = {
            "kind",
            "schedule",
            "duration",
            "applications",
            "namespaces",
            "clusters",
            "manualSync",
            "timeZone",
            "andOperator",
            "description",
            "syncOverrun",
        }
        return cls(
            kind=str(d.get("kind") or ""),
            schedule=str(d.get("schedule") or ""),
            duration=str(d.get("duration") or ""),
            applications=_strs(d.get("applications")),
            namespaces=_strs(d.get("namespaces")),
            clusters=_strs(d.get("clusters")),
            manual_sync=bool(d.get("manualSync")),
            time_zone=str(d.get("timeZone") or ""),
            and_operator=bool(d.get("andOperator")),
            description=str(d.get("description") or ""),
            sync_overrun=bool(d.get("syncOverrun")),
            extra={k: v for k, v in d.items() if k not in known},
        )

    def to_dict(self) -> dict[str, Any]:
        """The window's JSON form (empty fields omitted, as Argo CD serialises it)."""
        out: dict[str, Any] = dict(self.extra)
        out.update(kind=self.kind, schedule=self.schedule, duration=self.duration)
        for key, value in (
            ("applications", list(self.applications)),
            ("namespaces", list(self.namespaces)),
            ("clusters", list(self.clusters)),
            ("manualSync", self.manual_sync),
            ("timeZone", self.time_zone),
            ("andOperator", self.and_operator),
            ("description", self.description),
            ("syncOverrun", self.sync_overrun),
        ):
            if value:
                out[key] = value
        return out

    def describe(self) -> str:
        """Short human form: ``deny 0 22 * * * for 1h (UTC)``."""
        return f"{self.kind} '{self.schedule}' for {self.duration} ({self.time_zone or 'UTC'})"

    def problems(self) -> list[str]:
        """Why the window is invalid, as Argo CD's ``SyncWindow.Validate`` says; [] when fine."""
        found: list[str] = []
        if self.kind not in (ALLOW, DENY):
            found.append(f"kind '{self.kind}' mismatch: can only be allow or deny")
        try:
            _cron(self.schedule)
        except SyncWindowError as exc:
            found.append(str(exc))
        try:
            parse_duration(self.duration)
        except SyncWindowError as exc:
            found.append(str(exc))
        try:
            _zone(self.time_zone)
        except SyncWindowError as exc:
            found.append(str(exc))
        if not (self.applications or self.namespaces or self.clusters):
            found.append(
                f"window '{self.kind}':'{self.schedule}':'{self.duration}' requires one of "
                "application, cluster or namespace"
            )
        return found

    def validate(self) -> None:
        """Raise ``SyncWindowError`` naming every problem of the window."""
        found = self.problems()
        if found:
            raise SyncWindowError("; ".join(found))

    def matches(self, *, app_name: str, namespace: str, server: str, cluster_name: str) -> bool:
        """Does the window apply to an app with this name and destination?"""

        # Window selectors are plain globs: Argo CD does not give ``!`` a meaning here.
        def any_glob(patterns: Iterable[str], *values: str) -> bool:
            return any(globmatch.match(p, v) for p in patterns for v in values if v)

        checks: list[bool] = []
        if self.applications:
            checks.append(any_glob(self.applications, app_name))
        if self.clusters:
            checks.append(any_glob(self.clusters, cluster_name, server))
        if self.namespaces:
            # The destination namespace may legitimately be empty (cluster-scoped apps).
            checks.append(any(globmatch.match(p, namespace) for p in self.namespaces))
        if not checks:
            return False
        return all(checks) if self.and_operator else any(checks)

    def last_opening(self, now: datetime) -> datetime | None:
        """When the window last opened if it is open at ``now`` (else None); raises if invalid."""
        zone = _zone(self.time_zone)
        length = parse_duration(self.duration)
        cron = _cron(self.schedule)
        # Cron is evaluated in the window's wall-clock time, like robfig/cron in that zone.
        local_now = _as_utc(now).astimezone(zone).replace(tzinfo=None)
        start = croniter(cron, local_now - length).get_next(datetime)
        if start < local_now:
            return _as_utc(start.replace(tzinfo=zone))
        return None

    def active(self, now: datetime) -> bool:
        """Is the window open at ``now``? (raises ``SyncWindowError`` if it is malformed)"""
        return self.last_opening(now) is not None


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SyncWindowError(
            f"cannot parse timezone '{name}': use an IANA name such as Asia/Tokyo"
        ) from exc


def _cron(schedule: str) -> str:
    # Argo CD's parser takes exactly minute, hour, day of month, month and day of week.
    fields = schedule.split()
    if len(fields) != 5 or not croniter.is_valid(" ".join(fields)):
        raise SyncWindowError(
            f"cannot parse schedule '{schedule}': use 5-field cron (minute hour dom month dow)"
        )
    return " ".join(fields)


def matching_windows(
    proj: AppProject, *, app_name: str, namespace: str, server: str, cluster_name: str
) -> list[SyncWindow]:
    """The project's windows that apply to this app, in project order."""
    return [
        w
        for w in proj.sync_windows
        if w.matches(
            app_name=app_name, namespace=namespace, server=server, cluster_name=cluster_name
        )
    ]


def active_windows(
    proj: AppProject,
    *,
    app_name: str,
    namespace: str,
    server: str,
    cluster_name: str,
    now: datetime,
) -> list[dict[str, Any]]:
    """Matching windows open at ``now``, in their JSON form (malformed windows are left out)."""
    out: list[dict[str, Any]] = []
    for w in matching_windows(
        proj, app_name=app_name, namespace=namespace, server=server, cluster_name=cluster_name
    ):
        if not w.problems() and w.active(now):
            out.append(w.to_dict())
    return out


def sync_permitted(
    proj: AppProject,
    *,
    app_name: str,
    namespace: str,
    server: str,
    cluster_name: str,
    now: datetime,
    manual: bool,
    operation_started_at: datetime | None = None,
) -> tuple[bool, str]:
    """May the app sync at ``now``? Returns (allowed, reason when not).

    ``namespace``, ``server`` and ``cluster_name`` are the app's destination; ``manual`` is
    true for a user-requested sync (false for automated sync and self-heal).
    ``operation_started_at`` is the start of a sync already running: windows with
    ``syncOverrun`` then let it continue across their boundary.
    """
    windows = matching_windows(
        proj, app_name=app_name, namespace=namespace, server=server, cluster_name=cluster_name
    )
    if not windows:
        return True, ""
    for w in windows:
        found = w.problems()
        if found:
            # Argo CD blocks rather than guesses when a window cannot be evaluated.
            return False, f"{BLOCKED}: window {w.describe()} is invalid: {'; '.join(found)}"
    denies = [w for w in windows if w.kind == DENY and w.active(now)]
    if denies:
        return _deny_verdict(denies, now, manual, operation_started_at)
    allows = [w for w in windows if w.kind == ALLOW]
    if not allows or any(w.active(now) for w in allows):
        return True, ""
    return _closed_allow_verdict(allows, manual, operation_started_at)


def _deny_verdict(
    denies: Sequence[SyncWindow], now: datetime, manual: bool, started: datetime | None
) -> tuple[bool, str]:
    if manual and all(w.manual_sync for w in denies):
        return True, ""
    if started is not None and all(_overruns_deny(w, now, started) for w in denies):
        return True, ""
    names = ", ".join(w.describe() for w in denies)
    return False, f"{BLOCKED}: deny window {names} is active"


def _overruns_deny(w: SyncWindow, now: datetime, started: datetime) -> bool:
    opened = w.last_opening(now)
    return w.sync_overrun and opened is not None and _as_utc(started) < opened


def _closed_allow_verdict(
    allows: Sequence[SyncWindow], manual: bool, started: datetime | None
) -> tuple[bool, str]:
    if manual and all(w.manual_sync for w in allows):
        return True, ""
    if started is not None and any(w.sync_overrun and w.active(started) for w in allows):
        return True, ""
    names = ", ".join(w.describe() for w in allows)
    return False, f"{BLOCKED}: no allow window is active ({names})"
