"""Ordinal outcomes (the participation ladder): proportional-odds (ordered logit) models.

The ladder has six ordered rungs whose distances are not equal, so besides the ANCOVA on the rung
number the chapters fit an ordered logit (statsmodels ``OrderedModel``): one odds ratio per arm,
the odds of being on a higher rung rather than a lower one, the same at every cut-point.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from statsmodels.miscmodels.ordinal_model import OrderedModel

from trustexp.stats.survey import paired_wave
from trustexp.vocab import CONTROL, ESTIMATE_COLUMNS, TREATED


def proportional_odds(
    frame: pd.DataFrame, covariates: tuple[str, ...] = (), alpha: float = 0.05
) -> pd.DataFrame:
    """Ordered logit of ``y`` on the arm (reference ``regulier``) and numeric ``covariates``.

    ``frame`` has columns ``arm``, ``y`` (ordered integer codes) and the covariates. Returns one
    row per experimental arm present: odds ratio (higher rung), its CI and Wald p; ``n`` counts the
    people of that arm and the control. Empty when fewer than two rungs are observed.

    >>> proportional_odds(pd.DataFrame({"arm": [...], "y": [...]}))  # doctest: +SKIP
    """

    cols = list(ESTIMATE_COLUMNS)
    data = frame.dropna(subset=["arm", "y", *covariates])
    arms = [a for a in TREATED if (data["arm"] == a).sum() >= 2]
    if (data["arm"] == CONTROL).sum() < 2 or not arms or data["y"].nunique() < 2:
        return pd.DataFrame(columns=cols)
    data = data[data["arm"].isin([*arms, CONTROL])]
    exog = pd.DataFrame({a: (data["arm"] == a).astype(float) for a in arms}, index=data.index)
    for c in covariates:
        exog[c] = data[c].astype(float)
    levels = sorted(data["y"].unique())
    endog = pd.Series(pd.Categorical(data["y"], categories=levels, ordered=True), index=data.index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = OrderedModel(endog, exog, distr="logit").fit(method="bfgs", disp=False, maxiter=2000)
    ci = fit.conf_int(alpha=alpha)
    counts = data["arm"].value_counts()
    rows = [
        dict(contrast=f"{a} vs {CONTROL}", estimate=float(np.exp(fit.params[a])),
             ci_low=float(np.exp(ci.loc[a, 0])), ci_high=float(np.exp(ci.loc[a, 1])),
             p=float(fit.pvalues[a]), n=int(counts[a] + counts[CONTROL]),
             method="proportional odds", scale="odds_ratio")
        for a in arms
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def proportional_odds_wave2(long: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Ordered logit of the wave-2 rung on arm, adjusted for the wave-0 rung (ANCOVA sample)."""

    data = paired_wave(long, 2)
    data = data.assign(y=data["y"].round().astype(int))
    return proportional_odds(data, ("y0",), alpha)
