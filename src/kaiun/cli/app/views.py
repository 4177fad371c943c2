"""Text shapes of ``kaiun app`` output, copied from the argocd CLI: the ``app get`` summary,
the resource, condition, list and history tables, operation results, and YAML/JSON dumps.

Pure formatting: functions take Application dicts and return strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import yaml

from kaiun.cli.app.core import qualified

FIELD = "{:<20}{}"
Key = tuple[str, str, str, str]
_SHA = re.compile(r"^[0-9a-f]{7,64}$")


def table(rows: Sequence[Sequence[str]]) -> str:
    """Rows aligned like Go's tabwriter with padding 2 (the last cell is never padded)."""
    if not rows:
        return ""
    ncols = max(len(r) for r in rows)
    widths = [0] * ncols
    for row in rows:
        for i, cell in enumerate(row[:-1]):
            widths[i] = max(widths[i], len(cell))
    lines = []
    for row in rows:
        cells = [c.ljust(widths[i] + 2) for i, c in enumerate(row[:-1])]
        lines.append("".join(cells) + (row[-1] if row else ""))
    return "\n".join(lines) + "\n"


def dump(obj: Any, output: str) -> str:
    """``obj`` as ``json`` (indented) or ``yaml``."""
    if output == "json":
        return orjson.dumps(obj, option=orjson.OPT_INDENT_2).decode() + "\n"
    return yaml.safe_dump(obj, sort_keys=False)


def go_time(value: str | None) -> str:
    """An RFC 3339 timestamp printed as Go prints a ``metav1.Time`` (``... +0000 UTC``)."""
    parsed = parse_time(value)
    if parsed is None:
        return "0001-01-01 00:00:00 +0000 UTC"
    return parsed.strftime("%Y-%m-%d %H:%M:%S +0000 UTC")


def parse_time(value: str | None) -> datetime | None:
    """Parse an RFC 3339 timestamp (``Z`` or offset); None when absent or malformed."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def go_duration(seconds: int) -> str:
    """Whole seconds as Go's ``time.Duration`` prints them (``0s``, ``1m5s``, ``2h0m0s``)."""
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def sources_of(app: dict[str, Any]) -> list[dict[str, Any]]:
    """The app's sources: ``spec.sources`` when set, else ``[spec.source]``."""
    spec = app.get("spec") or {}
    if spec.get("sources"):
        return list(spec["sources"])
    return [spec["source"]] if spec.get("source") else []


def server_of(app: dict[str, Any]) -> str:
    """The destination as Argo CD prints it: the server URL, else the cluster name."""
    dest = (app.get("spec") or {}).get("destination") or {}
    return str(dest.get("server") or dest.get("name") or "")


def sync_policy_label(app: dict[str, Any]) -> str:
    """``Manual``, ``Automated`` or ``Automated (Prune)`` (``app get``)."""
    automated = _automated(app)
    if automated is None:
        return "Manual"
    return "Automated (Prune)" if automated.get("prune") else "Automated"


def _automated(app: dict[str, Any]) -> dict[str, Any] | None:
    policy = (app.get("spec") or {}).get("syncPolicy") or {}
    automated = policy.get("automated")
    if automated is None or automated.get("enabled") is False:
        return None
    return dict(automated)


def summary(app: dict[str, Any], *, url: str = "", sync_window: str = "Sync Allowed") -> str:
    """The header of ``app get``: name, project, destination, sources, sync and health."""
    spec = app.get("spec") or {}
    status = app.get("status") or {}
    dest = spec.get("destination") or {}
    out = [
        FIELD.format("Name:", qualified(app)),
        FIELD.format("Project:", spec.get("project", "")),
        FIELD.format("Server:", server_of(app)),
        FIELD.format("Namespace:", dest.get("namespace", "")),
        FIELD.format("URL:", url),
        "Sources:" if spec.get("sources") else "Source:",
    ]
    for src in sources_of(app):
        out.extend(_source_lines(src))
    out.append(FIELD.format("SyncWindow:", sync_window))
    out.append(FIELD.format("Sync Policy:", sync_policy_label(app)))
    out.append(FIELD.format("Sync Status:", sync_status_label(app)))
    out.append(FIELD.format("Health Status:", (status.get("health") or {}).get("status", "")))
    return "\n".join(out) + "\n"


def _source_lines(src: dict[str, Any]) -> list[str]:
    lines = [
        FIELD.format("- Repo:", src.get("repoURL", "")),
        FIELD.format("  Target:", src.get("targetRevision", "")),
    ]
    if src.get("path"):
        lines.append(FIELD.format("  Path:", src["path"]))
    if src.get("chart"):
        lines.append(FIELD.format("  Chart:", src["chart"]))
    if src.get("ref"):
        lines.append(FIELD.format("  Ref:", src["ref"]))
    values = (src.get("helm") or {}).get("valueFiles") or []
    if values:
        lines.append(FIELD.format("  Helm Values:", ",".join(values)))
    prefix = (src.get("kustomize") or {}).get("namePrefix")
    if prefix:
        lines.append(FIELD.format("  Name Prefix:", prefix))
    return lines


def sync_status_label(app: dict[str, Any]) -> str:
    """``Synced to HEAD (1a2b3c4)``, ``OutOfSync from main (...)`` or the bare status."""
    sync = (app.get("status") or {}).get("sync") or {}
    code = str(sync.get("status", ""))
    sources = sources_of(app)
    target = str(sources[0].get("targetRevision", "")) if sources else ""
    text = code
    if code == "Synced":
        text += f" to {target}"
    elif code == "OutOfSync":
        text += f" from {target}"
    revision = str(sync.get("revision") or "")
    if not _SHA.match(target) and len(revision) > 7:
        text += f" ({revision[:7]})"
    return text


def resource_rows(app: dict[str, Any]) -> list[list[str]]:
    """One row per managed resource (then hooks), with the last sync's message."""
    status = app.get("status") or {}
    rows: dict[tuple[str, str, str, str], list[str]] = {}
    for res in status.get("resources") or []:
        key = _key(res)
        health = (res.get("health") or {}).get("status", "")
        rows[key] = [*key, str(res.get("status", "")), str(health), "", ""]
    result = ((status.get("operationState") or {}).get("syncResult") or {}).get("resources")
    for res in result or []:
        key = _key(res)
        row = rows.setdefault(key, [*key, "", "", "", ""])
        if res.get("hookType"):
            row[4] = str(res.get("hookPhase", ""))
            row[6] = str(res["hookType"])
        row[7] = str(res.get("message", ""))
    return list(rows.values())


def _key(res: dict[str, Any]) -> tuple[str, str, str, str]:
    return (
        str(res.get("group", "")),
        str(res.get("kind", "")),
        str(res.get("namespace", "")),
        str(res.get("name", "")),
    )


RESOURCE_HEADER = ["GROUP", "KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH", "HOOK", "MESSAGE"]


def resources_table(app: dict[str, Any]) -> str:
    """The ``app get`` resource table."""
    return table([RESOURCE_HEADER, *resource_rows(app)])


def resources_tree(app: dict[str, Any], children: Mapping[Key, Sequence[Any]] | None = None) -> str:
    """``app get -o tree``: managed resources with the objects they own beneath them
    (``children`` maps a resource's key to ``TreeNode``s, as ``kaiun.cli.app.tree`` reads
    them)."""
    rows = [["KIND/NAME", "STATUS", "HEALTH", "MESSAGE"]]
    for row in resource_rows(app):
        rows.append([f"{row[1]}/{row[3]}", row[4], row[5], row[7]])
        nodes = list((children or {}).get((row[0], row[1], row[2], row[3]), ()))
        rows.extend(_tree_rows(nodes, depth=1))
    return table(rows)


def _tree_rows(nodes: Sequence[Any], *, depth: int) -> list[list[str]]:
    out = []
    for i, node in enumerate(nodes):
        branch = "└─" if i == len(nodes) - 1 else "├─"
        out.append([f"{'  ' * (depth - 1)}{branch}{node.kind}/{node.name}", "", node.health, ""])
        out.extend(_tree_rows(node.children, depth=depth + 1))
    return out


def conditions_table(app: dict[str, Any]) -> str:
    """CONDITION / MESSAGE / LAST TRANSITION of the app's conditions ("" when none)."""
    conditions = (app.get("status") or {}).get("conditions") or []
    if not conditions:
        return ""
    rows = [["CONDITION", "MESSAGE", "LAST TRANSITION"]]
    for cond in conditions:
        last = cond.get("lastTransitionTime")
        rows.append(
            [str(cond.get("type", "")), str(cond.get("message", "")), go_time(last) if last else ""]
        )
    return table(rows)


def operation_result(state: dict[str, Any] | None, *, now: datetime | None = None) -> str:
    """An operation state as ``app get --show-operation`` / ``app sync`` print it."""
    if not state:
        return ""
    out = []
    result = state.get("syncResult")
    if result is not None or (state.get("operation") or {}).get("sync") is not None:
        result = result or {}
        out.append(FIELD.format("Operation:", "Sync"))
        revision = (
            ", ".join(result["revisions"])
            if result.get("sources") and result.get("revisions")
            else str(result.get("revision", ""))
        )
        out.append(FIELD.format("Sync Revision:", revision))
    out.append(FIELD.format("Phase:", state.get("phase", "")))
    out.append(FIELD.format("Start:", go_time(state.get("startedAt"))))
    out.append(FIELD.format("Finished:", go_time(state.get("finishedAt"))))
    started = parse_time(state.get("startedAt"))
    finished = parse_time(state.get("finishedAt")) or now or datetime.now(UTC)
    seconds = int((finished - started).total_seconds()) if started else 0
    out.append(FIELD.format("Duration:", go_duration(seconds)))
    if state.get("message"):
        out.append(FIELD.format("Message:", state["message"]))
    return "\n".join(out) + "\n"


def app_details(
    app: dict[str, Any],
    *,
    show_operation: bool = False,
    tree: bool = False,
    sync_window: str = "Sync Allowed",
    children: Mapping[Key, Sequence[Any]] | None = None,
    url: str = "",
) -> str:
    """Everything ``app get`` prints in its text forms (``url``: the app's page on an API
    server; empty in core mode)."""
    parts = [summary(app, sync_window=sync_window, url=url)]
    conditions = conditions_table(app)
    if conditions:
        parts.append("\n" + conditions + "\n")
    status = app.get("status") or {}
    if show_operation and status.get("operationState"):
        parts.append("\n" + operation_result(status["operationState"]))
    if status.get("resources") or (
        ((status.get("operationState") or {}).get("syncResult") or {}).get("resources")
    ):
        parts.append("\n" + (resources_tree(app, children) if tree else resources_table(app)))
    return "".join(parts)


def conditions_summary(app: dict[str, Any]) -> str:
    """``ComparisonError,SyncError(2)`` or ``<none>`` (``app list``'s CONDITIONS column)."""
    counts: dict[str, int] = {}
    for cond in (app.get("status") or {}).get("conditions") or []:
        counts[str(cond.get("type", ""))] = counts.get(str(cond.get("type", "")), 0) + 1
    if not counts:
        return "<none>"
    return ",".join(k if n == 1 else f"{k}({n})" for k, n in sorted(counts.items()))


def list_table(apps: Iterable[dict[str, Any]], *, wide: bool) -> str:
    """``app list``: NAME CLUSTER NAMESPACE PROJECT STATUS HEALTH SYNCPOLICY CONDITIONS,
    plus REPO PATH TARGET with ``-o wide``."""
    header = [
        "NAME", "CLUSTER", "NAMESPACE", "PROJECT", "STATUS", "HEALTH", "SYNCPOLICY", "CONDITIONS",
    ]  # fmt: skip
    if wide:
        header += ["REPO", "PATH", "TARGET"]
    rows = [header]
    for app in apps:
        spec = app.get("spec") or {}
        status = app.get("status") or {}
        automated = _automated(app)
        policy = (
            "Manual" if automated is None else ("Auto-Prune" if automated.get("prune") else "Auto")
        )
        row = [
            qualified(app),
            server_of(app),
            str((spec.get("destination") or {}).get("namespace", "")),
            str(spec.get("project", "")),
            str((status.get("sync") or {}).get("status", "")),
            str((status.get("health") or {}).get("status", "")),
            policy,
            conditions_summary(app),
        ]
        if wide:
            src = (sources_of(app) or [{}])[0]
            row += [
                str(src.get("repoURL", "")),
                str(src.get("path", "")),
                str(src.get("targetRevision", "")),
            ]
        rows.append(row)
    return table(rows)


def history_table(app: dict[str, Any]) -> str:
    """``app history``: per source repository, ID / DATE / REVISION of each deployment."""
    history = (app.get("status") or {}).get("history") or []
    by_repo: dict[str, list[list[str]]] = {}
    for entry in history:
        sources = entry.get("sources") or ([entry["source"]] if entry.get("source") else [{}])
        revisions = entry.get("revisions") or [entry.get("revision", "")]
        for i, src in enumerate(sources):
            rev = str(revisions[i] if i < len(revisions) else "")
            label = f"{src.get('targetRevision', '')} ({rev[:7]})" if rev else ""
            by_repo.setdefault(str(src.get("repoURL", "")), []).append(
                [str(entry.get("id", "")), go_time(entry.get("deployedAt")), label]
            )
    out = []
    for repo, rows in by_repo.items():
        out.append(f"SOURCE  {repo}\n" + table([["ID", "DATE", "REVISION"], *rows]))
    return "\n".join(out)
