"""Benchmark: ApplicationSet-style rendering and notification trigger evaluation.

- An ApplicationSet template of 30 fields (Go template, Sprig pipelines in a few) rendered for
  10,000 parameter sets; baseline: Python ``str.format`` of the equivalent text, same run.
- An expr trigger condition compiled once and evaluated 100,000 times; baseline: the same
  condition as a Python lambda, same run.

Run: ``python bench/templating/run.py`` (median of 5 runs each). Targets (issue 10): render
<= 2 s, trigger <= 1 s.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from kaiun import templating
from kaiun.templating import expr

RUNS = 5
N_PARAMS = 10_000
N_TRIGGER = 100_000

FIELDS = [
    "{{.name}}-{{.environment}}", "{{.repoURL}}", "{{.revision}}", "{{.path}}", "{{.cluster}}",
    "{{.namespace}}", "{{.project}}", "{{.values.team}}", "{{.values.tier}}",
    "{{.metadata.labels.region}}", "{{.path.basename}}", "{{ .name | upper }}",
    "{{ .environment | quote }}", "{{ default \"main\" .branch }}", "{{ .name | trunc 8 }}",
    "app-{{.index}}", "{{.name}}.{{.namespace}}.svc", "{{ printf \"%s/%s\" .project .name }}",
    "{{ if eq .environment \"prod\" }}true{{ else }}false{{ end }}", "{{.owner}}",
    "https://{{.name}}.example.com", "{{.values.replicas}}", "{{ .name | replace \"-\" \"_\" }}",
    "{{.labels.app}}", "{{.labels.version}}", "{{.annotations.note}}", "{{.cluster}}/{{.path}}",
    "{{ lower .values.team }}", "{{.commit}}", "{{.environment}}-{{.values.tier}}",
]  # fmt: skip
PLAIN = [
    "{name}-{environment}", "{repoURL}", "{revision}", "{path_path}", "{cluster}", "{namespace}",
    "{project}", "{team}", "{tier}", "{region}", "{basename}", "{name_upper}", '"{environment}"',
    "{branch}", "{name8}", "app-{index}", "{name}.{namespace}.svc", "{project}/{name}", "{isprod}",
    "{owner}", "https://{name}.example.com", "{replicas}", "{name_us}", "{app}", "{version}",
    "{note}", "{cluster}/{path_path}", "{team_lower}", "{commit}", "{environment}-{tier}",
]  # fmt: skip


def _params(i: int) -> dict[str, object]:
    return {
        "name": f"app-{i}", "environment": "prod" if i % 2 else "staging",
        "repoURL": "https://github.com/org/repo.git", "revision": "main",
        "path": {"path": f"apps/app-{i}", "basename": f"app-{i}"}, "cluster": "https://c.example",
        "namespace": f"ns-{i % 10}", "project": "default",
        "values": {"team": "Platform", "tier": "web", "replicas": "3"},
        "metadata": {"labels": {"region": "eu"}}, "index": str(i), "owner": "team-a",
        "labels": {"app": "web", "version": "v1"}, "annotations": {"note": "n"}, "commit": "abc",
    }  # fmt: skip


def _flat(p: dict[str, object]) -> dict[str, object]:
    v = p["values"]
    path = p["path"]
    assert isinstance(v, dict) and isinstance(path, dict)
    name = str(p["name"])
    return {
        **p, "team": v["team"], "tier": v["tier"], "replicas": v["replicas"], "region": "eu",
        "basename": path["basename"], "path_path": path["path"], "name_upper": name.upper(),
        "branch": "main", "name8": name[:8], "isprod": str(p["environment"] == "prod").lower(),
        "name_us": name.replace("-", "_"), "app": "web", "version": "v1", "note": "n",
        "team_lower": str(v["team"]).lower(),
    }  # fmt: skip


def _median(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    templates = [templating.parse(f"f{i}", text) for i, text in enumerate(FIELDS)]
    params = [_params(i) for i in range(N_PARAMS)]
    flat = [_flat(p) for p in params]

    def render_go() -> None:
        for p in params:
            for t in templates:
                t.execute(p)

    def render_format() -> None:
        for p in flat:
            for text in PLAIN:
                text.format_map(p)

    go_s, fmt_s = _median(render_go), _median(render_format)
    print(
        f"appset render: {N_PARAMS} x {len(FIELDS)} fields: kaiun {go_s:.3f} s "
        f"({N_PARAMS / go_s:,.0f} param sets/s); str.format {fmt_s:.3f} s; "
        f"ratio {go_s / fmt_s:.1f}x"
    )

    src = (
        "app.status.operationState != nil and app.status.operationState.phase in ['Succeeded']"
        " and app.status.health.status == 'Healthy'"
    )
    program = expr.compile(src)
    envs = [
        {"app": {"status": {"operationState": {"phase": ph}, "health": {"status": "Healthy"}}}}
        for ph in ("Succeeded", "Running", "Failed", "Succeeded")
    ]

    def py(app: dict) -> bool:  # type: ignore[type-arg]
        op = app["status"].get("operationState")
        return (
            op is not None
            and op.get("phase") in ["Succeeded"]
            and (app["status"]["health"]["status"] == "Healthy")
        )

    def run_expr() -> None:
        for i in range(N_TRIGGER):
            program.run(envs[i & 3])

    def run_py() -> None:
        for i in range(N_TRIGGER):
            py(envs[i & 3]["app"])

    ex_s, py_s = _median(run_expr), _median(run_py)
    print(
        f"trigger: {N_TRIGGER} evaluations: kaiun {ex_s:.3f} s ({N_TRIGGER / ex_s:,.0f}/s); "
        f"python lambda {py_s:.3f} s; ratio {ex_s / py_s:.1f}x"
    )


if __name__ == "__main__":
    main()
