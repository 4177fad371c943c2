"""Re-record ``cases/sprig.yaml`` from ``cases/sprig.in.yaml`` with Helm's engine.

Run ``python tests/unit/templating/record_helm.py`` after adding cases (needs the dev extra
``helm-python-sdk``); the differential test compares kaiun with Helm again on every run.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from oracles import HelmOracle

CASES = Path(__file__).resolve().parent / "cases"


def main() -> None:
    cases = yaml.safe_load((CASES / "sprig.in.yaml").read_text())
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        helm = HelmOracle(Path(tmp))
        for case in cases:
            text, err = helm.render(case["text"], case["data"])
            rec = dict(case)
            if err:
                rec["error"] = err
            else:
                rec["out"] = text
            out.append(rec)
    header = "# Recorded from Helm's engine (Go text/template + Sprig) by record_helm.py.\n"
    (CASES / "sprig.yaml").write_text(
        header + yaml.safe_dump(out, sort_keys=False, allow_unicode=True, width=200)
    )


if __name__ == "__main__":
    main()
