"""The effect-size overview's statistics: contrast families, yardsticks and multiplicity.

Pure functions over frames of estimates (rows as the results store holds them): the family of a
contrast, the pooled SD of a binary outcome, the baseline SDs used to standardise, and p-values
adjusted for multiple testing (Holm and Benjamini–Hochberg, via ``statsmodels.stats.multitest``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from trustexp.stats.multiplicity import holm
from trustexp.stats.survey import baseline_sd, long_outcome
from trustexp.vocab import OUTFLOW_OUTCOMES

# Contrast kinds (also the multiplicity families).
RANDOMISED = "between arms (lottery)"
VS_NON = "comparisons with non-participants"
WITHIN = "change within an arm"


def contrast_kind(contrast: str) -> str | None:
    """The kind of a contrast key (``RANDOMISED``, ``VS_NON``, ``WITHIN``), None for others."""
    if contrast.endswith("vs regulier") or contrast == "eigen_regie vs intensief":
        return RANDOMISED
    if contrast.endswith("vs non_participants"):
        return VS_NON
    if "wave" in contrast and contrast.endswith("vs wave 0"):
        return WITHIN
    return None


def binary_sd(p1: float, p2: float) -> float:
    """Pooled SD of a binary outcome in two groups: ``sqrt((p1(1-p1) + p2(1-p2)) / 2)``.

    >>> round(binary_sd(0.2, 0.3), 4)
    0.4301
    """
    return math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2)


def baseline_sds(
    survey: pd.DataFrame, participants: pd.DataFrame, outcomes: list[str]
) -> dict[str, float]:
    """Baseline (wave-0) SD of each questionnaire outcome among participants (``survey.baseline_sd``).

    A description of the data, not a model: the yardstick for standardising the stored estimates.
    """

    out = {}
    for outcome in outcomes:
        if outcome in OUTFLOW_OUTCOMES or outcome not in survey.columns:
            continue
        out[outcome] = baseline_sd(long_outcome(survey, participants, outcome))
    return out


def adjust_pvalues(overview: pd.DataFrame, family: str = "kind") -> pd.DataFrame:
    """Add Holm and Benjamini–Hochberg adjusted p-values within each family of tests.

    A family is one value of ``family`` (by default the contrast kind: the randomised arm
    contrasts, the comparisons with non-participants and the changes within arms are three
    families). Rows without a p-value keep NaN and do not count as tests.

    >>> adjust_pvalues(pd.DataFrame({"kind": ["a", "a"], "p": [0.01, 0.04]}))["p_holm"].tolist()
    [0.02, 0.04]
    """

    out = overview.copy()
    out["p_holm"] = np.nan
    out["p_bh"] = np.nan
    out["n_tests"] = 0
    for _, idx in out.groupby(family).groups.items():
        p = out.loc[idx, "p"]
        ok = p.notna()
        if ok.sum() == 0:
            continue
        keep = p[ok].index
        out.loc[keep, "p_holm"] = holm(p[ok].to_numpy())
        out.loc[keep, "p_bh"] = multipletests(p[ok].to_numpy(), method="fdr_bh")[1]
        out.loc[keep, "n_tests"] = int(ok.sum())
    return out


def multiplicity_summary(adjusted: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Per family: number of tests and how many are below ``alpha`` raw, after Holm, after BH."""
    rows = []
    for kind, sub in adjusted.groupby("kind", sort=False):
        tested = sub[sub["p"].notna()]
        rows.append(
            dict(
                family=kind,
                tests=len(tested),
                raw=int((tested["p"] < alpha).sum()),
                holm=int((tested["p_holm"] < alpha).sum()),
                bh=int((tested["p_bh"] < alpha).sum()),
            )
        )
    return pd.DataFrame(rows)
