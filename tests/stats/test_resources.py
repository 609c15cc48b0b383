"""Resources: spending per arm and instrument, budget per extra exit, truth recovery."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from conftest import make_params
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.weightstats import ttest_ind

from trustexp import fmt
from trustexp.charts import group_label
from trustexp.data import codebook
from trustexp.data.synthetic import generate
from trustexp.report.store import validate_results
from trustexp.stats import resources as rs

PARTS = pd.DataFrame(
    {
        "person_id": ["A", "B", "C", "D"],
        "arm": ["eigen_regie", "eigen_regie", "regulier", "regulier"],
    }
)
SPEND = pd.DataFrame(
    {
        "person_id": ["A", "A", "A", "C", "Z"],
        "year": [2017, 2018, 2018, 2017, 2017],
        "instrument": ["training", "training", "travel", "reintegration_trajectory", "travel"],
        "amount_eur": [100.0, 50.0, 10.0, 1000.0, 999.0],
    }
)


def test_person_spending_sums_years_fills_zeros_and_ignores_non_participants():
    got = rs.person_spending(
        SPEND, PARTS, ["reintegration_trajectory", "training", "travel", "coaching"]
    )
    got = got.set_index("person_id")
    assert got.loc["A", ["training", "travel"]].tolist() == [150.0, 10.0]
    assert got.loc["B"].drop("arm").sum() == 0 and got.loc["D"].drop("arm").sum() == 0
    assert got.loc["C", "reintegration_trajectory"] == 1000.0
    assert got["coaching"].eq(0).all() and "Z" not in got.index


def test_spending_by_arm_instrument_hand_values():
    per = rs.person_spending(SPEND, PARTS, ["reintegration_trajectory", "training", "travel"])
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


def _outflow_case():
    parts = pd.DataFrame({"person_id": [f"P{i}" for i in range(200)],
                          "arm": ["eigen_regie"] * 100 + ["regulier"] * 100})  # fmt: skip
    spend = pd.DataFrame({"person_id": parts["person_id"], "year": 2017, "instrument": "training",
                          "amount_eur": [600.0] * 100 + [300.0] * 100})  # fmt: skip
    flags = pd.DataFrame({"person_id": parts["person_id"],
                          "outflow_full": [True] * 30 + [False] * 70 + [True] * 20 + [False] * 80})  # fmt: skip
    non = pd.DataFrame({"outflow_full": [True] * 100 + [False] * 900})
    return rs.person_spending(spend, parts, ["training"]), flags, non


def test_eur_per_extra_outflow_hand_values():
    per, flags, non = _outflow_case()
    got = rs.eur_per_extra_outflow(per, flags, non, 1000, seed=3).set_index(["group", "comparison"])
    r = got.loc[("eigen_regie", "non_participants")]
    assert r["extra_outflow_pp"] == pytest.approx(20.0)
    assert r["estimate"] == pytest.approx(600 / 0.20)
    assert r["bounded"] and r["ci_low"] < r["estimate"] < r["ci_high"]
    assert got.loc[("regulier", "non_participants"), "estimate"] == pytest.approx(300 / 0.10)
    assert got.loc[("participants", "non_participants"), "estimate"] == pytest.approx(450 / 0.15)
    assert got.loc[("eigen_regie", "regulier"), "estimate"] == pytest.approx(300 / 0.10)


def test_eur_per_extra_outflow_is_unbounded_or_undefined_without_extra_outflow():
    per, flags, _ = _outflow_case()
    non = pd.DataFrame({"outflow_full": [True] * 25 + [False] * 75})
    got = rs.eur_per_extra_outflow(per, flags, non, 500, seed=3).set_index(["group", "comparison"])
    assert np.isnan(got.loc[("regulier", "non_participants"), "estimate"])  # 20% < 25%
    assert not got.loc[("regulier", "non_participants"), "bounded"]
    assert not got.loc[("eigen_regie", "non_participants"), "bounded"]  # 30% vs 25%: CI reaches 0


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


def test_store_rows_pass_the_store_schema():
    per, flags, non = _outflow_case()
    rows = rs.resources_store_rows(
        rs.spending_by_arm_instrument(per, 200, 1),
        rs.eur_per_extra_outflow(per, flags, non, 200, 2),
        rs.spending_difference(per, 200, 3),
    )
    checked = validate_results(rows.assign(chapter="resources"))
    assert {"spending per participant", "eur per extra outflow", "budget share: training"} <= set(
        checked["method"]
    )


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


def test_resources_analysis_equals_its_building_blocks():
    from trustexp.data.outcomes import outflow_flags

    params = make_params(analysis={"n_bootstrap": 200})
    cohort = generate(params)
    res = rs.resources_analysis(cohort, params)
    assert res.instruments == codebook.level_labels("spending", "instrument")
    per = rs.person_spending(cohort.spending, cohort.participants, list(res.instruments))
    pd.testing.assert_frame_equal(res.per_person, per)
    seed, alpha = params.seed, params.analysis.alpha
    pd.testing.assert_frame_equal(res.by_arm, rs.spending_by_arm_instrument(per, 200, seed, alpha))
    pd.testing.assert_frame_equal(res.difference, rs.spending_difference(per, 200, seed + 2, alpha))
    flags = outflow_flags(cohort.population, cohort.registry, params.analysis.outflow_window_months)
    part = flags["person_id"].isin(cohort.participants["person_id"])
    want = rs.eur_per_extra_outflow(per, flags[part], flags[~part], 200, seed + 1, alpha)
    pd.testing.assert_frame_equal(res.per_exit, want)
    assert res.n_non_participants == int((~part).sum()) > 0
    want_rows = rs.resources_store_rows(res.by_arm, res.per_exit, res.difference)
    pd.testing.assert_frame_equal(res.store_rows(), want_rows)


def test_resources_analysis_refuses_data_without_participants():
    cohort = generate(make_params())
    cohort.participants = cohort.participants.iloc[0:0]
    with pytest.raises(ValueError, match="no participants"):
        rs.resources_analysis(cohort, make_params())


def _analysis(by_arm=None, per_exit=None, difference=None) -> rs.ResourcesAnalysis:
    empty = pd.DataFrame()
    return rs.ResourcesAnalysis(
        instruments={}, per_person=empty, by_arm=by_arm if by_arm is not None else empty,
        per_exit=per_exit if per_exit is not None else empty,
        difference=difference if difference is not None else pd.DataFrame(columns=["arm"]),
        window=24, n_non_participants=7,
    )  # fmt: skip


def test_data_texts_format_years_counts_and_window():
    spend = SPEND.assign(year=[2019, 2017, 2018, 2018, 2017])
    got = rs.data_texts(_analysis(), spend, PARTS, threshold=3)
    assert got == {
        "years": "2017-2019",
        "n_arm_text": f"{group_label('eigen_regie')} < 3, {group_label('intensief')} 0, "
        f"{group_label('regulier')} < 3",
        "n_payments": "5",
        "window": "24",
        "threshold": "3",
        "n_non_participants": "7",
    }  # fmt: skip
    assert rs.data_texts(_analysis(), SPEND.iloc[0:0], PARTS, 3)["years"] == "none"


def _eur(est, low, high) -> str:
    return f"EUR {fmt.count(est)} (95% CI EUR {fmt.count(low)} to {fmt.count(high)})"


def test_spending_texts_match_the_frame_and_hide_small_shares():
    per, _, _ = _outflow_case()
    per = per.assign(reintegration_trajectory=[500.0] * 5 + [0.0] * 95 + [800.0] * 40 + [0.0] * 60)
    by_arm = rs.spending_by_arm_instrument(per, 200, 1)
    diff = rs.spending_difference(per, 200, 2)
    got = rs.spending_texts(_analysis(by_arm, difference=diff), n_participants=200, threshold=10)
    b = by_arm.set_index(["arm", "instrument"])
    for key, group in (
        ("all", "participants"),
        ("eigen_regie", "eigen_regie"),
        ("regulier", "regulier"),
    ):
        r = b.loc[(group, rs.ALL)]
        assert got[f"eur_pp_{key}"] == _eur(
            r["per_participant"], r["per_participant_low"], r["per_participant_high"]
        )
    r = b.loc[("participants", "reintegration_trajectory")]
    assert got["traj_users_all"] == "45" and got["n_participants"] == "200"
    assert (
        got["traj_share_all"]
        == f"{fmt.pct(r['share'])} (95% CI [{100 * r['share_low']:.1f}%, {100 * r['share_high']:.1f}%])"
    )
    assert got["traj_share_eigen_regie"] == "not shown (fewer than 10 users)"  # 5 users
    assert got["eur_pp_intensief"] == got["traj_share_intensief"] == got["diff_intensief"] == "n/a"
    d = diff.set_index("arm").loc["eigen_regie"]
    assert got["diff_eigen_regie"] == _eur(d["estimate"], d["ci_low"], d["ci_high"])
    assert list(got)[:4] == ["eur_pp_all", "traj_users_all", "n_participants", "traj_share_all"]  # fmt: skip


def test_per_exit_texts_say_undefined_unbounded_and_missing():
    per_exit = pd.DataFrame({
        "group": ["participants", "eigen_regie", "intensief", "eigen_regie"],
        "comparison": ["non_participants"] * 3 + ["regulier"],
        "estimate": [3000.4, np.nan, 2500.0, 1.0], "ci_low": [1500.0, np.nan, np.nan, 0.0],
        "ci_high": [9999.6, np.nan, np.nan, 2.0], "bounded": [True, False, False, True],
    })  # fmt: skip
    assert rs.per_exit_texts(per_exit) == {
        "per_exit_all": "EUR 3,000 (95% CI EUR 1,500 to 10,000)",
        "per_exit_eigen_regie": "not defined (no extra outflow)",
        "per_exit_intensief": "EUR 2,500 (95% CI unbounded: the extra outflow may be zero)",
        "per_exit_regulier": "n/a",
    }
