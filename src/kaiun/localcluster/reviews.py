"""Access and identity reviews: create-only, never stored, answered from the one identity.

The local cluster has a single administrator (its bearer token), so every access review is
allowed and every rules review lists everything, which is what an admin sees on a real
cluster. Clients such as ``kubectl auth can-i`` and RBAC-respecting controllers rely on them.
"""

from __future__ import annotations

from typing import Any

from kaiun.localcluster.errors import BadRequest
from kaiun.localcluster.resources import ResourceType

ADMIN = {"username": "kaiun-admin", "groups": ["system:masters", "system:authenticated"]}


def answer(rt: ResourceType, obj: Any) -> dict[str, Any]:
    """The review ``obj`` with its ``status`` filled in."""
    if not isinstance(obj, dict) or obj.get("kind") != rt.kind:
        raise BadRequest(f"expected a {rt.kind}")
    out = dict(obj)
    out.setdefault("metadata", {})
    if rt.kind in ("SelfSubjectAccessReview", "SubjectAccessReview"):
        out["status"] = {"allowed": True, "reason": "kaiun local cluster: single admin"}
    elif rt.kind == "SelfSubjectRulesReview":
        out["status"] = {
            "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
            "incomplete": False,
        }
    elif rt.kind == "SelfSubjectReview":
        out["status"] = {"userInfo": ADMIN}
    else:  # TokenReview
        out["status"] = {"authenticated": True, "user": ADMIN}
    return out
