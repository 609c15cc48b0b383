"""Standardised effect, equivalence and gatekeeping checked against hand-worked examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from trustexp.config import params_from_dict
from trustexp.errors import InvalidParameters
from trustexp.stats import plan as pl

PLAN = {
    "families": [
        {"name": "primary", "outcomes": ["outflow_full"], "contrasts": ["a vs c", "b vs c"], "confirmatory": True},
        {"name": "secondary", "outcomes": ["wellbeing", "ladder_self"], "contrasts": ["a vs c", "b vs c"], "confirmatory": True},
        {"name": "exploratory", "outcomes": ["health", "contacts"], "contrasts": ["a vs c", "b vs c"], "confirmatory": False},
    ],
    "estimators": {"outflow_full": "adj", "wellbeing": "anc", "ladder_self": "anc", "health": "anc", "contacts": "anc"},
}  # fmt: skip


def _est(p: dict[tuple[str, str], float]) -> pd.DataFrame:
    rows = [
        {"outcome": o, "contrast": c, "method": PLAN["estimators"][o], "p": v}
        for (o, c), v in p.items()
    ]
    rows.append(
        {"outcome": "outflow_full", "contrast": "a vs c", "method": "unadjusted", "p": 0.0001}
    )
    return pd.DataFrame(rows)


def test_gatekeeping_hand_worked_all_primary_rejected_opens_secondary() -> None:
    est = _est({("outflow_full", "a vs c"): 0.01, ("outflow_full", "b vs c"): 0.02,
                ("wellbeing", "a vs c"): 0.004, ("wellbeing", "b vs c"): 0.03,
                ("ladder_self", "a vs c"): 0.2, ("ladder_self", "b vs c"): 0.011,
                ("health", "a vs c"): 0.001, ("health", "b vs c"): 0.5,
                ("contacts", "a vs c"): 0.9, ("contacts", "b vs c"): 0.02})  # fmt: skip
    out = pl.apply_plan(est, PLAN).set_index(["outcome", "contrast", "method"])
    # primary: Holm of (0.01, 0.02) -> (0.02, 0.02): both rejected
    assert out.loc[("outflow_full", "a vs c", "adj"), "p_adjusted"] == pytest.approx(0.02)
    assert out.loc[("outflow_full", "b vs c", "adj"), "rejected"]
    # secondary, four p-values 0.004, 0.03, 0.2, 0.011 -> Holm 0.016, 0.06, 0.2, 0.033
    sec = out.xs("anc", level="method").loc[["wellbeing", "ladder_self"]]
    expected = {("wellbeing", "a vs c"): 0.016, ("wellbeing", "b vs c"): 0.06,
                ("ladder_self", "a vs c"): 0.2, ("ladder_self", "b vs c"): 0.033}  # fmt: skip
    for key, value in expected.items():
        assert sec.loc[key, "p_adjusted"] == pytest.approx(value)
    assert sec["tested_under_plan"].all()
    assert sec["rejected"].sum() == 2
    # exploratory: Holm within, never tested under the plan; the unadjusted row is outside
    exp = out.xs("anc", level="method").loc[["health", "contacts"]]
    assert not exp["tested_under_plan"].any() and not exp["rejected"].any()
    np.testing.assert_allclose(exp["p_adjusted"].sort_values(), multipletests([0.001, 0.5, 0.9, 0.02], method="holm")[1][[0, 3, 1, 2]])  # fmt: skip
    assert pd.isna(out.loc[("outflow_full", "a vs c", "unadjusted"), "family"])


def test_gate_closes_when_one_primary_hypothesis_is_not_rejected() -> None:
    est = _est({("outflow_full", "a vs c"): 0.01, ("outflow_full", "b vs c"): 0.2,
                ("wellbeing", "a vs c"): 0.0001, ("wellbeing", "b vs c"): 0.0001,
                ("ladder_self", "a vs c"): 0.0001, ("ladder_self", "b vs c"): 0.0001})  # fmt: skip
    out = pl.apply_plan(est, PLAN)
    prim = out[out["family"] == "primary"]
    assert prim["rejected"].tolist() == [True, False]  # Holm: 0.02, 0.2
    sec = out[out["family"] == "secondary"]
    assert not sec["tested_under_plan"].any() and not sec["rejected"].any()


def test_standardised_difference_divides_estimate_and_ci_by_the_baseline_sd() -> None:
    rows = pd.DataFrame({"outcome": ["wellbeing", "outflow_full"], "estimate": [0.6, 9.0],
                         "ci_low": [0.0, 3.0], "ci_high": [1.2, 15.0], "p": [0.05, 0.01], "n": [90, 200]})  # fmt: skip
    out = pl.standardised_difference(rows, {"wellbeing": 1.5, "outflow_full": 45.0})
    assert out["estimate"].tolist() == pytest.approx([0.4, 0.2])
    assert out["ci_high"].tolist() == pytest.approx([0.8, 1 / 3])
    assert set(out["method"]) == {pl.STANDARDISED} and set(out["scale"]) == {"d"}
    assert pl.baseline_sd([2.0, 4.0, np.nan, 6.0]) == pytest.approx(2.0)


def test_analysis_plan_is_validated_and_defaults_equal_the_parameter_set() -> None:
    from trustexp.config import AnalysisPlan, load_params

    assert load_params("params/oss.yml").analysis.plan == AnalysisPlan()
    raw = {"name": "t", "municipality": "Oss", "seed": 1,
           "analysis": {"plan": {"families": [{"name": "primary", "outcomes": ["outfow_full"]}]}}}  # fmt: skip
    with pytest.raises(InvalidParameters, match="unknown outcome 'outfow_full'"):
        params_from_dict(raw, "<t>")
    raw["analysis"]["plan"] = {
        "equivalence_margins": {"wellbeing": {"margin": 0.5, "scale": "points", "reason": "x"}}
    }
    with pytest.raises(InvalidParameters, match="reason"):
        params_from_dict(raw, "<t>")
