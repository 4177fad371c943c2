"""Application spec flags shared by ``app create`` and ``app set`` (Argo CD's names), and the
edits they make to a spec; ``app unset`` removes what these set.

Pure: functions edit plain dicts and raise ``AppError`` for contradictory or malformed flags.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from kaiun.cli.app.core import AppError

F = TypeVar("F", bound=Callable[..., Any])

SYNC_POLICIES = ("manual", "none", "automated", "automatic", "auto")

SPEC_OPTIONS: list[Callable[[F], F]] = [
    click.option("--repo", help="Repository URL (git or Helm)."),
    click.option("--path", help="Path of the app inside the git repository."),
    click.option("--revision", help="Branch, tag, commit or chart version to track."),
    click.option("--helm-chart", "chart", help="Helm chart name (for a Helm repository)."),
    click.option("--ref", help="Name of this source for $ref value files (multi-source)."),
    click.option(
        "--source-position",
        type=int,
        help="Which source of a multi-source app to change (1-based).",
    ),
    click.option("--dest-server", help="Destination cluster URL."),
    click.option("--dest-name", help="Destination cluster name."),
    click.option("--dest-namespace", help="Destination namespace."),
    click.option("--project", help="AppProject of the app."),
    click.option(
        "--sync-policy",
        type=click.Choice(SYNC_POLICIES),
        help="manual (or none) turns automated sync off; automated (auto) turns it on.",
    ),
    click.option("--auto-prune/--no-auto-prune", default=None, help="Prune when auto-syncing."),
    click.option(
        "--self-heal/--no-self-heal", default=None, help="Revert drift when auto-syncing."
    ),
    click.option("--allow-empty/--no-allow-empty", default=None, help="Allow syncing to nothing."),
    click.option("--sync-option", "sync_options", multiple=True, help="Sync option (repeatable)."),
    click.option("--sync-retry-limit", type=int, help="Retries of a failed sync (0: none)."),
    click.option("--sync-retry-backoff-duration", help="First retry delay, e.g. 5s."),
    click.option("--sync-retry-backoff-max-duration", help="Longest retry delay, e.g. 3m."),
    click.option("--sync-retry-backoff-factor", type=int, help="Delay multiplier per retry."),
    click.option("--revision-history-limit", type=int, help="Deployments kept in history."),
    click.option("--helm-set", multiple=True, help="Helm parameter NAME=VALUE (repeatable)."),
    click.option("--helm-set-string", multiple=True, help="Helm string parameter NAME=VALUE."),
    click.option("--helm-set-file", multiple=True, help="Helm file parameter NAME=PATH."),
    click.option("--values", "values_files", multiple=True, help="Helm values file in the repo."),
    click.option("--values-literal-file", help="Local file whose content becomes helm values."),
    click.option("--release-name", help="Helm release name."),
    click.option("--helm-skip-crds/--no-helm-skip-crds", default=None, help="Skip chart CRDs."),
    click.option("--helm-pass-credentials", is_flag=True, default=None, help="Pass credentials."),
    click.option("--ignore-missing-value-files", is_flag=True, default=None),
    click.option("--kustomize-image", multiple=True, help="Kustomize image override (repeatable)."),
    click.option("--kustomize-common-label", multiple=True, help="Common label KEY=VALUE."),
    click.option(
        "--kustomize-common-annotation", multiple=True, help="Common annotation KEY=VALUE."
    ),
    click.option("--kustomize-namespace", help="Kustomize namespace override."),
    click.option("--kustomize-replica", multiple=True, help="Replica override NAME=COUNT."),
    click.option("--kustomize-version", help="Kustomize version to use."),
    click.option("--nameprefix", help="Kustomize name prefix."),
    click.option("--namesuffix", help="Kustomize name suffix."),
    click.option("--directory-recurse/--no-directory-recurse", default=None),
    click.option("--directory-include", help="Glob of files to include (directory apps)."),
    click.option("--directory-exclude", help="Glob of files to exclude (directory apps)."),
    click.option("--jsonnet-ext-var-str", multiple=True, help="Jsonnet ext var NAME=VALUE."),
    click.option("--jsonnet-tla-str", multiple=True, help="Jsonnet top-level argument NAME=VALUE."),
    click.option("--jsonnet-libs", multiple=True, help="Jsonnet library path (repeatable)."),
    click.option("--config-management-plugin", "plugin", help="Config management plugin name."),
    click.option("--plugin-env", multiple=True, help="Plugin environment variable NAME=VALUE."),
]


def spec_options(fn: F) -> F:
    """Decorate a command with every spec flag."""
    for option in reversed(SPEC_OPTIONS):
        fn = option(fn)
    return fn


def pairs(values: tuple[str, ...] | list[str], flag: str) -> list[tuple[str, str]]:
    """``NAME=VALUE`` items split, or an AppError naming the flag."""
    out = []
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise AppError(f"{flag}: expected NAME=VALUE, got {item!r}")
        out.append((name, value))
    return out


def target_source(spec: dict[str, Any], position: int | None) -> dict[str, Any]:
    """The source the flags edit: ``spec.source``, or the chosen one of ``spec.sources``."""
    if spec.get("sources"):
        if position is None:
            raise AppError(
                "this application has multiple sources: choose one with --source-position N"
            )
        if not 1 <= position <= len(spec["sources"]):
            raise AppError(
                f"--source-position {position} is out of range: the app has "
                f"{len(spec['sources'])} sources"
            )
        src: dict[str, Any] = spec["sources"][position - 1]
        return src
    if position not in (None, 1):
        raise AppError("--source-position applies only to multi-source applications")
    single: dict[str, Any] = spec.setdefault("source", {})
    return single


def apply_spec_options(spec: dict[str, Any], opts: dict[str, Any]) -> None:
    """Edit ``spec`` in place with every flag that was given."""
    src = target_source(spec, opts.get("source_position"))
    for key, flag in (("repoURL", "repo"), ("path", "path"), ("targetRevision", "revision")):
        if opts.get(flag) is not None:
            src[key] = opts[flag]
    for key, flag in (("chart", "chart"), ("ref", "ref")):
        if opts.get(flag) is not None:
            src[key] = opts[flag]
    _destination(spec, opts)
    if opts.get("project") is not None:
        spec["project"] = opts["project"]
    if opts.get("revision_history_limit") is not None:
        spec["revisionHistoryLimit"] = opts["revision_history_limit"]
    _sync_policy(spec, opts)
    _helm(src, opts)
    _kustomize(src, opts)
    _directory(src, opts)
    if opts.get("plugin") is not None or opts.get("plugin_env"):
        plugin = src.setdefault("plugin", {})
        if opts.get("plugin") is not None:
            plugin["name"] = opts["plugin"]
        _merge_named(plugin, "env", pairs(opts.get("plugin_env") or (), "--plugin-env"))


def _destination(spec: dict[str, Any], opts: dict[str, Any]) -> None:
    dest = spec.setdefault("destination", {})
    if opts.get("dest_server") is not None:
        dest["server"] = opts["dest_server"]
        dest.pop("name", None)
    if opts.get("dest_name") is not None:
        dest["name"] = opts["dest_name"]
        dest.pop("server", None)
    if opts.get("dest_server") is not None and opts.get("dest_name") is not None:
        raise AppError("--dest-server and --dest-name are mutually exclusive: give one")
    if opts.get("dest_namespace") is not None:
        dest["namespace"] = opts["dest_namespace"]


def _sync_policy(spec: dict[str, Any], opts: dict[str, Any]) -> None:
    policy = spec.get("syncPolicy") or {}
    mode = opts.get("sync_policy")
    if mode in ("manual", "none"):
        policy.pop("automated", None)
    elif mode is not None:
        policy.setdefault("automated", {})
    automated = policy.get("automated")
    for key, flag in (
        ("prune", "auto_prune"),
        ("selfHeal", "self_heal"),
        ("allowEmpty", "allow_empty"),
    ):
        if opts.get(flag) is None:
            continue
        if automated is None:
            name = "--" + flag.replace("_", "-")
            raise AppError(
                f"cannot set {name}: the application is not configured with automated sync "
                "(add --sync-policy automated)"
            )
        automated[key] = opts[flag]
    if opts.get("sync_options"):
        options = list(policy.get("syncOptions") or [])
        for option in opts["sync_options"]:
            name = option.partition("=")[0]
            options = [o for o in options if o.partition("=")[0] != name] + [option]
        policy["syncOptions"] = options
    _retry(policy, opts)
    if policy:
        spec["syncPolicy"] = policy
    else:
        spec.pop("syncPolicy", None)


def _retry(policy: dict[str, Any], opts: dict[str, Any]) -> None:
    limit = opts.get("sync_retry_limit")
    backoff = {
        "duration": opts.get("sync_retry_backoff_duration"),
        "maxDuration": opts.get("sync_retry_backoff_max_duration"),
        "factor": opts.get("sync_retry_backoff_factor"),
    }
    backoff = {k: v for k, v in backoff.items() if v is not None}
    if limit is None and not backoff:
        return
    if limit is not None and limit <= 0:
        policy.pop("retry", None)
        return
    retry = policy.setdefault("retry", {})
    if limit is not None:
        retry["limit"] = limit
    if backoff:
        retry.setdefault("backoff", {}).update(backoff)


def _merge_named(
    parent: dict[str, Any], key: str, items: list[tuple[str, str]], **extra: Any
) -> None:
    """Add or replace ``{"name", "value"}`` entries of ``parent[key]`` by name."""
    if not items:
        return
    entries = list(parent.get(key) or [])
    for name, value in items:
        entries = [e for e in entries if e.get("name") != name]
        entries.append({"name": name, "value": value, **extra})
    parent[key] = entries


def _helm(src: dict[str, Any], opts: dict[str, Any]) -> None:
    helm = dict(src.get("helm") or {})
    _merge_named(helm, "parameters", pairs(opts.get("helm_set") or (), "--helm-set"))
    strings = pairs(opts.get("helm_set_string") or (), "--helm-set-string")
    _merge_named(helm, "parameters", strings, forceString=True)
    files = pairs(opts.get("helm_set_file") or (), "--helm-set-file")
    if files:
        entries = [e for e in helm.get("fileParameters") or [] if e["name"] not in dict(files)]
        helm["fileParameters"] = entries + [{"name": n, "path": p} for n, p in files]
    if opts.get("values_files"):
        helm["valueFiles"] = list(opts["values_files"])
    if opts.get("values_literal_file"):
        try:
            helm["values"] = Path(opts["values_literal_file"]).read_text()
        except OSError as exc:
            raise AppError(
                f"--values-literal-file {opts['values_literal_file']}: {exc.strerror}"
            ) from exc
    for key, flag in (
        ("releaseName", "release_name"),
        ("skipCrds", "helm_skip_crds"),
        ("passCredentials", "helm_pass_credentials"),
        ("ignoreMissingValueFiles", "ignore_missing_value_files"),
    ):
        if opts.get(flag) is not None:
            helm[key] = opts[flag]
    if helm:
        src["helm"] = helm


def image_name(image: str) -> str:
    """The name part of a kustomize image override (``nginx=nginx:1.2`` -> ``nginx``)."""
    for sep in ("=", "@", ":"):
        if sep in image:
            image = image.split(sep, 1)[0]
    return image


def _kustomize(src: dict[str, Any], opts: dict[str, Any]) -> None:
    kz = dict(src.get("kustomize") or {})
    images = list(kz.get("images") or [])
    for image in opts.get("kustomize_image") or ():
        images = [i for i in images if image_name(i) != image_name(image)] + [image]
    if images:
        kz["images"] = images
    for key, flag in (
        ("commonLabels", "kustomize_common_label"),
        ("commonAnnotations", "kustomize_common_annotation"),
    ):
        items = pairs(opts.get(flag) or (), "--" + flag.replace("_", "-"))
        if items:
            kz[key] = {**(kz.get(key) or {}), **dict(items)}
    replicas = pairs(opts.get("kustomize_replica") or (), "--kustomize-replica")
    for name, count in replicas:
        if not count.isdigit():
            raise AppError(f"--kustomize-replica {name}={count}: the count must be a number")
        kz["replicas"] = [r for r in kz.get("replicas") or [] if r.get("name") != name] + [
            {"name": name, "count": int(count)}
        ]
    for key, flag in (
        ("namespace", "kustomize_namespace"),
        ("version", "kustomize_version"),
        ("namePrefix", "nameprefix"),
        ("nameSuffix", "namesuffix"),
    ):
        if opts.get(flag) is not None:
            kz[key] = opts[flag]
    if kz:
        src["kustomize"] = kz


def _directory(src: dict[str, Any], opts: dict[str, Any]) -> None:
    directory = dict(src.get("directory") or {})
    for key, flag in (
        ("recurse", "directory_recurse"),
        ("include", "directory_include"),
        ("exclude", "directory_exclude"),
    ):
        if opts.get(flag) is not None:
            directory[key] = opts[flag]
    jsonnet = dict(directory.get("jsonnet") or {})
    _merge_named(
        jsonnet, "extVars", pairs(opts.get("jsonnet_ext_var_str") or (), "--jsonnet-ext-var-str")
    )
    _merge_named(jsonnet, "tlas", pairs(opts.get("jsonnet_tla_str") or (), "--jsonnet-tla-str"))
    if opts.get("jsonnet_libs"):
        jsonnet["libs"] = list(opts["jsonnet_libs"])
    if jsonnet:
        directory["jsonnet"] = jsonnet
    if directory:
        src["directory"] = directory


def validate_spec(spec: dict[str, Any]) -> None:
    """The checks Argo CD's API makes before storing an app spec."""
    sources = spec.get("sources") or ([spec["source"]] if spec.get("source") else [])
    if not sources:
        raise AppError("the application has no source: give --repo (and --path or --helm-chart)")
    for src in sources:
        if not src.get("repoURL"):
            raise AppError("the application source has no repository URL: give --repo")
    dest = spec.get("destination") or {}
    if dest.get("server") and dest.get("name"):
        raise AppError(
            "application destination can't have both name and server defined: "
            f"{dest['name']} {dest['server']}"
        )
    if not dest.get("server") and not dest.get("name"):
        raise AppError("the application has no destination: give --dest-server or --dest-name")
