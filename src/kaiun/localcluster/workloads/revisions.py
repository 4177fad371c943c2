"""ControllerRevisions: the template history StatefulSets and DaemonSets keep.

A revision is named ``<owner>-<hash>`` and stores the pod template; pods carry the name in
their ``controller-revision-hash`` label, which is how the controllers tell updated pods
from old ones and how ``kubectl rollout history`` lists them.
"""

from __future__ import annotations

import copy

from kaiun.localcluster.workloads.api import (
    CONTROLLER_MANAGER,
    REVISION,
    Api,
    Obj,
    owner_ref,
    template_hash,
)

HASH_LABEL = "controller-revision-hash"


def revision_name(owner: Obj) -> str:
    template = (owner.get("spec") or {}).get("template") or {}
    return f"{owner['metadata']['name']}-{template_hash(template)}"


def ensure(api: Api, owner: Obj) -> str:
    """The current template's revision (created if new); returns its name."""
    meta = owner["metadata"]
    ns, name = meta.get("namespace", ""), revision_name(owner)
    existing = api.owned(REVISION, ns, meta["uid"])
    top = max((int(r.get("revision", 0)) for r in existing), default=0)
    for rev in existing:
        if rev["metadata"]["name"] == name:
            return name
    selector = ((owner.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    body: Obj = {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": {**selector, "controller.kubernetes.io/hash": name.rsplit("-", 1)[1]},
            "ownerReferences": [owner_ref(owner)],
        },
        "data": {
            "spec": {
                "template": {
                    **copy.deepcopy((owner.get("spec") or {}).get("template") or {}),
                    "$patch": "replace",
                }
            }
        },
        "revision": top + 1,
    }
    api.create(REVISION, body, CONTROLLER_MANAGER)
    _prune(api, owner, existing)
    return name


def _prune(api: Api, owner: Obj, existing: list[Obj]) -> None:
    limit = int((owner.get("spec") or {}).get("revisionHistoryLimit", 10))
    ordered = sorted(existing, key=lambda r: int(r.get("revision", 0)))
    # ``existing`` excludes the revision just created, which always stays.
    for rev in ordered[: max(len(ordered) - limit, 0)]:
        api.delete(REVISION, rev["metadata"].get("namespace", ""), rev["metadata"]["name"])
