"""``v1`` Events like the real components record them, aggregated by repetition.

The same (object, reason, message) from the same component bumps ``count`` and
``lastTimestamp`` of the existing Event instead of creating another, as client-go's event
correlator does, so a crash loop yields one ``BackOff`` event with a growing count.
"""

from __future__ import annotations

import time

from kaiun.localcluster.workloads.api import EVENT, NODE_NAME, Api, Obj, rfc3339

MAX_REMEMBERED = 10_000


class Recorder:
    """Emits Events about objects on behalf of one component."""

    def __init__(self, api: Api, component: str, *, host: str = "") -> None:
        self.api = api
        self.component = component
        self.host = host
        self._seen: dict[tuple[str, str, str, str], str] = {}

    def emit(self, obj: Obj, etype: str, reason: str, message: str, field_path: str = "") -> None:
        """Record one occurrence of ``reason`` about ``obj`` (Normal or Warning)."""
        meta = obj.get("metadata", {})
        ns = meta.get("namespace") or "default"
        key = (ns, meta.get("uid", ""), reason, message)
        now = rfc3339()
        name = self._seen.get(key)
        if name is not None:
            existing = self.api.get(EVENT, ns, name)
            if existing is not None:
                existing["count"] = int(existing.get("count", 1)) + 1
                existing["lastTimestamp"] = now
                self.api.update(EVENT, existing, self.component)
                return
        involved: Obj = {
            "apiVersion": obj.get("apiVersion", ""),
            "kind": obj.get("kind", ""),
            "name": meta.get("name", ""),
            "uid": meta.get("uid", ""),
            "resourceVersion": meta.get("resourceVersion", ""),
        }
        if meta.get("namespace"):
            involved["namespace"] = meta["namespace"]
        if field_path:
            involved["fieldPath"] = field_path
        source: Obj = {"component": self.component}
        if self.host:
            source["host"] = self.host
        event: Obj = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{meta.get('name', '')}.{time.time_ns():x}", "namespace": ns},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "type": etype,
            "eventTime": None,
            "reportingComponent": self.component,
            "reportingInstance": self.host or NODE_NAME,
        }
        created = self.api.create(EVENT, event, self.component)
        if created is not None:
            if len(self._seen) >= MAX_REMEMBERED:
                # Forgetting only costs a fresh Event instead of a bumped count.
                self._seen.clear()
            self._seen[key] = created["metadata"]["name"]
