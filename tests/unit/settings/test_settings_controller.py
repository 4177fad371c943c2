"""argocd-cm / argocd-cmd-params-cm keys of the application controller."""

from __future__ import annotations

import pytest

from kaiun.model.tracking import TrackingMethod
from kaiun.settings.controller import ControllerSettings, ControllerSettingsError, SelfHealBackoff


def test_defaults_are_argo_cd_3() -> None:
    s = ControllerSettings.from_config_maps({}, {})
    assert (s.resync_seconds, s.resync_jitter_seconds) == (120, 60)
    assert s.tracking_method is TrackingMethod.ANNOTATION
    assert s.instance_label_key == "app.kubernetes.io/instance"
    assert (s.status_processors, s.operation_processors) == (20, 10)
    assert s.self_heal == SelfHealBackoff(2, 3, 300)
    assert s.wave_delay == 2


def test_keys_are_read() -> None:
    s = ControllerSettings.from_config_maps(
        {
            "timeout.reconciliation": "180s",
            "timeout.reconciliation.jitter": "0",
            "application.resourceTrackingMethod": "label",
            "application.instanceLabelKey": "argocd.argoproj.io/instance",
        },
        {
            "controller.status.processors": "50",
            "controller.operation.processors": "25",
            "controller.self.heal.backoff.timeout.seconds": "1",
            "controller.self.heal.backoff.factor": "2",
            "controller.self.heal.backoff.cap.seconds": "10",
            "controller.sync.wave.delay.seconds": "0",
            "controller.diff.server.side": "true",
        },
    )
    assert (s.resync_seconds, s.resync_jitter_seconds) == (180, 0)
    assert s.tracking_method is TrackingMethod.LABEL
    assert s.instance_label_key == "argocd.argoproj.io/instance"
    assert (s.status_processors, s.operation_processors) == (50, 25)
    assert [s.self_heal.delay(n) for n in range(6)] == [0, 1, 2, 4, 8, 10]
    assert s.wave_delay == 0 and s.server_side_diff


def test_self_heal_backoff_matches_argo_cd() -> None:
    backoff = SelfHealBackoff()
    assert [backoff.delay(n) for n in range(7)] == [0, 2, 6, 18, 54, 162, 300]


@pytest.mark.parametrize(
    ("cm", "params", "key"),
    [
        ({"timeout.reconciliation": "soon"}, {}, "timeout.reconciliation"),
        ({"application.resourceTrackingMethod": "magic"}, {}, "resourceTrackingMethod"),
        ({}, {"controller.status.processors": "0"}, "controller.status.processors"),
        ({}, {"controller.self.heal.backoff.factor": "x"}, "factor"),
        ({}, {"controller.sync.wave.delay.seconds": "-1"}, "wave.delay"),
    ],
)
def test_bad_values_name_the_key(cm: dict[str, str], params: dict[str, str], key: str) -> None:
    with pytest.raises(ControllerSettingsError, match=key):
        ControllerSettings.from_config_maps(cm, params)
