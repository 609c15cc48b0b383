"""Resources: spending per arm and instrument, budget per extra exit, truth recovery."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from conftest import SPENDING, SPENDING_PARTICIPANTS, make_params
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.weightstats import ttest_ind

from trustexp.data import codebook
from trustexp.data.synthetic import generate
from trustexp.stats import resources as rs


def test_person_spending_sums_years_fills_zeros_and_ignores_non_participants():
    got = rs.person_spending(
        SPENDING,
        SPENDING_PARTICIPANTS,
        ["reintegration_trajectory", "training", "travel", "coaching"],
    )
    got = got.set_index("person_id")
    assert got.loc["A", ["training", "travel"]].tolist() == [150.0, 10.0]
    assert got.loc["B"].drop("arm").sum() == 0 and got.loc["D"].drop("arm").sum() == 0
    assert got.loc["C", "reintegration_trajectory"] == 1000.0
    assert got["coaching"].eq(0).all() and "Z" not in got.index


def test_spending_by_arm_instrument_hand_values():
    per = rs.person_spending(
        SPENDING, SPENDING_PARTICIPANTS, ["reintegration_trajectory", "training", "travel"]
    )
    got = rs.spending_by_arm_instrument(per, n_bootstrap=200, seed=1).set_index(
        ["arm", "instrument"]
    )
    assert got.loc[("eigen_regie", "training"), "per_participant"] == pytest.approx(75.0)
    assert got.loc[("eigen_regie", "training"), "share"] == pytest.approx(150 / 160)
    assert got.loc[("eigen_regie", "training"), "users"] == 1
    assert got.loc[("regulier", "all instruments"), "total_eur"] == 1000.0
    assert got.loc[("participants", "all instruments"), "per_participant"] == pytest.approx(
        1160 / 4
    )
    assert got.loc[("participants", "reintegration_trajectory"), "share"] == pytest.approx(
        1000 / 1160
    )


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0, 5000), min_size=2, max_size=40), st.integers(0, 2**31))
def test_bootstrap_ci_contains_the_estimate(amounts, seed):
    parts = pd.DataFrame({"person_id": [f"P{i}" for i in range(len(amounts))], "arm": "intensief"})
    spend = pd.DataFrame({"person_id": parts["person_id"], "year": 2017, "instrument": "training",
                          "amount_eur": amounts})  # fmt: skip
    per = rs.person_spending(spend, parts, ["training"])
    r = rs.spending_by_arm_instrument(per, 300, seed).set_index(["arm", "instrument"])
    r = r.loc[("intensief", "training")]
    assert r["per_participant"] == pytest.approx(np.mean(amounts))
    assert (
        r["per_participant_low"] - 1e-6 <= r["per_participant"] <= r["per_participant_high"] + 1e-6
    )


def test_bootstrap_ci_is_close_to_the_normal_interval_of_a_mean():
    rng = np.random.default_rng(4)
    x = rng.exponential(300, 400)
    parts = pd.DataFrame({"person_id": [f"P{i}" for i in range(400)], "arm": "regulier"})
    spend = pd.DataFrame(
        {"person_id": parts["person_id"], "year": 2018, "instrument": "training", "amount_eur": x}
    )
    per = rs.person_spending(spend, parts, ["training"])
    r = (
        rs.spending_by_arm_instrument(per, 4000, 2)
        .set_index(["arm", "instrument"])
        .loc[("regulier", "training")]
    )
    se = x.std(ddof=1) / np.sqrt(len(x))
    assert r["per_participant_low"] == pytest.approx(x.mean() - 1.96 * se, rel=0.03)
    assert r["per_participant_high"] == pytest.approx(x.mean() + 1.96 * se, rel=0.03)


def test_spending_difference_matches_welch_test():
    rng = np.random.default_rng(9)
    x, y = rng.exponential(700, 120), rng.exponential(500, 110)
    parts = pd.DataFrame({"person_id": [f"P{i}" for i in range(230)],
                          "arm": ["intensief"] * 120 + ["regulier"] * 110})  # fmt: skip
    spend = pd.DataFrame({"person_id": parts["person_id"], "year": 2017, "instrument": "coaching",
                          "amount_eur": np.r_[x, y]})  # fmt: skip
    got = rs.spending_difference(rs.person_spending(spend, parts, ["coaching"]), 1000, 1).iloc[0]
    assert got["estimate"] == pytest.approx(x.mean() - y.mean())
    assert got["p"] == pytest.approx(ttest_ind(x, y, usevar="unequal")[1])
    assert got["ci_low"] < got["estimate"] < got["ci_high"]


def _expected_per_participant(truth, arm_idx: int, instrument: str, start: dt.date) -> float:
    """The truth's expected euros per participant over the experiment (the generator's design)."""
    t = truth.spending
    j = t.instruments.index(instrument)
    if instrument == "reintegration_trajectory":
        mult = t.regulier_trajectory_multiplier if arm_idx == 2 else 1.0
    else:
        mult = t.arm_use_multiplier[arm_idx]
    end = dt.date(start.year + t.years, start.month, 1) - dt.timedelta(days=1)
    total = 0.0
    for year in range(start.year, end.year + 1):
        lo, hi = max(start, dt.date(year, 1, 1)), min(end, dt.date(year, 12, 31))
        exposure = ((hi - lo).days + 1) / (dt.date(year, 12, 31) - dt.date(year, 1, 1)).days
        total += min(1.0, t.use_probability[j] * mult * exposure)
    return total * t.median_eur[j] * np.exp(t.sigma**2 / 2)


def test_truth_recovery_spending_per_participant_covers_the_truth():
    params = make_params(seed=11, cohort={"n_participants": 3000, "n_non_participants": 30,
                                          "months_before": 1, "follow_up_months": 6})  # fmt: skip
    cohort = generate(params)
    per = rs.person_spending(
        cohort.spending, cohort.participants, codebook.levels("spending", "instrument")
    )
    got = rs.spending_by_arm_instrument(per, 1000, 5).set_index(["arm", "instrument"])
    for arm_idx, arm in enumerate(rs.ARMS):
        for inst in ("reintegration_trajectory", "training"):
            want = _expected_per_participant(
                params.truth, arm_idx, inst, params.cohort.lottery_date
            )
            r = got.loc[(arm, inst)]
            assert r["per_participant_low"] < want < r["per_participant_high"], (arm, inst, want)


def test_truth_recovery_no_trajectories_means_zero_share():
    truth = {"spending": {"use_probability": [0.0, 0.12, 0.2, 0.16, 0.08, 0.15, 0.04]}}
    cohort = generate(make_params(truth=truth))
    per = rs.person_spending(
        cohort.spending, cohort.participants, codebook.levels("spending", "instrument")
    )
    got = rs.spending_by_arm_instrument(per, 200, 5)
    traj = got[got["instrument"] == "reintegration_trajectory"]
    assert (traj["share"] == 0).all() and (traj["per_participant_high"] == 0).all()
