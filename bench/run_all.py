"""`make bench`: run every benchmark under bench/ and print one table.

Each benchmark module has a main() returning rows (figure, ratio, target, info, ok)
measured against its own baseline in the same run; absolute times are informational.
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import print_table

BENCHMARKS = ("registration", "reminders", "throttled", "cards", "pages", "api", "scale")


def main() -> int:
    rows = []
    for name in BENCHMARKS:
        path = Path(__file__).with_name(f"{name}.py")
        if not path.exists():
            continue
        started = time.monotonic()
        print(f"-- bench/{name}.py", flush=True)
        argv, sys.argv = sys.argv, [str(path)]
        try:
            module = importlib.import_module(f"bench.{name}")
            rows.extend(module.main())
        except Exception:
            traceback.print_exc()
            rows.append((f"bench/{name}.py crashed", "-", "-", "see the traceback above", False))
        finally:
            sys.argv = argv
        print(f"   ({time.monotonic() - started:.0f} s)", flush=True)
    print()
    print_table(rows)
    return 0 if rows and all(row[4] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
