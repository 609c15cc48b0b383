"""Cold vs no-op ``make book`` in a fresh clone (issue 2: the no-op must take under a tenth of the cold run).

Usage: ``python benchmarks/bench_make_book.py [--no-op-runs 3]`` from the project root. Clones the committed
HEAD into a temporary folder, runs ``make book`` once from nothing (venv, install, data, chapters, HTML) and
then again ``--no-op-runs`` times; prints the times, the median no-op time and the ratio, and checks that
the no-op runs executed no notebook. The pip download cache of the machine is used as it is.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _make_book(folder: Path) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(["make", "book"], cwd=folder, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"make book failed in {folder}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return seconds, proc.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-op-runs", type=int, default=3)
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="trustexp-bench-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True)
        cold, out = _make_book(clone)
        ran = sum(1 for line in out.splitlines() if line.strip().startswith("ran "))
        noops = []
        for _ in range(args.no_op_runs):
            seconds, out = _make_book(clone)
            if any(line.strip().startswith("ran ") for line in out.splitlines()):
                sys.exit("a no-op make book executed a notebook:\n" + out)
            noops.append(seconds)
    median = statistics.median(noops)
    print("| run | seconds | notebooks executed |")
    print("|---|---|---|")
    print(
        f"| cold `make book` (fresh clone: venv, install, data, chapters, HTML) | {cold:.1f} | {ran} |"
    )
    print(
        f"| no-op `make book`, median of {len(noops)} ({', '.join(f'{s:.2f}' for s in noops)}) | {median:.2f} | 0 |"
    )
    print(f"| ratio no-op / cold | {median / cold:.3f} | target < 0.1 |")
    return 0 if median < cold / 10 else 1


if __name__ == "__main__":
    raise SystemExit(main())
