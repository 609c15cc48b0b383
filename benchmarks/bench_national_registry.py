"""Benchmark: write the national synthetic registry (400,000 people x 60 months) to Parquet.

Each run happens in a fresh subprocess so that its peak resident memory can be read with
``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``. Prints the median wall time and the peak RSS.

    .venv/bin/python benchmarks/bench_national_registry.py [--runs 3] [--people 400000]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import sys, time
from trustexp.config import load_params, params_from_dict
from trustexp.data.synthetic import write_synthetic
base = load_params(sys.argv[1]).model_dump(mode="json")
base["cohort"].update(comparison="national", national_people=int(sys.argv[3]), national_months=60)
t = time.perf_counter()
write_synthetic(params_from_dict(base), sys.argv[2])
print(time.perf_counter() - t)
"""


def one_run(params_file: str, people: int) -> tuple[float, float, float, int]:
    """Wall time of the whole subprocess, time inside write_synthetic, peak RSS (MB), bytes written."""
    out = Path(tempfile.mkdtemp(prefix="bench-national-")) / "cohort"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-c", CHILD, params_file, str(out), str(people)],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # max over children so far (KB)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    shutil.rmtree(out.parent)
    if peak == before and before > 0:
        peak = before
    return wall, float(res.stdout.strip().splitlines()[-1]), peak / 1024.0, size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--people", type=int, default=400_000)
    ap.add_argument("--params", default="params/oss.yml")
    args = ap.parse_args()
    runs = [one_run(args.params, args.people) for _ in range(args.runs)]
    result = {
        "people": args.people,
        "months": 60,
        "rows": args.people * 60,
        "runs": args.runs,
        "median_wall_s": round(statistics.median(r[0] for r in runs), 1),
        "median_write_s": round(statistics.median(r[1] for r in runs), 1),
        "peak_rss_mb": round(max(r[2] for r in runs)),
        "bytes_on_disk": runs[-1][3],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
