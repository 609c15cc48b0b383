"""Simulation checks, the pure part: summaries of replicated estimates against a known truth.

``coverage_summary`` gives per estimator the true value, mean estimate, bias with its Monte Carlo
SE, empirical SE, mean CI width and the coverage of the 95 % intervals with its Monte Carlo
interval and a one-sided exact binomial test against 95 %. An estimator is flagged as
under-covering only on that evidence (``p < FAIL_P``), and separately when its coverage point
estimate is below ``MIN_COVERAGE`` (the book's 93 % rule). The harness that draws cohorts lives in
``trustexp.simulation`` (it needs the parameter set and the generator, which ``stats`` must not
import).

``true_effects``, ``replicate_seeds``, ``simulation_summary`` and the constants of the old
harness stay here for the robustness chapter; ``simulate`` and ``estimate_cohort`` are served from
``trustexp.simulation`` until the chapter is rewired.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

TREATED = ("eigen_regie", "intensief")
CONTROL = "regulier"
SIM_NON_PARTICIPANTS = 30
"""Non-participants per cohort of the old harness (the new one uses the parameter set's size)."""

FLAG_BELOW = 0.90
"""Coverage below this share flagged by the old summary (``simulation_summary``)."""
NOMINAL = 0.95
MIN_COVERAGE = 0.93
"""A primary 95 % interval must cover in at least this share of cohorts."""
FAIL_P = 0.01
"""Under-coverage is declared when the one-sided binomial test against 95 % has p below this."""

ESTIMATORS: tuple[tuple[str, str, str], ...] = (
    ("outflow_full", "risk difference", "pp"),
    ("outflow_full", "risk difference (consultant-clustered LPM)", "pp"),
    ("wellbeing", "ANCOVA", "points"),
)
"""(outcome, method, scale) of the old harness's estimators, each for both arm contrasts."""


def true_effects(truth: Any) -> pd.DataFrame:
    """The true arm-vs-control effects of the primary outcomes, as the generator defines them.

    Outflow: the arm's shift of the full-time exit probability within the horizon (additive on
    the probability scale), in percentage points. Wellbeing: the arm's shift of the latent
    wave-2 score, in points (the recorded mark is the latent score rounded and kept in 0-10, so
    the observed effect can differ slightly). ``truth`` is a ``data.truth.Truth``. Returns
    ``outcome, contrast, truth, scale``.

    >>> true_effects(Truth()).query("outcome == 'wellbeing'")["truth"].round(2).tolist()  # doctest: +SKIP
    [0.1, 0.05]
    """
    control = truth.arm_effect.regulier
    rows = []
    for arm in TREATED:
        eff = getattr(truth.arm_effect, arm)
        base = getattr(truth.arm_baseline, arm)
        base_c = truth.arm_baseline.regulier
        rows.append(dict(outcome="outflow_full", contrast=f"{arm} vs {CONTROL}",
                         truth=100 * (eff.outflow_full - control.outflow_full), scale="pp"))  # fmt: skip
        if base.wellbeing != base_c.wellbeing:
            raise ValueError("true_effects assumes no arm offset of wellbeing at baseline")
        rows.append(dict(outcome="wellbeing", contrast=f"{arm} vs {CONTROL}",
                         truth=eff.wellbeing - control.wellbeing, scale="points"))  # fmt: skip
    return pd.DataFrame(rows)


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


def simulation_summary(reps: pd.DataFrame, flag_below: float = FLAG_BELOW) -> pd.DataFrame:
    """The old harness's summary: bias and 95 % CI coverage per estimator, Monte Carlo SEs.

    ``bias`` = mean(estimate - truth); ``coverage`` = share of replicates whose CI holds the
    truth; ``flag`` marks coverage below ``flag_below``. Replicates where the estimator could
    not be computed are left out (``n_replicates`` counts those used).
    """
    rows = []
    for (outcome, contrast, method), g in reps.groupby(
        ["outcome", "contrast", "method"], sort=False
    ):
        g = g.dropna(subset=["estimate", "ci_low", "ci_high"])
        n = len(g)
        err = g["estimate"] - g["truth"]
        covered = (g["ci_low"] <= g["truth"]) & (g["truth"] <= g["ci_high"])
        cov = float(covered.mean()) if n else math.nan
        rows.append(
            dict(
                outcome=outcome,
                contrast=contrast,
                method=method,
                scale=g["scale"].iloc[0] if n else "",
                truth=float(g["truth"].iloc[0]) if n else math.nan,
                mean_estimate=float(g["estimate"].mean()) if n else math.nan,
                bias=float(err.mean()) if n else math.nan,
                bias_mcse=float(err.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan,
                empirical_se=float(g["estimate"].std(ddof=1)) if n > 1 else math.nan,
                mean_ci_width=float((g["ci_high"] - g["ci_low"]).mean()) if n else math.nan,
                coverage=cov,
                coverage_mcse=math.sqrt(cov * (1 - cov) / n) if n else math.nan,
                n_replicates=n,
                flag=bool(n and cov < flag_below),
            )
        )
    return pd.DataFrame(rows)
