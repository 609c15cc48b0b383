"""Response and attrition: who returned the questionnaires, and does it differ by arm or background?"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.stats import chi2_contingency

from trustexp.stats.balance import BASELINE_ITEMS, smd
from trustexp.stats.proportions import wilson_shares
from trustexp.vocab import ARMS, RESPONDENTS, TREATED, WAVES

MODEL_COVARIATES = ("age", "female", "migration_background", "benefit_years", "household_single_parent",
                    "education_low", "education_high")  # fmt: skip


def response_flags(survey: pd.DataFrame, participants: pd.DataFrame) -> pd.DataFrame:
    """One row per participant, respondent type and wave: ``person_id, arm, respondent, wave, responded``.

    A participant without any survey row for a wave counts as not responding.
    """
    ids = participants["person_id"].astype(str)
    grid = pd.MultiIndex.from_product(
        [ids, RESPONDENTS, WAVES], names=["person_id", "respondent", "wave"]
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

    own = flags[(flags["respondent"] == "participant") & (flags["wave"] == wave)].set_index(
        "person_id"
    )
    frame = baseline.join(own["responded"].astype(float), how="inner")
    x = pd.DataFrame(
        {f"arm_{a}": (frame["arm"] == a).astype(float) for a in TREATED}, index=frame.index
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
