"""Chapter 2 (response): store rows of the response shares and the response model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustexp.chapters import response as show
from trustexp.results import validate_results
from trustexp.stats import response


def test_store_rows_hold_levels_per_arm_and_odds_ratios_against_control():
    ids = [f"P{i}" for i in range(9)]
    parts = pd.DataFrame({"person_id": ids, "arm": ["eigen_regie", "intensief", "regulier"] * 3})
    survey = pd.DataFrame({"person_id": ids, "wave": 0, "respondent": "participant",
                           "completed": [True, False, True] * 3})  # fmt: skip
    shares = response.response_shares(response.response_flags(survey, parts))
    model = pd.DataFrame({"term": ["arm_eigen_regie", "arm_intensief", "age"],
                          "odds_ratio": [1.5, 0.8, 1.01], "ci_low": [0.7, 0.4, 0.99],
                          "ci_high": [3.0, 1.6, 1.03], "p": [0.3, 0.5, 0.2], "n": 9})  # fmt: skip
    rows = show.store_rows(shares, model)
    assert set(rows["contrast"]) == {
        "eigen_regie vs regulier", "intensief vs regulier",
        "eigen_regie level", "intensief level", "regulier level",
    }  # fmt: skip
    own0 = rows[(rows["contrast"] == "eigen_regie level") & (rows["method"].str.contains("wave 0"))]
    assert own0["estimate"].iloc[0] == 1.0  # all three eigen_regie people answered at wave 0
    assert np.isclose(
        rows.loc[rows["contrast"] == "intensief vs regulier", "estimate"].iloc[0], 0.8
    )
    validate_results(rows.assign(chapter="response"))


def _model(**ci) -> pd.DataFrame:
    terms = ["arm_eigen_regie", "arm_intensief", "age", "female", "education_low", "wellbeing"]
    low = {t: 0.8 for t in terms} | {k: v[0] for k, v in ci.items()}
    high = {t: 1.2 for t in terms} | {k: v[1] for k, v in ci.items()}
    return pd.DataFrame({"term": terms, "odds_ratio": 1.0, "ci_low": [low[t] for t in terms],
                         "ci_high": [high[t] for t in terms], "p": 0.5, "n": 1234})  # fmt: skip


def test_attrition_texts_judge_the_arms_by_alpha_and_name_clear_backgrounds():
    texts = show.attrition_texts({"chi2": 7.456, "p": 0.024}, _model(arm_eigen_regie=(1.1, 2.0)))
    assert texts == {
        "attr_chi2": "7.46",
        "attr_p": "p = 0.024",
        "model_n": "1,234",
        "attr_arm_verdict": "differed clearly",
        "attr_background": "it did not depend clearly on any of the background characteristics in the model",
    }  # an arm's odds ratio is not a background characteristic
    one = show.attrition_texts({"chi2": 1.0, "p": 0.06}, _model(female=(1.05, 1.9)))
    assert one["attr_arm_verdict"] == "did not differ clearly"
    assert one["attr_background"] == "it depended clearly on women"
    assert show.attrition_texts({"chi2": 1.0, "p": 0.04}, _model(), alpha=0.01)[
        "attr_arm_verdict"
    ] == ("did not differ clearly")
    three = show.attrition_texts({"chi2": 1.0, "p": 0.0004},
                                 _model(age=(1.01, 1.03), education_low=(0.3, 0.9), wellbeing=(0.5, 0.95)))  # fmt: skip
    assert three["attr_p"] == "p < 0.001"
    assert three["attr_background"] == (
        "it depended clearly on age (years), low education and life satisfaction (0-10)"
    )
