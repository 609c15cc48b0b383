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
