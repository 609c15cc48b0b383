"""Outflow to work: shares, risk differences, adjusted and reweighted contrasts, DiD.

All functions take the person-level analysis frame built by ``analysis_frame`` (one row per
person: group, covariates, outflow flags, time to exit, benefit receipt before and after the
index month) or aggregates from ``trustexp.data.registry_queries``, and return tidy frames.
Differences of shares are in percentage points (``scale="pp"``); shares are 0-1.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy.stats import norm
from statsmodels.stats.anova import anova_lm
from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

from trustexp.stats import cluster_robust as cr
from trustexp.stats.att import METHODS as ATT_METHODS
from trustexp.stats.att import att_contrasts
from trustexp.stats.balance import smd
from trustexp.stats.proportions import wilson_shares
from trustexp.vocab import (
    ARMS,
    DURATION_BINS,
    DURATION_CLASSES,
    NON_PARTICIPANTS,
    OUTFLOW_OUTCOMES,
    PARTICIPATION,
    ROW_COLUMNS,
    between,
)

OUTCOMES: tuple[str, ...] = ("outflow_full", "outflow_any")
"""Outcomes known for everyone in the window (no exit = 0)."""
ESTIMATED: tuple[str, ...] = OUTFLOW_OUTCOMES
"""Outcomes whose contrasts the chapter estimates (the durable exit may be unknown: NaN)."""
COVARIATES = "age + C(sex) + C(household) + migration_background + benefit_years"
"""Baseline registry covariates known for participants and non-participants alike."""
STORE_COLUMNS = list(ROW_COLUMNS)


def _z(alpha: float) -> float:

    return float(norm.ppf(1 - alpha / 2))


def analysis_frame(
    population: pd.DataFrame,
    participants: pd.DataFrame,
    outcomes: pd.DataFrame,
    window_months: int,
    durable: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per person: group, covariates, outcomes and time to exit (for survival analysis).

    ``outcomes`` comes from ``registry_queries.person_outcomes``. ``group`` is the arm for
    participants and ``non_participants`` otherwise; ``time`` is the month of the first exit
    (``event_any`` 1) or the end of follow-up (``min(window_months, last_k)``, censored);
    ``event_full`` marks a first exit to full-time work (other exits are censored there).
    ``durable`` (``person_id, outflow_durable``, e.g. ``registry_queries.durable_exit_flags_sql``)
    adds ``outflow_durable`` as 1/0 with NaN where it is not yet known.
    """
    frame = population.merge(
        participants[["person_id", "arm", "consultant_id", "education"]], on="person_id", how="left"
    ).merge(outcomes, on="person_id", how="left")
    frame["participant"] = frame["participant"].astype(bool).astype(int)
    arm = frame["arm"].astype("object")
    frame["group"] = np.where(frame["participant"] == 1, arm, "non_participants")
    frame["group"] = frame["group"].astype(str)
    frame["arm"] = arm
    frame["consultant_id"] = frame["consultant_id"].astype("object")
    for col in ("sex", "household"):
        frame[col] = frame[col].astype(str)
    frame["migration_background"] = frame["migration_background"].astype(bool).astype(int)
    frame["benefit_years"] = frame["benefit_months"].astype(float) / 12.0
    frame["duration_class"] = pd.cut(
        frame["benefit_months"].astype(float),
        bins=list(DURATION_BINS),
        right=False,
        labels=list(DURATION_CLASSES),
    )
    for col in OUTCOMES:
        frame[col] = frame[col].astype("boolean").fillna(False).astype(int)
    has_exit = frame["exit_k"].notna()
    end = np.minimum(window_months, frame["last_k"].astype("Float64").fillna(0).to_numpy(float))
    frame["time"] = np.where(has_exit, frame["exit_k"].astype("Float64").fillna(0), end)
    frame["event_any"] = has_exit.astype(int)
    frame["event_full"] = (frame["exit_reason"].astype("object") == "work_full").astype(int)
    if durable is not None:
        flags = durable.set_index(durable["person_id"].astype(str))["outflow_durable"]
        frame["outflow_durable"] = (
            frame["person_id"].astype(str).map(flags).astype("Float64").astype(float)
        )
    return frame


def group_shares(frame: pd.DataFrame, outcome: str, alpha: float = 0.05) -> pd.DataFrame:
    """Wilson shares for the three arms, all participants and the non-participants."""
    per_group = wilson_shares(frame, outcome, "group", alpha)
    pooled = wilson_shares(
        frame.assign(pool=np.where(frame["participant"] == 1, "participants", "_")),
        outcome,
        "pool",
        alpha,
    )
    pooled = pooled[pooled["pool"] == "participants"].rename(columns={"pool": "group"})
    order = {g: i for i, g in enumerate((*ARMS, "participants", "non_participants"))}
    out = pd.concat([per_group, pooled], ignore_index=True)
    return out.sort_values("group", key=lambda s: s.map(order)).reset_index(drop=True)


def risk_difference(
    events1: int, n1: int, events0: int, n0: int, alpha: float = 0.05
) -> dict[str, float]:
    """Difference of two shares in percentage points, Newcombe hybrid-score CI, score-test p.

    Returns ``estimate, ci_low, ci_high, p, n`` (NaN when a group is empty).

    >>> risk_difference(30, 100, 15, 100)["estimate"]
    15.0
    """

    n = int(n1) + int(n0)
    if n1 == 0 or n0 == 0:
        return {"estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p": np.nan, "n": n}
    est = events1 / n1 - events0 / n0
    low, high = confint_proportions_2indep(
        events1, n1, events0, n0, method="newcomb", compare="diff", alpha=alpha
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        p = test_proportions_2indep(events1, n1, events0, n0, method="score", compare="diff").pvalue
    p = 1.0 if (events1 + events0 in (0, n)) else float(p)
    return {"estimate": 100 * est, "ci_low": 100 * low, "ci_high": 100 * high, "p": p, "n": n}


def _contrast_masks(frame: pd.DataFrame) -> dict[str, tuple[pd.Series, pd.Series]]:
    g = frame["group"]
    non = g == "non_participants"
    masks = {
        "eigen_regie vs regulier": (g == "eigen_regie", g == "regulier"),
        "intensief vs regulier": (g == "intensief", g == "regulier"),
        "participants vs non_participants": (frame["participant"] == 1, non),
    }
    for arm in ARMS:
        masks[f"{arm} vs non_participants"] = (g == arm, non)
    return masks


def risk_differences(frame: pd.DataFrame, outcome: str, alpha: float = 0.05) -> pd.DataFrame:
    """Unadjusted risk differences (pp, Newcombe CI) for every contrast of the chapter.

    People whose outcome is unknown (NaN, e.g. a durable exit not yet observable) are left out.
    """
    rows = []
    known = frame[outcome].notna()
    for contrast, (m1, m0) in _contrast_masks(frame).items():
        y = frame[outcome]
        m1, m0 = m1 & known, m0 & known
        rd = risk_difference(
            int(y[m1].sum()), int(m1.sum()), int(y[m0].sum()), int(m0.sum()), alpha
        )
        rows.append({"outcome": outcome, "contrast": contrast, **rd})
    out = pd.DataFrame(rows)
    return out.assign(method="risk difference", scale="pp")


def _clean(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    return frame.dropna(subset=cols).reset_index(drop=True)


def _nan_row(n: int) -> dict[str, float]:
    return {"estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p": np.nan, "n": n}


def _design(frame: pd.DataFrame) -> pd.DataFrame:
    """Numeric covariate columns for balance checks (dummies for every category)."""
    x = pd.DataFrame(
        {
            "age": frame["age"].astype(float),
            "benefit_years": frame["benefit_years"].astype(float),
            "migration_background": frame["migration_background"].astype(float),
            "female": (frame["sex"] == "female").astype(float),
        }
    )
    for level in ("single", "single_parent", "couple", "couple_children"):
        x[f"household_{level}"] = (frame["household"] == level).astype(float)
    return x


def propensity_weights(
    frame: pd.DataFrame, treated: str = "participant", covariates: str = COVARIATES
) -> pd.Series:
    """ATT weights: 1 for the treated, p/(1-p) for the others (p from a logit on covariates).

    The comparison group is reweighted to look like the participants on the baseline registry
    covariates. Weights of the comparison group are rescaled to sum to its size.
    """

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = smf.logit(f"{treated} ~ {covariates} + C(duration_class)", frame).fit(
            disp=0, maxiter=200
        )
    p = np.clip(res.predict(frame).to_numpy(float), 1e-6, 1 - 1e-6)
    t = frame[treated].to_numpy(int) == 1
    w = np.where(t, 1.0, p / (1 - p))
    w[~t] *= (~t).sum() / w[~t].sum()
    return pd.Series(w, index=frame.index, name="weight")


def balance_table(
    frame: pd.DataFrame, weights: pd.Series, treated: str = "participant"
) -> pd.DataFrame:
    """Standardised mean differences of the covariates before and after weighting.

    SMD = (mean treated - mean comparison) / sqrt((var treated + var comparison) / 2), with the
    unweighted variances in the denominator both times (Austin 2009), so only the numerator moves.
    Returns ``covariate, mean_treated, mean_comparison, mean_comparison_weighted,
    smd_before, smd_after``.
    """
    x = _design(frame)
    t = frame[treated].to_numpy(int) == 1
    w = weights.to_numpy(float)
    rows = []
    for col in x.columns:
        v = x[col].to_numpy(float)
        rows.append(
            {
                "covariate": col,
                "mean_treated": v[t].mean(),
                "mean_comparison": v[~t].mean(),
                "mean_comparison_weighted": np.average(v[~t], weights=w[~t]),
                "smd_before": smd(v[t], v[~t]),
                "smd_after": smd(v[t], v[~t], weights=w[~t]),
            }
        )
    return pd.DataFrame(rows)


def outflow_by_duration(frame: pd.DataFrame, outcome: str, alpha: float = 0.05) -> pd.DataFrame:
    """Wilson shares per duration class and group (arms, all participants, non-participants)."""
    parts = []
    for cls in DURATION_CLASSES:
        sub = frame[frame["duration_class"] == cls]
        if sub.empty:
            continue
        parts.append(group_shares(sub, outcome, alpha).assign(duration_class=cls))
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    return out.assign(outcome=outcome)


def duration_contrasts(frame: pd.DataFrame, outcome: str, alpha: float = 0.05) -> pd.DataFrame:
    """Participants vs non-participants within each duration class (pp): the raw difference in
    shares (Newcombe) and the doubly robust ATT (analytic interval) of that class."""
    rows = []
    for cls in DURATION_CLASSES:
        sub = frame[frame["duration_class"] == cls]
        t, c = sub["participant"] == 1, sub["participant"] == 0
        y = sub[outcome]
        raw = risk_difference(int(y[t].sum()), int(t.sum()), int(y[c].sum()), int(c.sum()), alpha)
        rows.append({"duration_class": cls, "method": "risk difference",
                     "n_participants": int(t.sum()), "n_non_participants": int(c.sum()), **raw})  # fmt: skip
        if t.sum() >= 5 and c.sum() >= 5:
            try:
                dr = att_contrasts(sub, outcome, contrasts=(PARTICIPATION,),
                                   inference="analytic", alpha=alpha)  # fmt: skip
            except np.linalg.LinAlgError:  # a covariate constant within the class: not estimable
                continue
            dr = dr[dr["method"] == ATT_METHODS["dr"]]
            for r in dr.to_dict("records"):
                rows.append({"duration_class": cls, "method": r["method"],
                             "n_participants": int(t.sum()), "n_non_participants": int(c.sum()),
                             **{k: r[k] for k in ("estimate", "ci_low", "ci_high", "p", "n")}})  # fmt: skip
    return pd.DataFrame(rows).assign(outcome=outcome)


def consultant_variance(frame: pd.DataFrame, outcome: str) -> dict[str, float]:
    """How much of the outflow variation among participants the consultant explains.

    Two linear probability models among participants: outcome on arm and baseline covariates
    (incl. education), and the same plus consultant dummies. Returns ``r2_without, r2_with``,
    adjusted R-squared of both, the F-test p-value of the consultant dummies, ``n`` and
    ``n_consultants``.
    """

    cols = [outcome, "arm", "consultant_id", "education", "age", "sex", "household",
            "migration_background", "benefit_years"]  # fmt: skip
    data = _clean(frame[frame["participant"] == 1], cols)
    data = data.assign(arm=data["arm"].astype(str), education=data["education"].astype(str))
    k = data["consultant_id"].nunique()
    base = f"{outcome} ~ C(arm) + C(education) + {COVARIATES}"
    out = {"n": len(data), "n_consultants": k}
    if len(data) < 20 or k < 2:
        return {**out, "r2_without": np.nan, "r2_with": np.nan, "adj_r2_without": np.nan,
                "adj_r2_with": np.nan, "p": np.nan}  # fmt: skip
    m0 = smf.ols(base, data).fit()
    m1 = smf.ols(f"{base} + C(consultant_id)", data).fit()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = float(anova_lm(m0, m1)["Pr(>F)"].iloc[1])
    return {**out, "r2_without": m0.rsquared, "r2_with": m1.rsquared,
            "adj_r2_without": m0.rsquared_adj, "adj_r2_with": m1.rsquared_adj, "p": p}  # fmt: skip


def consultant_mix(frame: pd.DataFrame) -> pd.DataFrame:
    """Consultants grouped by their main arm (the arm most of their participants were in).

    Returns per main arm: ``consultants``, ``participants`` (their clients) and ``in_main_arm``
    (how many of those clients were in that arm), aggregated so that no cell is one consultant's
    handful of clients.
    """
    part = frame[frame["participant"] == 1]
    tab = pd.crosstab(part["consultant_id"], part["arm"]).reindex(columns=list(ARMS), fill_value=0)
    main = tab.idxmax(axis=1)
    per = pd.DataFrame(
        {"main_arm": main, "participants": tab.sum(axis=1), "in_main_arm": tab.max(axis=1)}
    )
    out = per.groupby("main_arm").agg(
        consultants=("participants", "size"),
        participants=("participants", "sum"),
        in_main_arm=("in_main_arm", "sum"),
    )
    return out.reindex(list(ARMS)).dropna().astype(int).reset_index()


def did_receipt(frame: pd.DataFrame, alpha: float = 0.05) -> dict[str, float]:
    """Difference-in-differences of monthly benefit receipt, participants vs non-participants (pp).

    Per person the change = share of months on benefit after the index month (within the
    window) minus the share in the months before it; the DiD is the difference of mean changes,
    from an OLS of the change on ``participant`` with HC1 SEs (equivalent to a two-way fixed
    effects DiD with person-clustered SEs on a balanced panel). Also returns the four means.
    """

    data = frame[(frame["n_pre"] > 0) & (frame["n_post"] > 0)].copy()
    data["change"] = data["post_receipt"].astype(float) - data["pre_receipt"].astype(float)
    n = len(data)
    means = data.groupby("participant")[["pre_receipt", "post_receipt"]].mean()
    if data["participant"].nunique() < 2:
        return {**_nan_row(n)}
    res = smf.ols("change ~ participant", data).fit(cov_type="HC1")
    ci = res.conf_int(alpha=alpha).loc["participant"]
    return {
        "estimate": 100 * float(res.params["participant"]),
        "ci_low": 100 * float(ci.iloc[0]),
        "ci_high": 100 * float(ci.iloc[1]),
        "p": float(res.pvalues["participant"]),
        "n": n,
        "pre_participants": float(means.loc[1, "pre_receipt"]),
        "post_participants": float(means.loc[1, "post_receipt"]),
        "pre_non_participants": float(means.loc[0, "pre_receipt"]),
        "post_non_participants": float(means.loc[0, "post_receipt"]),
    }


def event_study(monthly: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Monthly gap in benefit receipt, participants minus non-participants, relative to the
    reference month (pp), from the aggregates of ``registry_queries.monthly_receipt``.

    gap_k = mean(y_k - y_ref | participants) - mean(y_k - y_ref | non-participants), with a
    Welch (unequal-variance) normal CI. Also returns the raw receipt shares per group.
    """
    p = monthly[monthly["group"] == "participants"].set_index("k")
    c = monthly[monthly["group"] == "non_participants"].set_index("k")
    ks = p.index.intersection(c.index)
    p, c = p.loc[ks], c.loc[ks]
    gap = p["d_mean"] - c["d_mean"]
    se = np.sqrt(p["d_var"].fillna(0) / p["d_n"] + c["d_var"].fillna(0) / c["d_n"])
    z = _z(alpha)
    return pd.DataFrame(
        {
            "k": ks.astype(int),
            "gap": 100 * gap.to_numpy(float),
            "ci_low": 100 * (gap - z * se).to_numpy(float),
            "ci_high": 100 * (gap + z * se).to_numpy(float),
            "share_participants": p["share"].to_numpy(float),
            "share_non_participants": c["share"].to_numpy(float),
            "n_participants": p["n"].to_numpy(int),
            "n_non_participants": c["n"].to_numpy(int),
        }
    ).reset_index(drop=True)


def store_rows(*frames: pd.DataFrame) -> pd.DataFrame:
    """Concatenate estimate frames into results-store rows, dropping non-estimable ones."""
    out = pd.concat([f.reindex(columns=STORE_COLUMNS) for f in frames if len(f)], ignore_index=True)
    return out[np.isfinite(out["estimate"].astype(float))].reset_index(drop=True)


def contrast_rows(
    frame: pd.DataFrame,
    outcomes: tuple[str, ...] = ESTIMATED,
    alpha: float = 0.05,
    n_bootstrap: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Every contrast row of the chapter, for each outcome.

    * Arm vs regular service (the lottery): the difference in shares, unadjusted and adjusted for
      the baseline registry characteristics, from a linear probability model among participants
      with CR2 standard errors clustered by consultant and Bell-McCaffrey degrees of freedom
      (``stats.cluster_robust.arm_contrasts``; methods ``difference (unadjusted)`` and
      ``difference (covariate-adjusted)``, the primary estimator).
    * Participants and each arm vs non-participants (not randomised): the raw difference in shares
      (``risk difference``, Newcombe) and the effect on the participants (ATT) by regression
      adjustment, inverse-probability weighting and the doubly robust estimator
      (``stats.att.att_contrasts``). The ATT of all participants on the first outcome gets a
      bootstrap interval that re-estimates both models (``n_bootstrap`` resamples, seeded); the
      others the analytic (influence-function) interval, which the simulation chapter checks.
    """
    parts = []
    part = frame[frame["participant"] == 1]
    for i, o in enumerate(outcomes):
        rd = risk_differences(frame, o, alpha)
        parts.append(rd[rd["contrast"].str.endswith(NON_PARTICIPANTS)])
        for adjust in (False, True):
            parts.append(cr.arm_contrasts(part, o, adjust=adjust, cluster="consultant_id",
                                          inference="CR2", scale="pp", alpha=alpha).assign(outcome=o))  # fmt: skip
        if i == 0:
            parts.append(att_contrasts(frame, o, contrasts=(PARTICIPATION,), inference="bootstrap",
                                       n_bootstrap=n_bootstrap, seed=seed, alpha=alpha))  # fmt: skip
            others = tuple(between(a, NON_PARTICIPANTS) for a in ARMS)
        else:
            others = (PARTICIPATION, *(between(a, NON_PARTICIPANTS) for a in ARMS))
        parts.append(att_contrasts(frame, o, contrasts=others, inference="analytic", alpha=alpha))
    return store_rows(*parts)


def shares_by_outcome(frame: pd.DataFrame, alpha: float = 0.05) -> dict[str, pd.DataFrame]:
    """``group_shares`` per outcome (``ESTIMATED`` present in ``frame``), with an ``outcome`` column."""
    return {o: group_shares(frame, o, alpha).assign(outcome=o) for o in ESTIMATED if o in frame}


def stack_shares(shares: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The frames of ``shares_by_outcome`` one below the other."""
    return pd.concat(shares.values(), ignore_index=True)


def participant_groups(frame: pd.DataFrame) -> pd.DataFrame:
    """``person_id, group`` with group ``participants`` or ``non_participants``."""
    group = np.where(frame["participant"] == 1, "participants", "non_participants")
    return frame[["person_id"]].assign(group=group)
