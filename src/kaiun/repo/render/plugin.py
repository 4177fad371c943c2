"""Config Management Plugins: Argo CD's ``ConfigManagementPlugin`` spec, run as local processes.

A plugin is read from ``argocd-cmp-cm``-style YAML (``plugin.yaml``). It is chosen by the
Application's ``plugin.name`` (``<name>`` or ``<name>-<version>``) or, with no name, by its
``discover`` rule (``fileName`` glob, ``find.glob``, ``find.command``). ``init`` then
``generate`` run in a private copy of the repository (plugins may write, our checkouts are
shared), cwd at the app path, with the build environment, ``ARGOCD_ENV_*`` variables and the
parameters as ``ARGOCD_APP_PARAMETERS`` (JSON) and ``PARAM_*``; ``generate`` prints YAML or JSON.
"""

from __future__ import annotations

import asyncio
import glob
import json
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kaiun.repo.errors import SourceError
from kaiun.repo.manifests import parse_yaml_stream
from kaiun.repo.process import ToolFailedError, run_tool
from kaiun.repo.render.context import RenderContext, Rendered

__all__ = [
    "ConfigManagementPlugin",
    "discover_plugin",
    "find_plugin",
    "plugin_environment",
    "render_plugin",
]

Obj = dict[str, Any]
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9_]")


def _command(spec: Mapping[str, Any] | None) -> tuple[str, ...]:
    if not spec:
        return ()
    return tuple(str(x) for x in (*(spec.get("command") or ()), *(spec.get("args") or ())))


@dataclass(frozen=True)
class ConfigManagementPlugin:
    """One plugin definition (``kind: ConfigManagementPlugin``)."""

    name: str
    version: str = ""
    init: tuple[str, ...] = ()
    generate: tuple[str, ...] = ()
    discover_file_name: str = ""
    discover_glob: str = ""
    discover_command: tuple[str, ...] = ()
    raw: Obj = field(default_factory=dict, compare=False)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> ConfigManagementPlugin:
        """Read a ``ConfigManagementPlugin`` document."""
        spec = doc.get("spec") or {}
        discover = spec.get("discover") or {}
        find = discover.get("find") or {}
        generate = _command(spec.get("generate"))
        name = str((doc.get("metadata") or {}).get("name") or "")
        if not name or not generate:
            raise SourceError(
                "a ConfigManagementPlugin needs metadata.name and spec.generate.command"
            )
        return cls(
            name=name,
            version=str(spec.get("version") or ""),
            init=_command(spec.get("init")),
            generate=generate,
            discover_file_name=str(discover.get("fileName") or ""),
            discover_glob=str(find.get("glob") or ""),
            discover_command=_command(find) if find.get("command") else (),
            raw=dict(doc),
        )

    @classmethod
    def from_yaml(cls, text: str) -> ConfigManagementPlugin:
        """Read ``plugin.yaml`` text."""
        return cls.from_dict(yaml.safe_load(text) or {})

    @property
    def full_name(self) -> str:
        """The name an Application uses: ``<name>-<version>`` when versioned, as Argo CD does."""
        return f"{self.name}-{self.version}" if self.version else self.name

    @property
    def discoverable(self) -> bool:
        """True when the plugin has a discover rule."""
        return bool(self.discover_file_name or self.discover_glob or self.discover_command)


def find_plugin(plugins: Iterable[ConfigManagementPlugin], name: str) -> ConfigManagementPlugin:
    """The plugin an Application names, by full or plain name."""
    for plugin in plugins:
        if name in (plugin.full_name, plugin.name):
            return plugin
    raise SourceError(f"config management plugin {name!r} is not configured (argocd-cmp-cm)")


def _glob_hits(app_dir: Path, pattern: str) -> bool:
    return bool(glob.glob(pattern, root_dir=app_dir, recursive=True))


async def discover_plugin(
    plugins: Sequence[ConfigManagementPlugin],
    app_dir: Path,
    env: Mapping[str, str],
    time_limit: float,
) -> ConfigManagementPlugin | None:
    """The first plugin whose discover rule matches ``app_dir``, else None."""
    for plugin in plugins:
        if plugin.discover_file_name and _glob_hits(app_dir, plugin.discover_file_name):
            return plugin
        if plugin.discover_glob and _glob_hits(app_dir, plugin.discover_glob):
            return plugin
        if plugin.discover_command:
            try:
                out = await run_tool(
                    plugin.discover_command, cwd=str(app_dir), env=env, time_limit=time_limit
                )
            except ToolFailedError:
                continue
            if out.stdout.strip():
                return plugin
    return None


def _param_env(parameters: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for p in parameters:
        key = "PARAM_" + _NOT_ALNUM.sub("_", str(p.get("name", ""))).upper()
        if p.get("string") is not None:
            env[key] = str(p["string"])
        for i, item in enumerate(p.get("array") or ()):
            env[f"{key}_{i}"] = str(item)
        for k, v in (p.get("map") or {}).items():
            env[f"{key}_{_NOT_ALNUM.sub('_', str(k)).upper()}"] = str(v)
    return env


def plugin_environment(ctx: RenderContext) -> dict[str, str]:
    """Build env, ``ARGOCD_ENV_*`` from ``plugin.env`` and the parameters, as Argo CD does."""
    spec = ctx.request.source.plugin or {}
    env = {**ctx.tool_env, **ctx.build_env}
    for item in spec.get("env") or ():
        env[f"ARGOCD_ENV_{item['name']}"] = str(item.get("value", ""))
    parameters = list(spec.get("parameters") or ())
    env["ARGOCD_APP_PARAMETERS"] = json.dumps(parameters)
    env.update(_param_env(parameters))
    return env


async def render_plugin(ctx: RenderContext, plugin: ConfigManagementPlugin) -> Rendered:
    """Run the plugin's ``init`` and ``generate`` in a private copy of the repository."""
    copy = ctx.work_dir / "repo"
    await asyncio.to_thread(shutil.copytree, ctx.root, copy, symlinks=True)
    cwd = copy / ctx.app_dir.relative_to(ctx.root)
    env = plugin_environment(ctx)
    limit = ctx.settings.exec_timeout_seconds
    commands = []
    if plugin.init:
        await run_tool(plugin.init, cwd=str(cwd), env=env, time_limit=limit,
                       display=f"plugin {plugin.full_name} init")  # fmt: skip
        commands.append(f"{plugin.full_name} init")
    result = await run_tool(
        plugin.generate,
        cwd=str(cwd),
        env=env,
        time_limit=limit,
        max_output=ctx.settings.max_combined_manifest_bytes,
        display=f"plugin {plugin.full_name} generate",
    )
    commands.append(f"{plugin.full_name} generate")
    text = result.stdout.decode(errors="replace")
    return Rendered(
        parse_yaml_stream(text, f"output of plugin {plugin.full_name}"), tuple(commands)
    )
