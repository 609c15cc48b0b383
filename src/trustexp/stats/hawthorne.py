"""The Hawthorne caveat: participation effect vs treatment effect, bounds, and masking.

Everyone who took part (all three arms, the control arm included) knew they were in an experiment.
If taking part itself changed behaviour (a participation or Hawthorne effect ``H``), the control arm
stopped being a clean control: an arm-vs-control contrast then estimates only the arm's own effect
``T_a``, not its effect against business as usual, ``E_a = T_a + H``. This module reads the
estimates of the outflow and wellbeing chapters from the results store (it never refits them),
puts the two kinds of contrast side by side, bounds ``E_a`` under stated assumptions, and
simulates how a participation effect of a given size masks arm effects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm
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


def _z_test_positive(x1: np.ndarray, n1: int, x0: np.ndarray, n0: int, alpha: float) -> np.ndarray:
    """Two-sided pooled z-test of two proportions, vectorised; True where significant and > 0.

    Hand-vectorised because statsmodels' ``proportions_ztest`` takes one table at a time; the test
    suite checks it against that function.
    """

    p1, p0 = x1 / n1, x0 / n0
    pooled = (x1 + x0) / (n1 + n0)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (p1 - p0) / se, 0.0)
    return (np.abs(z) > norm.ppf(1 - alpha / 2)) & (p1 > p0)


def masking_power(
    n_arm: int,
    n_control: int,
    control_share: float,
    participation: list[float] | tuple[float, ...],
    effects: list[float] | np.ndarray,
    n_simulations: int,
    seed: int,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Power of the arm-vs-control contrast when the control is contaminated by participation.

    Model (probabilities, in pp in the arguments): an uncontaminated control would leave at
    ``p0 = control_share - H``; the arm at ``p0 + E`` where ``E`` is the arm's effect against the
    uncontaminated control; the (contaminated) control arm at ``p0 + H = control_share``. The
    experiment compares the arm with the contaminated control, so it sees ``E - H``: the
    participation effect ``H`` is masked. For each ``H`` (``participation``) and ``E``
    (``effects``) ``n_simulations`` experiments are drawn; power = share in which the pooled
    two-sided z-test at ``alpha`` finds the arm significantly higher. The same uniform draws
    are used for every ``(H, E)`` (common random numbers), so with ``H = 0`` the power equals that
    against a clean control exactly. Returns ``participation_pp, effect_pp, observed_pp, power,
    power_low, power_high`` (Wilson CI of the simulated power), ``power_clean`` (same ``E``,
    ``H = 0``) and ``masked_power`` (``power_clean - power``).

    >>> masking_power(100, 100, 0.21, [0, 9.5], np.arange(0, 31, 2), 200, seed=1)  # doctest: +SKIP
    """

    rng = np.random.default_rng(seed)
    u_arm = rng.random((n_simulations, n_arm))
    u_ctl = rng.random((n_simulations, n_control))
    effects = np.asarray(effects, float)

    def power(p1: float, p0: float) -> float:
        x1 = (u_arm < np.clip(p1, 0, 1)).sum(axis=1)
        x0 = (u_ctl < np.clip(p0, 0, 1)).sum(axis=1)
        return float(_z_test_positive(x1, n_arm, x0, n_control, alpha).mean())

    rows = []
    for h in participation:
        p0 = control_share - h / 100
        for e in effects:
            pw = power(p0 + e / 100, p0 + h / 100)
            clean = power(p0 + e / 100, p0)
            lo, hi = proportion_confint(
                round(pw * n_simulations), n_simulations, alpha=0.05, method="wilson"
            )
            rows.append(dict(participation_pp=float(h), effect_pp=float(e), observed_pp=float(e - h),
                             power=pw, power_low=float(lo), power_high=float(hi), power_clean=clean,
                             masked_power=clean - pw, uncontaminated_share=p0))  # fmt: skip
    return pd.DataFrame(rows)


def detectable_effect(power_curve: pd.DataFrame, target: float = 0.8) -> pd.DataFrame:
    """Smallest simulated effect (vs an uncontaminated control) reaching ``target`` power, per ``H``.

    Returns ``participation_pp, detectable_pp`` (NaN when no effect on the grid reaches it) and
    ``detectable_clean_pp`` (the same with a clean control).
    """
    rows = []
    for h, g in power_curve.groupby("participation_pp", sort=True):
        g = g.sort_values("effect_pp")
        hit, clean = g[g["power"] >= target], g[g["power_clean"] >= target]
        rows.append(dict(participation_pp=float(h),
                         detectable_pp=float(hit["effect_pp"].iloc[0]) if len(hit) else np.nan,
                         detectable_clean_pp=float(clean["effect_pp"].iloc[0]) if len(clean) else np.nan))  # fmt: skip
    return pd.DataFrame(rows)


def power_at_clean_detectable(power_curve: pd.DataFrame, detectable: pd.DataFrame) -> pd.DataFrame:
    """Per ``H``: the contaminated design's power at the effect a clean design detects with 80%."""
    rows = []
    for r in detectable.itertuples():
        hit = power_curve[(power_curve["participation_pp"] == r.participation_pp)
                          & (power_curve["effect_pp"] == r.detectable_clean_pp)]  # fmt: skip
        if len(hit):
            rows.append(hit.iloc[0])
    return pd.DataFrame(rows).reset_index(drop=True)


# --------------------------------------------------------------------------- display helpers


# --------------------------------------------------------------------------- chapter steps


def participation_groups(population: pd.DataFrame, participants: pd.DataFrame) -> pd.DataFrame:
    """``person_id, group`` for the whole population: the participant's arm or ``non_participants``."""
    arm_of = participants.set_index("person_id")["arm"].astype(str)
    group = population["person_id"].map(arm_of).fillna("non_participants")
    return population[["person_id"]].assign(group=group)
