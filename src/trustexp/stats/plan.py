"""Applying the analysis plan: one standardised effect and gatekeeping.

* ``standardised_difference``: the adjusted difference over the outcome's baseline SD (all
  participants, wave 0), its CI divided by the same SD - one standardised effect per contrast;
* equivalence has one rule, the adjusted 95 % CI inside +- the declared margin: ``trustexp.verdicts``;
* ``apply_plan``: the plan's families in their declared order, Holm within a family,
  fixed-sequence gatekeeping across the confirmatory families.

The plan itself is data in the parameter set (``analysis.plan``); these functions take it as a
plain mapping (``params.analysis.plan.model_dump()``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from trustexp.stats.multiplicity import holm

STANDARDISED = "standardised difference (baseline SD)"


def baseline_sd(values: Sequence[float] | np.ndarray) -> float:
    """Sample SD (ddof 1) of the wave-0 scores of all participants; NaNs dropped.

    >>> baseline_sd([1.0, 2.0, 3.0])
    1.0
    """
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    return float(v.std(ddof=1)) if len(v) > 1 else math.nan


def standardised_difference(rows: pd.DataFrame, sd: float | Mapping[str, float]) -> pd.DataFrame:
    """Each estimate and its CI divided by the outcome's baseline SD (scale ``d``).

    ``rows``: estimates with ``estimate, ci_low, ci_high`` (and ``outcome`` when ``sd`` is a
    mapping outcome -> SD). Shares in pp need their SD in pp too. ``p`` and ``n`` are kept.

    >>> r = pd.DataFrame({"estimate": [0.5], "ci_low": [0.1], "ci_high": [0.9], "p": [0.01], "n": [80]})
    >>> standardised_difference(r, 2.0)[["estimate", "ci_low", "ci_high", "scale"]].values.tolist()
    [[0.25, 0.05, 0.45, 'd']]
    """
    out = rows.copy()
    div = out["outcome"].map(sd).astype(float) if isinstance(sd, Mapping) else float(sd)
    for col in ("estimate", "ci_low", "ci_high"):
        out[col] = out[col].astype(float) / div
    for col in ("se",):
        if col in out:
            out[col] = out[col].astype(float) / div
    return out.assign(method=STANDARDISED, scale="d")


def _get(obj, key: str):
    return obj[key] if isinstance(obj, Mapping) else getattr(obj, key)


def apply_plan(estimates: pd.DataFrame, plan: Mapping, alpha: float = 0.05) -> pd.DataFrame:
    """Apply the analysis plan to a frame of estimates (``outcome, contrast, method, p``, ...).

    For each family in the declared order, the rows of its outcomes and contrasts estimated by
    the plan's estimator for that outcome (``plan["estimators"]``) get ``family`` and a Holm
    p-value within the family (``p_adjusted``). Confirmatory families are tested in sequence: a
    family is ``tested_under_plan`` only when every hypothesis of each earlier confirmatory
    family was rejected; ``rejected`` = tested and ``p_adjusted <= alpha``. Exploratory families
    and rows outside the plan are never ``tested_under_plan``. Returns ``estimates`` with
    ``family, p_adjusted, tested_under_plan, rejected``.

    >>> plan = {"families": [{"name": "primary", "outcomes": ["y"], "contrasts": ["a vs b"],
    ...          "confirmatory": True}], "estimators": {"y": "diff"}}
    >>> est = pd.DataFrame({"outcome": ["y"], "contrast": ["a vs b"], "method": ["diff"], "p": [0.01]})
    >>> apply_plan(est, plan)["rejected"].tolist()
    [True]
    """
    out = estimates.copy().reset_index(drop=True)
    out["family"] = pd.Series([None] * len(out), dtype="object")
    out["p_adjusted"] = np.nan
    out["tested_under_plan"] = False
    out["rejected"] = False
    estimators = _get(plan, "estimators")
    gate_open = True
    for fam in _get(plan, "families"):
        outcomes, contrasts = list(_get(fam, "outcomes")), list(_get(fam, "contrasts"))
        method = out["outcome"].map(estimators)
        mask = (
            out["outcome"].isin(outcomes)
            & out["contrast"].isin(contrasts)
            & (out["method"] == method)
            & out["p"].notna()
        )
        keys = out.loc[mask, ["outcome", "contrast"]]
        if keys.duplicated().any():
            dup = keys[keys.duplicated()].iloc[0].tolist()
            raise ValueError(f"family {_get(fam, 'name')}: two estimates of {dup} by one method")
        idx = np.flatnonzero(mask.to_numpy())
        out.loc[idx, "family"] = _get(fam, "name")
        if len(idx):
            out.loc[idx, "p_adjusted"] = holm(out.loc[idx, "p"].astype(float))
        if not _get(fam, "confirmatory"):
            continue
        expected = len(outcomes) * len(contrasts)
        out.loc[idx, "tested_under_plan"] = gate_open
        out.loc[idx, "rejected"] = gate_open & (out.loc[idx, "p_adjusted"] <= alpha)
        gate_open = gate_open and len(idx) == expected and bool(out.loc[idx, "rejected"].all())
    return out
