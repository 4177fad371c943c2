"""Config Management Plugins: Argo CD's ``ConfigManagementPlugin`` spec, run as local processes.

A plugin is read from ``argocd-cmp-cm``-style YAML (``plugin.yaml``). It is chosen by the
Application's ``plugin.name`` (``<name>`` or ``<name>-<version>``) or, with no name, by its
``discover`` rule (``fileName`` glob, ``find.glob``, ``find.command``). ``init`` then
``generate`` run in a private copy of the repository (plugins may write, our checkouts are
shared), cwd at the app path, with the build environment, ``ARGOCD_ENV_*`` variables and the
parameters as ``ARGOCD_APP_PARAMETERS`` (JSON) and ``PARAM_*``; ``generate`` prints YAML or JSON.
Files in the copy are 0644 unless ``preserveFileMode``; ``provideGitCreds`` adds the app
repository's git credentials (askpass, never argv) to the environment.
"""

from __future__ import annotations

import asyncio
import glob
import json
import os
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
from kaiun.repo.render.plugin_params import normalize_announcements, parse_dynamic_output

__all__ = [
    "ConfigManagementPlugin",
    "announce_parameters",
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


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


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
    static_parameters: tuple[Obj, ...] = ()
    dynamic_parameters: tuple[str, ...] = ()
    preserve_file_mode: bool = False
    provide_git_creds: bool = False
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
        parameters = spec.get("parameters") or {}
        where = f"plugin {name} parameters.static"
        return cls(
            static_parameters=tuple(normalize_announcements(parameters.get("static") or (), where)),
            dynamic_parameters=_command(parameters.get("dynamic")),
            preserve_file_mode=_true(spec.get("preserveFileMode")),
            provide_git_creds=_true(spec.get("provideGitCreds")),
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


def _copy_without_modes(src: str, dst: str) -> None:
    # Argo CD hands repository files to a plugin as 0644 unless preserveFileMode: a
    # repository cannot ship an executable the plugin then runs by accident.
    shutil.copyfile(src, dst, follow_symlinks=False)
    if not os.path.islink(dst):
        os.chmod(dst, 0o644)


async def _private_copy(ctx: RenderContext, plugin: ConfigManagementPlugin) -> Path:
    """A writable copy of the repository for the plugin; returns the app directory in it."""
    copy = ctx.work_dir / "repo"
    copier = shutil.copy2 if plugin.preserve_file_mode else _copy_without_modes
    await asyncio.to_thread(shutil.copytree, ctx.root, copy, symlinks=True, copy_function=copier)
    return copy / ctx.app_dir.relative_to(ctx.root)


async def render_plugin(
    ctx: RenderContext,
    plugin: ConfigManagementPlugin,
    *,
    git_env: Mapping[str, str] | None = None,
    secrets: Sequence[str] = (),
) -> Rendered:
    """Run the plugin's ``init`` and ``generate`` in a private copy of the repository.

    ``git_env`` (credentials for the app's repository, for ``provideGitCreds``) is added to
    the environment; ``secrets`` are scrubbed from the plugin's error output.
    """
    cwd = await _private_copy(ctx, plugin)
    env = {**plugin_environment(ctx), **(git_env or {})}
    limit = ctx.settings.exec_timeout_seconds
    commands = []
    if plugin.init:
        await run_tool(plugin.init, cwd=str(cwd), env=env, time_limit=limit, secrets=secrets,
                       display=f"plugin {plugin.full_name} init")  # fmt: skip
        commands.append(f"{plugin.full_name} init")
    result = await run_tool(
        plugin.generate,
        cwd=str(cwd),
        env=env,
        time_limit=limit,
        max_output=ctx.settings.max_combined_manifest_bytes,
        secrets=secrets,
        display=f"plugin {plugin.full_name} generate",
    )
    commands.append(f"{plugin.full_name} generate")
    text = result.stdout.decode(errors="replace")
    return Rendered(
        parse_yaml_stream(text, f"output of plugin {plugin.full_name}"), tuple(commands)
    )


async def announce_parameters(ctx: RenderContext, plugin: ConfigManagementPlugin) -> list[Obj]:
    """The plugin's static announcements followed by what its dynamic command prints for
    this app (run like ``generate``: private copy, app directory, same environment)."""
    announced = [dict(a) for a in plugin.static_parameters]
    if not plugin.dynamic_parameters:
        return announced
    cwd = await _private_copy(ctx, plugin)
    result = await run_tool(
        plugin.dynamic_parameters,
        cwd=str(cwd),
        env=plugin_environment(ctx),
        time_limit=ctx.settings.exec_timeout_seconds,
        max_output=ctx.settings.max_combined_manifest_bytes,
        display=f"plugin {plugin.full_name} parameters",
    )
    return announced + parse_dynamic_output(
        result.stdout.decode(errors="replace"), plugin.full_name
    )
