"""RBAC enforcement cost: filtering a list of 1,000 applications for one user, as the API
server does on every list request.

Baseline: the same checks through a bare casbin enforcer with Argo CD's model and the same
policies (no memo, no compiled-pattern cache). Run: ``python bench/rbac/run.py [--runs 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from fnmatch import fnmatchcase

import casbin

from kaiun.auth import Enforcer
from kaiun.auth.rbac import MODEL
from kaiun.settings import rbac as rbac_settings

APPS = [f"team-{i % 50}/app-{i}" for i in range(1000)]
POLICY = "\n".join(
    [f"p, role:team-{t}, applications, *, team-{t}/*, allow" for t in range(50)]
    + [f"p, role:team-{t}, applications, delete, team-{t}/prod-*, deny" for t in range(50)]
    + [f"g, org:team-{t}, role:team-{t}" for t in range(50)]
    + ["g, org:sre, role:readonly"]
)
CLAIMS = {"sub": "alice", "groups": ["org:team-7", "org:team-8", "org:other"]}


def _bare() -> casbin.Enforcer:
    enforcer = casbin.Enforcer(casbin.Enforcer.new_model(text=MODEL))
    enforcer.add_function("keyMatchMode", lambda v, p: fnmatchcase(v, p))
    text = rbac_settings.BUILTIN_POLICY + POLICY
    parsed = rbac_settings.parse_policy_csv(text)
    enforcer.add_policies([p.as_row() for p in parsed.policies])
    enforcer.add_grouping_policies([[g.subject, g.role] for g in parsed.groupings])
    return enforcer


def _filter_bare(enforcer: casbin.Enforcer) -> int:
    subjects = [CLAIMS["sub"], *CLAIMS["groups"]]
    return sum(
        any(enforcer.enforce(s, "applications", "get", app) for s in subjects) for app in APPS
    )


def _filter_kaiun(enforcer: Enforcer) -> int:
    return sum(enforcer.enforce(CLAIMS, "applications", "get", app) for app in APPS)


def _time(fn: object, *args: object) -> tuple[float, int]:
    start = time.perf_counter()
    result = fn(*args)  # type: ignore[operator]
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    bare_t, cold_t, warm_t = [], [], []
    for _ in range(runs):
        bare = _bare()
        t, n_bare = _time(_filter_bare, bare)
        bare_t.append(t)
        kaiun = Enforcer.from_configmap({"policy.csv": POLICY})
        t, n_cold = _time(_filter_kaiun, kaiun)
        cold_t.append(t)
        t, n_warm = _time(_filter_kaiun, kaiun)
        warm_t.append(t)
        assert n_bare == n_cold == n_warm == 40, (n_bare, n_cold, n_warm)
    base = statistics.median(bare_t)
    print(f"visible apps per list: {n_warm} of {len(APPS)}")
    print(f"bare casbin        {base * 1000:8.1f} ms  (baseline)")
    for name, ts in (("kaiun first list", cold_t), ("kaiun next lists", warm_t)):
        m = statistics.median(ts)
        print(f"{name:18} {m * 1000:8.1f} ms  {base / m:,.0f}x faster")


if __name__ == "__main__":
    main()
