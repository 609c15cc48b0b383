"""Executing all chapters: serial papermill vs the pipeline (cold and warm), side by side in one run.

Three ways to execute every chapter of ``CHAPTERS`` for the default parameter set, each from
nothing (``--force``), in a scratch copy of the project (notebooks, book pages, parameters and the
default cohort) so the committed ``book/chapters`` is never touched:

- ``serial``: papermill, one chapter after another, one fresh kernel each — what Jupyter Book's
  ``execute_notebooks: force`` does (the baseline of issue 16);
- ``cold``: ``trustexp run --force --executor cold`` — the pipeline as it was: two chapters at a
  time, a fresh interpreter and a fresh kernel per chapter;
- ``warm``: ``trustexp run --force --executor warm`` — the pipeline now: chapters forked from one
  preloaded interpreter, two at a time.

Rounds interleave the three (serial, cold, warm, serial, ...) so that machine load hits each
alike; the table gives medians of wall time and CPU time (user + system of the process and all its
children), the ratios to the serial side, and the load average around each round. The cold and
warm notebooks are checked byte for byte against the committed ``book/chapters``.

Before the timing it profiles the fixed cost a chapter pays in a fresh interpreter: ``python -X
importtime`` of what the chapters import (summed per top-level package) and the whole preload.

    .venv/bin/python benchmarks/bench_chapters.py [--runs 3] [--sides serial,cold,warm]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARAMS = "params/oss.yml"

SERIAL = r"""
import sys, papermill
from pathlib import Path
from trustexp.report.pipeline.keys import topological
from trustexp.report.contents import CHAPTERS
root, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
for spec in topological(CHAPTERS):
    papermill.execute_notebook(str(root / "notebooks" / spec.notebook), str(out / spec.notebook),
        parameters={"params_file": "params/oss.yml"}, kernel_name="python3", cwd=str(root),
        progress_bar=False, log_output=False)
"""


def scratch_project(tmp: Path) -> Path:
    """A copy of what executing the chapters reads (the cohort included), not the outputs."""
    root = tmp / "project"
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copytree(ROOT / "params", root / "params")
    shutil.copytree(
        ROOT / "book", root / "book", ignore=shutil.ignore_patterns("_build", "chapters")
    )
    shutil.copytree(ROOT / "data" / "cohort" / "oss", root / "data" / "cohort" / "oss")
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(ROOT / name, root / name)
    return root


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def one(side: str, root: Path) -> dict:
    """Execute every chapter one way; wall and CPU seconds (CPU of all descendants)."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    if side == "serial":
        cmd = [sys.executable, "-c", SERIAL, str(root), str(root / "serial-out")]
    else:
        trustexp = str(Path(sys.executable).with_name("trustexp"))
        cmd = [trustexp, "run", "--params", PARAMS, "--force", "--executor", side]
    load = os.getloadavg()[0]
    cpu0, t0 = _children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if proc.returncode != 0:
        sys.exit(f"{side} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return {"wall": wall, "cpu": cpu, "load": (load + os.getloadavg()[0]) / 2}


def identical_to_committed(root: Path) -> bool:
    """Whether the pipeline's executed notebooks equal the committed ``book/chapters`` bytes."""
    from trustexp.report.contents import CHAPTERS

    return all(
        (root / "book" / "chapters" / s.notebook).read_bytes()
        == (ROOT / "book" / "chapters" / s.notebook).read_bytes()
        for s in CHAPTERS
    )


def import_profile() -> dict:
    """``-X importtime`` of the preload, per top-level package (ms, cumulative self time)."""
    code = "from trustexp.report.pipeline.warm import preload; preload()"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True
    )
    per_package: dict[str, float] = defaultdict(float)
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cum, name = (p.strip() for p in line[len("import time:") :].split("|"))
        per_package[name.strip().split(".")[0]] += int(self_us) / 1000
    top = sorted(per_package.items(), key=lambda kv: -kv[1])[:12]
    walls = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        walls.append(time.perf_counter() - t)
    return {"preload_wall_s": round(statistics.median(walls), 2), "top_ms": dict(top)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sides", default="serial,cold,warm")
    ap.add_argument("--no-profile", action="store_true")
    args = ap.parse_args()
    sides = args.sides.split(",")
    result: dict = {"machine": f"{os.cpu_count()} cores", "python": sys.version.split()[0]}
    if not args.no_profile:
        result["import_profile"] = import_profile()
    with tempfile.TemporaryDirectory(prefix="trustexp-bench-chapters-") as tmp:
        root = scratch_project(Path(tmp))
        runs: dict[str, list[dict]] = {s: [] for s in sides}
        for _ in range(args.runs):
            for side in sides:
                runs[side].append(one(side, root))
                if side != "serial":
                    result[f"{side}_identical_to_committed"] = identical_to_committed(root)
    for side, rs in runs.items():
        result[side] = {
            "median_wall_s": round(statistics.median(r["wall"] for r in rs), 1),
            "walls_s": [round(r["wall"], 1) for r in rs],
            "median_cpu_s": round(statistics.median(r["cpu"] for r in rs), 1),
            "load_average": [round(r["load"], 1) for r in rs],
        }
    if "serial" in runs:
        base = result["serial"]["median_wall_s"]
        for side in sides:
            result[side]["speed_up_vs_serial"] = round(base / result[side]["median_wall_s"], 2)
    print(json.dumps(result, indent=2))
    print()
    print("| side | runs | median wall | walls | median CPU | speed-up vs serial | load avg |")
    print("|---|---|---|---|---|---|---|")
    for side in sides:
        r = result[side]
        print(
            f"| {side} | {len(runs[side])} | {r['median_wall_s']} s | {r['walls_s']} | "
            f"{r['median_cpu_s']} s | {r.get('speed_up_vs_serial', '')}x | {r['load_average']} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
