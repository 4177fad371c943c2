"""``kaiun proj`` commands that edit one list of a project: sources, destinations, resource
allow/deny lists, source namespaces and orphaned-resource ignores (``argocd proj``'s messages).
"""

from __future__ import annotations

from typing import Any

import click

from kaiun.cli.proj_backend import backend
from kaiun.cli.proj_support import (
    EXIT_COMMAND,
    CommandError,
    CoreOptions,
    core_options,
)
from kaiun.model.appproject import normalize_git_url

COMMANDS: list[click.Command] = []


# -- sources and destinations ------------------------------------------------------------


@click.command("add-source")
@click.argument("name")
@click.argument("url")
@core_options
def add_source(name: str, url: str, core: CoreOptions) -> None:
    """Add project source repository."""

    def mutate(spec: dict[str, Any]) -> bool:
        for item in spec.get("sourceRepos") or []:
            if item == url or (item != "*" and normalize_git_url(item) == normalize_git_url(url)):
                click.echo(f"Source repository '{item}' already allowed in project")
                return False
        spec.setdefault("sourceRepos", []).append(url)
        return True

    backend(core).modify(name, mutate)


@click.command("remove-source")
@click.argument("name")
@click.argument("url")
@core_options
def remove_source(name: str, url: str, core: CoreOptions) -> None:
    """Remove project source repository."""

    def mutate(spec: dict[str, Any]) -> bool:
        repos = spec.get("sourceRepos") or []
        if url not in repos:
            click.echo(f"Source repository '{url}' does not exist in project")
            return False
        repos.remove(url)
        _drop_empty(spec, "sourceRepos")
        return True

    backend(core).modify(name, mutate)


def _drop_empty(spec: dict[str, Any], key: str) -> None:
    # Argo CD serialises these lists with omitempty: an emptied list disappears.
    if not spec.get(key):
        spec.pop(key, None)


@click.command("add-destination")
@click.argument("name")
@click.argument("dest_server", metavar="SERVER")
@click.argument("dest_namespace", metavar="NAMESPACE")
@click.option("--name", "by_name", is_flag=True, help="SERVER is a cluster name, not a URL.")
@core_options
def add_destination(
    name: str, dest_server: str, dest_namespace: str, by_name: bool, core: CoreOptions
) -> None:
    """Add project destination (SERVER or, with --name, cluster NAME, and NAMESPACE)."""
    key = "name" if by_name else "server"

    def mutate(spec: dict[str, Any]) -> bool:
        for d in spec.get("destinations") or []:
            if d.get("namespace", "") == dest_namespace and d.get(key) == dest_server:
                raise CommandError(
                    "Specified destination is already defined in project", EXIT_COMMAND
                )
        spec.setdefault("destinations", []).append({key: dest_server, "namespace": dest_namespace})
        return True

    backend(core).modify(name, mutate)


@click.command("remove-destination")
@click.argument("name")
@click.argument("dest_server", metavar="SERVER")
@click.argument("dest_namespace", metavar="NAMESPACE")
@core_options
def remove_destination(name: str, dest_server: str, dest_namespace: str, core: CoreOptions) -> None:
    """Remove project destination (matched by server URL or cluster name)."""

    def mutate(spec: dict[str, Any]) -> bool:
        dests = spec.get("destinations") or []
        for i, d in enumerate(dests):
            if d.get("namespace", "") == dest_namespace and dest_server in (
                d.get("server"),
                d.get("name"),
            ):
                del dests[i]
                _drop_empty(spec, "destinations")
                return True
        raise CommandError("Specified destination does not exist in project", EXIT_COMMAND)

    backend(core).modify(name, mutate)


# -- resource allow/deny lists -----------------------------------------------------------


def _resource_command(use: str, help_: str, *, allow: bool, namespaced: bool) -> click.Command:
    default_list = "deny" if namespaced else "allow"
    scope = "namespaced" if namespaced else "cluster"

    @click.command(use, help=help_)
    @click.argument("name")
    @click.argument("group")
    @click.argument("kind")
    @click.option(
        "--list",
        "-l",
        "list_type",
        type=click.Choice(["allow", "deny", "white", "black"]),
        default=default_list,
        show_default=True,
        help="Use deny list or allow list.",
    )
    @core_options
    def command(name: str, group: str, kind: str, list_type: str, core: CoreOptions) -> None:
        allow_list = list_type in ("allow", "white")
        if namespaced:
            key = "namespaceResourceWhitelist" if allow_list else "namespaceResourceBlacklist"
        else:
            key = "clusterResourceWhitelist" if allow_list else "clusterResourceBlacklist"
        desc = f"{'allowed' if allow_list else 'denied'} {scope}"
        add = allow if allow_list else not allow

        def mutate(spec: dict[str, Any]) -> bool:
            return _modify_list(spec, key, add=add, desc=desc, group=group, kind=kind)

        backend(core).modify(name, mutate)

    return command


def _modify_list(
    spec: dict[str, Any], key: str, *, add: bool, desc: str, group: str, kind: str
) -> bool:
    items = spec.get(key) or []
    index = next(
        (i for i, r in enumerate(items) if r.get("group", "") == group and r.get("kind") == kind),
        -1,
    )
    if add:
        if index >= 0:
            click.echo(f"Group '{group}' and kind '{kind}' already present in {desc} resources")
            return False
        spec.setdefault(key, []).append({"group": group, "kind": kind})
        click.echo(f"Group '{group}' and kind '{kind}' is added to {desc} resources")
        return True
    if index < 0:
        click.echo(f"Group '{group}' and kind '{kind}' not in {desc} resources")
        return False
    del items[index]
    _drop_empty(spec, key)
    click.echo(f"Group '{group}' and kind '{kind}' is removed from {desc} resources")
    return True


for _use, _help, _allow, _namespaced in (
    (
        "allow-cluster-resource",
        "Adds a cluster-scoped API resource to the allow list (or, with -l deny, removes it "
        "from the deny list).",
        True,
        False,
    ),
    (
        "deny-cluster-resource",
        "Removes a cluster-scoped API resource from the allow list (or, with -l deny, adds it "
        "to the deny list).",
        False,
        False,
    ),
    (
        "allow-namespace-resource",
        "Removes a namespaced API resource from the deny list (or, with -l allow, adds it to "
        "the allow list).",
        True,
        True,
    ),
    (
        "deny-namespace-resource",
        "Adds a namespaced API resource to the deny list (or, with -l allow, removes it from "
        "the allow list).",
        False,
        True,
    ),
):
    COMMANDS.append(_resource_command(_use, _help, allow=_allow, namespaced=_namespaced))


# -- source namespaces and orphaned-resource ignores --------------------------------------


@click.command("add-source-namespace")
@click.argument("name")
@click.argument("source_namespace", metavar="NAMESPACE")
@core_options
def add_source_namespace(name: str, source_namespace: str, core: CoreOptions) -> None:
    """Add a namespace Applications of the project may live in."""

    def mutate(spec: dict[str, Any]) -> bool:
        for item in spec.get("sourceNamespaces") or []:
            if item in ("*", source_namespace):
                click.echo(f"Source namespace '{item}' already allowed in project")
                return False
        spec.setdefault("sourceNamespaces", []).append(source_namespace)
        return True

    backend(core).modify(name, mutate)


@click.command("remove-source-namespace")
@click.argument("name")
@click.argument("source_namespace", metavar="NAMESPACE")
@core_options
def remove_source_namespace(name: str, source_namespace: str, core: CoreOptions) -> None:
    """Remove a source namespace from the project."""

    def mutate(spec: dict[str, Any]) -> bool:
        items = spec.get("sourceNamespaces") or []
        if source_namespace not in items or source_namespace == "*":
            click.echo(
                f"Source namespace '{source_namespace}' does not exist in project or cannot "
                "be removed"
            )
            return False
        items.remove(source_namespace)
        _drop_empty(spec, "sourceNamespaces")
        return True

    backend(core).modify(name, mutate)


def _ignore_key(group: str, kind: str, name: str) -> dict[str, str]:
    return {"group": group, "kind": kind, **({"name": name} if name else {})}


@click.command("add-orphaned-ignore")
@click.argument("name")
@click.argument("group")
@click.argument("kind")
@click.option("--name", "resource_name", default="", help="Resource name pattern.")
@core_options
def add_orphaned_ignore(
    name: str, group: str, kind: str, resource_name: str, core: CoreOptions
) -> None:
    """Add a resource to the orphaned-resources ignore list (turning monitoring on)."""
    key = _ignore_key(group, kind, resource_name)

    def mutate(spec: dict[str, Any]) -> bool:
        orphaned = spec.setdefault("orphanedResources", {})
        ignore = orphaned.setdefault("ignore", [])
        if any(_ignore_key(i.get("group", ""), i.get("kind", ""), i.get("name", "")) == key
               for i in ignore):  # fmt: skip
            raise CommandError(
                "Specified resource is already defined in the orphaned ignore list of project",
                EXIT_COMMAND,
            )
        ignore.append(key)
        return True

    backend(core).modify(name, mutate)


@click.command("remove-orphaned-ignore")
@click.argument("name")
@click.argument("group")
@click.argument("kind")
@click.option("--name", "resource_name", default="", help="Resource name pattern.")
@core_options
def remove_orphaned_ignore(
    name: str, group: str, kind: str, resource_name: str, core: CoreOptions
) -> None:
    """Remove a resource from the orphaned-resources ignore list."""
    key = _ignore_key(group, kind, resource_name)

    def mutate(spec: dict[str, Any]) -> bool:
        ignore = (spec.get("orphanedResources") or {}).get("ignore") or []
        for i, item in enumerate(ignore):
            if (
                _ignore_key(item.get("group", ""), item.get("kind", ""), item.get("name", ""))
                == key
            ):
                del ignore[i]
                if not ignore:
                    spec["orphanedResources"].pop("ignore", None)
                return True
        raise CommandError(
            "Specified resource does not exist in the orphaned ignore list of project",
            EXIT_COMMAND,
        )

    backend(core).modify(name, mutate)


COMMANDS.extend(
    [
        add_source,
        remove_source,
        add_destination,
        remove_destination,
        add_source_namespace,
        remove_source_namespace,
        add_orphaned_ignore,
        remove_orphaned_ignore,
    ]
)
