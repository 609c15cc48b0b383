"""The effect-size overview: selection, standardisation and multiplicity against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from trustexp.stats import overview as ov


def test_holm_and_bh_match_hand_computed_textbook_values() -> None:
    # p = (0.01, 0.04, 0.03, 0.005), m = 4. Holm: sorted 0.005*4, 0.01*3, 0.03*2, 0.04*1 -> running max
    # 0.02, 0.03, 0.06, 0.06. BH: 0.005*4/1, 0.01*4/2, 0.03*4/3, 0.04*4/4 -> running min from the top
    # 0.02, 0.02, 0.04, 0.04.
    frame = pd.DataFrame({"kind": ["a"] * 4, "p": [0.01, 0.04, 0.03, 0.005]})
    out = ov.adjust_pvalues(frame)
    np.testing.assert_allclose(out["p_holm"], [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(out["p_bh"], [0.02, 0.04, 0.04, 0.02])


def test_multiplicity_families_are_adjusted_separately_and_missing_p_is_not_a_test() -> None:
    frame = pd.DataFrame({"kind": ["a", "a", "b", "b"], "p": [0.01, 0.02, 0.03, np.nan]})
    out = ov.adjust_pvalues(frame)
    np.testing.assert_allclose(out["p_holm"].iloc[:3], [0.02, 0.02, 0.03])
    assert math.isnan(out["p_holm"].iloc[3])
    assert out["n_tests"].tolist() == [2, 2, 1, 0]


def test_binary_sd_matches_hand_value() -> None:
    assert ov.binary_sd(0.3, 0.2) == pytest.approx(math.sqrt((0.21 + 0.16) / 2))
