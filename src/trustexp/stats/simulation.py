"""Simulation checks, the pure part: summaries of replicated estimates against a known truth.

``coverage_summary`` gives per estimator the true value, mean estimate, bias with its Monte Carlo
SE, empirical SE, mean CI width and the coverage of the 95 % intervals with its Monte Carlo
interval and a one-sided exact binomial test against 95 %. An estimator is flagged as
under-covering only on that evidence (``p < FAIL_P``), and separately when its coverage point
estimate is below ``MIN_COVERAGE`` (the book's 93 % rule). The harness that draws cohorts lives in
``trustexp.simulation`` (it needs the parameter set and the generator, which ``stats`` must not
import).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

NOMINAL = 0.95
MIN_COVERAGE = 0.93
"""A primary 95 % interval must cover in at least this share of cohorts."""
FAIL_P = 0.01
"""Under-coverage is declared when the one-sided binomial test against 95 % has p below this."""


def replicate_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent seeds for the replicates, derived from ``seed`` (SeedSequence)."""
    ss = np.random.SeedSequence([int(seed), 20_091])
    return [int(s) for s in ss.generate_state(n, dtype=np.uint32)]


def coverage_test(covered: int, n: int, nominal: float = NOMINAL) -> dict[str, float]:
    """Coverage, its Monte Carlo 95 % interval (Wilson) and the one-sided exact binomial p-value
    of ``H0: coverage >= nominal`` against ``coverage < nominal``.

    >>> round(coverage_test(180, 200)["p_binomial"], 4)
    0.0024
    """
    if n == 0:
        return {"coverage": math.nan, "coverage_mc_low": math.nan, "coverage_mc_high": math.nan,
                "p_binomial": math.nan}  # fmt: skip
    low, high = proportion_confint(covered, n, alpha=0.05, method="wilson")
    p = stats.binomtest(int(covered), int(n), nominal, alternative="less").pvalue
    return {"coverage": covered / n, "coverage_mc_low": float(low), "coverage_mc_high": float(high),
            "p_binomial": float(p)}  # fmt: skip


def coverage_summary(
    reps: pd.DataFrame,
    by: Sequence[str] = ("truth_name", "outcome", "contrast", "method", "inference"),
    truth: str = "truth",
    min_coverage: float = MIN_COVERAGE,
    fail_p: float = FAIL_P,
) -> pd.DataFrame:
    """Bias and coverage per estimator from replicated estimates.

    ``reps``: one row per replicate and estimator with ``estimate, ci_low, ci_high`` and the true
    value in column ``truth`` (it may vary by replicate); ``by`` names the estimator (columns
    missing from ``reps`` are skipped). Returns per estimator ``truth`` (mean true value),
    ``mean_estimate, bias, bias_mcse, empirical_se, mean_ci_width, coverage, coverage_mc_low,
    coverage_mc_high, p_binomial, n_replicates`` and the flags ``under_covers`` (``p_binomial <
    fail_p``), ``below_min`` (coverage < ``min_coverage``) and ``passes`` (neither).

    >>> coverage_summary(reps, truth="truth_population")  # doctest: +SKIP
    """
    keys = [c for c in by if c in reps.columns]
    rows = []
    for key, g in reps.groupby(keys, sort=False, dropna=False):
        g = g.dropna(subset=["estimate", "ci_low", "ci_high", truth])
        n = len(g)
        err = g["estimate"] - g[truth]
        covered = int(((g["ci_low"] <= g[truth]) & (g[truth] <= g["ci_high"])).sum())
        test = coverage_test(covered, n)
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        row.update(
            truth=float(g[truth].mean()) if n else math.nan,
            mean_estimate=float(g["estimate"].mean()) if n else math.nan,
            bias=float(err.mean()) if n else math.nan,
            bias_mcse=float(err.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan,
            empirical_se=float(g["estimate"].std(ddof=1)) if n > 1 else math.nan,
            mean_ci_width=float((g["ci_high"] - g["ci_low"]).mean()) if n else math.nan,
            **test,
            n_replicates=n,
        )
        row["under_covers"] = bool(n and row["p_binomial"] < fail_p)
        row["below_min"] = bool(n and row["coverage"] < min_coverage)
        row["passes"] = bool(n) and not (row["under_covers"] or row["below_min"])
        rows.append(row)
    return pd.DataFrame(rows)
