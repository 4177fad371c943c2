"""The repo server: ``RepoService.generate_manifest(ManifestRequest) -> ManifestResponse``.

One walk per request: resolve the revision (and those of ``ref`` sources), answer from the
manifest cache if it can, else check out the commit, refuse out-of-bounds symlinks, detect
the tool and render within a parallelism limit. Identical concurrent requests render once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import itertools
import logging
import os
import shutil
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from kaiun.repo.cache import (
    ManifestCache,
    ManifestStore,
    SharedManifestStore,
    manifest_cache_key,
    manifest_cache_keys,
)
from kaiun.repo.contract import (
    ApplicationSource,
    ManifestRequest,
    ManifestResponse,
    RenderSettings,
)
from kaiun.repo.credentials import CredentialStore
from kaiun.repo.errors import SourceError
from kaiun.repo.generatepaths import paths_changed
from kaiun.repo.git import GitRepos
from kaiun.repo.gitfiles import list_directories, read_files
from kaiun.repo.helmdeps import fetch_remote_chart, vendor_dependencies
from kaiun.repo.helmrepo import HelmRepos
from kaiun.repo.keylock import KeyedLock
from kaiun.repo.oci import OciClient, parse_oci_ref
from kaiun.repo.placeholders import SecretBackend, replace_placeholders
from kaiun.repo.process import base_environment
from kaiun.repo.render.context import RenderContext, Rendered, build_environment
from kaiun.repo.render.detect import SourceType, detect_source_type
from kaiun.repo.render.directory import render_directory
from kaiun.repo.render.helm import may_have_crds, render_helm
from kaiun.repo.render.helm_engine import HelmEngine, default_helm_engine
from kaiun.repo.render.kustomize import render_kustomize
from kaiun.repo.render.plugin import (
    ConfigManagementPlugin,
    announce_parameters,
    discover_plugin,
    find_plugin,
    render_plugin,
)
from kaiun.repo.sandbox import refuse_escaping_symlinks, resolve_inside
from kaiun.repo.singleflight import SingleFlight
from kaiun.repo.tlscerts import TlsCerts
from kaiun.repo.urls import normalize_repo_url, redact_url

__all__ = ["RepoService"]

log = logging.getLogger(__name__)
# A file in a plugin app's directory saying its renders may run at the same time.
ALLOW_CONCURRENCY_FILE = ".argocd-allow-concurrency"
_APP_DIR_MEMO = 10_000
# How long a replica's turn at rendering a key lasts at most (a dead holder's turn ends),
# and how often the others look for its answer.
_SHARED_LEASE_SECONDS = 300.0
_SHARED_POLL_SECONDS = 0.05


class RepoService:
    """Renders application sources; safe to share between every app of a process."""

    def __init__(
        self,
        work_dir: Path,
        *,
        credentials: CredentialStore | None = None,
        cache: ManifestStore | None = None,
        helm_engine: HelmEngine | None = None,
        parallelism: int = 10,
        revision_cache_seconds: float = 180.0,
        git_timeout: float = 90.0,
        known_hosts: str = "",
        plugins: Sequence[ConfigManagementPlugin] = (),
        secret_backend: SecretBackend | None = None,
        submodules: bool = True,
        tls_certs: Mapping[str, str] | None = None,
        helm_binary: str | None = None,
    ) -> None:
        self.work_dir = work_dir
        # kustomize's Helm chart inflator (``--enable-helm``) runs this binary.
        self.helm_binary = (
            helm_binary or os.environ.get("KAIUN_HELM_BINARY") or shutil.which("helm")
        )
        certs = TlsCerts(tls_certs)
        self.git = GitRepos(
            work_dir / "git",
            credentials,
            timeout=git_timeout,
            revision_cache_seconds=revision_cache_seconds,
            known_hosts=known_hosts,
            submodules=submodules,
            tls_certs=certs,
        )
        self.helm_repos = HelmRepos(
            work_dir / "charts",
            credentials,
            index_cache_seconds=revision_cache_seconds,
            tls_certs=certs,
        )
        self.oci = OciClient(work_dir / "oci", credentials, tls_certs=certs)
        self.cache: ManifestStore = cache if cache is not None else ManifestCache()
        self._helm_engine = helm_engine
        self.plugins = tuple(plugins)
        self.secret_backend = secret_backend
        # Plugin definitions change what a plugin app renders, so they are part of cache keys.
        self._plugins_digest = hashlib.sha256(
            orjson.dumps([p.raw for p in self.plugins], option=orjson.OPT_SORT_KEYS)
        ).hexdigest()[:16]
        self._limit = asyncio.Semaphore(parallelism)
        self._flights = SingleFlight()
        self._path_locks = KeyedLock()
        self._symlink_checked: set[Path] = set()
        # The last commit rendered per (source, app, settings): the base for
        # manifest-generate-paths when the caller passes no previous revision.
        self._last_commit: dict[str, str] = {}
        # Roots (a commit's checkout, an OCI digest, a chart version) never change once
        # written, so where an app path leads in one is worked out once.
        self._app_dirs: dict[tuple[Path, str], Path | None] = {}
        # Likewise the tool an app directory's files select, and the charts whose
        # dependencies are all vendored: worked out once, not on every render.
        self._detected: dict[tuple[Any, ...], SourceType] = {}
        self._complete_charts: set[Path] = set()
        self._crds: dict[Path, bool] = {}
        self._scratch_prefix = uuid.uuid4().hex[:12]
        self._scratch_ids = itertools.count()
        # The scrubbed tool environment, read from ours once rather than per render.
        self._tool_env = base_environment(str(work_dir / "home"))
        self.render_count = 0
        (work_dir / "render").mkdir(parents=True, exist_ok=True)
        (work_dir / "home").mkdir(parents=True, exist_ok=True)

    def set_credentials(
        self,
        credentials: CredentialStore,
        *,
        known_hosts: str | None = None,
        tls_certs: Mapping[str, str] | None = None,
    ) -> None:
        """Use new repository credentials (and SSH known hosts / CA certificates, when given)
        from the next request on; renders under way keep what they started with."""
        # Whole objects are replaced, never mutated: a request reads each attribute once.
        for client in (self.git, self.helm_repos, self.oci):
            client.credentials = credentials
        if known_hosts is not None:
            self.git.known_hosts = known_hosts
        if tls_certs is not None:
            certs = TlsCerts(tls_certs)
            for client in (self.git, self.helm_repos, self.oci):
                client.tls_certs = certs
        # Registry tokens were granted to the old credentials; a revoked one must not linger.
        self.oci.forget_tokens()

    @property
    def helm_engine(self) -> HelmEngine:
        """The Helm engine in use (chosen on first use if none was given)."""
        if self._helm_engine is None:
            self._helm_engine = default_helm_engine()
        return self._helm_engine

    def _is_oci(self, source: ApplicationSource) -> bool:
        cred = self.oci.credentials.lookup(source.repo_url)
        return source.repo_url.startswith("oci://") or bool(cred and cred.enable_oci)

    async def _resolve_oci_artifact(self, source: ApplicationSource) -> str:
        """The manifest digest a generic OCI source's ``targetRevision`` names."""
        ref = parse_oci_ref(source.repo_url)
        revision = source.target_revision or "latest"
        if revision.startswith("sha256:"):
            return revision
        tag = await self.oci.resolve_tag(source.repo_url, ref, revision, source.tag_prefix)
        digest, _ = await self.oci.manifest(source.repo_url, ref, tag)
        return digest

    @property
    def _renderers(self) -> str:
        """What, besides the request, decides the output: the Helm engines and the plugins."""
        return (
            f"{self.helm_engine.name} plugins={self._plugins_digest} "
            f"kustomize-helm={self.helm_binary}"
        )

    async def resolve_revision(self, source: ApplicationSource, *, refresh: bool = False) -> str:
        """The commit (or, for a chart from a Helm repository, the version) to render."""
        if source.chart and self._is_oci(source):
            ref = parse_oci_ref(source.repo_url, source.chart)
            return await self.oci.resolve_tag(source.repo_url, ref, source.target_revision)
        if source.chart:
            entry = await self.helm_repos.resolve(
                source.repo_url, source.chart, source.target_revision, refresh=refresh
            )
            return str(entry["version"])
        if source.repo_url.startswith("oci://"):
            return await self._resolve_oci_artifact(source)
        return await self.git.resolve(
            source.repo_url, source.revision, tag_prefix=source.tag_prefix, refresh=refresh
        )

    async def generate_manifest(self, request: ManifestRequest) -> ManifestResponse:
        """Manifests of ``request.source``: from cache when nothing relevant changed.

        Secret placeholders are replaced last, for requests that opt in, so the cache only
        ever holds the placeholders.
        """
        response = await self._generate(request)
        if not request.replace_secret_placeholders:
            return response
        if self.secret_backend is None:
            raise SourceError(
                "the application asks for secret placeholders but no secret backend is set"
            )
        replaced = await replace_placeholders(response.manifests, self.secret_backend)
        return dataclasses.replace(response, manifests=replaced)

    async def _generate(self, request: ManifestRequest) -> ManifestResponse:
        refresh = request.no_cache
        commit = await self.resolve_revision(request.source, refresh=refresh)
        ref_commits = {
            name: await self.resolve_revision(src, refresh=refresh)
            for name, src in request.ref_sources.items()
        }
        key, identity = manifest_cache_keys(request, (commit, ""), ref_commits, self._renderers)
        if not refresh:
            hit = await self.cache.get(key)
            if hit is None and request.manifest_generate_paths and not request.source.chart:
                hit = await self._reuse_if_untouched(request, commit, identity, ref_commits, key)
            if hit is not None:
                self._last_commit[identity] = commit
                return dataclasses.replace(hit, cached=True)

        async def render_here() -> ManifestResponse:
            async with self._limit:
                response = await self._render(request, commit, ref_commits)
            await self.cache.put(key, response)
            self._last_commit[identity] = commit
            return response

        async def render() -> ManifestResponse:
            store = self.cache
            if refresh or not isinstance(store, SharedManifestStore):
                return await render_here()
            # Replicas sharing the store take turns: one renders, the others get its answer.
            response = await self._take_turn(store, key, render_here, request.settings)
            self._last_commit[identity] = commit
            return response

        return await self._flights.do(key, render)

    @staticmethod
    async def _take_turn(
        store: SharedManifestStore,
        key: str,
        render_here: Callable[[], Awaitable[ManifestResponse]],
        settings: RenderSettings,
    ) -> ManifestResponse:
        """Render ``key`` unless another replica is rendering it; then wait for its answer
        (or for its lease to end, if it fails or dies, and take a turn)."""
        lease = max(_SHARED_LEASE_SECONDS, 2 * settings.exec_timeout_seconds)
        while True:
            token = await store.claim(key, lease)
            if token is not None:
                try:
                    # The previous holder may have stored it just before letting go.
                    hit = await store.get(key)
                    if hit is not None:
                        return dataclasses.replace(hit, cached=True)
                    return await render_here()
                finally:
                    await store.release(key, token)
            await asyncio.sleep(_SHARED_POLL_SECONDS)
            hit = await store.get(key)
            if hit is not None:
                return dataclasses.replace(hit, cached=True)

    async def list_directories(self, repo_url: str, revision: str) -> tuple[str, list[str]]:
        """``(commit, directories)`` of a git repository: the git directory generator's input."""
        commit = await self.git.resolve(repo_url, revision)
        root = await self._checkout(repo_url, commit, settings_allow_oob=False)
        return commit, await asyncio.to_thread(list_directories, root)

    async def read_files(
        self, repo_url: str, revision: str, pattern: str
    ) -> tuple[str, dict[str, bytes]]:
        """``(commit, {path: content})`` of files matching ``pattern``: the git file generator's
        input."""
        commit = await self.git.resolve(repo_url, revision)
        root = await self._checkout(repo_url, commit, settings_allow_oob=False)
        return commit, await asyncio.to_thread(read_files, root, pattern)

    async def _reuse_if_untouched(
        self,
        request: ManifestRequest,
        commit: str,
        identity: str,
        ref_commits: dict[str, str],
        key: str,
    ) -> ManifestResponse | None:
        """The previous commit's manifests when the new commit changes none of the app's
        ``manifest-generate-paths`` (Argo CD's monorepo optimisation), else None."""
        previous = request.previous_revision or self._last_commit.get(identity, "")
        if not previous or previous == commit:
            return None
        old = await self.cache.get(
            manifest_cache_key(request, previous, ref_commits, self._renderers)
        )
        if old is None:
            return None
        changed = await self.git.changed_files(request.source.repo_url, previous, commit)
        if paths_changed(request.manifest_generate_paths, request.source.path, changed):
            return None
        reused = dataclasses.replace(old, revision=commit)
        await self.cache.put(key, reused)
        return reused

    async def _checkout(self, url: str, commit: str, settings_allow_oob: bool) -> Path:
        root = await self.git.checkout(url, commit)
        if not settings_allow_oob and root not in self._symlink_checked:
            refuse_escaping_symlinks(root, root)
            self._symlink_checked.add(root)
        return root

    async def _render(
        self, request: ManifestRequest, commit: str, ref_commits: dict[str, str]
    ) -> ManifestResponse:
        source = request.source
        allow_oob = request.settings.allow_out_of_bounds_symlinks
        ref_roots = {
            name: await self._checkout(request.ref_sources[name].repo_url, sha, allow_oob)
            for name, sha in ref_commits.items()
        }
        root = await self._plain_root(request, commit) or await self._source_root(
            source, commit, allow_oob
        )
        app_dir = self._app_dir(root, "." if source.chart else source.path or ".")
        if app_dir is None:
            raise SourceError(
                f"application path {source.path!r} does not exist in "
                f"{redact_url(source.repo_url)} at {commit[:8]}"
            )
        plugin = await self._plugin_for(request, app_dir, commit)
        kind = SourceType.PLUGIN if plugin else self._detect(source, app_dir, request.settings)
        # Created by the renderer that needs it (most need none): two costly steps fewer
        # per render on the hot path.
        scratch = self.work_dir / "render" / f"{self._scratch_prefix}-{next(self._scratch_ids)}"
        try:
            ctx = RenderContext(
                root=root,
                app_dir=app_dir,
                request=request,
                revision=commit,
                work_dir=scratch,
                tool_env=self._tool_env,
                ref_roots=ref_roots,
                helm_binary=self.helm_binary,
            )
            if plugin is not None:
                rendered = await self._run_plugin(ctx, plugin)
            else:
                rendered = await self._run_renderer(kind, ctx)
        finally:
            # A Helm chart with all its dependencies vendored renders without scratch
            # space: no stat on that, the commonest, path.
            untouched = kind is SourceType.HELM and app_dir in self._complete_charts
            if not untouched and scratch.exists():
                shutil.rmtree(scratch, ignore_errors=True)
        self.render_count += 1
        log.info(
            "rendered app=%s repo=%s commit=%s type=%s objects=%d",
            request.app_name, redact_url(source.repo_url), commit[:8], kind, len(rendered.objects),
        )  # fmt: skip
        return ManifestResponse(
            manifests=rendered.objects,
            revision=commit,
            source_type=kind.value,
            namespace=request.namespace,
            commands=rendered.commands,
        )

    def _app_dir(self, root: Path, path: str) -> Path | None:
        """``path`` resolved inside the immutable ``root``, or None when it is no directory."""
        key = (root, path)
        if key not in self._app_dirs:
            if len(self._app_dirs) >= _APP_DIR_MEMO:
                self._app_dirs.clear()
            resolved = resolve_inside(root, root, path, what="application path")
            self._app_dirs[key] = resolved if resolved.is_dir() else None
        return self._app_dirs[key]

    def _detect(
        self, source: ApplicationSource, app_dir: Path, settings: RenderSettings
    ) -> SourceType:
        """``detect_source_type``, remembered per app directory of an immutable root."""
        key = (
            app_dir, bool(source.chart), source.helm is not None, source.kustomize is not None,
            source.directory is not None, source.plugin is not None,
            settings.helm_enabled, settings.kustomize_enabled,
        )  # fmt: skip
        kind = self._detected.get(key)
        if kind is None:
            kind = detect_source_type(source, app_dir, settings)
            if len(self._detected) >= _APP_DIR_MEMO:
                self._detected.clear()
            self._detected[key] = kind
        return kind

    async def _plain_root(self, request: ManifestRequest, commit: str) -> Path | None:
        """Only the app's directory, when it can be rendered from that alone (plain
        manifests, no plugin could claim it): a monorepo commit then costs one directory's
        files, not the repository's."""
        source = request.source
        if (
            source.chart or source.helm or source.kustomize or source.plugin
            or request.ref_sources or source.repo_url.startswith("oci://")
            or any(p.discoverable for p in self.plugins)
        ):  # fmt: skip
            return None
        return await self.git.checkout_plain_subtree(source.repo_url, commit, source.path)

    async def _source_root(self, source: ApplicationSource, revision: str, allow_oob: bool) -> Path:
        """The directory holding the source at ``revision``: a chart, an OCI artifact or a
        git checkout."""
        if source.chart:
            return await self._chart(source, revision)
        if source.repo_url.startswith("oci://"):
            ref = parse_oci_ref(source.repo_url)
            root = await self.oci.unpack(source.repo_url, ref, revision)
            refuse_escaping_symlinks(root, root)
            return root
        return await self._checkout(source.repo_url, revision, allow_oob)

    async def _plugin_for(
        self, request: ManifestRequest, app_dir: Path, commit: str
    ) -> ConfigManagementPlugin | None:
        """The plugin that renders this source: named, discovered, or None (not a plugin app).

        As in Argo CD, discovery runs before Helm/Kustomize detection when no type is set.
        """
        source = request.source
        explicit = source.plugin is not None
        if not explicit and (source.chart or source.helm or source.kustomize or source.directory):
            return None
        if explicit and source.plugin and source.plugin.get("name"):
            return find_plugin(self.plugins, str(source.plugin["name"]))
        if not explicit and not any(p.discoverable for p in self.plugins):
            return None
        env = {
            **self._tool_env,
            **build_environment(request, commit),
        }
        found = await discover_plugin(
            [p for p in self.plugins if p.discoverable],
            app_dir,
            env,
            request.settings.exec_timeout_seconds,
        )
        if found is None and explicit:
            raise SourceError("no config management plugin's discover rule matches this source")
        return found

    async def _chart(self, source: ApplicationSource, version: str) -> Path:
        if self._is_oci(source):
            ref = parse_oci_ref(source.repo_url, source.chart)
            digest, _ = await self.oci.manifest(source.repo_url, ref, version)
            unpacked = await self.oci.unpack(source.repo_url, ref, digest)
            chart_dir = unpacked / source.chart
            if not (chart_dir / "Chart.yaml").is_file():
                raise SourceError(f"{ref}:{version} is not a Helm chart named {source.chart!r}")
            refuse_escaping_symlinks(chart_dir, chart_dir)
            return chart_dir
        entry = await self.helm_repos.resolve(source.repo_url, source.chart, version)
        chart_dir = await self.helm_repos.chart_dir(
            source.repo_url,
            source.chart,
            entry,
            pass_credentials=bool(source.helm and source.helm.pass_credentials),
        )
        refuse_escaping_symlinks(chart_dir, chart_dir)
        return chart_dir

    async def _run_plugin(self, ctx: RenderContext, plugin: ConfigManagementPlugin) -> Rendered:
        """Run ``plugin``; renders of one app path wait for each other unless the app
        directory has ``.argocd-allow-concurrency`` (Argo CD's rule for plugins that share
        their working files)."""
        if (ctx.app_dir / ALLOW_CONCURRENCY_FILE).exists():
            return await self._run_plugin_now(ctx, plugin)
        source = ctx.request.source
        key = (normalize_repo_url(source.repo_url), source.chart, source.path)
        async with self._path_locks.hold(key):
            return await self._run_plugin_now(ctx, plugin)

    async def _run_plugin_now(self, ctx: RenderContext, plugin: ConfigManagementPlugin) -> Rendered:
        url = ctx.request.source.repo_url
        if not plugin.provide_git_creds or ctx.request.source.chart or url.startswith("oci://"):
            return await render_plugin(ctx, plugin)
        # provideGitCreds: the plugin may run git against the app's repository itself.
        async with self.git.credential_environment(url, dict(ctx.tool_env)) as (env, secrets):
            return await render_plugin(ctx, plugin, git_env=env, secrets=secrets)

    async def plugin_parameters(self, request: ManifestRequest) -> list[dict[str, Any]]:
        """The parameters the source's plugin announces (static, then dynamic) for the UI/API;
        an empty list when the source is not rendered by a plugin."""
        source = request.source
        commit = await self.resolve_revision(source, refresh=request.no_cache)
        root = await self._source_root(
            source, commit, request.settings.allow_out_of_bounds_symlinks
        )
        app_dir = self._app_dir(root, "." if source.chart else source.path or ".")
        if app_dir is None:
            raise SourceError(f"application path {source.path!r} does not exist at {commit[:8]}")
        plugin = await self._plugin_for(request, app_dir, commit)
        if plugin is None:
            return []
        scratch = self.work_dir / "render" / uuid.uuid4().hex
        ctx = RenderContext(root=root, app_dir=app_dir, request=request, revision=commit,
                            work_dir=scratch, tool_env=self._tool_env)  # fmt: skip
        try:
            async with self._limit:
                return await announce_parameters(ctx, plugin)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    async def _fetch_chart(self, name: str, repo: str, version: str) -> Path | None:
        """A chart kustomize's ``helmCharts`` names, through our chart caches and credentials."""
        return await fetch_remote_chart(name, repo, version, self.helm_repos, self.oci)

    async def _run_renderer(self, kind: SourceType, ctx: RenderContext) -> Rendered:
        if kind is SourceType.HELM:
            chart_dir = ctx.app_dir
            if chart_dir not in self._complete_charts:
                chart_dir = await vendor_dependencies(
                    root=ctx.root,
                    chart_dir=ctx.app_dir,
                    work_dir=ctx.work_dir,
                    helm_repos=self.helm_repos,
                    oci=self.oci,
                )
                if chart_dir == ctx.app_dir:
                    if len(self._complete_charts) >= _APP_DIR_MEMO:
                        self._complete_charts.clear()
                    self._complete_charts.add(chart_dir)
            crds = self._crds.get(chart_dir)
            if crds is None:
                crds = await asyncio.to_thread(may_have_crds, chart_dir)
                if chart_dir == ctx.app_dir:  # a vendored copy is new every render
                    if len(self._crds) >= _APP_DIR_MEMO:
                        self._crds.clear()
                    self._crds[chart_dir] = crds
            return await render_helm(ctx, self.helm_engine, chart_dir, crds=crds)
        if kind is SourceType.KUSTOMIZE:
            return await render_kustomize(ctx, fetch_chart=self._fetch_chart)
        if kind is SourceType.DIRECTORY:
            return await render_directory(ctx)
        raise SourceError(f"no renderer for source type {kind}")
