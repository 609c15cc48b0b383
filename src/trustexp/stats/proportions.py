"""Shares of people with a binary outcome, with confidence intervals (used by several chapters)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint


def wilson_shares(
    frame: pd.DataFrame, outcome: str, by: str = "group", alpha: float = 0.05
) -> pd.DataFrame:
    """Share with the outcome per level of ``by`` and its Wilson score CI.

    Returns ``<by>, n, events, share, ci_low, ci_high`` (shares 0-1).

    >>> wilson_shares(frame, "outflow_full")  # doctest: +SKIP
    """

    g = frame.groupby(by, observed=True)[outcome].agg(n="count", events="sum").reset_index()
    g["share"] = g["events"] / g["n"]
    low, high = proportion_confint(g["events"], g["n"], alpha=alpha, method="wilson")
    g["ci_low"], g["ci_high"] = np.asarray(low, float), np.asarray(high, float)
    return g
