"""Fail CI when coverage of bot/ falls under its floors: 90% in all, 75% for every module.

Usage: python .ci/coverage_floor.py coverage.json  (from `coverage json`)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TOTAL_FLOOR = 90.0
MODULE_FLOOR = 75.0


def main(report: Path) -> int:
    data = json.loads(report.read_text())
    total = float(data["totals"]["percent_covered"])
    low = {
        name: float(f["summary"]["percent_covered"])
        for name, f in data["files"].items()
        if float(f["summary"]["percent_covered"]) < MODULE_FLOOR
    }
    print(f"coverage of bot/: {total:.1f}% (floor {TOTAL_FLOOR:.0f}%)")
    for name, pct in sorted(low.items(), key=lambda kv: kv[1]):
        print(f"  {name}: {pct:.1f}% is under the module floor of {MODULE_FLOOR:.0f}%")
    return 0 if total >= TOTAL_FLOOR and not low else 1


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1])))
