"""The Hawthorne caveat: participation effect vs treatment effect, and bounds.

Everyone who took part (all three arms, the control arm included) knew they were in an experiment.
If taking part itself changed behaviour (a participation or Hawthorne effect ``H``), the control arm
stopped being a clean control: an arm-vs-control contrast then estimates only the arm's own effect
``T_a``, not its effect against business as usual, ``E_a = T_a + H``. The chapter reads the
estimates of the outflow and wellbeing chapters from the results store (it never refits them);
this module bounds ``E_a`` under stated assumptions (among
them that the participation effect is the same in every arm).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from trustexp.stats.outflow import event_study
from trustexp.vocab import ARMS


def effect_bounds(
    treatment: dict[str, tuple[float, float, float]],
    contamination: tuple[float, float, float],
    upper_direct: dict[str, tuple[float, float, float]] | None = None,
) -> pd.DataFrame:
    """Bounds on each arm's effect against an uncontaminated control, ``E_a = T_a + H``.

    Assumptions (stated on the page): A1 the participation effect ``H`` is not negative; A2 what
    the contamination estimate ``C`` contains besides ``H`` is not negative, so ``0 <= H <= C``.
    For outflow ``C`` is regular service vs non-participants (adjusted: ``H`` + remaining selection
    of volunteers); for wellbeing it is the control arm's own change from wave 0 to 2 (``H`` +
    common trend). Then ``T_a <= E_a <= T_a + C``; for the control arm ``T = 0``.

    Parameters
    ----------
    treatment: per arm ``(estimate, ci_low, ci_high)`` of ``T_a`` (arm vs regular service);
        the control arm need not be given (``T = 0`` exactly).
    contamination: ``(estimate, ci_low, ci_high)`` of ``C``.
    upper_direct: optional per arm ``(estimate, ci_low, ci_high)`` of ``T_a + C`` estimated
        directly (arm vs non-participants, adjusted); used for the upper bound when given.

    Returns per arm ``lower, upper`` (the identified set), ``lower_ci, upper_ci`` (the outer 95%
    limits: the lower CI limit of the lower bound and the upper CI limit of the upper bound, which
    cover the set with at least 95%) and ``consistent`` (False when ``C < 0``, which contradicts
    the assumptions; the upper bound is then set to the lower one).

    >>> effect_bounds({"eigen_regie": (2.0, -9.0, 13.0)}, (6.6, -0.5, 13.8))  # doctest: +SKIP
    """
    c, c_low, c_high = contamination
    rows = []
    for arm in ARMS:
        if arm == "regulier":
            t, t_low, t_high = 0.0, 0.0, 0.0
        elif arm in treatment:
            t, t_low, t_high = treatment[arm]
        else:
            continue
        consistent = bool(c >= 0)
        if upper_direct and arm in upper_direct:
            up, _, up_high = upper_direct[arm]
        else:
            up, up_high = t + c, t_high + c_high  # conservative: the two CI half-widths add up
        if not consistent:
            up = t
        rows.append(dict(group=arm, treatment=t, contamination=c, lower=t, upper=max(up, t),
                         lower_ci=t_low, upper_ci=max(up_high, t_high), consistent=consistent))  # fmt: skip
    return pd.DataFrame(rows)


def control_gap(
    monthly: pd.DataFrame, group: str = "regulier", alpha: float = 0.05
) -> pd.DataFrame:
    """Monthly change in benefit receipt of one group minus that of the non-participants (pp).

    ``monthly`` comes from ``trustexp.data.registry_queries.monthly_receipt`` with groups that
    include ``group`` and ``non_participants``; the contrast itself is the outflow chapter's
    ``trustexp.stats.outflow.event_study`` (change since the reference month, Welch CI), applied to
    the chosen group instead of all participants.
    """

    sub = monthly[monthly["group"].isin([group, "non_participants"])]
    sub = sub.assign(group=sub["group"].replace({group: "participants"}))
    out = event_study(sub, alpha)
    return out.rename(
        columns={"share_participants": f"share_{group}", "n_participants": f"n_{group}"}
    )


def receipt_shares(monthly: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Share on benefit per group and month with a Wilson CI (statsmodels): ``group, k, n, share,
    ci_low, ci_high``."""

    out = monthly[["group", "k", "n", "share"]].copy()
    count = np.round(out["share"].to_numpy(float) * out["n"].to_numpy(float))
    low, high = proportion_confint(count, out["n"].to_numpy(float), alpha=alpha, method="wilson")
    return out.assign(ci_low=low, ci_high=high).reset_index(drop=True)


# --------------------------------------------------------------------------- display helpers


# --------------------------------------------------------------------------- chapter steps


def participation_groups(population: pd.DataFrame, participants: pd.DataFrame) -> pd.DataFrame:
    """``person_id, group`` for the whole population: the participant's arm or ``non_participants``."""
    arm_of = participants.set_index("person_id")["arm"].astype(str)
    group = population["person_id"].map(arm_of).fillna("non_participants")
    return population[["person_id"]].assign(group=group)
