"""Benchmark: cost per cohort and estimate of the simulation harness, all estimators against the
primary ones, one worker against two.

``trustexp.simulation.run_simulation`` draws full-size cohorts (the parameter set's 1,900
non-participants) from the generator's arrays. All estimators: 38 estimates per cohort (arm
contrasts unadjusted and adjusted with HC1/CR1/CR2/WCR and Newcombe, 12 ATT estimates, wellbeing
ANCOVA with four inferences) - what the robustness chapter runs; primary only: 9 per cohort - what
the full-size coverage test runs. (The old harness, 30 non-participants and 6 estimates per cohort
through ``generate``, was removed with issue 12; its last measurement is in RESULTS.md.) All sides
in one process, alternating, ``--runs`` times; medians reported.

    .venv/bin/python benchmarks/bench_simulation.py [--runs 3] [--cohorts 40]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
import pandas as pd
import statsmodels

from trustexp.config import load_params
from trustexp.simulation import run_simulation


def _time(fn) -> tuple[float, pd.DataFrame]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cohorts", type=int, default=40)
    args = ap.parse_args()
    params = load_params("params/oss.yml")
    n = args.cohorts
    sides = {
        "all estimators, 1 worker": lambda: run_simulation(params, n, ("default",), workers=1),
        "primary only, 1 worker": lambda: run_simulation(
            params, n, ("default",), workers=1, primary_only=True
        ),
        "all estimators, 2 workers": lambda: run_simulation(params, n, ("default",), workers=2),
    }
    times: dict[str, list[float]] = {k: [] for k in sides}
    rows: dict[str, int] = {}
    for _ in range(args.runs):
        for name, fn in sides.items():
            t, out = _time(fn)
            times[name].append(t)
            rows[name] = len(out) // n
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"numpy {np.__version__}, pandas {pd.__version__}, statsmodels {statsmodels.__version__}; "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"{n} cohorts per run, {args.runs} runs")
    print(
        "| side | estimates per cohort | median s per cohort (runs) | median ms per cohort and estimate |"
    )
    print("|---|---|---|---|")
    for name, ts in times.items():
        med = statistics.median(ts) / n
        runs = ", ".join(f"{t / n:.3f}" for t in ts)
        print(f"| {name} | {rows[name]} | {med:.3f} ({runs}) | {1000 * med / rows[name]:.1f} |")


if __name__ == "__main__":
    main()
