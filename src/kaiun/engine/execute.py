"""Executing the sync room's actions through the kube client.

Each task of an action runs concurrently (bounded); the result is one ``sync.Outcome`` per
task with a message a user can act on. Apply flavours follow Argo CD: server-side apply with
``--force-conflicts`` semantics, ``Replace`` (update for CRDs and Namespaces, delete and
recreate with ``Force``), else a client-side three-way apply.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

import orjson

from kaiun import sync
from kaiun.kube import KubeClient, threeway
from kaiun.kube import errors as kube_errors
from kaiun.kube.client import with_last_applied
from kaiun.model.tracking import LAST_APPLIED_ANNOTATION
from kaiun.sync import hooks as sync_hooks
from kaiun.sync import options as opt

Obj = dict[str, Any]
CSA_MANAGER = "kubectl-client-side-apply"
CSA_MIGRATION_ANNOTATION = "argocd.argoproj.io/client-side-apply-migration-manager"
_CONCURRENCY = 8


@dataclass(frozen=True)
class Executor:
    """Runs actions against one cluster as one field manager."""

    client: KubeClient
    field_manager: str
    created_namespaces: Collection[str] = ()

    async def run(self, action: sync.Action, *, dry_run: bool) -> list[sync.Outcome]:
        """Execute every task of ``action``; never raises for a task's API error."""
        verb = action.verb
        handler: Callable[[sync.SyncTask], Awaitable[str]]
        if verb is sync.Verb.DRY_RUN:
            handler = self._dry_run
        elif verb is sync.Verb.APPLY:
            handler = self._dry_apply if dry_run else self._apply
        elif verb is sync.Verb.PRUNE:
            handler = self._prune
        elif verb is sync.Verb.DELETE:
            handler = self._delete
        else:
            handler = self._remove_finalizer
        limit = asyncio.Semaphore(_CONCURRENCY)

        async def one(task: sync.SyncTask) -> sync.Outcome:
            async with limit:
                try:
                    return sync.Outcome(task, True, await handler(task))
                except kube_errors.KubeError as exc:
                    return sync.Outcome(task, False, _message(exc))

        return list(await asyncio.gather(*(one(t) for t in action.tasks)))

    # -- apply ------------------------------------------------------------------------------

    async def _dry_run(self, task: sync.SyncTask) -> str:
        try:
            if _recreated(task):
                return await self._dry_run_create(task)
            return await self._write(task, dry_run=True)
        except kube_errors.NotFound as exc:
            # The namespace is created by this very sync (an earlier wave, or CreateNamespace).
            details = exc.details
            if (
                details.get("kind") == "namespaces"
                and details.get("name") in self.created_namespaces
            ):
                return "skipped dry run: namespace is created by this sync"
            raise

    async def _dry_run_create(self, task: sync.SyncTask) -> str:
        """Validate an object that will be deleted and created anew (an old hook, a forced
        replace): a dry-run update could trip over immutable fields the new object may change.
        """
        assert task.target is not None
        # AlreadyExists comes after validation: only the old object's name is taken.
        with contextlib.suppress(kube_errors.AlreadyExists):
            await self.client.create(task.target, dry_run=True, field_manager=self.field_manager)
        return f"{_label(task)} created"

    async def _dry_apply(self, task: sync.SyncTask) -> str:
        message = await self._dry_run(task)
        return f"{message} (dry run)"

    async def _apply(self, task: sync.SyncTask) -> str:
        return await self._write(task, dry_run=False)

    async def _write(self, task: sync.SyncTask, *, dry_run: bool) -> str:
        target = task.target
        assert target is not None
        options = task.options
        live = task.live
        label = _label(task)
        if options.true(opt.REPLACE):
            return await self._replace(task, target, live, dry_run=dry_run)
        if options.server_side_apply:
            if live is not None and not dry_run and options.client_side_apply_migration:
                await self._migrate_csa(live)
            info = await self.client.info(str(target.get("apiVersion", "")), task.key.kind)
            await self.client.request(
                "PATCH",
                info.path(task.key.namespace or None, task.key.name),
                params={**self._params(task, dry_run), "force": "true"},
                body=target,
                content_type="application/apply-patch+yaml",
            )
            return f"{label} serverside-applied"
        return await self._apply_client_side(task, target, live, dry_run=dry_run)

    def _params(self, task: sync.SyncTask, dry_run: bool) -> dict[str, str]:
        """Write parameters as kubectl sends them: strict field validation unless
        ``Validate=false`` (then unknown fields are dropped silently)."""
        params = {
            "fieldManager": self.field_manager,
            "fieldValidation": "Ignore" if task.options.is_(opt.VALIDATE, "false") else "Strict",
        }
        if dry_run:
            params["dryRun"] = "All"
        return params

    async def _apply_client_side(
        self, task: sync.SyncTask, target: Obj, live: Obj | None, *, dry_run: bool
    ) -> str:
        """kubectl's client-side apply from the live object this step already read: one
        request per object (a POST, or a three-way PATCH), none when nothing changes."""
        label = _label(task)
        modified = with_last_applied(target)
        info = await self.client.info(str(target.get("apiVersion", "")), task.key.kind)
        namespace = task.key.namespace or None
        params = self._params(task, dry_run)
        if live is None:
            await self.client.request("POST", info.path(namespace), params=params, body=modified)
            return f"{label} created"
        annotations = (live.get("metadata") or {}).get("annotations") or {}
        raw = annotations.get(LAST_APPLIED_ANNOTATION)
        original = orjson.loads(raw) if raw else {}
        strategic = threeway.is_builtin(info.api_version)
        patch = threeway.three_way_patch(original, modified, live, strategic=strategic)
        if not patch:
            return f"{label} unchanged"
        await self.client.request(
            "PATCH",
            info.path(namespace, task.key.name),
            params=params,
            body=patch,
            content_type=(
                "application/strategic-merge-patch+json"
                if strategic
                else "application/merge-patch+json"
            ),
        )
        return f"{label} configured"

    async def _replace(
        self, task: sync.SyncTask, target: Obj, live: Obj | None, *, dry_run: bool
    ) -> str:
        label = _label(task)
        if live is None:
            await self.client.create(target, dry_run=dry_run, field_manager=self.field_manager)
            return f"{label} created"
        key = task.key
        if task.options.true(opt.FORCE) and key.kind not in (
            "Namespace",
            "CustomResourceDefinition",
        ):
            if dry_run:
                return f"{label} replaced"
            await self._delete_and_wait(task)
            await self.client.create(target, field_manager=self.field_manager)
            return f"{label} replaced"
        update = copy.deepcopy(target)
        version = (live.get("metadata") or {}).get("resourceVersion")
        if version:
            update.setdefault("metadata", {})["resourceVersion"] = version
        await self.client.replace(update, dry_run=dry_run, field_manager=self.field_manager)
        updated = key.kind in ("Namespace", "CustomResourceDefinition")
        return f"{label} {'updated' if updated else 'replaced'}"

    async def _delete_and_wait(self, task: sync.SyncTask) -> None:
        key = task.key
        api_version = str(task.obj.get("apiVersion", ""))
        try:
            await self.client.delete(
                api_version,
                key.kind,
                key.name,
                namespace=key.namespace or None,
                propagation="Background",
            )
        except kube_errors.NotFound:
            return
        for _ in range(600):
            try:
                await self.client.get(api_version, key.kind, key.name, key.namespace or None)
            except kube_errors.NotFound:
                return
            await asyncio.sleep(0.05)
        raise kube_errors.KubeError(f"{_label(task)} was not deleted in time to be recreated")

    async def _migrate_csa(self, live: Obj) -> None:
        """Hand fields owned by the client-side-apply manager to our SSA manager."""
        meta = live.get("metadata") or {}
        manager = (meta.get("annotations") or {}).get(CSA_MIGRATION_ANNOTATION) or CSA_MANAGER
        entries = meta.get("managedFields") or []
        if not any(e.get("manager") == manager and e.get("operation") == "Update" for e in entries):
            return
        migrated = []
        for entry in entries:
            if entry.get("manager") == manager and entry.get("operation") == "Update":
                entry = {**entry, "manager": self.field_manager, "operation": "Apply"}
            migrated.append(entry)
        await self.client.patch(
            str(live.get("apiVersion", "")),
            str(live.get("kind", "")),
            str(meta.get("name", "")),
            [
                {
                    "op": "test",
                    "path": "/metadata/resourceVersion",
                    "value": meta.get("resourceVersion"),
                },
                {"op": "replace", "path": "/metadata/managedFields", "value": migrated},
            ],
            namespace=meta.get("namespace") or None,
            patch_type="json",
        )

    # -- deletes ----------------------------------------------------------------------------

    async def _prune(self, task: sync.SyncTask) -> str:
        await self._delete_with(task, task.options.propagation_policy)
        return "pruned"

    async def _delete(self, task: sync.SyncTask) -> str:
        await self._delete_with(task, task.options.propagation_policy)
        return "deleted"

    async def _delete_with(self, task: sync.SyncTask, propagation: str) -> None:
        key = task.key
        with contextlib.suppress(kube_errors.NotFound):
            await self.client.delete(
                str(task.obj.get("apiVersion", "")),
                key.kind,
                key.name,
                namespace=key.namespace or None,
                propagation=propagation,  # type: ignore[arg-type]
            )

    async def _remove_finalizer(self, task: sync.SyncTask) -> str:
        key = task.key
        api_version = str(task.obj.get("apiVersion", ""))
        for _ in range(5):
            try:
                live = await self.client.get(api_version, key.kind, key.name, key.namespace or None)
            except kube_errors.NotFound:
                return "already deleted"
            meta = live.get("metadata") or {}
            finalizers = list(meta.get("finalizers") or [])
            if sync_hooks.HOOK_FINALIZER not in finalizers:
                return "no hook finalizer"
            finalizers.remove(sync_hooks.HOOK_FINALIZER)
            try:
                await self.client.patch(
                    api_version,
                    key.kind,
                    key.name,
                    [
                        {
                            "op": "test",
                            "path": "/metadata/resourceVersion",
                            "value": meta.get("resourceVersion"),
                        },
                        {"op": "replace", "path": "/metadata/finalizers", "value": finalizers},
                    ],
                    namespace=key.namespace or None,
                    patch_type="json",
                )
                return "hook finalizer removed"
            except (kube_errors.Conflict, kube_errors.Invalid):
                continue  # changed meanwhile: read again
            except kube_errors.NotFound:
                return "already deleted"
        raise kube_errors.KubeError(f"{_label(task)}: the object kept changing")


def _recreated(task: sync.SyncTask) -> bool:
    if task.live is None or task.target is None:
        return False
    if task.hook:
        return sync.DeletePolicy.BEFORE_HOOK_CREATION in task.delete_policies
    return task.options.true(opt.REPLACE) and task.options.true(opt.FORCE)


def _label(task: sync.SyncTask) -> str:
    key = task.key
    kind = key.kind.lower() + (f".{key.group}" if key.group else "")
    return f"{kind}/{key.name}"


def _message(exc: kube_errors.KubeError) -> str:
    if isinstance(exc, kube_errors.APIError) and exc.api_message:
        return exc.api_message
    return str(exc)
