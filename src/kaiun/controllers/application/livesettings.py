"""argocd-cm and argocd-cmd-params-cm, read at start and followed while the controller runs.

A ConfigMap informer on the control-plane namespace notices edits of either map; after a
short debounce the controller rebuilds its frozen ``Settings`` and applies them (see
``ApplicationController._apply_settings``). A map that no longer parses keeps the settings
in force and logs why, so a typo never takes the controller down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from kaiun.controllers.application.context import Settings
from kaiun.controllers.runtime import Informer
from kaiun.kube import KubeClient
from kaiun.kube import errors as kerrors
from kaiun.kube.cache import CacheSettings
from kaiun.repo import RenderSettings
from kaiun.settings import resource_customizations as rc
from kaiun.settings.controller import ControllerSettings

log = logging.getLogger(__name__)
ARGOCD_CM = "argocd-cm"
PARAMS_CM = "argocd-cmd-params-cm"
DEBOUNCE = 0.2


def settings_from(
    cm: Mapping[str, str], params: Mapping[str, str]
) -> tuple[Settings, CacheSettings]:
    """The controller's settings from the two maps' ``data`` (raises on malformed values)."""
    settings = Settings(
        controller=ControllerSettings.from_config_maps(cm, params),
        argocd_cm=dict(cm),
        overrides=rc.parse_resource_overrides(cm),
        render=RenderSettings(
            helm_enabled=cm.get("helm.enable", "true") != "false",
            kustomize_enabled=cm.get("kustomize.enable", "true") != "false",
            jsonnet_enabled=cm.get("jsonnet.enable", "true") != "false",
            kustomize_build_options=tuple(cm.get("kustomize.buildOptions", "").split()),
        ),
        params=dict(params),
    )
    return settings, CacheSettings.from_argocd_cm(cm)


def _data(obj: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in ((obj or {}).get("data") or {}).items()}


async def _config_map(client: KubeClient, namespace: str, name: str) -> dict[str, str]:
    try:
        return _data(await client.get("v1", "ConfigMap", name, namespace))
    except kerrors.NotFound:
        return {}


async def load_settings(client: KubeClient, namespace: str) -> tuple[Settings, CacheSettings]:
    """Read argocd-cm and argocd-cmd-params-cm from the control-plane namespace."""
    cm = await _config_map(client, namespace, ARGOCD_CM)
    params = await _config_map(client, namespace, PARAMS_CM)
    return settings_from(cm, params)


OnChange = Callable[[dict[str, str], dict[str, str]], Awaitable[None]]


class SettingsWatcher:
    """Calls ``on_change(cm, params)`` when either map's data differs from the last seen."""

    def __init__(
        self,
        client: KubeClient,
        namespace: str,
        on_change: OnChange,
        seen: tuple[Mapping[str, str], Mapping[str, str]],
    ) -> None:
        self._on_change = on_change
        self._seen = (dict(seen[0]), dict(seen[1]))
        self._informer = Informer(client, "v1", "ConfigMap", namespace, self._changed)
        self._pending: asyncio.Task[None] | None = None
        self._dirty = False

    async def start(self) -> None:
        """Start watching (returns once the maps are listed)."""
        await self._informer.start()
        await self._informer.wait_synced(60.0)

    async def stop(self) -> None:
        """Stop watching; a pending reload is cancelled."""
        if self._pending is not None:
            self._pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._pending
        await self._informer.stop()

    def _changed(self, name: str, obj: dict[str, Any] | None) -> None:
        if name not in (ARGOCD_CM, PARAMS_CM):
            return
        self._dirty = True
        if self._pending is None or self._pending.done():
            self._pending = asyncio.get_running_loop().create_task(self._reload())

    async def _reload(self) -> None:
        while self._dirty:
            self._dirty = False
            await asyncio.sleep(DEBOUNCE)  # editing both maps at once is one reload
            now = (_data(self._informer.get(ARGOCD_CM)), _data(self._informer.get(PARAMS_CM)))
            if now == self._seen:
                continue
            self._seen = now
            try:
                await self._on_change(*now)
            except Exception:
                log.exception("applying changed settings failed")
