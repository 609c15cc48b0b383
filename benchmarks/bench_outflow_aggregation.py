"""Benchmark: the national comparison aggregation of chapter 4, DuckDB against plain pandas.

The aggregation reduces the monthly registry (person-months, Parquet) to what the outflow
chapter needs: per person the outflow flags, the first exit within the window and the benefit
receipt before and after the index month (``registry_queries.person_outcomes``), and per group
and month the receipt shares and event-study sums (``registry_queries.monthly_receipt``). The
pandas version computes the same from the same files and is checked to agree.

The national cohort (``cohort.comparison: national``) is written once with the data layer's
``write_synthetic`` into ``--cohort`` (default /tmp/trustexp-bench-outflow) and reused. Each timed
run is a fresh subprocess that reports its own time and peak RSS (``getrusage(RUSAGE_SELF)``).

    .venv/bin/python benchmarks/bench_outflow_aggregation.py [--runs 3] [--people 800000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

WINDOW, BEFORE = 24, 12

CHILD = r"""
import json, resource, sys, time
import numpy as np, pandas as pd
from trustexp.data.cohort import read_cohort

folder, impl, window, before = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
c = read_cohort(folder, load_registry=False)
pop = c.population
groups = pop[["person_id"]].assign(
    group=np.where(pop["participant"], "participants", "non_participants"))
r0 = resource.getrusage(resource.RUSAGE_SELF)
t = time.perf_counter()
if impl == "duckdb":
    from trustexp.data.registry_queries import monthly_receipt, person_outcomes
    persons = person_outcomes(c.registry_path, pop, window, before)
    monthly = monthly_receipt(c.registry_path, groups, pop, -before, window)
else:
    import glob
    files = sorted(glob.glob(c.registry_path))
    reg = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    reg = reg.merge(pop[["person_id", "index_date"]], on="person_id")
    reg["k"] = (reg["month"].dt.year - reg["index_date"].dt.year) * 12 + (
        reg["month"].dt.month - reg["index_date"].dt.month)
    reg["y"] = reg["on_benefit"].astype(int)
    ex = reg[reg["exit_reason"].notna() & reg["k"].between(1, window)]
    first = ex.sort_values(["person_id", "k"]).groupby("person_id", observed=True).first()
    full = set(ex.loc[ex["exit_reason"] == "work_full", "person_id"])
    pre = reg[reg["k"].between(-before, -1)].groupby("person_id")["y"].mean()
    post = reg[reg["k"].between(1, window)].groupby("person_id")["y"].mean()
    persons = pd.DataFrame({"person_id": pop["person_id"]})
    persons["outflow_full"] = persons["person_id"].isin(full)
    persons["outflow_any"] = persons["person_id"].isin(first.index)
    persons["exit_k"] = persons["person_id"].map(first["k"])
    persons["pre_receipt"] = persons["person_id"].map(pre)
    persons["post_receipt"] = persons["person_id"].map(post)
    win = reg[reg["k"].between(-before, window)].merge(groups, on="person_id")
    ref = reg.loc[reg["k"] == -1, ["person_id", "y"]].rename(columns={"y": "y_ref"})
    win = win.merge(ref, on="person_id", how="left")
    win["d"] = win["y"] - win["y_ref"]
    monthly = win.groupby(["group", "k"]).agg(
        n=("y", "size"), share=("y", "mean"), d_mean=("d", "mean"), d_var=("d", "var")
    ).reset_index()
    del reg, win, ex
elapsed = time.perf_counter() - t
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
summary = {
    "n_full": int(persons["outflow_full"].sum()), "n_any": int(persons["outflow_any"].sum()),
    "sum_exit_k": float(pd.to_numeric(persons["exit_k"]).sum()),
    "mean_pre": float(persons["pre_receipt"].astype(float).mean()),
    "mean_post": float(persons["post_receipt"].astype(float).mean()),
    "monthly_rows": len(monthly), "monthly_share_sum": float(monthly["share"].sum()),
    "monthly_d_sum": float(monthly["d_mean"].sum()),
}
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "cpu_s": cpu, "peak_rss_mb": peak_mb, "summary": summary}))
"""


def ensure_cohort(folder: Path, people: int, months: int, params_file: str) -> int:
    """Write the national cohort once (data layer's ``write_synthetic``); return person-months."""
    from trustexp.config import load_params, params_from_dict
    from trustexp.data.cohort import read_manifest
    from trustexp.data.synthetic import write_synthetic

    manifest = read_manifest(folder)
    want = {"national_people": people, "national_months": months}
    if manifest is None or manifest.get("bench") != want:
        base = load_params(params_file).model_dump(mode="json")
        base["name"] = "bench_outflow"
        base["cohort"].update(comparison="national", national_people=people, national_months=months)
        write_synthetic(params_from_dict(base), folder)
        text = json.loads((folder / "manifest.json").read_text())
        text["bench"] = want
        (folder / "manifest.json").write_text(json.dumps(text, sort_keys=True, indent=2) + "\n")
        manifest = read_manifest(folder)
    return int(manifest["tables"]["registry"]["rows"])


def one_run(folder: Path, impl: str) -> dict:
    """One timed aggregation in a fresh subprocess."""
    res = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), impl, str(WINDOW), str(BEFORE)],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        sys.exit(f"{impl} run printed no result:\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
    return json.loads(lines[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--people", type=int, default=800_000)
    ap.add_argument("--months", type=int, default=60)
    ap.add_argument("--params", default="params/oss.yml")
    ap.add_argument("--cohort", default="/tmp/trustexp-bench-outflow")
    ap.add_argument("--impl", choices=["duckdb", "pandas", "both"], default="both")
    args = ap.parse_args()
    folder = Path(args.cohort)
    rows = ensure_cohort(folder, args.people, args.months, args.params)
    impls = ["duckdb", "pandas"] if args.impl == "both" else [args.impl]
    result: dict = {
        "person_months": rows,
        "people": args.people,
        "runs": args.runs,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    summaries = {}
    for impl in impls:
        runs = [one_run(folder, impl) for _ in range(args.runs)]
        result[impl] = {
            "median_s": round(statistics.median(r["seconds"] for r in runs), 2),
            "times_s": [round(r["seconds"], 2) for r in runs],
            "median_cpu_s": round(statistics.median(r["cpu_s"] for r in runs), 2),
            "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs)),
        }
        summaries[impl] = runs[0]["summary"]
    if len(summaries) == 2:
        a, b = summaries["duckdb"], summaries["pandas"]
        result["same_result"] = all(abs(a[k] - b[k]) <= 1e-6 * max(1.0, abs(a[k])) for k in a)
        result["summaries"] = summaries
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
