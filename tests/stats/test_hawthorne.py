"""The Hawthorne caveat: store reading, bounds, masking simulation, truth recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from trustexp.stats import hawthorne as hw


def test_effect_bounds_hand_values():
    out = hw.effect_bounds({"eigen_regie": (2.0, -9.0, 13.0)}, (6.0, -1.0, 14.0)).set_index("group")
    assert out.loc["eigen_regie", ["lower", "upper", "lower_ci", "upper_ci"]].tolist() == [
        2.0,
        8.0,
        -9.0,
        27.0,
    ]
    assert out.loc["regulier", ["lower", "upper", "lower_ci", "upper_ci"]].tolist() == [
        0.0,
        6.0,
        0.0,
        14.0,
    ]
    assert "intensief" not in out.index and out["consistent"].all()
    direct = hw.effect_bounds({"eigen_regie": (2.0, -9.0, 13.0)}, (6.0, -1.0, 14.0),
                              {"eigen_regie": (7.5, 0.0, 15.0)}).set_index("group")  # fmt: skip
    assert direct.loc["eigen_regie", ["upper", "upper_ci"]].tolist() == [7.5, 15.0]
    neg = hw.effect_bounds({"eigen_regie": (2.0, -9.0, 13.0)}, (-3.0, -10.0, 4.0)).set_index(
        "group"
    )
    assert not neg["consistent"].any()
    assert neg.loc["eigen_regie", "upper"] == neg.loc["eigen_regie", "lower"] == 2.0


@settings(max_examples=40, deadline=None)
@given(st.floats(-20, 20), st.floats(0, 20), st.floats(-5, 25))
def test_bounds_contain_the_lottery_contrast_and_grow_with_the_lead(t, half, c):
    out = hw.effect_bounds({"intensief": (t, t - half, t + half)}, (c, c - 5, c + 5)).set_index(
        "group"
    )
    r = out.loc["intensief"]
    assert r["lower_ci"] <= r["lower"] == t <= r["upper"] <= r["upper_ci"]
    assert r["upper"] == pytest.approx(t + max(c, 0.0))


def test_control_gap_is_the_welch_difference_of_changes():
    monthly = pd.DataFrame({
        "group": ["regulier"] * 2 + ["non_participants"] * 2 + ["eigen_regie"] * 2,
        "k": [0, 12] * 3, "n": [100, 100, 900, 900, 100, 100], "share": [1.0, 0.7, 1.0, 0.85, 1.0, 0.6],
        "d_n": [100, 100, 900, 900, 100, 100], "d_mean": [0.0, -0.3, 0.0, -0.15, 0.0, -0.4],
        "d_var": [0.0, 0.21, 0.0, 0.1275, 0.0, 0.24],
    })  # fmt: skip
    gap = hw.control_gap(monthly).set_index("k")
    se = np.sqrt(0.21 / 100 + 0.1275 / 900)
    assert gap.loc[12, "gap"] == pytest.approx(-15.0)
    assert gap.loc[12, "ci_low"] == pytest.approx(100 * (-0.15 - stats.norm.ppf(0.975) * se))
    assert gap.loc[12, "share_regulier"] == 0.7


# --------------------------------------------------------------------------- chapter steps


def test_participation_groups_label_arms_and_non_participants():
    population = pd.DataFrame({"person_id": ["p1", "p2", "p3", "p4"]})
    participants = pd.DataFrame({"person_id": ["p3", "p1"], "arm": ["intensief", "regulier"]})
    out = hw.participation_groups(population, participants)
    assert out["person_id"].tolist() == ["p1", "p2", "p3", "p4"]
    assert out["group"].tolist() == [
        "regulier",
        "non_participants",
        "intensief",
        "non_participants",
    ]
