"""Persistent volume binding: every claim gets a dynamically provisioned volume at once.

A default StorageClass ``standard`` is registered; a pending PVC gets a PersistentVolume
``pvc-<uid>`` of its requested size and both become ``Bound``. Deleting the claim deletes
its volume (reclaim policy Delete). A PVC annotated ``local.kaiun.io/simulate: Pending``
stays Pending, for testing claims that never bind.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from kaiun.localcluster.errors import Invalid
from kaiun.localcluster.watchlog import WatchEvent
from kaiun.localcluster.workloads.api import (
    CONTROLLER_MANAGER,
    PV,
    PVC,
    SIMULATE,
    STORAGECLASS,
    Api,
    Key,
    Obj,
    alive,
    skey,
)
from kaiun.localcluster.workloads.events import Recorder
from kaiun.localcluster.workloads.reconciler import Reconciler

STORAGE_CLASS = "standard"
PROVISIONER = "local.kaiun.io/hostpath"


def _storage_class() -> Obj:
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": STORAGE_CLASS,
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
        },
        "provisioner": PROVISIONER,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "Immediate",
    }


class VolumeBinder(Reconciler):
    """Provisions and binds volumes for claims; removes volumes of deleted claims."""

    primary = skey(PVC)

    def __init__(self, api: Api) -> None:
        super().__init__(api)
        self.events = Recorder(api, "persistentvolume-controller")

    def resync(self) -> None:
        if self.api.get(STORAGECLASS, "", STORAGE_CLASS) is None:
            self.api.create(STORAGECLASS, _storage_class(), CONTROLLER_MANAGER)
        claims = {(p["metadata"].get("uid")) for p in self.api.list(PVC)}
        for pv in self.api.list(PV):
            ref = (pv.get("spec") or {}).get("claimRef") or {}
            if _provisioned(pv) and ref.get("uid") not in claims:
                self.api.delete(PV, "", pv["metadata"]["name"])
        super().resync()

    def keys_for(self, ev: WatchEvent) -> Iterable[Key]:
        if ev.skey == self.primary and ev.type == "DELETED":
            self._release(ev)
            return []
        return super().keys_for(ev)

    def _release(self, ev: WatchEvent) -> None:
        uid = orjson.loads(ev.raw)["metadata"].get("uid", "")
        pv = self.api.get(PV, "", f"pvc-{uid}")
        if pv is not None and _provisioned(pv):
            self.api.delete(PV, "", pv["metadata"]["name"])

    def reconcile(self, ns: str, name: str) -> float | None:
        pvc = self.api.get(PVC, ns, name)
        if pvc is None or not alive(pvc):
            return None
        ann = pvc["metadata"].get("annotations") or {}
        if (pvc.get("status") or {}).get("phase") == "Bound":
            return None
        if ann.get(SIMULATE) == "Pending":
            self._pending(pvc)
            return None
        spec = pvc.get("spec") or {}
        pv_name = spec.get("volumeName") or f"pvc-{pvc['metadata']['uid']}"
        pv = self.api.get(PV, "", pv_name) or self._provision(pvc, pv_name)
        if pv is None:
            return 1.0
        pvc["metadata"].setdefault("annotations", {}).update(
            {
                "pv.kubernetes.io/bind-completed": "yes",
                "pv.kubernetes.io/bound-by-controller": "yes",
                "volume.kubernetes.io/storage-provisioner": PROVISIONER,
            }
        )
        pvc.setdefault("spec", {})["volumeName"] = pv_name
        # The DefaultStorageClass admission plugin would have filled this in at creation.
        pvc["spec"].setdefault("storageClassName", _class_of(pvc))
        try:
            pvc = self.api.update(PVC, pvc, CONTROLLER_MANAGER)
        except Invalid:
            # A stricter API may refuse the spec write; the phase is what matters to users.
            pvc = self.api.get(PVC, ns, name) or pvc
        pv_spec = pv.get("spec") or {}
        status = {
            "phase": "Bound",
            "accessModes": pv_spec.get("accessModes") or ["ReadWriteOnce"],
            "capacity": pv_spec.get("capacity") or {},
        }
        self.api.update_status(PVC, pvc, status, CONTROLLER_MANAGER)
        return None

    def _pending(self, pvc: Obj) -> None:
        if (pvc.get("status") or {}).get("phase") != "Pending":
            self.api.update_status(PVC, pvc, {"phase": "Pending"}, CONTROLLER_MANAGER)
        self.events.emit(
            pvc,
            "Warning",
            "ProvisioningFailed",
            f'storageclass.storage.k8s.io "{_class_of(pvc)}" provisioning failed (simulated)',
        )

    def _provision(self, pvc: Obj, pv_name: str) -> Obj | None:
        spec = pvc.get("spec") or {}
        meta = pvc["metadata"]
        size = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
        pv: Obj = {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {
                "name": pv_name,
                "annotations": {"pv.kubernetes.io/provisioned-by": PROVISIONER},
            },
            "spec": {
                "capacity": {"storage": size},
                "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
                "persistentVolumeReclaimPolicy": "Delete",
                "storageClassName": _class_of(pvc),
                "volumeMode": spec.get("volumeMode", "Filesystem"),
                "hostPath": {"path": f"/var/lib/kaiun/volumes/{pv_name}", "type": ""},
                "claimRef": {
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "namespace": meta.get("namespace", ""),
                    "name": meta["name"],
                    "uid": meta["uid"],
                    "resourceVersion": meta.get("resourceVersion", ""),
                },
            },
        }
        created = self.api.create(PV, pv, CONTROLLER_MANAGER)
        if created is None:
            return None
        self.api.update_status(PV, created, {"phase": "Bound"}, CONTROLLER_MANAGER)
        self.events.emit(
            pvc,
            "Normal",
            "ProvisioningSucceeded",
            f"Successfully provisioned volume {pv_name} using {PROVISIONER}",
        )
        return created


def _class_of(pvc: Obj) -> str:
    return str((pvc.get("spec") or {}).get("storageClassName") or STORAGE_CLASS)


def _provisioned(pv: Obj) -> bool:
    ann = pv.get("metadata", {}).get("annotations") or {}
    return ann.get("pv.kubernetes.io/provisioned-by") == PROVISIONER
