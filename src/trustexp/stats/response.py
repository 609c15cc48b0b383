"""Response and attrition: who returned the questionnaires, and does it differ by arm or background?"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustexp.stats.balance import ARMS, BASELINE_ITEMS, smd
from trustexp.stats.proportions import wilson_shares

RESPONDENTS = ("participant", "consultant")
MODEL_COVARIATES = ("age", "female", "migration_background", "benefit_years", "single_parent",
                    "education_low", "education_high")  # fmt: skip


def response_flags(survey: pd.DataFrame, participants: pd.DataFrame) -> pd.DataFrame:
    """One row per participant, respondent type and wave: ``person_id, arm, respondent, wave, responded``.

    A participant without any survey row for a wave counts as not responding.
    """
    ids = participants["person_id"].astype(str)
    grid = pd.MultiIndex.from_product(
        [ids, RESPONDENTS, (0, 1, 2)], names=["person_id", "respondent", "wave"]
    )
    done = survey[survey["completed"].astype(bool)].assign(
        person_id=lambda s: s["person_id"].astype(str),
        respondent=lambda s: s["respondent"].astype(str),
    )
    done = done.drop_duplicates(["person_id", "respondent", "wave"]).set_index(
        ["person_id", "respondent", "wave"]
    )
    out = pd.DataFrame(index=grid).assign(responded=grid.isin(done.index)).reset_index()
    out["arm"] = out["person_id"].map(participants.set_index(ids)["arm"].astype(str))
    return out


def response_shares(flags: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Share responding per respondent type, arm and wave with Wilson CIs."""
    parts = []
    for (resp, wave), g in flags.groupby(["respondent", "wave"]):
        shares = wilson_shares(
            g.assign(responded=g["responded"].astype(int)), "responded", "arm", alpha
        )
        parts.append(shares.assign(respondent=resp, wave=wave))
    return pd.concat(parts, ignore_index=True).rename(columns={"events": "responded"})


def differential_attrition(flags: pd.DataFrame, wave: int = 2) -> dict[str, float]:
    """Chi-square test of independence of own-questionnaire response at ``wave`` and arm."""
    from scipy.stats import chi2_contingency

    own = flags[(flags["respondent"] == "participant") & (flags["wave"] == wave)]
    table = pd.crosstab(own["arm"], own["responded"])
    if table.shape != (3, 2):
        return {"chi2": float("nan"), "df": float("nan"), "p": float("nan")}
    res = chi2_contingency(table.to_numpy())
    return {"chi2": float(res.statistic), "df": float(res.dof), "p": float(res.pvalue)}


def response_model(baseline: pd.DataFrame, flags: pd.DataFrame, wave: int = 2,
                   alpha: float = 0.05) -> pd.DataFrame:  # fmt: skip
    """Logit of returning the own questionnaire at ``wave`` on arm and baseline covariates.

    Returns odds ratios with CIs and p-values (``term, odds_ratio, ci_low, ci_high, p, n``).
    """
    import statsmodels.api as sm

    own = flags[(flags["respondent"] == "participant") & (flags["wave"] == wave)].set_index(
        "person_id"
    )
    frame = baseline.join(own["responded"].astype(float), how="inner")
    x = pd.DataFrame(
        {f"arm_{a}": (frame["arm"] == a).astype(float) for a in ARMS[:2]}, index=frame.index
    )
    x = x.join(frame[list(MODEL_COVARIATES)].astype(float))
    x = x.loc[:, x.std() > 0]
    fit = sm.Logit(frame["responded"], sm.add_constant(x)).fit(disp=0, cov_type="HC1")
    ci = fit.conf_int(alpha)
    out = pd.DataFrame({
        "term": fit.params.index, "odds_ratio": np.exp(fit.params.to_numpy()),
        "ci_low": np.exp(ci[0].to_numpy()), "ci_high": np.exp(ci[1].to_numpy()),
        "p": fit.pvalues.to_numpy(), "n": int(fit.nobs),
    })  # fmt: skip
    return out[out["term"] != "const"].reset_index(drop=True)


def responder_smd(baseline: pd.DataFrame, flags: pd.DataFrame, wave: int = 2) -> pd.DataFrame:
    """Start-questionnaire scores of those who did vs did not answer at ``wave`` (SMD per arm)."""
    own = flags[(flags["respondent"] == "participant") & (flags["wave"] == wave)].set_index(
        "person_id"
    )
    frame = baseline.join(own["responded"], how="inner")
    rows = []
    for item in BASELINE_ITEMS:
        for arm in ARMS:
            g = frame[frame["arm"] == arm]
            rows.append({"item": item, "arm": arm, "smd": smd(g.loc[g["responded"], item], g.loc[~g["responded"], item]),
                         "n_responded": int(g.loc[g["responded"], item].notna().sum()),
                         "n_not": int(g.loc[~g["responded"], item].notna().sum())})  # fmt: skip
    return pd.DataFrame(rows)


def store_rows(shares: pd.DataFrame, model: pd.DataFrame) -> pd.DataFrame:
    """Results-store rows: own-questionnaire response per arm and wave, and adjusted odds ratios."""
    own = shares[shares["respondent"] == "participant"]
    levels = pd.DataFrame({
        "outcome": "response", "contrast": own["arm"] + " level", "estimate": own["share"],
        "ci_low": own["ci_low"], "ci_high": own["ci_high"], "p": np.nan, "n": own["n"],
        "method": "share returned wave " + own["wave"].astype(str) + " (Wilson)", "scale": "share",
    })  # fmt: skip
    arms = model[model["term"].str.startswith("arm_")]
    ors = pd.DataFrame({
        "outcome": "response", "contrast": arms["term"].str.removeprefix("arm_") + " vs regulier",
        "estimate": arms["odds_ratio"], "ci_low": arms["ci_low"], "ci_high": arms["ci_high"],
        "p": arms["p"], "n": arms["n"], "method": "logit response wave 2 (adjusted)", "scale": "odds_ratio",
    })  # fmt: skip
    return pd.concat([levels, ors], ignore_index=True)


def model_display(model: pd.DataFrame) -> pd.DataFrame:
    """The response model for readers: plain-words terms, odds ratios with CIs and p-values."""
    from trustexp import fmt
    from trustexp.charts import group_label
    from trustexp.stats.balance import label

    def term(t: str) -> str:
        return (
            f"{group_label(t.removeprefix('arm_'))} (vs control)"
            if t.startswith("arm_")
            else label(t)
        )

    return pd.DataFrame({
        "term": model["term"].map(term),
        "odds ratio": model["odds_ratio"].map(fmt.num),
        "95% CI": [fmt.ci(lo, hi) for lo, hi in zip(model["ci_low"], model["ci_high"], strict=True)],
        "p": model["p"].map(fmt.pval),
    })  # fmt: skip


def shares_display(shares: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Response for readers: one row per questionnaire and wave, one column per arm (share, CI, n)."""
    from trustexp import fmt
    from trustexp.charts import group_label
    from trustexp.disclosure import count_text

    def cell(r: pd.Series) -> str:
        if 0 < r["n"] < threshold or 0 < r["responded"] < threshold:
            return f"suppressed (n {count_text(int(r['n']), threshold)})"
        return f"{fmt.pct(r['share'])} {fmt.ci(r['ci_low'], r['ci_high'], scale='pct')}, {int(r['responded'])} of {int(r['n'])}"

    data = shares.assign(text=shares.apply(cell, axis=1), arm_label=shares["arm"].map(group_label))
    wide = data.pivot_table(
        index=["respondent", "wave"], columns="arm_label", values="text", aggfunc="first"
    )
    wide = wide.sort_index(ascending=[False, True]).reset_index()
    wide["respondent"] = wide["respondent"].map(
        {"participant": "participant's own", "consultant": "consultant's rating"}
    )
    wide.columns.name = None
    return wide.rename(columns={"respondent": "questionnaire"})


def responder_display(smds: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Start scores of responders vs non-responders: one row per item, one SMD column per arm."""
    from trustexp import fmt
    from trustexp.charts import group_label
    from trustexp.stats.balance import label

    small = (smds["n_responded"].between(1, threshold - 1)) | (
        smds["n_not"].between(1, threshold - 1)
    )
    data = smds.assign(
        text=[("suppressed" if s else fmt.num(v)) for v, s in zip(smds["smd"], small, strict=True)]
    )
    wide = data.pivot(index="item", columns="arm", values="text").reindex(
        list(dict.fromkeys(smds["item"]))
    )
    wide.columns = [group_label(a) for a in wide.columns]
    return wide.rename(index=label).rename_axis("score at the start").reset_index()
