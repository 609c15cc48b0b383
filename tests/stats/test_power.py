"""Minimum detectable effects against statsmodels' power solver and hand arithmetic."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustexp.stats.power import mde, mde_d


@pytest.mark.parametrize(("n1", "n2"), [(50, None), (100, 100), (60, 90), (20, 35)])
def test_mde_d_matches_statsmodels_solver(n1, n2):
    from statsmodels.stats.power import TTestIndPower

    ratio = 1.0 if n2 is None else n2 / n1
    expected = TTestIndPower().solve_power(
        effect_size=None, nobs1=n1, alpha=0.05, power=0.8, ratio=ratio
    )
    assert mde_d(n1, n2) == pytest.approx(expected, rel=1e-3)


def test_mde_d_of_textbook_case():
    # Cohen (1988): d = 0.5 needs 64 per group for 80 % power at two-sided alpha 0.05
    assert mde_d(64) == pytest.approx(0.5, abs=0.005)


def test_mde_points_is_d_times_sd_and_baseline_adjustment_shrinks_it():
    plain = mde(sd=2.0, n1=80)
    assert plain.points == pytest.approx(plain.d * 2.0)
    adjusted = mde(sd=2.0, n1=80, r=0.6)
    assert adjusted.points == pytest.approx(plain.points * math.sqrt(1 - 0.36))


def test_mde_is_nan_for_too_small_groups_and_refuses_bad_r():
    assert math.isnan(mde(sd=1.0, n1=1).points)
    with pytest.raises(ValueError):
        mde(sd=1.0, n1=50, r=1.0)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(min_value=5, max_value=400), power=st.floats(min_value=0.5, max_value=0.95))
def test_power_at_the_mde_equals_the_target(n, power):
    from statsmodels.stats.power import TTestIndPower

    d = mde_d(n, power=power)
    achieved = TTestIndPower().power(effect_size=d, nobs1=n, alpha=0.05, ratio=1.0)
    assert achieved == pytest.approx(power, abs=2e-3)
