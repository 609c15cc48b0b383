"""Randomisation inference, Lee bounds, response weighting and MDEs against independent computations."""

from __future__ import annotations

import pandas as pd
from conftest import make_params

from trustexp.chapters import robustness as show


def test_power_verdicts_classify_detected_informative_and_inconclusive() -> None:
    mdes = pd.DataFrame({"outcome": ["wellbeing"] * 3, "wave": ["wave 2"] * 3, "scale": ["points"] * 3,
                         "contrast": ["eigen_regie vs regulier", "intensief vs regulier", "eigen_regie vs regulier"],
                         "n1": 50, "n2": 50, "sd": 2.0, "r": 0.5, "mde": 1.0, "mde_d": 0.5})  # fmt: skip
    store = pd.DataFrame({"outcome": ["wellbeing", "wellbeing"], "method": ["ANCOVA", "ANCOVA"],
                          "contrast": ["eigen_regie vs regulier", "intensief vs regulier"],
                          "estimate": [0.8, 0.0], "ci_low": [0.1, -0.3], "ci_high": [1.5, 0.3], "p": [0.02, 0.9]})  # fmt: skip
    v = show.power_verdicts(mdes.iloc[:2], store, sesoi_d=0.3).set_index("contrast")["verdict"]
    assert v["eigen_regie vs regulier"] == "effect detected"
    assert v["intensief vs regulier"] == "informative null"  # CI inside +/- 0.6
    store.loc[1, ["ci_low", "ci_high"]] = [-0.9, 0.9]
    v = show.power_verdicts(mdes.iloc[:2], store, sesoi_d=0.3).set_index("contrast")["verdict"]
    assert v["intensief vs regulier"] == "inconclusive"


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
