"""Chapter 2, response and attrition: display tables, glued texts and store rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustexp import disclosure, fmt
from trustexp.chapters.common import n_text
from trustexp.vocab import (
    CONTROL,
    between,
    covariate_label,
    group_label,
    level,
    respondent_label,
)


def store_rows(shares: pd.DataFrame, model: pd.DataFrame) -> pd.DataFrame:
    """Results-store rows: own-questionnaire response per arm and wave, and adjusted odds ratios."""
    own = shares[shares["respondent"] == "participant"]
    levels = pd.DataFrame({
        "outcome": "response", "contrast": own["arm"].map(level), "estimate": own["share"],
        "ci_low": own["ci_low"], "ci_high": own["ci_high"], "p": np.nan, "n": own["n"],
        "method": "share returned wave " + own["wave"].astype(str) + " (Wilson)", "scale": "share",
    })  # fmt: skip
    arms = model[model["term"].str.startswith("arm_")]
    ors = pd.DataFrame({
        "outcome": "response",
        "contrast": arms["term"].str.removeprefix("arm_").map(lambda a: between(a, CONTROL)),
        "estimate": arms["odds_ratio"], "ci_low": arms["ci_low"], "ci_high": arms["ci_high"],
        "p": arms["p"], "n": arms["n"], "method": "logit response wave 2 (adjusted)", "scale": "odds_ratio",
    })  # fmt: skip
    return pd.concat([levels, ors], ignore_index=True)


def _term(t: str) -> str:
    if t.startswith("arm_"):
        return f"{group_label(t.removeprefix('arm_'))} (vs {group_label(CONTROL).lower()})"
    return covariate_label(t)


def model_display(model: pd.DataFrame) -> pd.DataFrame:
    """The response model for readers: plain-words terms, odds ratios with CIs and p-values."""
    return pd.DataFrame({
        "term": model["term"].map(_term),
        "odds ratio": model["odds_ratio"].map(fmt.num),
        "95% CI": [fmt.ci(lo, hi) for lo, hi in zip(model["ci_low"], model["ci_high"], strict=True)],
        "p": model["p"].map(fmt.pval),
    })  # fmt: skip


def shares_display(shares: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Response for readers: one row per questionnaire and wave, one column per arm (share, CI, n)."""

    def cell(r: pd.Series) -> str:
        if 0 < r["n"] < threshold or 0 < r["responded"] < threshold:
            return f"suppressed (n {disclosure.count_text(int(r['n']), threshold)})"
        return f"{fmt.pct(r['share'])} {fmt.ci(r['ci_low'], r['ci_high'], scale='pct')}, {int(r['responded'])} of {int(r['n'])}"

    data = shares.assign(text=shares.apply(cell, axis=1), arm_label=shares["arm"].map(group_label))
    wide = data.pivot_table(
        index=["respondent", "wave"], columns="arm_label", values="text", aggfunc="first"
    )
    wide = wide.sort_index(ascending=[False, True]).reset_index()
    wide["respondent"] = wide["respondent"].map(respondent_label)
    wide.columns.name = None
    return wide.rename(columns={"respondent": "questionnaire"})


def responder_display(smds: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Start scores of responders vs non-responders: one row per item, one SMD column per arm."""
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
    return wide.rename(index=covariate_label).rename_axis("score at the start").reset_index()


def response_texts(flags: pd.DataFrame, threshold: int) -> dict[str, str]:
    """Glue texts of the data section: n per arm and the response at the start and after two years."""
    start = flags[(flags["wave"] == 0) & (flags["respondent"] == "participant")]
    own = flags[flags["respondent"] == "participant"].groupby("wave")["responded"].mean()
    return {
        "n_alloc_text": n_text(start.groupby("arm").size().to_dict(), threshold),
        "resp_w0": fmt.pct(own[0]),
        "resp_w2": fmt.pct(own[2]),
    }


def attrition_texts(
    test: dict[str, float], model: pd.DataFrame, alpha: float = 0.05
) -> dict[str, str]:
    """Glue texts of the attrition checks: chi-square test, the response model's n and verdicts.

    ``attr_arm_verdict``: whether response after two years differed clearly between the arms
    (chi-square p below ``alpha``); ``attr_background``: the background characteristics whose
    odds ratio's interval excludes one, or that none did.
    """
    clear = model[
        ~model["term"].str.startswith("arm_") & ((model["ci_low"] > 1) | (model["ci_high"] < 1))
    ]
    names = [covariate_label(t).lower().replace(" (share)", "") for t in clear["term"]]
    if names:
        background = "it depended clearly on " + (
            names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        )
    else:
        background = (
            "it did not depend clearly on any of the background characteristics in the model"
        )
    differed = test["p"] < alpha
    return {
        "attr_chi2": fmt.num(test["chi2"]),
        "attr_p": fmt.p_is(test["p"]),
        "model_n": fmt.count(model["n"].iloc[0]),
        "attr_arm_verdict": "differed clearly" if differed else "did not differ clearly",
        "attr_background": background,
    }
