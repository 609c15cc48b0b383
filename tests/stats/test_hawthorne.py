"""The Hawthorne caveat: store reading, bounds, masking simulation, truth recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    proportion_effectsize,
    proportions_ztest,
)

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


@settings(max_examples=60, deadline=None)
@given(st.integers(5, 150), st.integers(5, 150), st.floats(0, 1), st.floats(0, 1))
def test_vectorised_z_test_matches_statsmodels(n1, n0, f1, f0):
    x1, x0 = round(f1 * n1), round(f0 * n0)
    got = hw._z_test_positive(np.array([x1]), n1, np.array([x0]), n0, 0.05)[0]
    if x1 + x0 in (0, n1 + n0):
        assert not got
        return
    z, p = proportions_ztest([x1, x0], [n1, n0])
    assert got == bool(p < 0.05 and x1 / n1 > x0 / n0)


def test_masking_power_without_participation_effect_masks_nothing():
    curve = hw.masking_power(100, 100, 0.2, [0.0], np.arange(0, 31, 5), 200, seed=3)
    assert (curve["masked_power"] == 0).all()
    assert (curve["power"] == curve["power_clean"]).all()
    assert (curve["observed_pp"] == curve["effect_pp"]).all()


def test_masking_power_matches_analytic_power_and_shifts_by_the_participation_effect():
    n, share = 150, 0.25
    curve = hw.masking_power(n, n, share, [0.0, 10.0], [0.0, 10.0, 15.0, 20.0], 2000, seed=4)
    c = curve.set_index(["participation_pp", "effect_pp"])
    for e in (10.0, 15.0, 20.0):
        es = proportion_effectsize(share + e / 100, share)
        # two-sided 5% test counted in the positive direction = one-sided 2.5%
        want = NormalIndPower().power(es, nobs1=n, alpha=0.025, ratio=1.0, alternative="larger")
        assert c.loc[(0.0, e), "power"] == pytest.approx(want, abs=0.05)
    assert c.loc[(0.0, 0.0), "power"] < 0.05  # one direction of a two-sided 5% test
    # with H = 10 pp an effect of 10 pp is invisible: the arm equals the contaminated control
    assert c.loc[(10.0, 10.0), "power"] < 0.05 and c.loc[(10.0, 10.0), "masked_power"] > 0.3
    assert (curve["masked_power"] >= 0).all()


def test_detectable_effect_and_power_at_clean_detectable():
    curve = pd.DataFrame({
        "participation_pp": [0.0] * 4 + [5.0] * 4,
        "effect_pp": [0.0, 5.0, 10.0, 15.0] * 2,
        "power": [0.02, 0.5, 0.85, 0.99, 0.0, 0.1, 0.5, 0.82],
        "power_clean": [0.02, 0.5, 0.85, 0.99, 0.03, 0.6, 0.9, 0.99],
        "power_low": 0.0, "power_high": 1.0, "masked_power": 0.0, "observed_pp": 0.0,
    })  # fmt: skip
    det = hw.detectable_effect(curve).set_index("participation_pp")
    assert det.loc[0.0, "detectable_pp"] == 10.0 and det.loc[5.0, "detectable_pp"] == 15.0
    assert det.loc[5.0, "detectable_clean_pp"] == 10.0
    at = hw.power_at_clean_detectable(curve, det.reset_index()).set_index("participation_pp")
    assert at.loc[5.0, "power"] == 0.5


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
