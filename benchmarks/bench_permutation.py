"""Benchmark: randomisation inference of chapter 12, vectorised re-draws against a naive loop.

Both compute, for B re-draws of the lottery of the default cohort size (300 participants, three
arms), the ANCOVA coefficients of the two experimental arms (wave-2 score on arm + wave-0 score):
``permutation_contrasts`` with a few matrix products over all re-draws, ``permutation_naive`` with
one ``numpy.linalg.lstsq`` fit per re-draw, and — what an analyst would typically write — one
statsmodels formula OLS fit per re-draw. They are checked to agree. The loops run on fewer re-draws
(``--naive-draws``, ``--sm-draws``) and their times are scaled to B linearly (a loop of identical fits).

    .venv/bin/python benchmarks/bench_permutation.py [--runs 3] [--draws 10000] [--naive-draws 2000]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from trustexp.stats.robustness import (
    _arm_coefficients,
    lottery_redraws,
    permutation_contrasts,
    permutation_naive,
)


def data(n: int = 300, seed: int = 1):
    rng = np.random.default_rng(seed)
    arms = rng.permutation(
        np.array(["eigen_regie", "intensief", "regulier"] * (n // 3), dtype=object)
    )
    y0 = rng.normal(6, 1.5, n)
    y = 0.6 * y0 + 0.1 * (arms == "eigen_regie") + rng.normal(0, 1, n)
    y[rng.random(n) < 0.4] = np.nan  # non-respondents
    return arms, y0, y


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--naive-draws", type=int, default=2_000)
    ap.add_argument("--sm-draws", type=int, default=300)
    args = ap.parse_args()
    arms, y0, y = data()
    redraws = lottery_redraws(arms, args.draws, seed=2)

    # agreement on the naive subset
    ok = np.isfinite(y)
    q, _ = np.linalg.qr(np.column_stack([np.ones(ok.sum()), y0[ok]]))
    yr = y[ok] - q @ (q.T @ y[ok])
    fast = _arm_coefficients(yr, q, redraws[: args.naive_draws, ok], [0, 1])  # codes of sorted arms
    slow = permutation_naive(y, arms, redraws[: args.naive_draws], covariates=y0)
    assert np.allclose(fast, slow, atol=1e-9), "vectorised and naive coefficients differ"

    import pandas as pd
    import statsmodels.formula.api as smf

    frame = pd.DataFrame({"y": y, "y0": y0})
    labels = np.unique(arms)

    def sm_loop(n: int) -> None:
        for b in range(n):
            f = frame.assign(arm=labels[redraws[b]]).dropna()
            smf.ols("y ~ C(arm, Treatment('regulier')) + y0", data=f).fit()

    vec, naive, sm = [], [], []
    for _ in range(args.runs):
        t = time.perf_counter()
        permutation_contrasts(y, arms, redraws, covariates=y0)
        vec.append(time.perf_counter() - t)
        t = time.perf_counter()
        permutation_naive(y, arms, redraws[: args.naive_draws], covariates=y0)
        naive.append((time.perf_counter() - t) * args.draws / args.naive_draws)
        t = time.perf_counter()
        sm_loop(args.sm_draws)
        sm.append((time.perf_counter() - t) * args.draws / args.sm_draws)
    v, s, m = statistics.median(vec), statistics.median(naive), statistics.median(sm)
    print(
        f"re-draws: {args.draws:,} (naive timed on {args.naive_draws:,}, scaled), runs: {args.runs}"
    )
    print(f"vectorised: median {v:.3f} s  runs {[round(x, 3) for x in vec]}")
    print(f"naive loop: median {s:.3f} s  runs {[round(x, 3) for x in naive]}")
    print(f"statsmodels loop: median {m:.3f} s  runs {[round(x, 3) for x in sm]}")
    print(
        f"ratio lstsq loop / vectorised: {s / v:.0f}x; statsmodels loop / vectorised: {m / v:.0f}x"
    )


if __name__ == "__main__":
    main()
