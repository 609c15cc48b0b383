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

from trustexp.report.store import COLUMNS as STORE_COLUMNS_WITH_CHAPTER
from trustexp.stats.balance import smd
from trustexp.stats.proportions import wilson_shares

ARMS = ("eigen_regie", "intensief", "regulier")
GROUPS = (*ARMS, "non_participants")
OUTCOMES = ("outflow_full", "outflow_any")
DURATION_BINS = (0, 12, 36, 60, np.inf)
DURATION_CLASSES = ("under 1 year", "1-3 years", "3-5 years", "5 years or more")
COVARIATES = "age + C(sex) + C(household) + migration_background + benefit_years"
"""Baseline registry covariates known for participants and non-participants alike."""
COVARIATE_LABELS = {
    "age": "Age (years)",
    "benefit_years": "Years on benefit at the index date",
    "migration_background": "Migration background",
    "female": "Women",
    "household_single": "Household: single",
    "household_single_parent": "Household: single parent",
    "household_couple": "Household: couple",
    "household_couple_children": "Household: couple with children",
}
STORE_COLUMNS = [c for c in STORE_COLUMNS_WITH_CHAPTER if c != "chapter"]


def _z(alpha: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(1 - alpha / 2))


def analysis_frame(
    population: pd.DataFrame, participants: pd.DataFrame, outcomes: pd.DataFrame, window_months: int
) -> pd.DataFrame:
    """One row per person: group, covariates, outcomes and time to exit (for survival analysis).

    ``outcomes`` comes from ``registry_queries.person_outcomes``. ``group`` is the arm for
    participants and ``non_participants`` otherwise; ``time`` is the month of the first exit
    (``event_any`` 1) or the end of follow-up (``min(window_months, last_k)``, censored);
    ``event_full`` marks a first exit to full-time work (other exits are censored there).
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
    from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

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
    """Unadjusted risk differences (pp, Newcombe CI) for every contrast of the chapter."""
    rows = []
    for contrast, (m1, m0) in _contrast_masks(frame).items():
        y = frame[outcome]
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


def adjusted_risk_difference(
    frame: pd.DataFrame,
    outcome: str,
    treated: str = "treated",
    covariates: str = COVARIATES,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> dict[str, float]:
    """Average marginal effect (pp) of a 0/1 ``treated`` column from a covariate-adjusted logit.

    The AME is the mean over everyone in ``frame`` of P(outcome | treated=1, x) - P(outcome |
    treated=0, x) (``get_margeff(at="overall", dummy=True)``), with a delta-method CI from robust
    (HC1) or, with ``cluster``, cluster-robust standard errors. Returns ``estimate, ci_low,
    ci_high, p, n``; NaN when the logit cannot be fitted (e.g. perfect separation).

    >>> adjusted_risk_difference(frame.assign(treated=frame.participant), "outflow_full")  # doctest: +SKIP
    """
    import statsmodels.formula.api as smf
    from scipy.stats import norm

    cols = [outcome, treated, "age", "sex", "household", "migration_background", "benefit_years"]
    data = _clean(frame, cols + ([cluster] if cluster else []))
    n = len(data)
    if n == 0 or data[treated].nunique() < 2 or data[outcome].nunique() < 2:
        return _nan_row(n)
    data = data.assign(**{treated: data[treated].astype(int)})
    if cluster:
        codes = pd.factorize(data[cluster])[0]
        fit_kw = {"cov_type": "cluster", "cov_kwds": {"groups": codes}}
    else:
        fit_kw = {"cov_type": "HC1"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = smf.logit(f"{outcome} ~ {treated} + {covariates}", data).fit(
                disp=0, maxiter=200, **fit_kw
            )
            me = res.get_margeff(at="overall", dummy=True).summary_frame(alpha=alpha)
    except Exception:  # noqa: BLE001 - separation or singular design: report as not estimable
        return _nan_row(n)
    est, se = float(me.loc[treated, "dy/dx"]), float(me.loc[treated, "Std. Err."])
    if not np.isfinite(se):
        return _nan_row(n)
    z = _z(alpha)
    p = float(2 * norm.sf(abs(est / se))) if se > 0 else np.nan
    return {
        "estimate": 100 * est,
        "ci_low": 100 * (est - z * se),
        "ci_high": 100 * (est + z * se),
        "p": p,
        "n": n,
    }


def _with_singleton_clusters(frame: pd.DataFrame) -> pd.Series:
    """Consultant for participants; each non-participant is a cluster of one."""
    return (
        frame["consultant_id"]
        .astype("object")
        .where(frame["participant"] == 1, "np_" + frame["person_id"].astype(str))
    )


def adjusted_risk_differences(
    frame: pd.DataFrame, outcome: str, alpha: float = 0.05
) -> pd.DataFrame:
    """Covariate-adjusted risk differences against the non-participants (pp).

    ``adjusted risk difference``: robust (HC1) SEs, for participants and each arm vs
    non-participants (each arm in its own model with the non-participants).
    ``adjusted risk difference (consultant-clustered)``: participants vs non-participants with
    SEs clustered by consultant (non-participants as clusters of one).
    """
    rows = []
    masks = _contrast_masks(frame)
    for contrast in (
        "participants vs non_participants",
        *(f"{a} vs non_participants" for a in ARMS),
    ):
        m1, m0 = masks[contrast]
        sub = frame[m1 | m0].assign(treated=m1[m1 | m0].astype(int))
        est = adjusted_risk_difference(sub, outcome, alpha=alpha)
        rows.append({"contrast": contrast, **est, "method": "adjusted risk difference"})
    sub = frame.assign(treated=frame["participant"], cluster=_with_singleton_clusters(frame))
    est = adjusted_risk_difference(sub, outcome, cluster="cluster", alpha=alpha)
    rows.append(
        {
            "contrast": "participants vs non_participants",
            **est,
            "method": "adjusted risk difference (consultant-clustered)",
        }
    )
    return pd.DataFrame(rows).assign(outcome=outcome, scale="pp")


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
    import statsmodels.formula.api as smf

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
    Returns ``covariate, label, mean_treated, mean_comparison, mean_comparison_weighted,
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
                "label": COVARIATE_LABELS.get(col, col),
                "mean_treated": v[t].mean(),
                "mean_comparison": v[~t].mean(),
                "mean_comparison_weighted": np.average(v[~t], weights=w[~t]),
                "smd_before": smd(v[t], v[~t]),
                "smd_after": smd(v[t], v[~t], weights=w[~t]),
            }
        )
    return pd.DataFrame(rows)


def reweighted_risk_difference(
    frame: pd.DataFrame,
    outcome: str,
    weights: pd.Series,
    treated: str = "participant",
    alpha: float = 0.05,
) -> dict[str, float]:
    """Participants' share minus the propensity-reweighted comparison share (pp).

    Weighted least squares of the outcome on ``treated`` (the coefficient equals the difference
    of weighted means) with HC1 standard errors, treating the weights as fixed.
    """
    import statsmodels.api as sm

    y = frame[outcome].to_numpy(float)
    x = sm.add_constant(frame[treated].to_numpy(float))
    res = sm.WLS(y, x, weights=weights.to_numpy(float)).fit(cov_type="HC1")
    est, se = float(res.params[1]), float(res.bse[1])
    z = _z(alpha)
    return {
        "estimate": 100 * est,
        "ci_low": 100 * (est - z * se),
        "ci_high": 100 * (est + z * se),
        "p": float(res.pvalues[1]),
        "n": len(frame),
    }


def reweighted_rows(frame: pd.DataFrame, weights: pd.Series, alpha: float = 0.05) -> pd.DataFrame:
    """Store rows ``reweighted risk difference`` (participants vs non-participants) per outcome."""
    rows = [
        {
            "outcome": o,
            "contrast": "participants vs non_participants",
            **reweighted_risk_difference(frame, o, weights, alpha=alpha),
            "method": "reweighted risk difference",
            "scale": "pp",
        }
        for o in OUTCOMES
    ]
    return pd.DataFrame(rows)


def level_rows(shares: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Store rows ``<group> level`` (share with Wilson CI, scale ``share``) from ``group_shares``."""
    return pd.DataFrame(
        {
            "outcome": outcome,
            "contrast": shares["group"] + " level",
            "estimate": shares["share"],
            "ci_low": shares["ci_low"],
            "ci_high": shares["ci_high"],
            "p": np.nan,
            "n": shares["n"],
            "method": "share (Wilson)",
            "scale": "share",
        }
    )


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
    """Participants vs non-participants within each duration class: unadjusted and adjusted (pp)."""
    rows = []
    for cls in DURATION_CLASSES:
        sub = frame[frame["duration_class"] == cls]
        t, c = sub["participant"] == 1, sub["participant"] == 0
        y = sub[outcome]
        raw = risk_difference(int(y[t].sum()), int(t.sum()), int(y[c].sum()), int(c.sum()), alpha)
        adj = adjusted_risk_difference(sub.assign(treated=sub["participant"]), outcome, alpha=alpha)
        for method, est in (("risk difference", raw), ("adjusted risk difference", adj)):
            rows.append(
                {
                    "duration_class": cls,
                    "method": method,
                    "n_participants": int(t.sum()),
                    "n_non_participants": int(c.sum()),
                    **est,
                }  # fmt: skip
            )
    return pd.DataFrame(rows).assign(outcome=outcome)


def consultant_variance(frame: pd.DataFrame, outcome: str) -> dict[str, float]:
    """How much of the outflow variation among participants the consultant explains.

    Two linear probability models among participants: outcome on arm and baseline covariates
    (incl. education), and the same plus consultant dummies. Returns ``r2_without, r2_with``,
    adjusted R-squared of both, the F-test p-value of the consultant dummies, ``n`` and
    ``n_consultants``.
    """
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

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


def clustered_arm_contrasts(frame: pd.DataFrame, outcome: str, alpha: float = 0.05) -> pd.DataFrame:
    """Arm vs regular-service differences (pp) with SEs clustered by consultant.

    Linear probability model among participants (outcome on arm dummies), cluster-robust SEs
    with a t reference distribution on (number of consultants - 1) degrees of freedom; beside
    it the same model with HC1 SEs, to show what clustering changes.
    """
    import statsmodels.formula.api as smf

    data = _clean(frame[frame["participant"] == 1], [outcome, "arm", "consultant_id"])
    data = data.assign(arm=data["arm"].astype(str))
    rows = []
    if data["arm"].nunique() < 2 or data["consultant_id"].nunique() < 2:
        return pd.DataFrame(columns=STORE_COLUMNS)
    formula = f"{outcome} ~ C(arm, Treatment(reference='regulier'))"
    groups = pd.factorize(data["consultant_id"])[0]
    fits = {
        "risk difference (robust LPM)": smf.ols(formula, data).fit(cov_type="HC1"),
        "risk difference (consultant-clustered LPM)": smf.ols(formula, data).fit(
            cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
        ),
    }
    for method, res in fits.items():
        ci = res.conf_int(alpha=alpha)
        for arm in ("eigen_regie", "intensief"):
            name = f"C(arm, Treatment(reference='regulier'))[T.{arm}]"
            if name not in res.params.index:
                continue
            n = int(data["arm"].isin([arm, "regulier"]).sum())
            rows.append(
                {
                    "outcome": outcome,
                    "contrast": f"{arm} vs regulier",
                    "estimate": 100 * res.params[name],
                    "ci_low": 100 * ci.loc[name, 0],
                    "ci_high": 100 * ci.loc[name, 1],
                    "p": float(res.pvalues[name]),
                    "n": n,
                    "method": method,
                    "scale": "pp",
                }  # fmt: skip
            )
    return pd.DataFrame(rows)


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
    import statsmodels.formula.api as smf

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


def contrast_rows(frame: pd.DataFrame, weights: pd.Series, alpha: float = 0.05) -> pd.DataFrame:
    """Every risk-difference row of the chapter, both outcomes: unadjusted (Newcombe), adjusted
    (logit AME; robust and consultant-clustered), reweighted (ATT weights) and arm contrasts from
    the consultant-clustered linear probability model."""
    parts = []
    for o in OUTCOMES:
        parts += [
            risk_differences(frame, o, alpha),
            adjusted_risk_differences(frame, o, alpha),
            clustered_arm_contrasts(frame, o, alpha),
        ]
    parts.append(reweighted_rows(frame, weights, alpha))
    return store_rows(*parts)


def pick(rows: pd.DataFrame, outcome: str, contrast: str, method: str) -> pd.Series:
    """The one row of ``rows`` with this outcome, contrast and method (NaNs if there is none)."""
    hit = rows[
        (rows["outcome"] == outcome) & (rows["contrast"] == contrast) & (rows["method"] == method)
    ]
    if hit.empty:
        return pd.Series({c: np.nan for c in STORE_COLUMNS})
    return hit.iloc[0]


def contrasts_display(rows: pd.DataFrame) -> pd.DataFrame:
    """Risk-difference rows formatted for a table (pp with CI and p)."""
    from trustexp.charts import group_label
    from trustexp.charts.outflow import OUTCOME_LABELS
    from trustexp.fmt import ci, pp, pval

    r = rows[rows["scale"] == "pp"]
    a, b = r["contrast"].str.split(" vs ").str[0], r["contrast"].str.split(" vs ").str[1]
    return pd.DataFrame(
        {
            "outcome": r["outcome"].map(OUTCOME_LABELS),
            "group": a.map(group_label),
            "compared with": b.map(group_label),
            "method": r["method"],
            "difference": r["estimate"].map(lambda v: pp(v, signed=True)),
            "95% CI (pp)": [
                ci(x, y, scale="pp") for x, y in zip(r["ci_low"], r["ci_high"], strict=True)
            ],
            "p": r["p"].map(pval),
            "n": r["n"].astype(int),
        }
    )


def shares_display(shares: pd.DataFrame) -> pd.DataFrame:
    """Wilson share rows (with ``outcome``) formatted for a table."""
    from trustexp.charts import group_label
    from trustexp.charts.outflow import OUTCOME_LABELS
    from trustexp.fmt import ci, pct

    out = pd.DataFrame(
        {
            "outcome": shares["outcome"].map(OUTCOME_LABELS),
            "group": shares["group"].map(group_label),
            "n": shares["n"].astype(int),
            "left benefit": shares["events"].astype(int),
            "share": shares["share"].map(pct),
            "95% CI (Wilson)": [
                ci(a, b, scale="pct")
                for a, b in zip(shares["ci_low"], shares["ci_high"], strict=True)
            ],
        }
    )
    if "duration_class" in shares:
        out.insert(0, "time on benefit", shares["duration_class"].astype(str))
    return out


# --------------------------------------------------------------------------- chapter steps

COMPARISON_TEXTS = {
    "municipal": "the municipality's other recipients of social assistance who were on benefit at "
    "the lottery date",
    "national": "a national stock of recipients of social assistance on benefit at the lottery date",
}
FOREST_METHODS = ("risk difference", "adjusted risk difference", "reweighted risk difference")


def data_texts(
    frame: pd.DataFrame, size: dict[str, int], window: int, comparison: str, threshold: int
) -> dict[str, str]:
    """Glue texts of the Data section: outcome definitions, window, comparison population, counts.

    ``size`` comes from ``registry_queries.registry_size``; ``comparison`` is the parameter set's
    ``cohort.comparison`` (``municipal`` or ``national``).
    """
    from trustexp.chapter import n_text
    from trustexp.data.codebook import outcome as outcome_spec
    from trustexp.disclosure import count_text
    from trustexp.fmt import count

    n_group = frame["group"].value_counts()
    population = "municipal" if comparison == "municipal" else "national"
    definition = {
        o: outcome_spec(o)["definition"].replace("outflow_window_months", f"{window}")
        for o in OUTCOMES
    }
    return {
        "def_full": definition["outflow_full"],
        "def_any": definition["outflow_any"],
        "window_text": f"{window} months",
        "comparison_text": COMPARISON_TEXTS[population],
        "n_person_months": count(size["person_months"]),
        "n_people_registry": count(size["people"]),
        "n_arms_text": n_text({a: int(n_group.get(a, 0)) for a in ARMS}, threshold),
        "n_non": count_text(int(n_group.get("non_participants", 0)), threshold),
    }


def shares_by_outcome(frame: pd.DataFrame, alpha: float = 0.05) -> dict[str, pd.DataFrame]:
    """``group_shares`` per outcome (``OUTCOMES``), each with an ``outcome`` column."""
    return {o: group_shares(frame, o, alpha).assign(outcome=o) for o in OUTCOMES}


def stack_shares(shares: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The frames of ``shares_by_outcome`` one below the other."""
    return pd.concat(shares.values(), ignore_index=True)


def _group_share(shares: dict[str, pd.DataFrame], group: str) -> float | None:
    """Full-time outflow share of ``group``; None when the group is not in ``shares``."""
    full = shares["outflow_full"].set_index("group")
    return full.loc[group, "share"] if group in full.index else None


def share_texts(shares: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Glue texts ``share_full_participants`` and ``share_full_non`` (full-time work)."""
    from trustexp.fmt import pct

    part, non = _group_share(shares, "participants"), _group_share(shares, "non_participants")
    return {
        "share_full_participants": pct(part) if part is not None else "n/a",
        "share_full_non": pct(non) if non is not None else "n/a",
    }


def forest_rows(rows: pd.DataFrame, outcome: str = "outflow_full") -> pd.DataFrame:
    """The rows of one outcome shown in the forest plot (unadjusted, adjusted, reweighted)."""
    return rows[(rows["outcome"] == outcome) & rows["method"].isin(list(FOREST_METHODS))]


def estimate_text(
    rows: pd.DataFrame, outcome: str, contrast: str, method: str = "risk difference"
) -> str:
    """One contrast row as ``+7.9 pp [3.2, 12.5]``-style text (``fmt.estimate_with_ci``, pp)."""
    from trustexp.fmt import estimate_with_ci

    r = pick(rows, outcome, contrast, method)
    return estimate_with_ci(r["estimate"], r["ci_low"], r["ci_high"], scale="pp")


def estimate_texts(rows: pd.DataFrame, published_range: tuple[float, float]) -> dict[str, str]:
    """Glue texts of the differences section and ``published_range`` (published low to high, pp)."""
    from trustexp.fmt import num, pp

    pvn, adj, rw = "participants vs non_participants", "adjusted risk difference", "reweighted risk difference"  # fmt: skip
    lo, hi = published_range
    return {
        "rd_full_pvn": estimate_text(rows, "outflow_full", pvn),
        "adj_full_pvn": estimate_text(rows, "outflow_full", pvn, adj),
        "rw_full_pvn": estimate_text(rows, "outflow_full", pvn, rw),
        "rd_full_er": estimate_text(rows, "outflow_full", "eigen_regie vs regulier"),
        "rd_full_in": estimate_text(rows, "outflow_full", "intensief vs regulier"),
        "rd_any_pvn": estimate_text(rows, "outflow_any", pvn),
        "published_range": f"{num(lo, 0)} to {pp(hi, 0)}",
    }


def arm_vs_non_texts(rows: pd.DataFrame) -> dict[str, str]:
    """Per arm the risk difference against non-participants, full-time work (``estimate_text``)."""
    return {a: estimate_text(rows, "outflow_full", f"{a} vs non_participants") for a in ARMS}


def balance_display(balance: pd.DataFrame) -> pd.DataFrame:
    """``balance_table`` formatted for a table (means and SMDs with ``fmt.num``)."""
    from trustexp.fmt import num

    cols = [
        "mean_treated",
        "mean_comparison",
        "mean_comparison_weighted",
        "smd_before",
        "smd_after",
    ]
    names = {"label": "characteristic", "mean_treated": "participants",
             "mean_comparison": "non-participants",
             "mean_comparison_weighted": "non-participants, reweighted",
             "smd_before": "SMD before", "smd_after": "SMD after"}  # fmt: skip
    shown = balance.assign(**{c: balance[c].map(num) for c in cols})
    return shown.drop(columns="covariate").rename(columns=names)


def balance_texts(balance: pd.DataFrame) -> dict[str, str]:
    """Glue texts ``max_smd_before`` and ``max_smd_after`` (largest absolute SMD)."""
    from trustexp.fmt import num

    return {
        "max_smd_before": num(balance["smd_before"].abs().max()),
        "max_smd_after": num(balance["smd_after"].abs().max()),
    }


def duration_contrasts_display(dc: pd.DataFrame) -> pd.DataFrame:
    """``duration_contrasts`` formatted for a table (pp difference, CI and p)."""
    from trustexp.fmt import ci, pp, pval

    shown = dc.assign(
        difference=dc["estimate"].map(lambda v: pp(v, signed=True)),
        ci=[ci(a, b, scale="pp") for a, b in zip(dc["ci_low"], dc["ci_high"], strict=True)],
        p=dc["p"].map(pval),
    )
    cols = ["duration_class", "method", "n_participants", "n_non_participants", "difference", "ci", "p"]  # fmt: skip
    return shown[cols].rename(columns={"duration_class": "time on benefit", "ci": "95% CI (pp)"})


def duration_texts(dc: pd.DataFrame) -> dict[str, str]:
    """Glue text ``adj_full_13``: the adjusted difference among people 1-3 years on benefit."""
    from trustexp.fmt import estimate_with_ci

    r13 = dc[(dc["duration_class"] == "1-3 years") & (dc["method"] == "adjusted risk difference")]
    if not len(r13):
        return {"adj_full_13": "n/a"}
    r = r13.iloc[0]
    return {"adj_full_13": estimate_with_ci(r["estimate"], r["ci_low"], r["ci_high"], scale="pp")}


def consultant_mix_display(mix: pd.DataFrame) -> pd.DataFrame:
    """``consultant_mix`` formatted for a table (arm labels, share in the main arm)."""
    from trustexp.charts import group_label
    from trustexp.fmt import pct

    shown = mix.assign(main_arm=mix["main_arm"].map(group_label),
                       share=(mix["in_main_arm"] / mix["participants"]).map(pct))  # fmt: skip
    return shown.rename(columns={"main_arm": "consultants whose main arm is",
                                 "in_main_arm": "participants in that arm",
                                 "share": "share in main arm"})  # fmt: skip


def consultant_texts(mix: pd.DataFrame, variance: dict[str, float]) -> dict[str, str]:
    """Glue texts of the consultants section from ``consultant_mix`` and ``consultant_variance``."""
    from trustexp.fmt import count, pct, pval

    return {
        "main_arm_share": pct(mix["in_main_arm"].sum() / max(mix["participants"].sum(), 1)),
        "n_consultants": count(variance["n_consultants"]),
        "r2_without": pct(variance["r2_without"]),
        "r2_with": pct(variance["r2_with"]),
        "p_consultant": pval(variance["p"]),
    }


def clustered_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The arm contrasts of the linear probability model (robust and consultant-clustered SEs)."""
    return rows[rows["method"].str.contains("LPM")]


def participant_groups(frame: pd.DataFrame) -> pd.DataFrame:
    """``person_id, group`` with group ``participants`` or ``non_participants``."""
    group = np.where(frame["participant"] == 1, "participants", "non_participants")
    return frame[["person_id"]].assign(group=group)


def did_texts(did: dict[str, float], event: pd.DataFrame) -> dict[str, str]:
    """Glue texts ``did_text`` (``did_receipt``) and ``pre_gap`` (first month of ``event_study``)."""
    from trustexp.fmt import estimate_with_ci, pp

    return {
        "did_text": estimate_with_ci(did["estimate"], did["ci_low"], did["ci_high"], scale="pp"),
        "pre_gap": pp(event["gap"].iloc[0], signed=True) if len(event) else "n/a",
    }


def did_store_row(did: dict[str, float]) -> pd.DataFrame:
    """``did_receipt`` as one results-store row (outcome ``benefit_receipt``, pp)."""
    return pd.DataFrame([{
        "outcome": "benefit_receipt", "contrast": "participants vs non_participants",
        **{k: did[k] for k in ("estimate", "ci_low", "ci_high", "p", "n")},
        "method": "difference-in-differences", "scale": "pp",
    }])  # fmt: skip


def published_texts(
    shares: dict[str, pd.DataFrame], ev_with: float, ev_without: float, published_ratio: float
) -> dict[str, str]:
    """Glue texts of the published-vs-build callout: explained variance, published and own ratio.

    The ratio is the participants' full-time outflow share over the non-participants'.
    """
    from trustexp.fmt import num, pct

    part, non = _group_share(shares, "participants"), _group_share(shares, "non_participants")
    return {
        "pub_ev_with": pct(ev_with, 0),
        "pub_ev_without": pct(ev_without, 0),
        "pub_ratio": num(published_ratio, 0),
        "ratio": num(part / non if part is not None and non is not None else np.nan, 1),
    }


def chapter_store_rows(
    rows: pd.DataFrame,
    shares: dict[str, pd.DataFrame],
    hazards: pd.DataFrame,
    did: dict[str, float],
) -> pd.DataFrame:
    """The outflow chapter's results-store rows: contrasts, share levels, hazards, the DiD."""
    levels = [level_rows(shares[o], o) for o in OUTCOMES]
    return store_rows(rows, *levels, hazards, did_store_row(did))
