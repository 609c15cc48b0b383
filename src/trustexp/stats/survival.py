"""Time to outflow: Kaplan-Meier curves, log-rank tests and Cox hazard ratios (lifelines).

Input is the person-level frame of ``trustexp.stats.outflow.analysis_frame`` with ``time``
(months from the index month to the first exit, or to the end of follow-up) and event columns
``event_any`` (left benefit for any reason) and ``event_full`` (first exit to full-time work;
other exits censored there, so the full-time hazard ratio is cause-specific).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test

from trustexp.vocab import ARMS, GROUPS, TREATED


def _usable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["time"].astype(float) > 0]


def kaplan_meier(
    frame: pd.DataFrame, event: str = "event_any", by: str = "group", alpha: float = 0.05
) -> pd.DataFrame:
    """Kaplan-Meier estimate per group as cumulative outflow (1 - S) with a pointwise CI.

    Returns ``<by>, time, cum_outflow, ci_low, ci_high, at_risk`` from time 0 (lifelines'
    exponential Greenwood CI, flipped to the outflow scale).

    >>> kaplan_meier(frame).query("group == 'regulier'")  # doctest: +SKIP
    """

    parts = []
    data = _usable(frame)
    for level, sub in data.groupby(by, observed=True):
        km = KaplanMeierFitter(alpha=alpha).fit(sub["time"].astype(float), sub[event].astype(int))
        sf = km.survival_function_.iloc[:, 0]
        ci = km.confidence_interval_survival_function_
        at_risk = km.event_table["at_risk"].reindex(sf.index)
        parts.append(
            pd.DataFrame(
                {
                    by: level,
                    "time": sf.index.to_numpy(float),
                    "cum_outflow": 1 - sf.to_numpy(float),
                    "ci_low": 1 - ci.iloc[:, 1].to_numpy(float),
                    "ci_high": 1 - ci.iloc[:, 0].to_numpy(float),
                    "at_risk": at_risk.to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def logrank(
    frame: pd.DataFrame, event: str = "event_any", groups: tuple[str, ...] = GROUPS
) -> dict:
    """Log-rank test of equal survival across ``groups`` (chi-squared, df = groups - 1)."""

    data = _usable(frame[frame["group"].isin(groups)])
    k = data["group"].nunique()
    if k < 2:
        return {"statistic": np.nan, "df": 0, "p": np.nan, "n": len(data)}
    res = multivariate_logrank_test(
        data["time"].astype(float), data["group"], data[event].astype(int)
    )
    return {
        "statistic": float(res.test_statistic),
        "df": k - 1,
        "p": float(res.p_value),
        "n": len(data),
    }


def _cox(data: pd.DataFrame, event: str, columns: list[str], alpha: float) -> pd.DataFrame | None:

    cols = [c for c in columns if data[c].nunique() > 1]
    if not cols or data[event].sum() == 0:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cph = CoxPHFitter(alpha=alpha).fit(
                data[["time", event, *cols]].astype(float), "time", event
            )
    except Exception:  # noqa: BLE001 - convergence failure: not estimable
        return None
    return cph.summary


def cox_hazard_ratios(
    frame: pd.DataFrame, event: str, outcome: str, alpha: float = 0.05
) -> pd.DataFrame:
    """Hazard ratios (Efron ties) as results-store rows.

    ``hazard ratio``: each arm vs non-participants (one model with arm indicators), participants
    vs non-participants, and eigen_regie / intensief vs regulier (among participants).
    ``adjusted hazard ratio``: participants vs non-participants, adjusted for the baseline
    covariates (age, sex, household, migration background, years on benefit).
    """
    data = _usable(frame).copy()
    for g in GROUPS:
        data[g] = (data["group"] == g).astype(float)
    data["female"] = (data["sex"] == "female").astype(float)
    for h in ("single_parent", "couple", "couple_children"):
        data[f"hh_{h}"] = (data["household"] == h).astype(float)
    covs = ["age", "female", "hh_single_parent", "hh_couple", "hh_couple_children",
            "migration_background", "benefit_years"]  # fmt: skip
    parts = []

    def add(summary, term, contrast, method, n):
        if summary is None or term not in summary.index:
            return
        s = summary.loc[term]
        parts.append(
            {
                "outcome": outcome,
                "contrast": contrast,
                "estimate": float(s["exp(coef)"]),
                "ci_low": float(s.iloc[5]),
                "ci_high": float(s.iloc[6]),
                "p": float(s["p"]),
                "n": n,
                "method": method,
                "scale": "hazard_ratio",
            }  # fmt: skip
        )

    s = _cox(data, event, list(ARMS), alpha)
    for arm in ARMS:
        add(
            s,
            arm,
            f"{arm} vs non_participants",
            "hazard ratio",
            int((data[arm] + data["non_participants"]).sum()),
        )
    s = _cox(data, event, ["participant"], alpha)
    add(s, "participant", "participants vs non_participants", "hazard ratio", len(data))
    s = _cox(data, event, ["participant", *covs], alpha)
    add(s, "participant", "participants vs non_participants", "adjusted hazard ratio", len(data))
    part = data[data["participant"] == 1]
    s = _cox(part, event, list(TREATED), alpha)
    for arm in TREATED:
        add(s, arm, f"{arm} vs regulier", "hazard ratio", int((part[arm] + part["regulier"]).sum()))
    return pd.DataFrame(parts)


def hazard_rows(frame: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """``cox_hazard_ratios`` for both outcomes: any exit and (cause-specific) full-time work."""
    return pd.concat(
        [
            cox_hazard_ratios(frame, "event_full", "outflow_full", alpha),
            cox_hazard_ratios(frame, "event_any", "outflow_any", alpha),
        ],
        ignore_index=True,
    )
