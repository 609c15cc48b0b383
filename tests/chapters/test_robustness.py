"""Randomisation inference, Lee bounds, response weighting and MDEs against independent computations."""

from __future__ import annotations

import pandas as pd
from conftest import make_params, store_row

from trustexp.chapters import robustness as show
from trustexp.config import AnalysisPlan


def _mdes() -> pd.DataFrame:
    return pd.DataFrame({
        "outcome": ["wellbeing"] * 3 + ["outflow_full"] * 2 + ["health"],
        "wave": ["wave 2", "wave 2", "wave 1", "registry", "registry", "wave 2"],
        "contrast": ["eigen_regie vs regulier", "intensief vs regulier", "eigen_regie vs regulier",
                     "eigen_regie vs regulier", "intensief vs regulier", "eigen_regie vs regulier"],
        "scale": ["points"] * 3 + ["pp"] * 2 + ["points"],
        "n1": 50, "n2": 50, "sd": 2.0, "r": 0.5, "mde": [0.4, 0.6, 9.0, 17.0, 17.0, 0.2],
        "mde_d": [0.2, 0.3, 4.5, 0.4, 0.4, 0.2],
    })  # fmt: skip


def _power_store() -> pd.DataFrame:
    return pd.DataFrame([
        store_row("wellbeing", "eigen_regie vs regulier", "ANCOVA (baseline score)", 0.8, 0.1, 1.5, 0.02),
        store_row("wellbeing", "intensief vs regulier", "ANCOVA (baseline score)", 0.0, -0.3, 0.3, 0.9),
        store_row("wellbeing", "intensief vs regulier", "MixedLM", 5.0, 4.0, 6.0, 0.001),
        store_row("outflow_full", "eigen_regie vs regulier", "difference (covariate-adjusted)", -8.0,
                  -14.0, -2.0, 0.01, 200, "pp"),
        store_row("outflow_full", "intensief vs regulier", "difference (unadjusted)", 9.0, 4.0, 14.0,
                  0.001, 200, "pp"),
    ])  # fmt: skip


def test_power_rows_judge_the_plans_estimate_beside_its_mde_and_margin() -> None:
    rows = show.power_rows(_mdes(), _power_store(), AnalysisPlan())
    # wave-1 rows are not final; the intensief outflow row has no adjusted estimate; health none
    assert list(zip(rows["outcome"], rows["contrast"], strict=True)) == [
        ("wellbeing", "eigen_regie vs regulier"), ("wellbeing", "intensief vs regulier"),
        ("outflow_full", "eigen_regie vs regulier")]  # fmt: skip
    r = rows.set_index(["outcome", "contrast"])
    er = r.loc[("wellbeing", "eigen_regie vs regulier")]
    assert (er["code"], er["verdict"], er["method"]) == (
        "gain",
        "a clear gain",
        "ANCOVA (baseline score)",
    )
    assert (er["sesoi"], er["powered"], er["n"], er["mde"]) == (0.5, True, 100, 0.4)  # 0.4 <= 0.5
    it = r.loc[("wellbeing", "intensief vs regulier")]
    assert (it["code"], it["estimate"], it["powered"]) == ("equivalent", 0.0, False)  # 0.6 > 0.5
    assert it["verdict"] == "no difference that matters (within the margin)"
    out = r.loc[("outflow_full", "eigen_regie vs regulier")]
    assert (out["code"], out["verdict"], out["sesoi"], out["powered"]) == (
        "loss", "a clear loss", 5.0, False)  # fmt: skip
    table = show.power_table(rows, _mdes())
    assert table.iloc[0]["MDE wave 1"] == "9.00" and table.iloc[0]["margin"] == "0.50"
    assert table.iloc[2]["estimate [95% CI]"] == "-8.0 pp [-14.0, -2.0]"
    assert table["verdict"].tolist() == rows["verdict"].tolist()


def test_power_rows_follow_the_plans_estimator_and_imprecise_intervals() -> None:
    plan = AnalysisPlan()
    plan = plan.model_copy(
        update={"estimators": {**plan.estimators, "outflow_full": "difference (unadjusted)"}}
    )
    rows = show.power_rows(_mdes(), _power_store(), plan).set_index(["outcome", "contrast"])
    assert rows.loc[("outflow_full", "intensief vs regulier"), "code"] == "gain"
    assert ("outflow_full", "eigen_regie vs regulier") not in rows.index
    wide = _power_store().assign(
        ci_low=lambda s: s["estimate"] - 9, ci_high=lambda s: s["estimate"] + 9
    )
    codes = show.power_rows(_mdes(), wide, AnalysisPlan())["code"]
    assert set(codes) == {"imprecise"}
    facts_power = show.power_rows(_mdes(), _power_store(), AnalysisPlan())
    assert facts_power["code"].isin(["gain", "loss", "higher", "lower"]).sum() == 2


def test_robustness_recovers_a_known_large_effect_of_self_direction() -> None:
    from trustexp.data.synthetic import generate

    truth = {"arm_effect": {"eigen_regie": {"wellbeing": 1.5, "outflow_full": 0.3}}}
    params = make_params(cohort={"n_participants": 240, "n_non_participants": 30, "months_before": 3,
                                 "follow_up_months": 24}, truth=truth)  # fmt: skip
    c = generate(params)
    outflow = show.participant_outflow(c, c.participants, 24)
    store = pd.DataFrame(columns=["outcome", "contrast", "method", "estimate", "p"])
    perms = show.primary_permutations(
        outflow, c.survey, c.participants, store, 2000, seed=1
    ).set_index(["outcome", "contrast"])
    er = perms.loc[
        [("outflow_full", "eigen_regie vs regulier"), ("wellbeing", "eigen_regie vs regulier")]
    ]
    assert (er["estimate"] > 0).all() and (er["p"] < 0.01).all()
    att, _ = show.attrition_sensitivity(c.population, c.participants, c.survey, store, 200, 1)
    ipw = att[
        (att["method"] == "IPW ANCOVA") & (att["contrast"] == "eigen_regie vs regulier")
    ].iloc[0]
    assert ipw["ci_low"] < 1.5 < ipw["ci_high"] and ipw["ci_low"] > 0
