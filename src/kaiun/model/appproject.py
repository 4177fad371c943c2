"""AppProject policy: which sources, destinations and kinds an Application may use.

Argo CD's rules (``pkg/apis/application/v1alpha1/app_project_types.go``):

* ``sourceRepos`` — globs over normalised repo URLs (``*`` stops at ``/``; ``**`` does not).
  A repo is permitted when some pattern matches and no ``!pattern`` excludes it.
* ``destinations`` — ``server``/``name``/``namespace`` globs; an entry matches when its server
  or its name matches and its namespace matches; any ``!`` entry the destination falls foul of
  denies it, whatever order the entries are in.
* Resource lists — Go ``filepath.Match`` on group and kind (and, for cluster lists, a name
  glob). Namespaced kinds: allowed unless a whitelist is set and misses them, or the
  blacklist hits. Cluster-scoped kinds: allowed only when the whitelist names them (an empty
  whitelist allows none) and the blacklist does not. The blacklist always wins.
* ``sourceNamespaces`` — where Applications of the project may live besides the control-plane
  namespace; ``orphanedResources`` — monitoring settings (``warn`` defaults to true).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kaiun.model import globmatch
from kaiun.model.syncwindows import SyncWindow

__all__ = [
    "DEFAULT_PROJECT",
    "IN_CLUSTER_NAME",
    "IN_CLUSTER_SERVER",
    "AppProject",
    "Destination",
    "OrphanedResources",
    "ResourceRef",
    "normalize_git_url",
    "project_problems",
]

DEFAULT_PROJECT = "default"
IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
IN_CLUSTER_NAME = "in-cluster"
ERR_DESTINATION_MISSING = "Destination server missing from app spec"

_SCP_LIKE = re.compile(r"^[\w.~-]+@[\w.-]+:")


def normalize_git_url(url: str) -> str:
    """Argo CD's ``git.NormalizeGitURL``: lower case, no ``.git``, scp-style SSH as a path."""
    repo = url.strip().lower()
    if not repo.startswith("ssh://") and _SCP_LIKE.match(repo):
        repo = repo.replace(":", "/", 1)
    repo = repo.removesuffix(".git")
    return repo.removeprefix("ssh://")


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value or ())


@dataclass(frozen=True, slots=True)
class Destination:
    """A ``spec.destinations[]`` entry (each field a glob, ``!`` negates)."""

    server: str = ""
    name: str = ""
    namespace: str = ""

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Destination:
        """Read from JSON."""
        return cls(
            str(d.get("server") or ""), str(d.get("name") or ""), str(d.get("namespace") or "")
        )

    def to_dict(self) -> dict[str, str]:
        """JSON form; empty server/name omitted, namespace always present."""
        out = {k: v for k, v in (("server", self.server), ("name", self.name)) if v}
        out["namespace"] = self.namespace
        return out


@dataclass(frozen=True, slots=True)
class ResourceRef:
    """A resource list entry: ``group``/``kind`` patterns and, for cluster lists, ``name``."""

    group: str
    kind: str
    name: str = ""

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ResourceRef:
        """Read from JSON."""
        return cls(str(d.get("group") or ""), str(d.get("kind") or ""), str(d.get("name") or ""))

    def to_dict(self) -> dict[str, str]:
        """JSON form (``name`` only when set)."""
        out = {"group": self.group, "kind": self.kind}
        if self.name:
            out["name"] = self.name
        return out

    def covers(self, group: str, kind: str, name: str = "", *, use_name: bool = False) -> bool:
        """Does this entry match the resource? (group/kind per Go ``filepath.Match``)."""
        if not (globmatch.path_match(self.kind, kind) and globmatch.path_match(self.group, group)):
            return False
        if use_name and self.name:
            return globmatch.match(self.name, name)
        return True


@dataclass(frozen=True, slots=True)
class OrphanedResources:
    """``spec.orphanedResources``: monitoring is on whenever this block exists."""

    warn: bool = True
    ignore: tuple[ResourceRef, ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> OrphanedResources:
        """Read from JSON (``warn`` absent means true, as Argo CD's ``IsWarn``)."""
        warn = d.get("warn")
        return cls(
            warn=True if warn is None else bool(warn),
            ignore=tuple(ResourceRef.from_dict(i) for i in d.get("ignore") or ()),
        )

    def ignored(self, group: str, kind: str, name: str) -> bool:
        """Is an orphan of this group/kind/name on the ignore list?"""
        return any(
            globmatch.match(i.group, group)
            and globmatch.match(i.kind, kind)
            and (not i.name or globmatch.match(i.name, name))
            for i in self.ignore
        )


def _refs(value: Any) -> tuple[ResourceRef, ...]:
    return tuple(ResourceRef.from_dict(i) for i in value or ())


@dataclass(frozen=True, slots=True)
class AppProject:
    """An AppProject's policy, read from its JSON (``AppProject.from_dict``)."""

    name: str
    namespace: str = ""
    description: str = ""
    source_repos: tuple[str, ...] = ()
    destinations: tuple[Destination, ...] = ()
    cluster_resource_whitelist: tuple[ResourceRef, ...] = ()
    cluster_resource_blacklist: tuple[ResourceRef, ...] = ()
    # None (absent) allows every namespaced kind; an empty tuple allows none.
    namespace_resource_whitelist: tuple[ResourceRef, ...] | None = None
    namespace_resource_blacklist: tuple[ResourceRef, ...] = ()
    orphaned_resources: OrphanedResources | None = None
    sync_windows: tuple[SyncWindow, ...] = ()
    source_namespaces: tuple[str, ...] = ()
    permit_only_project_scoped_clusters: bool = False
    spec: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> AppProject:
        """Read an AppProject object (``metadata`` + ``spec``)."""
        meta = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        ns_white = spec.get("namespaceResourceWhitelist")
        orphaned = spec.get("orphanedResources")
        return cls(
            name=str(meta.get("name") or ""),
            namespace=str(meta.get("namespace") or ""),
            description=str(spec.get("description") or ""),
            source_repos=_strs(spec.get("sourceRepos")),
            destinations=tuple(Destination.from_dict(d) for d in spec.get("destinations") or ()),
            cluster_resource_whitelist=_refs(spec.get("clusterResourceWhitelist")),
            cluster_resource_blacklist=_refs(spec.get("clusterResourceBlacklist")),
            namespace_resource_whitelist=None if ns_white is None else _refs(ns_white),
            namespace_resource_blacklist=_refs(spec.get("namespaceResourceBlacklist")),
            orphaned_resources=None if orphaned is None else OrphanedResources.from_dict(orphaned),
            sync_windows=tuple(SyncWindow.from_dict(w) for w in spec.get("syncWindows") or ()),
            source_namespaces=_strs(spec.get("sourceNamespaces")),
            permit_only_project_scoped_clusters=bool(spec.get("permitOnlyProjectScopedClusters")),
            spec=spec,
        )

    # -- sources ---------------------------------------------------------------------

    def source_permitted(self, repo_url: str) -> bool:
        """May apps of this project render from ``repo_url``?"""
        wanted = normalize_git_url(repo_url)
        matched = False
        for pattern in self.source_repos:
            if globmatch.is_negated(pattern):
                if not globmatch.match_negatable("!" + normalize_git_url(pattern[1:]), wanted, "/"):
                    return False
            elif globmatch.match_negatable(normalize_git_url(pattern), wanted, "/"):
                matched = True
        return matched

    # -- destinations ----------------------------------------------------------------

    def destination_permitted(
        self,
        server: str,
        name: str,
        namespace: str,
        *,
        project_clusters: Collection[tuple[str, str]] = (),
    ) -> bool:
        """May apps deploy to this cluster (server URL and/or name) and namespace?

        ``project_clusters`` are the (name, server) pairs of clusters scoped to this project;
        they matter only with ``permitOnlyProjectScopedClusters``.
        """
        if not self._destination_matched(server, name, namespace):
            return False
        if self.permit_only_project_scoped_clusters:
            return any(
                (name and n == name) or (server and s == server) for n, s in project_clusters
            )
        return True

    def _destination_matched(self, server: str, name: str, namespace: str) -> bool:
        matched = False
        for item in self.destinations:
            name_ok = bool(name) and globmatch.match_negatable(item.name, name)
            server_ok = bool(server) and globmatch.match_negatable(item.server, server)
            ns_ok = globmatch.match_negatable(item.namespace, namespace)
            if (server_ok or name_ok) and ns_ok:
                matched = True
            elif (
                (not name_ok and globmatch.is_negated(item.name))
                or (not server_ok and globmatch.is_negated(item.server))
                or (not ns_ok and globmatch.is_negated(item.namespace))
            ):
                return False
        return matched

    # -- resources -------------------------------------------------------------------

    def resource_permitted(
        self, group: str, kind: str, *, namespaced: bool, name: str = ""
    ) -> bool:
        """May apps of this project manage a resource of this group/kind (and name)?"""
        if namespaced:
            white = self.namespace_resource_whitelist
            allowed = white is None or any(r.covers(group, kind) for r in white)
            denied = any(r.covers(group, kind) for r in self.namespace_resource_blacklist)
            return allowed and not denied
        allowed = any(
            r.covers(group, kind, name, use_name=True) for r in self.cluster_resource_whitelist
        )
        denied = any(
            r.covers(group, kind, name, use_name=True) for r in self.cluster_resource_blacklist
        )
        return allowed and not denied

    def resource_message(self, group: str, kind: str) -> str:
        """Argo CD's refusal for a kind the project does not permit."""
        return f"resource {group}:{kind} is not permitted in project {self.name}"

    # -- applications ----------------------------------------------------------------

    def app_namespace_permitted(self, app_namespace: str, control_namespace: str) -> bool:
        """May an Application living in ``app_namespace`` use this project?"""
        if not app_namespace or app_namespace == control_namespace:
            return True
        return any(_namespace_pattern_match(p, app_namespace) for p in self.source_namespaces)

    def orphan_ignored(self, group: str, kind: str, name: str) -> bool:
        """Is this orphaned resource exempt from the project's orphan warnings?"""
        return self.orphaned_resources is not None and self.orphaned_resources.ignored(
            group, kind, name
        )

    def validate_application(
        self, app: Mapping[str, Any], *, cluster_names: Mapping[str, str]
    ) -> list[str]:
        """InvalidSpecError messages for the app's sources and destination; [] when fine.

        ``cluster_names`` maps a destination ``name`` to its server URL (``in-cluster`` is
        assumed to be the local cluster unless the mapping says otherwise).
        """
        spec = app.get("spec") or {}
        project = str(spec.get("project") or DEFAULT_PROJECT)
        messages = self._source_problems(spec, project)
        messages.extend(self._destination_problems(spec, project, cluster_names))
        return messages

    def _source_problems(self, spec: Mapping[str, Any], project: str) -> list[str]:
        sources = list(spec.get("sources") or ())
        multi = bool(sources)
        if not multi:
            sources = [spec.get("source") or {}]
        messages: list[str] = []
        for src in sources:
            shape = _source_shape_problem(src, multi)
            if shape:
                return [shape]
            repo = str(src.get("repoURL") or "")
            if not self.source_permitted(repo):
                messages.append(f"application repo {repo} is not permitted in project '{project}'")
        return messages

    def _destination_problems(
        self, spec: Mapping[str, Any], project: str, cluster_names: Mapping[str, str]
    ) -> list[str]:
        dest = spec.get("destination") or {}
        server = str(dest.get("server") or "")
        name = str(dest.get("name") or "")
        namespace = str(dest.get("namespace") or "")
        if name and server:
            return [
                f"application destination can't have both name and server defined: {name} {server}"
            ]
        known = {IN_CLUSTER_NAME: IN_CLUSTER_SERVER, **cluster_names}
        if name:
            if name not in known:
                return [
                    "unable to find destination server: there are no clusters with this name: "
                    + name
                ]
            server = known[name]
        elif server:
            # Argo CD resolves the cluster, so name-based project entries apply too.
            name = next((n for n, s in known.items() if s == server), "")
        if not server:
            return [ERR_DESTINATION_MISSING]
        if not self.destination_permitted(server, name, namespace):
            return [
                f"application destination server '{server}' and namespace '{namespace}' do not "
                f"match any of the allowed destinations in project '{project}'"
            ]
        return []


def _source_shape_problem(src: Mapping[str, Any], multi: bool) -> str:
    repo, path, chart = src.get("repoURL"), src.get("path"), src.get("chart")
    if multi:
        if not repo or not (path or chart or src.get("ref")):
            return (
                "spec.source.repoURL and either source.path, source.chart, or source.ref are "
                f"required for source {repo or '<no repoURL>'}"
            )
    elif not repo or not (path or chart):
        return "spec.source.repoURL and either spec.source.path or spec.source.chart are required"
    if chart and not src.get("targetRevision"):
        return "spec.source.targetRevision is required if the manifest source is a helm chart"
    return ""


def namespace_matches(patterns: Iterable[str], namespace: str) -> bool:
    """Whether ``namespace`` matches one of Argo CD's namespace patterns (glob or /regex/)."""
    return any(_namespace_pattern_match(p, namespace) for p in patterns)


def _namespace_pattern_match(pattern: str, value: str) -> bool:
    # Argo CD's glob.REGEXP mode: ``/re/`` is a regular expression, anything else a glob.
    if len(pattern) > 2 and pattern.startswith("/") and pattern.endswith("/"):
        try:
            return re.search(pattern[1:-1], value) is not None
        except re.error:
            return False
    return globmatch.match(pattern, value)


def project_problems(spec: Mapping[str, Any]) -> list[str]:
    """What Argo CD's ``ValidateProject`` refuses in a project spec; [] when fine."""
    found: list[str] = []
    seen_dest: set[str] = set()
    for d in spec.get("destinations") or ():
        dest = Destination.from_dict(d)
        dest_key = f"{dest.server or dest.name}/{dest.namespace}"
        if dest_key in seen_dest:
            found.append(f"destination '{dest_key}' already added")
        seen_dest.add(dest_key)
    seen_src: set[str] = set()
    for src in spec.get("sourceRepos") or ():
        if src in seen_src:
            found.append(f"source repository '{src}' already added")
        seen_src.add(str(src))
    seen_win: set[tuple[str, str, str]] = set()
    for raw in spec.get("syncWindows") or ():
        window = SyncWindow.from_dict(raw)
        key = (window.kind, window.schedule, window.duration)
        if key in seen_win:
            found.append(
                f"window '{window.kind}':'{window.schedule}':'{window.duration}' already "
                "exists, update or edit"
            )
        seen_win.add(key)
        found.extend(window.problems())
    return found
