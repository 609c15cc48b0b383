"""Benchmark: the simulation harness before and after its numpy path (issue 16), same run.

**Before** is ``benchmarks/simulation_before.py``, a frozen copy of ``trustexp.simulation`` as it
was before the rework (pandas frames per cohort, ``cluster_robust.linear_contrast`` and ``att.att``
per contrast, a ``spawn`` pool with one task per cohort); it runs on today's generator and stats
helpers, which it calls the slow way. **After** is ``trustexp.simulation``. Two measurements:

* per cohort (one process, one worker, ``--cohorts`` primary-only and ``--cohorts-full`` cohorts
  with every estimator under each of the 4 truths, as the chapter draws them): CPU ms per cohort,
  sides alternating, ``--runs`` times, medians;
* the robustness chapter's whole simulation (``analysis.n_simulations`` primary-only and
  ``analysis.n_simulations_inference`` full cohorts under each of the 4 truths, 2 workers): wall
  and CPU (this process and its reaped workers), ``--whole-runs`` times for after and
  ``--whole-runs-before`` for before (before: about 200 s of CPU, after: about 20 s); the results
  are compared (largest absolute and relative difference of every number).

    .venv/bin/python benchmarks/bench_simulation.py [--runs 3] [--whole-runs 3] [--whole-runs-before 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from trustexp import simulation as after
from trustexp.config import load_params

sys.path.insert(0, str(Path(__file__).resolve().parent))
import simulation_before as before  # noqa: E402

NUMBERS = ["estimate", "ci_low", "ci_high", "p", "truth", "truth_population"]


def _cpu() -> float:
    """User + system CPU seconds of this process and of its reaped children (pool workers)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(fn) -> tuple[float, float, pd.DataFrame]:
    w0, c0 = time.perf_counter(), _cpu()
    out = fn()
    return time.perf_counter() - w0, _cpu() - c0, out


def _whole(module, params, workers: int = 2) -> pd.DataFrame:
    """What the robustness chapter runs: primary-only and every-estimator cohorts, 4 truths."""
    a = params.analysis
    reps = module.run_simulation(params, a.n_simulations, workers=workers, primary_only=True)
    reps_all = module.run_simulation(params, a.n_simulations_inference, workers=workers)
    return pd.concat([reps.assign(mode="primary"), reps_all.assign(mode="full")], ignore_index=True)


def _difference(old: pd.DataFrame, new: pd.DataFrame) -> tuple[float, float, bool]:
    """Largest absolute and relative difference of the numbers; whether the labels are equal."""
    labels = [c for c in old.columns if c not in NUMBERS]
    same_labels = old[labels].equals(new[labels])
    a, b = old[NUMBERS].to_numpy(float), new[NUMBERS].to_numpy(float)
    diff = np.abs(a - b)
    rel = diff / np.maximum(np.abs(a), 1e-300)
    both_inf = np.isinf(a) & (a == b)
    diff[both_inf], rel[both_inf] = 0.0, 0.0
    return float(np.nanmax(diff)), float(np.nanmax(rel)), bool(same_labels)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument(
        "--cohorts", type=int, default=15, help="primary-only cohorts per truth and run"
    )
    ap.add_argument("--cohorts-full", type=int, default=4, help="full cohorts per truth and run")
    ap.add_argument("--whole-runs", type=int, default=3)
    ap.add_argument("--whole-runs-before", type=int, default=1)
    ap.add_argument("--save", type=Path, help="folder for the whole simulations' outputs (pickle)")
    args = ap.parse_args()
    params = load_params("params/oss.yml")
    loads = [os.getloadavg()[0]]

    per: dict[tuple[str, str], list[float]] = {}
    sides = {"before": before, "after": after}
    for _ in range(args.runs):
        for mode, n, primary_only in (("primary", args.cohorts, True),
                                      ("full", args.cohorts_full, False)):  # fmt: skip
            for name, module in sides.items():
                _, cpu, _ = _timed(lambda m=module, n=n, po=primary_only: m.run_simulation(
                    params, n, after.TRUTHS, workers=1, primary_only=po))  # fmt: skip
                per.setdefault((name, mode), []).append(1000 * cpu / (n * len(after.TRUTHS)))
        loads.append(os.getloadavg()[0])

    whole: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
    outs: dict[str, pd.DataFrame] = {}
    for name, runs in (("before", args.whole_runs_before), ("after", args.whole_runs)):
        for _ in range(runs):
            wall, cpu, outs[name] = _timed(lambda m=sides[name]: _whole(m, params))
            whole[name].append((wall, cpu))
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                outs[name].to_pickle(args.save / f"whole_{name}.pkl")
            loads.append(os.getloadavg()[0])

    a = params.analysis
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"numpy {np.__version__}, pandas {pd.__version__}; load average (1 min) "
          f"{min(loads):.1f}-{max(loads):.1f}")  # fmt: skip
    print(f"per cohort: {args.cohorts} primary-only / {args.cohorts_full} full cohorts per truth "
          f"and run, 4 truths, {args.runs} runs, 1 worker; whole: {a.n_simulations} primary + "
          f"{a.n_simulations_inference} full cohorts x 4 truths, 2 workers")  # fmt: skip
    print("| measure | before | after | before / after |")
    print("|---|---|---|---|")
    for mode in ("primary", "full"):
        b, f = statistics.median(per[("before", mode)]), statistics.median(per[("after", mode)])
        runs_b = ", ".join(f"{x:.1f}" for x in per[("before", mode)])
        runs_a = ", ".join(f"{x:.1f}" for x in per[("after", mode)])
        print(f"| CPU ms per cohort, {mode} | {b:.1f} ({runs_b}) | {f:.1f} ({runs_a}) | "
              f"{b / f:.1f}x |")  # fmt: skip
    for i, label in ((0, "wall s"), (1, "CPU s")):
        vals = {k: [r[i] for r in v] for k, v in whole.items()}
        if not all(vals.values()):
            continue
        b, f = statistics.median(vals["before"]), statistics.median(vals["after"])
        runs_b = ", ".join(f"{x:.1f}" for x in vals["before"])
        runs_a = ", ".join(f"{x:.1f}" for x in vals["after"])
        print(f"| whole simulation, {label} | {b:.1f} ({runs_b}) | {f:.1f} ({runs_a}) | "
              f"{b / f:.1f}x |")  # fmt: skip
    if "before" in outs and "after" in outs:
        d_abs, d_rel, same = _difference(outs["before"], outs["after"])
        print(f"whole simulation, before vs after: {len(outs['after'])} rows, labels equal: {same}, "
              f"largest difference {d_abs:.2g} absolute, {d_rel:.2g} relative")  # fmt: skip


if __name__ == "__main__":
    main()
