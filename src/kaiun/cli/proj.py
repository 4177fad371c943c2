"""``kaiun proj``: manage AppProjects with ``argocd proj``'s commands, flags and output.

Each command reads and writes ``AppProject`` objects through a ``proj_backend``: an API
server (REST, after ``kaiun login`` or with ``--server``) or, in core mode, the Kubernetes
API, validating specs the way Argo CD's API server does. Here: create,
get, list, delete; list edits live in ``proj_edit``, sync windows in ``proj_windows``.
"""

from __future__ import annotations

from typing import Any

import click

from kaiun.cli import proj_edit, proj_windows
from kaiun.cli.proj_backend import backend
from kaiun.cli.proj_support import (
    API_VERSION,
    EXIT_GENERIC,
    KIND,
    CommandError,
    CoreOptions,
    check_spec,
    clean,
    core_options,
    output_option,
    print_resource,
    print_table,
    read_manifest,
)
from kaiun.model.appproject import DEFAULT_PROJECT


@click.group("proj")
def proj() -> None:
    """Manage projects."""


proj.add_command(proj_windows.windows)


# -- create ------------------------------------------------------------------------------


def _group_kinds(values: tuple[str, ...], flag: str) -> list[dict[str, str]]:
    out = []
    for value in values:
        for item in filter(None, value.split(",")):
            group, sep, kind = item.rpartition("/")
            if not sep or not kind:
                raise click.BadParameter(f"{item!r} is not <group>/<kind>", param_hint=flag)
            out.append({"group": group, "kind": kind})
    return out


def _destinations(values: tuple[str, ...]) -> list[dict[str, str]]:
    out = []
    for value in values:
        server, sep, namespace = value.partition(",")
        if not sep:
            raise click.BadParameter(f"{value!r} is not <server>,<namespace>", param_hint="--dest")
        out.append({"server": server, "namespace": namespace})
    return out


def _split(values: tuple[str, ...]) -> list[str]:
    return [v for value in values for v in value.split(",") if v]


def _spec_from_flags(opts: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if opts["description"]:
        spec["description"] = opts["description"]
    pairs: list[tuple[str, Any]] = [
        ("sourceRepos", list(opts["src"])),
        ("destinations", _destinations(opts["dest"])),
        ("sourceNamespaces", _split(opts["source_namespaces"])),
        (
            "clusterResourceWhitelist",
            _group_kinds(opts["allow_cluster"], "--allow-cluster-resource"),
        ),
        ("clusterResourceBlacklist", _group_kinds(opts["deny_cluster"], "--deny-cluster-resource")),
        (
            "namespaceResourceWhitelist",
            _group_kinds(opts["allow_ns"], "--allow-namespaced-resource"),
        ),
        (
            "namespaceResourceBlacklist",
            _group_kinds(opts["deny_ns"], "--deny-namespaced-resource"),
        ),
        ("signatureKeys", [{"keyID": k} for k in _split(opts["signature_keys"])]),
    ]
    spec.update({k: v for k, v in pairs if v})
    if opts["orphaned"] or opts["orphaned_warn"]:
        spec["orphanedResources"] = {"warn": bool(opts["orphaned_warn"])}
    return spec


@proj.command("create")
@click.argument("name", required=False)
@click.option("--file", "-f", "file_", help="Filename of a Kubernetes manifest for the project.")
@click.option("--upsert", is_flag=True, help="Override an existing project with the same name.")
@click.option("--description", "-d", default="", help="Project description.")
@click.option("--dest", multiple=True, help="Permitted destination server,namespace (repeatable).")
@click.option("--src", "-s", multiple=True, help="Permitted source repository URL (repeatable).")
@click.option("--source-namespaces", multiple=True, help="Namespaces apps may live in.")
@click.option("--signature-keys", multiple=True, help="GnuPG key IDs commits must be signed with.")
@click.option("--allow-cluster-resource", "allow_cluster", multiple=True, help="<group>/<kind>.")
@click.option("--deny-cluster-resource", "deny_cluster", multiple=True, help="<group>/<kind>.")
@click.option("--allow-namespaced-resource", "allow_ns", multiple=True, help="<group>/<kind>.")
@click.option("--deny-namespaced-resource", "deny_ns", multiple=True, help="<group>/<kind>.")
@click.option("--orphaned-resources", "orphaned", is_flag=True, help="Monitor orphaned resources.")
@click.option("--orphaned-resources-warn", "orphaned_warn", is_flag=True, help="Warn on orphans.")
@core_options
def create(
    name: str | None, file_: str | None, upsert: bool, core: CoreOptions, **opts: Any
) -> None:
    """Create a project (from flags, or from a manifest with -f)."""
    if file_:
        obj = read_manifest(file_)
        if name:
            obj.setdefault("metadata", {})["name"] = name
    elif name:
        obj = {"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": name}}
        obj["spec"] = _spec_from_flags(opts)
    else:
        raise click.UsageError("give a project NAME or a manifest with -f")
    obj.setdefault("apiVersion", API_VERSION)
    meta = obj.setdefault("metadata", {})
    if not meta.get("name"):
        raise CommandError("the project has no metadata.name", EXIT_GENERIC)
    meta["namespace"] = core.namespace
    check_spec(obj.setdefault("spec", {}))
    backend(core).create(obj, upsert=upsert)


# -- read --------------------------------------------------------------------------------


def _dest_text(d: dict[str, Any]) -> str:
    return f"{d.get('server') or d.get('name') or ''},{d.get('namespace', '')}"


def _gk_text(r: dict[str, Any]) -> str:
    return f"{r.get('group', '')}/{r.get('kind', '')}"


def _count(items: list[Any], one: str, many: str) -> str:
    if not items:
        return "<none>"
    return one if len(items) == 1 else f"{len(items)} {many}"


def orphaned_text(spec: dict[str, Any]) -> str:
    """Argo CD's ORPHANED-RESOURCES cell."""
    orphaned = spec.get("orphanedResources")
    if orphaned is None:
        return "disabled"
    warn = orphaned.get("warn")
    details = f"warn={'true' if warn is None or warn else 'false'}"
    if orphaned.get("ignore"):
        details += f", ignored {len(orphaned['ignore'])}"
    return f"enabled ({details})"


def project_row(p: dict[str, Any]) -> list[str]:
    """One ``proj list`` line."""
    spec = p.get("spec") or {}
    dests = spec.get("destinations") or []
    srcs = spec.get("sourceRepos") or []
    white = spec.get("clusterResourceWhitelist") or []
    return [
        p["metadata"]["name"],
        spec.get("description", ""),
        _count(dests, _dest_text(dests[0]) if dests else "", "destinations"),
        _count(srcs, srcs[0] if srcs else "", "repos"),
        _count(white, _gk_text(white[0]) if white else "", "resources"),
        _count(spec.get("namespaceResourceBlacklist") or [], "1 resources", "resources"),
        _count(spec.get("signatureKeys") or [], "1 key(s)", "key(s)"),
        orphaned_text(spec),
        _count(spec.get("destinationServiceAccounts") or [], "1 service accounts", "accounts"),
    ]


LIST_HEADER = [
    "NAME",
    "DESCRIPTION",
    "DESTINATIONS",
    "SOURCES",
    "CLUSTER-RESOURCE-WHITELIST",
    "NAMESPACE-RESOURCE-BLACKLIST",
    "SIGNATURE-KEYS",
    "ORPHANED-RESOURCES",
    "DESTINATION-SERVICE-ACCOUNTS",
]


@proj.command("list")
@output_option(("wide", "json", "yaml", "name"))
@core_options
def list_(output: str, core: CoreOptions) -> None:
    """List projects."""
    items = sorted(backend(core).list_projects(), key=lambda p: p["metadata"]["name"])
    if output in ("json", "yaml"):
        print_resource([clean(p) for p in items], output)
    elif output == "name":
        for p in items:
            click.echo(p["metadata"]["name"])
    else:
        print_table(LIST_HEADER, [project_row(p) for p in items])


def _lines(label: str, values: list[str]) -> list[tuple[str, str]]:
    values = values or ["<none>"]
    return [(label if i == 0 else "", v) for i, v in enumerate(values)]


def describe(p: dict[str, Any], scoped_repos: list[str], scoped_clusters: list[str]) -> str:
    """``proj get`` text: Argo CD's ``%-29s%s`` label/value lines."""
    spec = p.get("spec") or {}
    keys = [k.get("keyID", "") for k in spec.get("signatureKeys") or []]
    rows: list[tuple[str, str]] = [
        ("Name:", p["metadata"]["name"]),
        ("Description:", spec.get("description", "")),
        *_lines("Destinations:", [_dest_text(d) for d in spec.get("destinations") or []]),
        *_lines("Repositories:", list(spec.get("sourceRepos") or [])),
        *_lines("Scoped Repositories:", scoped_repos),
        *_lines(
            "Allowed Cluster Resources:",
            [_gk_text(r) for r in spec.get("clusterResourceWhitelist") or []],
        ),
        *_lines("Scoped Clusters:", scoped_clusters),
        *_lines(
            "Denied Namespaced Resources:",
            [_gk_text(r) for r in spec.get("namespaceResourceBlacklist") or []],
        ),
        ("Signature keys:", ", ".join(keys) or "<none>"),
        ("Orphaned Resources:", orphaned_text(spec)),
    ]
    return "\n".join(f"{label:<29}{value}".rstrip() for label, value in rows)


@proj.command("get")
@click.argument("name")
@output_option(("wide", "json", "yaml"))
@core_options
def get(name: str, output: str, core: CoreOptions) -> None:
    """Get project details."""
    be = backend(core)
    p = be.get(name)
    repos, clusters = be.scoped(name) if output == "wide" else ([], [])
    if output in ("json", "yaml"):
        print_resource(clean(p), output)
    else:
        click.echo(describe(p, repos, clusters))


@proj.command("delete")
@click.argument("names", nargs=-1, required=True)
@core_options
def delete(names: tuple[str, ...], core: CoreOptions) -> None:
    """Delete projects (refused while Applications still use them)."""
    be = backend(core)
    for name in names:
        if name == DEFAULT_PROJECT:
            raise CommandError(f"name '{name}' is reserved and cannot be deleted", EXIT_GENERIC)
        be.delete(name)


for _command in proj_edit.COMMANDS:
    proj.add_command(_command)
