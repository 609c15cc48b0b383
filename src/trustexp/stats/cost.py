"""Cost per extra exit to work from the ATT, with both groups' spending and consultant time.

cost per extra exit = (cost per participant - cost per comparable non-participant) / ATT, where
each group's cost is its participation-budget spending per person plus its consultant hours per
person-year x years x the cost of an hour, and the ATT is the effect of taking part on the
share leaving benefit (a share, e.g. from ``stats.att``). The interval divides the cost
difference by the ATT's interval ends (the cost difference taken as known); it is undefined
(NaN) when the ATT interval includes zero, because then the number of extra exits may be zero.
``cost_sensitivity`` recomputes the figure over a grid of consultant hours and hourly costs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

METHOD = "cost per extra exit (ATT, both groups' costs, consultant time)"


def group_cost(spending_per_person: float, hours_per_year: float, eur_per_hour: float,
               years: float) -> float:  # fmt: skip
    """Euros per person over the experiment: spending plus consultant time.

    >>> group_cost(1000.0, 10.0, 80.0, 2.0)
    2600.0
    """
    return float(spending_per_person) + float(hours_per_year) * float(eur_per_hour) * float(years)


def cost_per_extra_exit(
    att_share: float,
    att_ci: tuple[float, float],
    spending: Mapping[str, float],
    hours_per_year: Mapping[str, float],
    eur_per_hour: float,
    years: float,
    treated: str = "participants",
    comparison: str = "non_participants",
    n: int | None = None,
) -> pd.DataFrame:
    """One row: extra cost per extra exit (euros) of ``treated`` over ``comparison``.

    ``att_share``/``att_ci``: the ATT and its CI as shares (0.09 = 9 pp); ``spending``: euros
    per person over the experiment per group (use the comparison group's real spending - zero
    only when it truly had none); ``hours_per_year``: consultant hours per person-year per group.
    Returns ``estimate, ci_low, ci_high, p`` (NaN), ``n, method, scale`` (``eur``),
    ``cost_difference`` and ``att``.

    >>> cost_per_extra_exit(0.1, (0.05, 0.15), {"participants": 1000, "non_participants": 200},
    ...                     {"participants": 10, "non_participants": 5}, 80, 2)["estimate"].iloc[0]
    16000.0
    """
    c1 = group_cost(spending[treated], hours_per_year[treated], eur_per_hour, years)
    c0 = group_cost(spending[comparison], hours_per_year[comparison], eur_per_hour, years)
    diff = c1 - c0
    lo, hi = att_ci
    est = diff / att_share if att_share > 0 else math.nan
    if lo > 0:
        ends = sorted((diff / lo, diff / hi))
    else:
        ends = [math.nan, math.nan]
    return pd.DataFrame([{"estimate": est, "ci_low": ends[0], "ci_high": ends[1], "p": math.nan,
                          "n": n, "method": METHOD, "scale": "eur", "cost_difference": diff,
                          "att": att_share}])  # fmt: skip


def cost_sensitivity(
    att_share: float,
    spending: Mapping[str, float],
    hours_per_year: Mapping[str, float],
    years: float,
    eur_per_hour: Sequence[float],
    hours_multiplier: Sequence[float] = (0.0, 0.5, 1.0, 1.5, 2.0),
    treated: str = "participants",
    comparison: str = "non_participants",
) -> pd.DataFrame:
    """The cost per extra exit over a grid of hourly costs and multiples of the declared hours.

    Returns ``eur_per_hour, hours_multiplier, cost_difference, estimate`` (one row per pair);
    multiplier 0 is the figure without consultant time.
    """
    rows = []
    for rate in eur_per_hour:
        for mult in hours_multiplier:
            hours = {k: v * mult for k, v in hours_per_year.items()}
            diff = group_cost(spending[treated], hours[treated], rate, years) - group_cost(
                spending[comparison], hours[comparison], rate, years
            )
            rows.append({"eur_per_hour": float(rate), "hours_multiplier": float(mult),
                         "cost_difference": diff,
                         "estimate": diff / att_share if att_share > 0 else np.nan})  # fmt: skip
    return pd.DataFrame(rows)
