"""PLACEHOLDER until the lcpatch branch lands."""

from __future__ import annotations

import copy
from typing import Any


class PatchError(ValueError):
    pass


def merge_patch(obj: Any, p: Any) -> Any:
    if not isinstance(p, dict):
        return copy.deepcopy(p)
    out = dict(obj) if isinstance(obj, dict) else {}
    for k, v in p.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def json_patch(obj: Any, ops: Any) -> Any:
    raise PatchError("json patch not yet supported")


def strategic_merge_patch(obj: Any, p: Any, *, group: str, kind: str) -> Any:
    return merge_patch(obj, p)
