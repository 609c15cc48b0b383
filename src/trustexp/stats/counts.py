"""Count outcomes (social contacts per month): negative binomial regression.

Contacts are counts whose variance is well above their mean (over-dispersion), so a Poisson model
would understate the uncertainty; the NB2 model estimates the extra variance. Effects are rate
ratios: the arm's expected number of contacts relative to regular service.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from trustexp.stats.survey import paired_wave
from trustexp.vocab import CONTROL, ESTIMATE_COLUMNS, TREATED


def negative_binomial(
    frame: pd.DataFrame, covariates: tuple[str, ...] = (), alpha: float = 0.05
) -> pd.DataFrame:
    """NB2 regression of the count ``y`` on arm (reference ``regulier``) plus numeric covariates.

    Returns one row per experimental arm: rate ratio, CI, Wald p, ``n`` (the arm and control),
    and the estimated dispersion ``alpha_nb`` (0 = Poisson).

    >>> negative_binomial(pd.DataFrame({"arm": [...], "y": [...]}))  # doctest: +SKIP
    """

    cols = [*ESTIMATE_COLUMNS, "alpha_nb"]
    data = frame.dropna(subset=["arm", "y", *covariates])
    arms = [a for a in TREATED if (data["arm"] == a).sum() >= 2]
    if (data["arm"] == CONTROL).sum() < 2 or not arms or data["y"].sum() == 0:
        return pd.DataFrame(columns=cols)
    data = data[data["arm"].isin([*arms, CONTROL])]
    rhs = " + ".join([f"C(arm, Treatment('{CONTROL}'))", *covariates])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = smf.negativebinomial(f"y ~ {rhs}", data=data).fit(disp=False, maxiter=500)
    ci = fit.conf_int(alpha=alpha)
    counts = data["arm"].value_counts()
    rows = []
    for a in arms:
        t = f"C(arm, Treatment('{CONTROL}'))[T.{a}]"
        rows.append(dict(contrast=f"{a} vs {CONTROL}", estimate=float(np.exp(fit.params[t])),
                         ci_low=float(np.exp(ci.loc[t, 0])), ci_high=float(np.exp(ci.loc[t, 1])),
                         p=float(fit.pvalues[t]), n=int(counts[a] + counts[CONTROL]),
                         method="negative binomial", scale="ratio",
                         alpha_nb=float(fit.params["alpha"])))  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def negative_binomial_wave2(long: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """NB2 model of wave-2 contacts on arm, adjusted for log(1 + wave-0 contacts) (ANCOVA sample)."""

    data = paired_wave(long, 2)
    data = data.assign(y=data["y"].round().astype(int), log_y0=np.log1p(data["y0"]))
    return negative_binomial(data, ("log_y0",), alpha)


def dispersion_table(long: pd.DataFrame) -> pd.DataFrame:
    """Mean, variance and variance-to-mean ratio of the counts per wave (1 = Poisson)."""
    g = long.groupby("wave")["value"]
    out = pd.DataFrame({"n": g.count(), "mean": g.mean(), "variance": g.var()}).reset_index()
    out["variance_to_mean"] = out["variance"] / out["mean"]
    return out
