"""Simulation summaries: bias and 95 % CI coverage of estimators over simulated cohorts.

The cohorts are drawn and estimated by ``trustexp.simulation``; this module only summarises the
estimates against the truth (pure: frames in, a tidy frame out).
"""

from __future__ import annotations

import math

import pandas as pd

FLAG_BELOW = 0.90
"""Coverage below this share of 95 % CIs is flagged on the page."""


def simulation_summary(reps: pd.DataFrame, flag_below: float = FLAG_BELOW) -> pd.DataFrame:
    """Bias and 95 % CI coverage per estimator, with Monte Carlo standard errors.

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
