"""Baseline balance: standardised mean differences between groups, before any outcome is seen."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustexp.vocab import ARMS, CONTROL, TREATED

HOUSEHOLDS = ("single", "single_parent", "couple", "couple_children")
REGISTRY_COLUMNS = ("age", "female", "migration_background", "benefit_years",
                    *(f"household_{h}" for h in HOUSEHOLDS))  # fmt: skip
"""Numeric registry covariates (``registry_covariates``), known for everyone."""
BASELINE_ITEMS = ("wellbeing", "health", "mental_health", "self_reliance", "social_trust",
                  "institutional_trust", "financial_strain", "deprived", "contacts",
                  "motivation")  # fmt: skip
BASELINE_COVARIATES = (*REGISTRY_COLUMNS, "education_low", "education_high", *BASELINE_ITEMS)
"""Everything compared between the arms at the start (``participant_baseline`` columns)."""


def smd(treated: np.ndarray, comparison: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Standardised mean difference, pooled unweighted SD in the denominator (Austin 2009).

    ``weights`` (optional) weight the comparison group's mean only, so that balance before and
    after weighting is measured against the same yardstick. NaNs are dropped.

    >>> round(smd(np.array([1.0, 2, 3]), np.array([0.0, 1, 2])), 2)
    1.0
    """
    t = np.asarray(treated, float)
    c = np.asarray(comparison, float)
    keep = ~np.isnan(c)
    w = None if weights is None else np.asarray(weights, float)[keep]
    t, c = t[~np.isnan(t)], c[keep]
    if len(t) < 2 or len(c) < 2:
        return float("nan")
    sd = np.sqrt((t.var(ddof=1) + c.var(ddof=1)) / 2)
    if not sd > 0:
        return float("nan")
    m0 = np.average(c, weights=w) if w is not None else c.mean()
    return float((t.mean() - m0) / sd)


def registry_covariates(population: pd.DataFrame) -> pd.DataFrame:
    """Numeric baseline covariates of the registry (one row per person, indexed by person_id)."""
    pop = population.set_index(population["person_id"].astype(str))
    out = pd.DataFrame(index=pop.index)
    out["age"] = pop["age"].astype(float)
    out["female"] = (pop["sex"].astype(str) == "female").astype(float)
    out["migration_background"] = pop["migration_background"].astype(float)
    out["benefit_years"] = pop["benefit_months"].astype(float) / 12
    for level in HOUSEHOLDS:
        out[f"household_{level}"] = (pop["household"].astype(str) == level).astype(float)
    return out


def participant_baseline(population: pd.DataFrame, participants: pd.DataFrame,
                         survey: pd.DataFrame) -> pd.DataFrame:  # fmt: skip
    """One row per participant: arm, registry covariates, education and wave-0 questionnaire scores.

    Wave-0 scores are missing (NaN) for people who did not return the start questionnaire.
    """
    part = participants.set_index(participants["person_id"].astype(str))
    out = registry_covariates(population).reindex(part.index)
    out["education_low"] = (part["education"].astype(str) == "low").astype(float)
    out["education_high"] = (part["education"].astype(str) == "high").astype(float)
    own = survey[(survey["respondent"].astype(str) == "participant") & (survey["wave"] == 0)
                 & survey["completed"].astype(bool)]  # fmt: skip
    own = own.set_index(own["person_id"].astype(str))
    for item in BASELINE_ITEMS:
        out[item] = pd.to_numeric(own[item].astype("Float64"), errors="coerce").reindex(out.index)
        out[item] = out[item].astype(float)
    out.insert(0, "arm", part["arm"].astype(str))
    return out


def arm_balance(baseline: pd.DataFrame, columns: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """Per covariate: mean per arm, n answering, and the SMD of each experimental arm vs control."""
    rows = []
    ctrl = baseline[baseline["arm"] == CONTROL]
    for col in columns:
        row = {"covariate": col}
        for arm in ARMS:
            values = baseline.loc[baseline["arm"] == arm, col].dropna()
            row[f"mean_{arm}"], row[f"n_{arm}"] = values.mean(), len(values)
        for arm in TREATED:
            row[f"smd_{arm}"] = smd(baseline.loc[baseline["arm"] == arm, col], ctrl[col])
        rows.append(row)
    return pd.DataFrame(rows)


def participation_balance(population: pd.DataFrame) -> pd.DataFrame:
    """Per registry covariate: mean of participants and non-participants and their SMD."""
    cov = registry_covariates(population)
    is_part = population.set_index(population["person_id"].astype(str))["participant"].astype(bool)
    rows = []
    for col in cov.columns:
        t, c = cov.loc[is_part, col], cov.loc[~is_part, col]
        rows.append({"covariate": col, "mean_participants": t.mean(), "n_participants": len(t),
                     "mean_non_participants": c.mean(), "n_non_participants": len(c),
                     "smd": smd(t, c)})  # fmt: skip
    return pd.DataFrame(rows)


def smd_long(arm_table: pd.DataFrame, part_table: pd.DataFrame) -> pd.DataFrame:
    """Tidy SMDs for the balance chart: ``covariate, comparison, smd``."""
    parts = [
        arm_table.assign(comparison=arm, smd=arm_table[f"smd_{arm}"])[
            ["covariate", "comparison", "smd"]
        ]
        for arm in TREATED
    ]
    parts.append(part_table.assign(comparison="participants")[["covariate", "comparison", "smd"]])
    return pd.concat(parts, ignore_index=True)
