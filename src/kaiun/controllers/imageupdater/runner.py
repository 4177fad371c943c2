"""The updater loop (IO): find watched Applications, check their images, write back, record.

Every interval (default 2 minutes) :class:`Updater` reads ``argocd-image-updater-config``
(registries.conf, git author and commit template), lists the Applications and
``ImageUpdater`` resources of the control-plane namespace, and for each Application a
resource or its ``image-list`` annotation selects: honours pins (and pins after a user's
rollback, see :mod:`record`), checks every watched image (:mod:`check`), decides
(:mod:`updateplan`), writes back — ``argocd``: one merge patch of the Application's Helm
parameters / Kustomize images; ``git``: :mod:`gitwrite` — and stores the record in the
Application's ``kaiun.io/image-updater-status`` annotation. ``dry_run`` computes everything
and writes nothing.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import datetime as dt
import logging
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from kaiun.controllers.imageupdater import (
    appannotations,
    argocdwriteback,
    charts,
    gitwrite,
    record,
    resourcestatus,
)
from kaiun.controllers.imageupdater import registries as regconf
from kaiun.controllers.imageupdater import resource as iuresource
from kaiun.controllers.imageupdater.check import DEFAULT_INTERVAL, ImageChecker
from kaiun.controllers.imageupdater.credentials import CredentialResolver
from kaiun.controllers.imageupdater.credref import Credentials
from kaiun.controllers.imageupdater.errors import ImageUpdaterError, RegistryError
from kaiun.controllers.imageupdater.metrics import Metrics
from kaiun.controllers.imageupdater.model import AppImages, ImageSpec, Platform, WriteBack
from kaiun.controllers.imageupdater.updateplan import Action, Decision, decide, live_images, running
from kaiun.kube import KubeClient
from kaiun.kube import errors as kerrors
from kaiun.repo import HelmRepos
from kaiun.repo.credentials import SECRET_TYPE_LABEL, CredentialStore, RepoCredential
from kaiun.repo.errors import RepoError

log = logging.getLogger("kaiun.imageupdater")

APP_API = ("argoproj.io/v1alpha1", "Application")
CONFIG_MAP = "argocd-image-updater-config"
PULL_REQUEST = "kaiun.io/image-updater-pull-request"
PULL_REQUEST_API = "kaiun.io/image-updater-pull-request-api"
CONCURRENCY = 10


@dataclass
class AppOutcome:
    """What one cycle did (or, dry-run, would do) to one Application."""

    name: str
    record: dict[str, Any]
    patch: dict[str, Any] = field(default_factory=dict)
    written: bool = False
    resource: str = ""  # the ImageUpdater that selected it ("" for 0.x annotations)
    images: int = 0


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Updater:
    """Argo CD Image Updater's controller loop over one control-plane namespace."""

    def __init__(
        self,
        client: KubeClient,
        namespace: str = "argocd",
        *,
        interval: float = DEFAULT_INTERVAL,
        dry_run: bool = False,
        platforms: tuple[Platform, ...] | None = None,
        registry_transport: httpx.AsyncBaseTransport | None = None,
        forge_transport: httpx.AsyncBaseTransport | None = None,
        metrics: Metrics | None = None,
        now: Callable[[], str] = _now,
    ) -> None:
        self.client, self.namespace, self.interval = client, namespace, interval
        self.dry_run = dry_run
        self.metrics = metrics or Metrics()
        self.forge_transport = forge_transport
        self.now = now
        resolver = CredentialResolver(kube=client, environ=dict(os.environ))
        self.resolver = resolver
        # Passwords and keys the git write-back used: never written into a record.
        self._git_secrets: set[str] = set()
        self.checker = ImageChecker(
            regconf.Registries(), resolver, cache_ttl=interval, platforms=platforms,
            transport=registry_transport,
        )  # fmt: skip
        self.helm = HelmRepos(
            Path(tempfile.gettempdir()) / "kaiun-imageupdater-charts", index_cache_seconds=interval
        )
        self._stop = asyncio.Event()

    async def aclose(self) -> None:
        """Close registry connections."""
        await self.checker.aclose()

    def stop(self) -> None:
        """End :meth:`run` after the current cycle."""
        self._stop.set()

    async def run(self) -> None:
        """Check every interval until :meth:`stop`."""
        while not self._stop.is_set():
            try:
                await self.run_once()
            except (kerrors.KubeError, ImageUpdaterError) as exc:
                log.error("image updater cycle failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)

    async def _kube(self, call: Any) -> Any:
        self.metrics.add("k8s_api_requests_total")
        try:
            return await call
        except kerrors.KubeError:
            self.metrics.add("k8s_api_errors_total")
            raise

    async def _config(self) -> dict[str, str]:
        try:
            cm = await self._kube(self.client.get("v1", "ConfigMap", CONFIG_MAP, self.namespace))
        except kerrors.NotFound:
            return {}
        return {str(k): str(v) for k, v in (cm.get("data") or {}).items()}

    async def _resources(
        self,
    ) -> tuple[list[iuresource.UpdaterResource], list[dict[str, Any]], dict[str, str]]:
        """The parsed ``ImageUpdater`` resources, the raw objects, and name → parse error."""
        try:
            found = await self._kube(
                self.client.list(iuresource.API_VERSION, iuresource.KIND, self.namespace)
            )
        except kerrors.KubeError as exc:
            log.debug("no ImageUpdater resources: %s", exc)
            return [], [], {}
        parsed, invalid = [], {}
        for obj in found.items:
            try:
                parsed.append(iuresource.parse(obj))
            except ImageUpdaterError as exc:
                log.error("ImageUpdater %s: %s", obj["metadata"].get("name"), exc)
                invalid[str(obj["metadata"].get("name"))] = str(exc)
        return parsed, list(found.items), invalid

    async def run_once(self) -> list[AppOutcome]:
        """One check cycle over every watched Application."""
        config = await self._config()
        self.checker.registries = regconf.from_configmap(config)
        resources, raw_resources, invalid = await self._resources()
        apps = (await self._kube(self.client.list(*APP_API, self.namespace))).items
        sem = asyncio.Semaphore(CONCURRENCY)

        async def one(app: dict[str, Any]) -> AppOutcome | None:
            async with sem:
                try:
                    return await self.process(app, resources, config)
                except kerrors.KubeError as exc:
                    # One Application's failed patch must not end the cycle for the others.
                    log.error("application %s: %s", app["metadata"]["name"], exc)
                    return None

        outcomes = [o for o in await asyncio.gather(*(one(a) for a in apps)) if o is not None]
        self.metrics.set("applications_watched_total", len(outcomes))
        for prefix, count in self.checker.requests_by_registry().items():
            self.metrics.set("registry_requests_total", count, registry=prefix)
        if not self.dry_run:
            await self._resource_statuses(raw_resources, invalid, outcomes)
        return outcomes

    async def _resource_statuses(
        self, raw: Sequence[dict[str, Any]], invalid: Mapping[str, str],
        outcomes: Sequence[AppOutcome],
    ) -> None:  # fmt: skip
        """Write each ``ImageUpdater``'s ``status`` (its status subresource) for this cycle."""
        if not raw:
            return  # none, or no ImageUpdater CRD in this cluster
        tallies = {str(o["metadata"]["name"]): resourcestatus.ResourceTally() for o in raw}
        for outcome in outcomes:
            tally = tallies.get(outcome.resource)
            if tally is None:
                continue
            tally.add(outcome.record, outcome.images, written=outcome.written)
        info = await self.client.info(iuresource.API_VERSION, iuresource.KIND)
        now = self.now()
        for obj in raw:
            meta = obj["metadata"]
            name = str(meta["name"])
            status = resourcestatus.build(
                obj.get("status"), int(meta.get("generation") or 0), now, tallies[name],
                invalid=invalid.get(name, ""),
            )  # fmt: skip
            try:
                await self._kube(self.client.request(
                    "PATCH", info.path(meta.get("namespace"), name) + "/status",
                    body={"status": status}, content_type="application/merge-patch+json",
                ))  # fmt: skip
            except kerrors.KubeError as exc:
                log.error("ImageUpdater %s: status not written: %s", name, exc)

    async def process(
        self, app: dict[str, Any], resources: Sequence[iuresource.UpdaterResource],
        config: Mapping[str, str],
    ) -> AppOutcome | None:  # fmt: skip
        """Check and update one Application; None when nothing watches it."""
        try:
            images, source = select_source(app, resources)
        except ImageUpdaterError as exc:
            return await self._finish(app, record.build(self.now(), [], errors=[str(exc)]), {})
        if images is None:
            if charts.VERSION not in (app["metadata"].get("annotations") or {}):
                return None
            images = AppImages(())
        outcome = await self._check(app, images, config)
        outcome.resource, outcome.images = source, len(images.images)
        return outcome

    async def _check(
        self, app: dict[str, Any], images: AppImages, config: Mapping[str, str]
    ) -> AppOutcome:
        name = app["metadata"]["name"]
        self.metrics.set("images_watched_total", len(images.images), application=name)
        pins, notes, pin_patch = self._pins(app, images)
        decisions = await self._decide(app, images, pins)
        updates = [d for d in decisions if d.action is Action.UPDATE]
        patch: dict[str, Any] = {}
        write_back: dict[str, Any] = {}
        errors: list[str] = []
        chart = await self._chart(app, pins, errors)
        if updates:
            try:
                write_back, patch = await self._write_back(app, images.write_back, updates, config)
            except (ImageUpdaterError, kerrors.KubeError, OSError) as exc:
                errors.append(f"write-back failed, nothing changed: {exc}")
                write_back = {"method": images.write_back.method, "error": str(exc)}
        if chart is not None:
            decisions.append(chart[0])
            if chart[1]:
                patch = _merged(patch, chart[1])
                write_back.setdefault("method", images.write_back.method)
                write_back["chart"] = _argocd_chart_where(chart[1])
        failed = sum(d.action is Action.ERROR for d in decisions) + bool(
            write_back.get("error"))  # fmt: skip
        if failed:
            self.metrics.add("images_errors_total", failed, application=name)
        done = len(updates) if not write_back.get("error") else 0
        done += bool(chart and chart[1])
        if done and not self.dry_run:
            self.metrics.add("images_updated_total", done, application=name)
        rec = record.build(self.now(), decisions, pinned=pins, write_back=write_back,
                           errors=errors, notes=notes)  # fmt: skip
        return await self._finish(app, rec, patch, pin_patch)

    def _pins(
        self, app: dict[str, Any], images: AppImages
    ) -> tuple[dict[str, str], list[str], dict[str, str]]:
        annotations = app["metadata"].get("annotations") or {}
        pins = record.pins(annotations)
        rb = record.rollback(app)
        if rb is None or annotations.get(record.ROLLBACK_SEEN) == rb.history_id:
            return pins, [], {}
        added: dict[str, str] = {record.ROLLBACK_SEEN: rb.history_id}
        live = live_images(app)
        for spec in images.images:
            key = record.pin_key(spec)
            if key not in pins:
                current = running(spec, live)
                pins[key] = current.tag if current and current.tag else ""
                added[record.PIN_PREFIX + key] = pins[key]
        if charts.VERSION in annotations and charts.PIN_KEY not in pins:
            try:
                pins[charts.PIN_KEY] = charts.chart_source(app).current
            except ImageUpdaterError:
                pins[charts.PIN_KEY] = ""
            added[record.PIN_PREFIX + charts.PIN_KEY] = pins[charts.PIN_KEY]
        note = (
            f"rolled back by {rb.username} to {rb.revision or 'an earlier sync'}: images pinned "
            f"(kaiun image-updater unpin {app['metadata']['name']} to resume updates)"
        )
        return pins, [note], added

    async def _chart(
        self, app: dict[str, Any], pins: Mapping[str, str], errors: list[str]
    ) -> tuple[Decision, dict[str, Any]] | None:
        annotations = app["metadata"].get("annotations") or {}
        if charts.VERSION not in annotations:
            return None
        try:
            source = charts.chart_source(app)
            spec = charts.chart_spec(annotations, source.chart)
        except ImageUpdaterError as exc:
            errors.append(f"chart: {exc}")
            return None
        assert spec is not None
        if charts.PIN_KEY in pins:
            held = f" at {pins[charts.PIN_KEY]}" if pins[charts.PIN_KEY] else ""
            name = app["metadata"]["name"]
            return Decision(spec, Action.SKIPPED, f"pinned{held}: not updated until `kaiun "
                            f"image-updater unpin {name} chart`"), {}  # fmt: skip
        try:
            secrets = await self._kube(
                self.client.list("v1", "Secret", self.namespace, label_selector=SECRET_TYPE_LABEL)
            )
            store = CredentialStore.from_secrets(secrets.items)
            if source.oci:
                versions = await self._oci_chart_versions(source, store, annotations)
            else:
                self.helm.credentials = store
                index = await self.helm.index(source.repo_url)
                versions = charts.index_versions(index, source.chart)
        except (RepoError, kerrors.KubeError) as exc:
            return Decision(spec, Action.ERROR, f"chart-index: {exc}"), {}
        except RegistryError as exc:
            return Decision(spec, Action.ERROR, f"{exc.step}: {exc}"), {}
        except ImageUpdaterError as exc:
            return Decision(spec, Action.ERROR, f"credentials: {exc}"), {}
        decision = charts.decide_chart(spec, source, versions)
        if decision.change is None:
            return decision, {}
        return decision, charts.chart_patch(app, source, decision.change.tag)

    async def _oci_chart_versions(
        self, source: charts.ChartSource, store: CredentialStore, annotations: Mapping[str, str]
    ) -> list[str]:
        """An OCI chart's versions: its repository's tags through the registry client, with
        the chart's pull-secret annotation, else Argo CD's repository credentials for it."""
        registry, repository = source.oci_repository
        cred = store.lookup(source.repo_url) or store.lookup(f"oci://{registry}/{repository}")
        given = None
        if cred is not None and (cred.username or cred.password):
            self._git_secrets.add(cred.password)
            given = Credentials(cred.username, cred.password)
        tags = await self.checker.list_tags(
            registry, repository, reference=annotations.get(charts.PULL_SECRET, "").strip(),
            credentials=given, plain_http=bool(cred and cred.insecure_oci_force_http),
        )  # fmt: skip
        return charts.oci_versions(tags)

    async def _decide(
        self, app: dict[str, Any], images: AppImages, pins: Mapping[str, str]
    ) -> list[Decision]:
        live = live_images(app)
        app_name = app["metadata"]["name"]

        async def one(spec: ImageSpec) -> Decision:
            key = record.pin_key(spec)
            if key in pins:
                held = f" at {pins[key]}" if pins[key] else ""
                return Decision(
                    spec, Action.SKIPPED,
                    f"pinned{held}: not updated until `kaiun image-updater unpin {app_name} "
                    f"{key}`", running(spec, live),
                )  # fmt: skip
            result = await self.checker.check(spec)
            if not result.ok:
                self.metrics.add("registry_requests_failed_total", registry=result.registry)
            error = f"{result.step}: {result.error}" if result.error else ""
            decision = decide(spec, live, result.choice, error)
            if result.ok:
                decision = dataclasses.replace(
                    decision, tags_found=len(result.tags), candidates=len(result.candidates)
                )
            return decision

        return list(await asyncio.gather(*(one(s) for s in images.images)))

    async def _write_back(
        self, app: dict[str, Any], wb: WriteBack, updates: Sequence[Decision],
        config: Mapping[str, str],
    ) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
        changes = [d.change for d in updates if d.change is not None]
        if wb.method == "argocd":
            patch = argocdwriteback.application_patch(app, changes)
            return {"method": "argocd", "where": _argocd_where(patch)}, patch
        if self.dry_run:
            target = gitwrite.target_source(app, wb)
            where = f"{target.repo_url} at {target.path} ({wb.target_kind or '.argocd-source'})"
            return {"method": "git", "where": where, "dryRun": True}, {}
        previous = _already_pushed(app, updates)
        if previous is not None:
            return previous, {}
        annotations = app["metadata"].get("annotations") or {}
        settings = gitwrite.GitSettings(
            user=config.get("git.user") or gitwrite.DEFAULT_USER,
            email=config.get("git.email") or gitwrite.DEFAULT_EMAIL,
            message_template=config.get("git.commit-message-template", ""),
            pull_request=annotations.get(PULL_REQUEST, "").strip().lower(),
            pull_request_api=annotations.get(PULL_REQUEST_API, "").strip(),
        )
        target = gitwrite.target_source(app, wb)
        cred = await self._git_credential(wb, target.repo_url)
        result = await gitwrite.write(
            app, wb, updates, settings=settings, credential=cred,
            control_namespace=self.namespace, transport=self.forge_transport,
        )  # fmt: skip
        return result, {}

    async def _git_credential(self, wb: WriteBack, repo_url: str) -> RepoCredential | None:
        if wb.git_credentials.startswith("secret:"):
            ns, _, name = wb.git_credentials[len("secret:") :].partition("/")
            try:
                secret = await self._kube(self.client.get("v1", "Secret", name, ns))
            except kerrors.NotFound:
                raise gitwrite.GitWriteError(
                    f"git credentials Secret {ns}/{name} does not exist"
                ) from None
            data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
            self._git_secrets.update(data.get(k, "") for k in ("password", "sshPrivateKey"))
            return RepoCredential(
                url=repo_url, username=data.get("username", ""),
                password=data.get("password", ""), ssh_private_key=data.get("sshPrivateKey", ""),
            )  # fmt: skip
        found = await self._kube(
            self.client.list("v1", "Secret", self.namespace, label_selector=SECRET_TYPE_LABEL)
        )
        cred = CredentialStore.from_secrets(found.items).lookup(repo_url)
        if cred is not None:
            self._git_secrets.update((cred.password, cred.bearer_token, cred.ssh_private_key))
        return cred

    async def _finish(
        self, app: dict[str, Any], rec: dict[str, Any], patch: dict[str, Any],
        extra_annotations: Mapping[str, str] | None = None,
    ) -> AppOutcome:  # fmt: skip
        meta = app["metadata"]
        rec = record.redact(rec, self.resolver.seen | self._git_secrets)
        old = record.decode(app) or {}
        unchanged = {k: v for k, v in old.items() if k != "lastCheckedAt"} == {
            k: v for k, v in rec.items() if k != "lastCheckedAt"
        }
        annotations = dict(extra_annotations or {})
        if not unchanged:
            # An unchanged result is not rewritten each interval: every write would wake the
            # application controller for nothing.
            annotations[record.STATUS_ANNOTATION] = record.encode(rec)
        full = dict(patch)
        if annotations:
            full["metadata"] = {"annotations": annotations}
        outcome = AppOutcome(meta["name"], rec, full)
        if full and not self.dry_run:
            await self._kube(
                self.client.patch(*APP_API, meta["name"], full, namespace=meta.get("namespace"))
            )
            outcome.written = True
        return outcome


def _already_pushed(app: Mapping[str, Any], updates: Sequence[Decision]) -> dict[str, Any] | None:
    """The previous git write-back when it pushed exactly these changes (not yet deployed, or
    waiting in a pull request): pushing them again each interval would only churn the branch."""
    old = record.decode(app) or {}
    wb = old.get("writeBack") or {}
    if wb.get("method") != "git" or not wb.get("commit") or wb.get("error"):
        return None
    new = record.build("", updates).get("changes")
    if old.get("changes") != new:
        return None
    return {**wb, "note": f"already pushed in {wb['commit'][:12]}; not pushed again"}


def select(
    app: Mapping[str, Any], resources: Sequence[iuresource.UpdaterResource]
) -> AppImages | None:
    """The configuration watching ``app``: the first ImageUpdater resource that selects it,
    else its own ``image-list`` annotation (0.x)."""
    return select_source(app, resources)[0]


def select_source(
    app: Mapping[str, Any], resources: Sequence[iuresource.UpdaterResource]
) -> tuple[AppImages | None, str]:
    """:func:`select` and the name of the ImageUpdater that selected ``app`` ("" if none)."""
    for res in resources:
        found = res.for_application(app)
        if found is not None:
            return found, res.name
    return appannotations.parse((app.get("metadata") or {}).get("annotations") or {}), ""


def _merged(first: dict[str, Any], chart: dict[str, Any]) -> dict[str, Any]:
    # The chart patch carries whole sources; replay the image changes onto them.
    if not first:
        return chart
    spec = first["spec"]
    if "source" in spec:
        return {
            "spec": {
                "source": {
                    **spec["source"],
                    "targetRevision": chart["spec"]["source"]["targetRevision"],
                }
            }
        }
    sources = [dict(s) for s in spec["sources"]]
    for i, s in enumerate(chart["spec"]["sources"]):
        sources[i]["targetRevision"] = s.get("targetRevision")
    return {"spec": {"sources": sources}}


def _argocd_chart_where(patch: Mapping[str, Any]) -> str:
    spec = patch["spec"]
    if "source" in spec:
        return f"spec.source.targetRevision ({spec['source']['targetRevision']})"
    return "spec.sources[].targetRevision"


def _argocd_where(patch: Mapping[str, Any]) -> str:
    spec = patch["spec"]
    if "source" in spec:
        at, source = "spec.source", spec["source"]
    else:
        index = next(i for i, s in enumerate(spec["sources"]) if "helm" in s or "kustomize" in s)
        at, source = f"spec.sources[{index}]", spec["sources"][index]
    if "helm" in source:
        names = ", ".join(p["name"] for p in source["helm"].get("parameters") or [])
        return f"{at}.helm.parameters ({names})"
    return f"{at}.kustomize.images ({', '.join(source['kustomize'].get('images') or [])})"
