"""What the application controller reads from ``argocd-cm`` and ``argocd-cmd-params-cm``.

argocd-cm: ``timeout.reconciliation`` (120 s) and ``timeout.reconciliation.jitter`` (60 s) —
Argo CD 3.x's defaults, 0 disables polling —, ``application.resourceTrackingMethod`` and
``application.instanceLabelKey``. argocd-cmd-params-cm: the ``controller.*`` keys (status and
operation processors, self-heal backoff, sync timeout, wave delay, server-side diff,
resource health persistence). Exclusions and inclusions are the cluster cache's
(``kaiun.kube.cache.CacheSettings``); resource customizations are ``resource_customizations``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kaiun.model.duration import DurationError, parse_duration
from kaiun.model.tracking import DEFAULT_INSTANCE_LABEL, TrackingMethod


class ControllerSettingsError(ValueError):
    """A controller setting kaiun cannot read; the message names the ConfigMap key."""


@dataclass(frozen=True, slots=True)
class SelfHealBackoff:
    """Delay before the n-th consecutive self-heal: ``timeout * factor ** (n - 1)``, capped."""

    timeout: float = 2.0
    factor: float = 3.0
    cap: float = 300.0

    def delay(self, attempts: int) -> float:
        """Seconds to wait before self-heal attempt ``attempts + 1`` (0 → no wait)."""
        if attempts <= 0:
            return 0.0
        return float(min(self.timeout * self.factor ** (attempts - 1), self.cap))


@dataclass(frozen=True, slots=True)
class ControllerSettings:
    """The application controller's knobs, with Argo CD 3.x defaults."""

    resync_seconds: float = 120.0
    resync_jitter_seconds: float = 60.0
    tracking_method: TrackingMethod = TrackingMethod.ANNOTATION
    instance_label_key: str = DEFAULT_INSTANCE_LABEL
    status_processors: int = 20
    operation_processors: int = 10
    self_heal: SelfHealBackoff = SelfHealBackoff()
    # Deprecated fixed self-heal delay (controller.self.heal.timeout.seconds); 0 = use backoff.
    self_heal_timeout: float = 0.0
    sync_timeout: float = 0.0
    wave_delay: float = 2.0
    server_side_diff: bool = False
    # application.namespaces: where Applications live besides the control plane (globs or
    # /regex/); empty means only the control-plane namespace.
    application_namespaces: tuple[str, ...] = ()
    persist_resource_health: bool = True

    @classmethod
    def from_config_maps(
        cls, cm: Mapping[str, str], params: Mapping[str, str] | None = None
    ) -> ControllerSettings:
        """Read argocd-cm ``data`` and argocd-cmd-params-cm ``data``."""
        p = params or {}
        try:
            tracking = TrackingMethod.parse(cm.get("application.resourceTrackingMethod"))
        except ValueError as exc:
            raise ControllerSettingsError(
                "argocd-cm application.resourceTrackingMethod must be annotation, label or "
                "annotation+label"
            ) from exc
        return cls(
            resync_seconds=_seconds(cm, "timeout.reconciliation", 120.0, "argocd-cm"),
            resync_jitter_seconds=_seconds(cm, "timeout.reconciliation.jitter", 60.0, "argocd-cm"),
            tracking_method=tracking,
            instance_label_key=cm.get("application.instanceLabelKey") or DEFAULT_INSTANCE_LABEL,
            status_processors=_int(p, "controller.status.processors", 20),
            operation_processors=_int(p, "controller.operation.processors", 10),
            self_heal=SelfHealBackoff(
                timeout=_seconds(p, "controller.self.heal.backoff.timeout.seconds", 2.0),
                factor=_number(p, "controller.self.heal.backoff.factor", 3.0),
                cap=_seconds(p, "controller.self.heal.backoff.cap.seconds", 300.0),
            ),
            self_heal_timeout=_seconds(p, "controller.self.heal.timeout.seconds", 0.0),
            sync_timeout=_seconds(p, "controller.sync.timeout.seconds", 0.0),
            wave_delay=_seconds(p, "controller.sync.wave.delay.seconds", 2.0),
            server_side_diff=_bool(p, "controller.diff.server.side", False),
            persist_resource_health=_bool(p, "controller.resource.health.persist", True),
            application_namespaces=split_namespaces(p.get("application.namespaces", "")),
        )


def split_namespaces(text: str) -> tuple[str, ...]:
    """``application.namespaces`` / ``--application-namespaces``: comma-separated patterns."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _seconds(
    data: Mapping[str, str], key: str, default: float, where: str = "argocd-cmd-params-cm"
) -> float:
    raw = str(data.get(key, "")).strip()
    if not raw:
        return default
    try:
        value = parse_duration(raw)
    except DurationError as exc:
        raise ControllerSettingsError(f"{where} {key}: {exc}") from exc
    if value < 0:
        raise ControllerSettingsError(f"{where} {key} must not be negative")
    return value


def _number(data: Mapping[str, str], key: str, default: float) -> float:
    raw = str(data.get(key, "")).strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ControllerSettingsError(f"argocd-cmd-params-cm {key} must be a number") from exc


def _int(data: Mapping[str, str], key: str, default: int) -> int:
    value = _number(data, key, float(default))
    if value < 1 or value != int(value):
        raise ControllerSettingsError(f"argocd-cmd-params-cm {key} must be a positive integer")
    return int(value)


def _bool(data: Mapping[str, str], key: str, default: bool) -> bool:
    raw = str(data.get(key, "")).strip().lower()
    if not raw:
        return default
    return raw == "true"
