"""``make book`` on a fresh clone: cold, no-op, one parameter changed; and the install alone, pip vs uv.

Usage: ``python benchmarks/bench_make_book.py [--cold-runs 3] [--no-op-runs 3] [--install-runs 3]``
from the project root. Clones the committed HEAD into a temporary folder and there:

1. runs ``make book`` from nothing (venv, install, data, chapters, HTML and PDF), ``--cold-runs``
   times, each in a fresh clone, and splits each run's time into install / data / chapters / book
   from the lines ``make book`` prints (target: median at most 60 s);
2. runs it again ``--no-op-runs`` times (nothing may be executed; target: at most 2 % of cold);
3. changes ``analysis.n_permutations`` in ``params/oss.yml`` and runs it once more, listing which
   chapters re-ran (only those that read the parameter may) and how long it took;
4. first of all, with ``--install-runs N`` (default 3), installs ``requirements.lock`` into fresh
   virtual environments N times each with pip and with uv (the Makefile's two ways), alternating;
   this also leaves both download caches warm for the cold ``make book``.

The download caches of pip and uv are used as they are on this machine (say whether warm).
"""

from __future__ import annotations

import argparse
import json
import os
import re
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


def _ran(out: str) -> list[str]:
    return [ln.split()[1] for ln in out.splitlines() if ln.strip().startswith("ran ")]


def _phases(out: str, total: float) -> dict[str, float]:
    """Seconds of data, chapters and book as printed by ``make book``; install is the rest."""
    found = {}
    for name, pattern in (
        ("data", r"cohort ready in ([\d.]+) s"),
        ("chapters", r"chapters in ([\d.]+) s"),
        ("book", r"built book in ([\d.]+) s"),
    ):
        m = re.search(pattern, out)
        found[name] = float(m.group(1)) if m else 0.0
    found["install, start-up and the rest"] = round(total - sum(found.values()), 1)
    return found


def _install(tool: str, lock: Path, tmp: Path) -> float:
    venv = tmp / f"venv-{tool}"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    start = time.perf_counter()
    if tool == "pip":
        cmd = [str(py), "-m", "pip", "install", "-q", "-r", str(lock)]
        subprocess.run(cmd, check=True, capture_output=True)
    else:
        pin = next(ln for ln in lock.read_text().splitlines() if ln.lower().startswith("uv=="))
        subprocess.run(
            [str(py), "-m", "pip", "install", "-q", pin], check=True, capture_output=True
        )
        cmd = [
            str(venv / "bin" / "uv"),
            "pip",
            "install",
            "-q",
            "--python",
            str(py),
            "-r",
            str(lock),
        ]
        subprocess.run(cmd, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    subprocess.run(["rm", "-rf", str(venv)], check=True)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--no-op-runs", type=int, default=3)
    parser.add_argument("--install-runs", type=int, default=3)
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[1]
    result: dict = {"load_average_at_start": [round(x, 1) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory(prefix="trustexp-bench-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True)
        # the install comparison first: it also leaves both download caches warm
        if args.install_runs:
            times: dict[str, list[float]] = {"pip": [], "uv": []}
            for _ in range(args.install_runs):
                for tool in ("pip", "uv"):
                    times[tool].append(_install(tool, clone / "requirements.lock", Path(tmp)))
            result["install_s"] = {
                t: {"median": round(statistics.median(v), 1), "runs": [round(x, 1) for x in v]}
                for t, v in times.items()
            }
            result["load_average_after_install"] = [round(x, 1) for x in os.getloadavg()]
        colds = []
        for i in range(max(1, args.cold_runs)):
            if i:  # a fresh clone each time: nothing generated, no venv (the download caches stay)
                subprocess.run(["rm", "-rf", str(clone)], check=True)
                subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True)
            seconds, out = _make_book(clone)
            colds.append((seconds, _phases(out, seconds), len(_ran(out))))
        cold = statistics.median(c[0] for c in colds)
        result["cold_s"] = round(cold, 1)
        result["cold_runs_s"] = [round(c[0], 1) for c in colds]
        result["cold_phases_s"] = [c[1] for c in colds]
        result["cold_chapters_ran"] = [c[2] for c in colds]
        noops = []
        for _ in range(args.no_op_runs):
            seconds, out = _make_book(clone)
            if _ran(out):
                sys.exit("a no-op make book executed a notebook:\n" + out)
            noops.append(seconds)
        result["no_op_s"] = [round(s, 2) for s in noops]
        result["no_op_median_s"] = round(statistics.median(noops), 2)
        result["no_op_over_cold"] = round(statistics.median(noops) / cold, 4)

        params = clone / "params" / "oss.yml"
        text = params.read_text()
        changed = re.sub(r"(n_permutations:\s*)(\d+)", lambda m: f"{m[1]}{int(m[2]) + 1}", text)
        assert changed != text, "n_permutations not found in params/oss.yml"
        params.write_text(changed)
        seconds, out = _make_book(clone)
        result["n_permutations_changed"] = {"seconds": round(seconds, 1), "ran": _ran(out)}
        result["load_average_after_book"] = [round(x, 1) for x in os.getloadavg()]

    print(json.dumps(result, indent=2))
    return 0 if result["no_op_over_cold"] <= 0.02 and result["cold_s"] <= 60 else 1


if __name__ == "__main__":
    raise SystemExit(main())
