"""``kaiun app create|set|unset|patch``: write an Application's spec, as argocd does."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import click
import orjson
import yaml

from kaiun.cli.app import spec as specs
from kaiun.cli.app.backend import backend_of
from kaiun.cli.app.core import (
    APP_API,
    APP_KIND,
    FINALIZER,
    AppError,
    ArgoCommand,
    Core,
)
from kaiun.cli.app.views import dump

app_namespace_option = click.option(
    "-N", "--app-namespace", default=None, help="Namespace of the application."
)


def _load_files(path: str) -> list[dict[str, Any]]:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text()
        docs = [d for d in yaml.safe_load_all(text) if d]
    except OSError as exc:
        raise AppError(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise AppError(f"{path} is not valid YAML: {exc}") from exc
    for doc in docs:
        if not isinstance(doc, dict) or doc.get("kind") != APP_KIND:
            raise AppError(f"{path}: every document must be an argoproj.io Application")
    if not docs:
        raise AppError(f"{path} holds no Application")
    return docs


def _new_app(name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": APP_API,
        "kind": APP_KIND,
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"project": "default", "destination": {}, "source": {}},
    }


def _build(
    core: Core, name: str | None, file: str | None, opts: dict[str, Any]
) -> list[dict[str, Any]]:
    """The Applications to create: from ``-f`` (flags on top) or from flags alone."""
    if file:
        apps = _load_files(file)
        if name and len(apps) > 1:
            raise AppError("APPNAME cannot be given with a file of several applications")
    else:
        if not name:
            raise AppError("give an application name (APPNAME) or a file (-f)")
        apps = [_new_app(name, "")]
    for app in apps:
        # What the controller owns never comes from a file (Argo CD's API strips it too).
        app.pop("status", None)
        app.pop("operation", None)
        meta = app.setdefault("metadata", {})
        for key in ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"):
            meta.pop(key, None)
        app_name = name or str(meta.get("name") or "")
        given_ns = opts.get("app_namespace") or meta.get("namespace")
        ns, short = (core.rest_ref if core.rest else core.ref)(app_name, given_ns)
        meta["name"] = short
        if ns:
            meta["namespace"] = ns
        else:  # REST mode without a namespace: the server's own
            meta.pop("namespace", None)
        spec = app.setdefault("spec", {})
        spec.setdefault("project", "default")
        specs.apply_spec_options(spec, opts)
        if spec.get("sources"):
            spec.pop("source", None)
        _labels(meta, opts)
        if opts.get("set_finalizer"):
            meta["finalizers"] = sorted({*meta.get("finalizers", []), FINALIZER})
        specs.validate_spec(spec)
    return apps


def _labels(meta: dict[str, Any], opts: dict[str, Any]) -> None:
    labels = specs.pairs(opts.get("label") or (), "--label")
    if labels:
        meta["labels"] = {**(meta.get("labels") or {}), **dict(labels)}
    annotations = specs.pairs(opts.get("annotations") or (), "--annotations")
    if annotations:
        meta["annotations"] = {**(meta.get("annotations") or {}), **dict(annotations)}


@click.command("create", cls=ArgoCommand)
@click.argument("name", metavar="APPNAME", required=False)
@app_namespace_option
@click.option("-f", "--file", help="Application manifest file (- for stdin).")
@click.option("--upsert", is_flag=True, help="Update the app if it exists and differs.")
@click.option("--set-finalizer", is_flag=True, help="Cascade deletion to the app's resources.")
@click.option("--label", multiple=True, help="Label KEY=VALUE on the app (repeatable).")
@click.option("--annotations", multiple=True, help="Annotation KEY=VALUE on the app.")
@specs.spec_options
@click.pass_obj
def create(core: Core, /, name: str | None, file: str | None, upsert: bool, **opts: Any) -> None:
    """Create an application."""
    be = backend_of(core)
    for app in _build(core, name, file, opts):
        action = be.create(app, upsert=upsert)
        click.echo(f"application '{app['metadata']['name']}' {action}")


@click.command("set", cls=ArgoCommand)
@click.argument("name", metavar="APPNAME")
@app_namespace_option
@specs.spec_options
@click.pass_obj
def set_(core: Core, /, name: str, app_namespace: str | None, **opts: Any) -> None:
    """Set application parameters."""
    _edit(core, name, app_namespace, lambda spec: specs.apply_spec_options(spec, opts))


def _edit(core: Core, name: str, app_namespace: str | None, edit: Any) -> None:
    """Read the app, ``edit`` its spec, store it if it changed (checked first)."""
    be = backend_of(core)
    app = be.get(*core.locate(name, app_namespace))
    before = copy.deepcopy(app["spec"])
    edit(app["spec"])
    specs.validate_spec(app["spec"])
    if app["spec"] != before:
        be.update_spec(app)


UNSET_OPTIONS = [
    click.option("--values", "values_files", multiple=True, help="Remove a Helm value file."),
    click.option("--values-literal", is_flag=True, help="Remove literal Helm values."),
    click.option("-p", "--parameter", "parameters", multiple=True, help="Remove a Helm parameter."),
    click.option("--pass-credentials", is_flag=True, help="Unset Helm passCredentials."),
    click.option("--ignore-missing-value-files", is_flag=True),
    click.option("--nameprefix", is_flag=True, help="Remove the Kustomize name prefix."),
    click.option("--namesuffix", is_flag=True, help="Remove the Kustomize name suffix."),
    click.option("--kustomize-version", is_flag=True, help="Remove the Kustomize version."),
    click.option("--kustomize-namespace", is_flag=True, help="Remove the Kustomize namespace."),
    click.option("--kustomize-image", multiple=True, help="Remove a Kustomize image override."),
    click.option("--kustomize-replica", multiple=True, help="Remove a Kustomize replica override."),
    click.option("--directory-recurse", is_flag=True, help="Turn directory recursion off."),
    click.option("--directory-include", is_flag=True),
    click.option("--directory-exclude", is_flag=True),
    click.option("--jsonnet-ext-var-str", multiple=True, help="Remove a Jsonnet ext var."),
    click.option("--jsonnet-tla-str", multiple=True, help="Remove a Jsonnet top-level argument."),
    click.option("--jsonnet-libs", multiple=True, help="Remove a Jsonnet library path."),
    click.option("--plugin-env", multiple=True, help="Remove a plugin environment variable."),
    click.option("--ref", is_flag=True, help="Remove the source's ref name."),
    click.option("--source-position", type=int, help="Source of a multi-source app (1-based)."),
]


def unset_fields(spec: dict[str, Any], opts: dict[str, Any]) -> None:
    """Remove from ``spec`` what the unset flags name."""
    src = specs.target_source(spec, opts.get("source_position"))
    helm = src.get("helm") or {}
    if opts["values_files"]:
        helm["valueFiles"] = [
            v for v in helm.get("valueFiles") or [] if v not in opts["values_files"]
        ]
    drop = {"values": opts["values_literal"], "passCredentials": opts["pass_credentials"],
            "ignoreMissingValueFiles": opts["ignore_missing_value_files"]}  # fmt: skip
    if opts["parameters"]:
        names = set(opts["parameters"])
        helm["parameters"] = [p for p in helm.get("parameters") or [] if p.get("name") not in names]
    _drop(helm, drop)
    kz = src.get("kustomize") or {}
    _drop(kz, {"namePrefix": opts["nameprefix"], "nameSuffix": opts["namesuffix"]})
    _drop(kz, {"version": opts["kustomize_version"], "namespace": opts["kustomize_namespace"]})
    if opts["kustomize_image"]:
        names = {specs.image_name(i) for i in opts["kustomize_image"]}
        kz["images"] = [i for i in kz.get("images") or [] if specs.image_name(i) not in names]
    if opts["kustomize_replica"]:
        names = set(opts["kustomize_replica"])
        kz["replicas"] = [r for r in kz.get("replicas") or [] if r.get("name") not in names]
    directory = src.get("directory") or {}
    _drop(directory, {"recurse": opts["directory_recurse"], "include": opts["directory_include"],
                      "exclude": opts["directory_exclude"]})  # fmt: skip
    jsonnet = directory.get("jsonnet") or {}
    for key, flag in (("extVars", "jsonnet_ext_var_str"), ("tlas", "jsonnet_tla_str")):
        if opts[flag]:
            jsonnet[key] = [v for v in jsonnet.get(key) or [] if v.get("name") not in opts[flag]]
    if opts["jsonnet_libs"]:
        jsonnet["libs"] = [v for v in jsonnet.get("libs") or [] if v not in opts["jsonnet_libs"]]
    plugin = src.get("plugin") or {}
    if opts["plugin_env"]:
        plugin["env"] = [
            e for e in plugin.get("env") or [] if e.get("name") not in opts["plugin_env"]
        ]
    _drop(src, {"ref": opts["ref"]})
    _prune_empty(src)


def _drop(obj: dict[str, Any], keys: dict[str, bool]) -> None:
    for key, wanted in keys.items():
        if wanted:
            obj.pop(key, None)


def _prune_empty(obj: dict[str, Any]) -> None:
    """Drop emptied lists and maps, so an unset leaves no ``helm: {}`` behind."""
    for key in list(obj):
        value = obj[key]
        if isinstance(value, dict):
            _prune_empty(value)
        if value in ({}, []):
            del obj[key]


def _unset_options(fn: Any) -> Any:
    for option in reversed(UNSET_OPTIONS):
        fn = option(fn)
    return fn


@click.command("unset", cls=ArgoCommand)
@click.argument("name", metavar="APPNAME")
@app_namespace_option
@_unset_options
@click.pass_obj
def unset(core: Core, /, name: str, app_namespace: str | None, **opts: Any) -> None:
    """Unset application parameters."""
    _edit(core, name, app_namespace, lambda spec: unset_fields(spec, opts))


@click.command("patch", cls=ArgoCommand)
@click.argument("name", metavar="APPNAME")
@app_namespace_option
@click.option("--patch", "patch_text", required=True, help="The patch body (JSON).")
@click.option(
    "--type",
    "patch_type",
    type=click.Choice(["json", "merge"]),
    default="json",
    show_default=True,
    help="JSON patch (RFC 6902) or JSON merge patch.",
)
@click.pass_obj
def patch(
    core: Core, /, name: str, app_namespace: str | None, patch_text: str, patch_type: str
) -> None:
    """Patch an application and print it (YAML)."""
    try:
        body = orjson.loads(patch_text)
    except orjson.JSONDecodeError as exc:
        raise AppError(f"--patch is not valid JSON: {exc}") from exc
    if patch_type == "json" and not isinstance(body, list):
        raise AppError("a --type json patch must be a JSON array of operations (RFC 6902)")
    if patch_type == "merge" and not isinstance(body, dict):
        raise AppError("a --type merge patch must be a JSON object")
    patched = backend_of(core).patch(*core.locate(name, app_namespace), body, patch_type)
    click.echo(dump(patched, "yaml"), nl=False)
