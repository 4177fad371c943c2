"""Re-record ``cases/go_core.yaml`` from ``cases/go_core.in.yaml`` with the Go oracle.

Run ``python tests/unit/templating/record_go.py`` after adding cases; the differential test
checks the recorded results against Go again on every run where Go is installed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from oracles import GoOracle

CASES = Path(__file__).resolve().parent / "cases"


def main() -> None:
    cases = yaml.safe_load((CASES / "go_core.in.yaml").read_text())
    runnable = [c for c in cases if "go" not in c]
    results = GoOracle().run(
        [{"name": "t", "text": c["text"], "data": c["data"], "options": c.get("options")}
         for c in runnable]
    )  # fmt: skip
    out = []
    for case, res in zip(runnable, results, strict=True):
        rec = dict(case)
        if res["phase"] == "ok":
            rec["out"] = res["out"]
        else:
            rec["error"] = {"phase": res["phase"], "message": res["err"]}
        out.append(rec)
    out.extend(c for c in cases if "go" in c)
    header = "# Recorded from Go's text/template by record_go.py; do not edit by hand.\n"
    (CASES / "go_core.yaml").write_text(
        header + yaml.safe_dump(json.loads(json.dumps(out)), sort_keys=False, allow_unicode=True)
    )


if __name__ == "__main__":
    main()
