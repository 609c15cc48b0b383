"""Benchmark: cost per cohort and estimator of the simulation, old harness against the new one.

Before: ``trustexp.simulation.simulate`` - the robustness chapter's harness (one truth, 30
non-participants per cohort, cohorts built as tables through ``generate`` and the chapters'
statsmodels estimators: 3 estimators x 2 contrasts = 6 estimates per cohort).
After: ``trustexp.simulation.run_simulation`` - full-size cohorts (the parameter set's 1,900
non-participants) read from the generator's arrays, with every estimator of the issue-12
simulation (38 estimates per cohort: arm contrasts unadjusted and adjusted with HC1/CR1/CR2/WCR
and Newcombe, 12 ATT estimates, wellbeing ANCOVA with four inferences), and its primary-only mode
(8 estimates per cohort) used by the full-size test. Both sides in one process, one worker, the
same number of cohorts, alternating, ``--runs`` times; medians reported.

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
from trustexp.simulation import run_simulation, simulate


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
        "before (old harness)": lambda: simulate(params, n, workers=1),
        "after (all estimators)": lambda: run_simulation(params, n, ("default",), workers=1),
        "after (primary only)": lambda: run_simulation(
            params, n, ("default",), workers=1, primary_only=True
        ),
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
    print(f"{n} cohorts per run, {args.runs} runs, one worker")
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
