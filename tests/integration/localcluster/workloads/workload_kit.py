"""Helpers for the simulated-workload tests: kubectl bound to a namespace, polling, manifests."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson

from tests.support import Kubectl

T = TypeVar("T")


@dataclass
class Kns:
    """Real kubectl in one namespace, with helpers to read JSON and wait for state."""

    kubectl: Kubectl
    ns: str

    def __call__(self, *args: str, input: str | None = None) -> str:
        return str(self.kubectl("-n", self.ns, *args, input=input))

    def run(self, *args: str, timeout: float = 60) -> Any:
        return self.kubectl.run("-n", self.ns, *args, check=False, timeout=timeout)

    def apply(self, manifest: str) -> str:
        return self("apply", "-f", "-", input=manifest)

    def get(self, *args: str) -> Any:
        return orjson.loads(self("get", *args, "-o", "json"))

    def items(self, *args: str) -> list[Any]:
        return list(self.get(*args)["items"])

    def until(
        self, fetch: Callable[[], T], ok: Callable[[T], Any], *, timeout: float = 30, what: str = ""
    ) -> T:
        """Poll ``fetch()`` until ``ok`` holds for its result; return that result."""

        def check() -> T | None:
            value = fetch()
            return value if ok(value) else None

        return self.wait(check, timeout=timeout, what=what)

    def wait_count(self, n: int, *args: str, timeout: float = 30) -> list[Any]:
        """Poll ``kubectl get ARGS`` until it lists exactly ``n`` items; return them."""

        # Wrapped in a tuple so that an expected empty list still counts as success.
        def check() -> tuple[list[Any]] | None:
            items = self.items(*args)
            return (items,) if len(items) == n else None

        return self.wait(check, timeout=timeout, what=f"{n} of {' '.join(args)}")[0]

    def wait(self, check: Callable[[], T], *, timeout: float = 30, what: str = "") -> T:
        """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            last = check()
            if last:
                return last
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")


def cond(obj: Any, ctype: str) -> dict[str, Any]:
    """The condition of ``ctype`` in an object's status (empty when absent)."""
    for c in (obj.get("status") or {}).get("conditions") or ():
        if c.get("type") == ctype:
            return dict(c)
    return {}


def deployment(name: str, *, image: str = "nginx:1.25", replicas: int = 2, extra: str = "") -> str:
    """A Deployment manifest with the fields the controllers read set explicitly."""
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: {replicas}
  revisionHistoryLimit: 10
  progressDeadlineSeconds: 600
  strategy: {{type: RollingUpdate, rollingUpdate: {{maxSurge: 1, maxUnavailable: 0}}}}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      restartPolicy: Always
      containers: [{{name: app, image: "{image}", ports: [{{name: http, containerPort: 80}}]}}]
{extra}"""
