"""Benchmark: a national raw registry (CSV) through the old loader (pandas, whole) and the new one.

Writes, once, a raw folder as a municipality would deliver it (``population.csv``,
``participants.csv``, ``survey.csv``, ``registry.csv``, ``spending.csv``) from the national
synthetic cohort (``write_synthetic``, ``comparison: national``, 60 months): ``people`` national
non-participants plus the participants, one registry row per person and month, the registry
written in chunks by DuckDB. Then loads it into a cohort folder, each run in a fresh subprocess:

* old: ``write_cohort(load_raw(raw))``: every table read whole into pandas, validated with pandera
  and pandas, then written (what ``prepare`` did before the registry was streamed);
* new: ``prepare`` (the registry streamed by DuckDB into Parquet parts and checked on disk).

Each child reports its own wall time, CPU time (user + system, DuckDB's threads included) and
peak RSS (``VmHWM`` of ``/proc/self/status``: ``ru_maxrss`` keeps the forking parent's peak). A watchdog kills a child whose resident memory passes
``--rss-cap-gb`` (the machine is shared): such a run is reported as not finished.

    .venv/bin/python benchmarks/bench_raw_registry.py --people 100000 --runs 3
    .venv/bin/python benchmarks/bench_raw_registry.py --people 800000 --runs 3 --old-runs 1
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time
from pathlib import Path
from trustexp.config import params_from_dict
t0 = time.perf_counter()
side, raw, out, params_json = sys.argv[1:5]
if side == "old":
    from trustexp.data.cohort import write_cohort
    from trustexp.data.load import load_raw
    write_cohort(load_raw(raw), Path(out) / "cohort")
else:
    from trustexp.data.load import prepare
    base = json.loads(params_json)
    base["data"] = {"source": "raw", "raw_dir": raw}
    prepare(params_from_dict(base), root=out)
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_SELF)
# VmHWM, not ru_maxrss: on Linux ru_maxrss keeps the forking parent's peak across exec
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
print(json.dumps({"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "peak_rss_mb": int(hwm) / 1024}))
"""


def _params(people: int, params_file: str) -> dict:
    from trustexp.config import load_params

    base = load_params(PROJECT / params_file).model_dump(mode="json")
    base["cohort"].update(comparison="national", national_people=people, national_months=60)
    return base


def write_raw(folder: Path, people: int, params_file: str) -> dict:
    """The raw folder of a national cohort of ``people`` non-participants; returns its sizes."""
    import duckdb

    from trustexp.config import params_from_dict
    from trustexp.data import codebook
    from trustexp.data.cohort import read_cohort
    from trustexp.data.synthetic import write_synthetic

    cohort_dir = folder.parent / "synthetic"
    write_synthetic(params_from_dict(_params(people, params_file)), cohort_dir)
    cohort = read_cohort(cohort_dir, load_registry=False)
    raw = folder
    raw.mkdir(parents=True)
    for table in codebook.TABLES:
        if table != "registry":
            cohort.table(table).to_csv(raw / f"{table}.csv", index=False, date_format="%Y-%m-%d")
    con = duckdb.connect(config={"memory_limit": "1GB", "threads": 2})
    con.execute(
        f"""COPY (SELECT person_id, strftime(month, '%Y-%m-%d') AS month,
                  CASE WHEN on_benefit THEN 'True' ELSE 'False' END AS on_benefit,
                  CAST(exit_reason AS VARCHAR) AS exit_reason
             FROM read_parquet('{cohort_dir}/registry/*.parquet'))
           TO '{raw / "registry.csv"}' (HEADER, DELIMITER ',')"""
    )
    rows = con.execute(f"SELECT count(*) FROM read_csv('{raw / 'registry.csv'}')").fetchone()[0]
    con.close()
    shutil.rmtree(cohort_dir)
    return {
        "people": len(cohort.population),
        "registry_rows": int(rows),
        "registry_csv_mb": round((raw / "registry.csv").stat().st_size / 2**20),
    }


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def one_run(side: str, raw: Path, people: int, params_file: str, cap_mb: float) -> dict:
    """One load in a fresh subprocess; killed (and reported so) above ``cap_mb`` resident."""
    out = Path(tempfile.mkdtemp(prefix=f"bench-raw-{side}-"))
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    t = time.perf_counter()
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            side,
            str(raw),
            str(out),
            json.dumps(_params(people, params_file)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    seen = 0.0
    while child.poll() is None:
        seen = max(seen, _rss_mb(child.pid))
        if seen > cap_mb:
            child.kill()
            child.wait()
            shutil.rmtree(out, ignore_errors=True)
            return {
                "side": side,
                "finished": False,
                "why": f"killed at {seen:,.0f} MB resident (cap {cap_mb:,.0f} MB)",
                "after_s": round(time.perf_counter() - t, 1),
            }
        time.sleep(0.2)
    stdout, stderr = child.communicate()
    shutil.rmtree(out, ignore_errors=True)
    if child.returncode != 0:
        return {"side": side, "finished": False, "why": stderr.strip().splitlines()[-1:]}
    res = json.loads(stdout.strip().splitlines()[-1])
    return {"side": side, "finished": True, "process_wall_s": time.perf_counter() - t, **res}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sides", default="new,old")
    ap.add_argument("--params", default="params/oss.yml")
    ap.add_argument(
        "--old-runs", type=int, default=None, help="runs of the old side (default --runs)"
    )
    ap.add_argument("--rss-cap-gb", type=float, default=12.0)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-raw-registry-"))
    try:
        t = time.perf_counter()
        sizes = write_raw(work / "raw", args.people, args.params)
        sizes["write_raw_s"] = round(time.perf_counter() - t, 1)
        print(json.dumps(sizes), flush=True)
        runs: dict[str, list[dict]] = {s: [] for s in args.sides.split(",")}
        wanted = {s: args.runs for s in runs}
        if args.old_runs is not None and "old" in wanted:
            wanted["old"] = args.old_runs
        for i in range(max(wanted.values())):  # rounds interleave the sides
            for side in [s for s in runs if i < wanted[s]]:
                r = one_run(side, work / "raw", args.people, args.params, args.rss_cap_gb * 1024)
                print(json.dumps(r), flush=True)
                runs[side].append(r)
        summary = {"load_average": os.getloadavg(), **sizes}
        for side, rs in runs.items():
            done = [r for r in rs if r["finished"]]
            summary[side] = {
                "runs": len(rs),
                "finished": len(done),
                "median_wall_s": round(statistics.median(r["wall_s"] for r in done), 1)
                if done
                else None,
                "walls_s": [round(r["wall_s"], 1) for r in done],
                "median_cpu_s": round(statistics.median(r["cpu_s"] for r in done), 1)
                if done
                else None,
                "peak_rss_mb": round(max(r["peak_rss_mb"] for r in done)) if done else None,
                "not_finished": [r["why"] for r in rs if not r["finished"]],
            }
        print(json.dumps(summary, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
