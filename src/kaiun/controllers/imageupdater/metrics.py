"""The updater's Prometheus metrics, with Argo CD Image Updater's names (pure).

``render`` writes the text exposition format (version 0.0.4) that ``/metrics`` serves; the
runner counts into a :class:`Metrics` as it works.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

PREFIX = "argocd_image_updater_"
_HELP = {
    "applications_watched_total": ("gauge", "Number of applications watched"),
    "images_watched_total": ("gauge", "Number of images watched"),
    "images_updated_total": ("counter", "Number of images updated"),
    "images_errors_total": ("counter", "Number of errors reported"),
    "k8s_api_requests_total": ("counter", "Kubernetes API requests sent"),
    "k8s_api_errors_total": ("counter", "Kubernetes API requests that failed"),
    "registry_requests_total": ("counter", "Registry requests sent"),
    "registry_requests_failed_total": ("counter", "Registry checks that failed"),
}


@dataclass
class Metrics:
    """Metric values by name and label set."""

    values: dict[str, dict[tuple[tuple[str, str], ...], float]] = field(
        default_factory=lambda: defaultdict(dict)
    )

    def add(self, name: str, amount: float = 1.0, **labels: str) -> None:
        """Add to a counter."""
        key = tuple(sorted(labels.items()))
        self.values[name][key] = self.values[name].get(key, 0.0) + amount

    def set(self, name: str, value: float, **labels: str) -> None:
        """Set a gauge (or a counter kept elsewhere)."""
        self.values[name][tuple(sorted(labels.items()))] = value

    def get(self, name: str, **labels: str) -> float:
        """One value (0 when never counted)."""
        return self.values.get(name, {}).get(tuple(sorted(labels.items())), 0.0)

    def render(self) -> str:
        """The text exposition of every metric."""
        lines: list[str] = []
        for name, (kind, text) in _HELP.items():
            full = PREFIX + name
            lines += [f"# HELP {full} {text}", f"# TYPE {full} {kind}"]
            series = self.values.get(name) or {(): 0.0}
            for labels, value in sorted(series.items()):
                lines.append(f"{full}{_labels(labels)} {_number(value)}")
        return "\n".join(lines) + "\n"


def _labels(labels: tuple[tuple[str, str], ...]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)
