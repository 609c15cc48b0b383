"""Consultants vs participants: pairing, paired differences, ICC, Bland-Altman, truth recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_params, rated_survey
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from trustexp.data.synthetic import generate
from trustexp.stats import consultants as cs

PARTS = pd.DataFrame(
    {"person_id": ["A", "B", "C"], "arm": ["eigen_regie", "regulier", "intensief"]}
)


def _pairs_frame(participant, consultant, persons=None, waves=None, item="ladder"):
    n = len(participant)
    persons = persons if persons is not None else [f"P{i}" for i in range(n)]
    out = pd.DataFrame(
        {
            "person_id": persons,
            "arm": "regulier",
            "wave": waves if waves is not None else [0] * n,
            "item": item,
            "rater_id": "C01",
            "participant": np.asarray(participant, float),
            "consultant": np.asarray(consultant, float),
        }
    )
    out["difference"] = out["consultant"] - out["participant"]
    out["mean"] = (out["consultant"] + out["participant"]) / 2
    return out


def test_rating_pairs_keeps_only_person_waves_answered_by_both():
    survey = rated_survey([
        ("A", 0, "participant", 2, 6, None, True), ("A", 0, "consultant", 3, 7, 5, True),
        ("A", 1, "participant", 3, 6, None, True), ("A", 1, "consultant", None, None, None, False),
        ("B", 0, "participant", None, None, None, False), ("B", 0, "consultant", 4, 8, 6, True),
        ("C", 2, "participant", 1, None, None, True), ("C", 2, "consultant", 2, 5, 4, True),
    ])  # fmt: skip
    pairs = cs.rating_pairs(survey, PARTS)
    got = {(r.item, r.person_id, r.wave): (r.participant, r.consultant) for r in pairs.itertuples()}
    assert got == {
        ("ladder", "A", 0): (2, 3),
        ("wellbeing", "A", 0): (6, 7),
        ("ladder", "C", 2): (1, 2),
    }
    assert (pairs["difference"] == pairs["consultant"] - pairs["participant"]).all()
    assert set(pairs.loc[pairs["person_id"] == "C", "arm"]) == {"intensief"}
    assert cs.paired_items(survey) == (["ladder", "wellbeing"], ["progress"])


def test_paired_difference_matches_one_sample_t_interval_of_differences():
    rng = np.random.default_rng(3)
    p = rng.integers(1, 7, 40)
    c = np.clip(p + rng.integers(-1, 3, 40), 1, 6)
    got = cs.paired_differences(_pairs_frame(p, c), by=("item", "wave")).iloc[0]
    d = c - p
    low, high = stats.t.interval(
        0.95, len(d) - 1, loc=d.mean(), scale=d.std(ddof=1) / np.sqrt(len(d))
    )
    assert got["estimate"] == pytest.approx(d.mean())
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((low, high))
    assert got["p"] == pytest.approx(stats.ttest_1samp(d, 0).pvalue)
    assert got["p_wilcoxon"] == pytest.approx(stats.wilcoxon(c, p).pvalue)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10), st.integers(0, 10)), min_size=3, max_size=30))
def test_paired_difference_is_difference_of_means_and_flips_sign(values):
    p, c = zip(*values, strict=True)
    a = cs.paired_differences(_pairs_frame(p, c)).iloc[0]
    b = cs.paired_differences(_pairs_frame(c, p)).iloc[0]
    assert a["estimate"] == pytest.approx(np.mean(c) - np.mean(p))
    assert a["estimate"] == pytest.approx(-b["estimate"])
    if not np.isnan(a["ci_low"]):
        assert a["ci_low"] <= a["estimate"] <= a["ci_high"]
        assert a["ci_low"] == pytest.approx(-b["ci_high"])


def test_pooled_difference_uses_person_clustered_standard_error():
    rng = np.random.default_rng(5)
    persons = np.repeat([f"P{i}" for i in range(30)], 3)
    shift = np.repeat(rng.normal(0, 1, 30), 3)
    p = rng.normal(5, 1, 90)
    c = p + 0.5 + shift + rng.normal(0, 0.3, 90)
    got = cs.pooled_difference(_pairs_frame(p, c, persons=persons, waves=[0, 1, 2] * 30)).iloc[0]
    d = c - p
    e = d - d.mean()
    sums = pd.Series(e).groupby(persons).sum().to_numpy()
    g, n = len(sums), len(d)
    var = g / (g - 1) * (n - 1) / (n - 1) * np.sum(sums**2) / n**2  # CR1, one parameter
    half = stats.norm.ppf(0.975) * np.sqrt(var)
    assert got["estimate"] == pytest.approx(d.mean())
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((d.mean() - half, d.mean() + half))
    assert got["n_people"] == 30


def _icc_by_hand(x: np.ndarray) -> tuple[float, float]:
    """ICC(A,1) and ICC(C,1) from two-way ANOVA mean squares (McGraw & Wong 1996)."""
    n, k = x.shape
    grand = x.mean()
    msr = k * np.sum((x.mean(axis=1) - grand) ** 2) / (n - 1)
    msc = n * np.sum((x.mean(axis=0) - grand) ** 2) / (k - 1)
    sse = np.sum((x - x.mean(axis=1, keepdims=True) - x.mean(axis=0) + grand) ** 2)
    mse = sse / ((n - 1) * (k - 1))
    agreement = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
    return agreement, (msr - mse) / (msr + (k - 1) * mse)


def test_icc_matches_anova_formulas():
    rng = np.random.default_rng(11)
    true = rng.normal(5, 1.5, 50)
    p, c = true + rng.normal(0, 0.8, 50), true + 0.7 + rng.normal(0, 0.8, 50)
    got = cs.agreement_icc(_pairs_frame(p, c)).iloc[0]
    agreement, consistency = _icc_by_hand(np.column_stack([p, c]))
    assert got["icc_agreement"] == pytest.approx(agreement)
    assert got["icc_consistency"] == pytest.approx(consistency)
    assert got["icc_agreement"] < got["icc_consistency"]  # a systematic shift lowers agreement


def test_bland_altman_limits_and_bootstrap_ci():
    rng = np.random.default_rng(2)
    p = rng.normal(5, 1, 200)
    c = p + rng.normal(0.4, 1.0, 200)
    got = cs.bland_altman(_pairs_frame(p, c), n_bootstrap=2000, seed=1).iloc[0]
    d = c - p
    assert got["bias"] == pytest.approx(d.mean())
    assert got["loa_low"] == pytest.approx(d.mean() - 1.96 * d.std(ddof=1))
    assert got["loa_high"] == pytest.approx(d.mean() + 1.96 * d.std(ddof=1))
    # one pair per person: the person bootstrap CI of the bias is close to the t-interval
    low, high = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d))
    assert got["bias_low"] == pytest.approx(low, abs=0.03)
    assert got["bias_high"] == pytest.approx(high, abs=0.03)
    assert got["loa_high_low"] < got["loa_high"] < got["loa_high_high"]
    again = cs.bland_altman(_pairs_frame(p, c), n_bootstrap=2000, seed=1).iloc[0]
    assert again["bias_low"] == got["bias_low"]


def test_bland_altman_cells_drop_small_cells_and_count_them():
    pairs = _pairs_frame([1] * 12 + [2] * 3, [2] * 12 + [4] * 3)
    cells, hidden = cs.bland_altman_cells(pairs, threshold=10)
    assert cells[["mean", "difference", "n"]].values.tolist() == [[1.5, 1.0, 12]]
    assert hidden == 3


def test_gap_change_uses_people_with_both_waves():
    pairs = _pairs_frame(
        [3, 3, 3, 3, 4, 2, 5], [3, 4, 4, 6, 6, 5, 5],
        persons=["A", "A", "B", "B", "C", "C", "D"], waves=[0, 2, 0, 2, 0, 2, 0],
    )  # fmt: skip
    got = cs.gap_change(pairs).iloc[0]
    change = np.array([1 - 0, 3 - 1, 3 - 2])  # A, B, C; D has no wave 2
    assert got["n"] == 3
    assert got["estimate"] == pytest.approx(change.mean())
    assert got["p"] == pytest.approx(stats.ttest_1samp(change, 0).pvalue)


def _truth_params(bias: float, per_wave: float, n: int = 1500):
    return make_params(
        seed=42,
        cohort={"n_participants": n, "n_non_participants": 30, "months_before": 1, "follow_up_months": 6},
        truth={"consultants": {
            "rating_bias": {"wellbeing": bias, "ladder": bias, "progress": bias},
            "rating_bias_per_wave": {"wellbeing": per_wave, "ladder": per_wave, "progress": per_wave},
            "rater_sd": 0.0,
        }},
    )  # fmt: skip


def test_truth_recovery_known_rating_bias_and_its_growth():
    cohort = generate(_truth_params(bias=0.5, per_wave=0.25))
    pairs = cs.rating_pairs(cohort.survey, cohort.participants)
    wave0 = cs.paired_differences(pairs).set_index(["item", "wave"])
    # wellbeing sits mid-scale, so rounding and the 0-10 bounds barely bias the difference
    r = wave0.loc[("wellbeing", 0)]
    assert r["ci_low"] < 0.5 < r["ci_high"]
    growth = cs.gap_change(pairs).set_index("item").loc["wellbeing"]
    assert growth["ci_low"] < 0.5 < growth["ci_high"] and growth["estimate"] > 0


def test_truth_recovery_no_bias_gives_no_gap():
    cohort = generate(_truth_params(bias=0.0, per_wave=0.0))
    pairs = cs.rating_pairs(cohort.survey, cohort.participants)
    pooled = cs.pooled_difference(pairs).set_index("item")
    for item in ("ladder", "wellbeing"):
        assert pooled.loc[item, "ci_low"] < 0 < pooled.loc[item, "ci_high"]


def test_consultant_analysis_equals_its_building_blocks():
    cohort = generate(make_params())
    s, p = cohort.survey, cohort.participants
    res = cs.consultant_analysis(s, p, alpha=0.1, n_bootstrap=200, seed=4, threshold=10)
    assert (res.paired, res.only) == cs.paired_items(s)
    pairs = cs.rating_pairs(s, p, tuple(res.paired))
    pd.testing.assert_frame_equal(res.pairs, pairs)
    by_wave = cs.paired_differences(pairs, by=("item", "wave"), alpha=0.1)
    pd.testing.assert_frame_equal(res.by_wave, by_wave)
    pd.testing.assert_frame_equal(res.pooled, cs.pooled_difference(pairs, alpha=0.1))
    pd.testing.assert_frame_equal(res.limits, cs.bland_altman(pairs, 200, 4, alpha=0.1))
    cells, hidden = cs.bland_altman_cells(pairs, 10)
    pd.testing.assert_frame_equal(res.cells, cells)
    assert res.n_hidden == hidden
    assert set(res.only_means) == set(res.only)


def test_consultant_analysis_refuses_data_without_pairs():
    survey = rated_survey(
        [("A", 0, "consultant", 3, 7, 5, True), ("B", 0, "consultant", 4, 8, 6, True)]
    )
    with pytest.raises(ValueError, match="nothing to pair"):
        cs.consultant_analysis(survey, PARTS, 0.05, 100, 1, 10)
