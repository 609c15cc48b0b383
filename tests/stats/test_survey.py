"""Questionnaire-outcome helpers, each checked against an independent computation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from trustexp.stats import survey as sv

ARMS = ("eigen_regie", "intensief", "regulier")


def _long(
    n_per_arm: int = 30, seed: int = 1, effect=(0.8, 0.3, 0.0), drop: float = 0.0
) -> pd.DataFrame:
    """A tiny long frame: person intercepts, a common trend and an arm effect at wave 2."""
    rng = np.random.default_rng(seed)
    rows = []
    for a, arm in enumerate(ARMS):
        for i in range(n_per_arm):
            person = rng.normal(0, 1)
            for w in (0, 1, 2):
                if w and rng.random() < drop:
                    continue
                y = 5 + person + 0.3 * w + effect[a] * (w / 2) + rng.normal(0, 0.8)
                rows.append((f"{arm}-{i}", arm, w, y, None))
    return pd.DataFrame(rows, columns=["person_id", "arm", "wave", "value", "rater_id"])


def test_long_outcome_keeps_completed_answers_of_the_respondent_and_scales_shares():
    survey = pd.DataFrame({
        "person_id": ["A", "A", "B", "B", "C"], "wave": [0, 0, 0, 2, 0],
        "respondent": ["participant", "consultant", "participant", "participant", "participant"],
        "rater_id": [None, "C01", None, None, None], "completed": [True, True, False, True, True],
        "deprived": pd.array([True, False, None, False, True], dtype="boolean"),
    })  # fmt: skip
    participants = pd.DataFrame({"person_id": ["A", "B"], "arm": ["eigen_regie", "regulier"]})
    out = sv.long_outcome(survey, participants, "deprived")
    assert out[["person_id", "wave", "value", "arm"]].values.tolist() == [
        ["A", 0, 100.0, "eigen_regie"], ["B", 2, 0.0, "regulier"]]  # fmt: skip
    consultant = sv.long_outcome(survey, participants, "deprived", "consultant")
    assert consultant["rater_id"].tolist() == ["C01"]


def test_trajectory_matches_hand_mean_and_t_interval():
    long = _long(drop=0.2)
    traj = sv.trajectory(long)
    cell = long[(long["arm"] == "intensief") & (long["wave"] == 1)]["value"]
    row = traj[(traj["arm"] == "intensief") & (traj["wave"] == 1)].iloc[0]
    lo, hi = stats.t.interval(0.95, len(cell) - 1, loc=cell.mean(), scale=stats.sem(cell))
    assert (row["n"], row["mean"]) == (len(cell), pytest.approx(cell.mean()))
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(lo), pytest.approx(hi))


def test_trajectory_lists_empty_cells_with_zero_n():
    long = _long()
    traj = sv.trajectory(long[~((long["arm"] == "regulier") & (long["wave"] == 2))])
    cell = traj[(traj["arm"] == "regulier") & (traj["wave"] == 2)].iloc[0]
    assert len(traj) == 9 and cell["n"] == 0 and math.isnan(cell["mean"])


def _hc3(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    e = y - X @ beta
    bread = np.linalg.inv(X.T @ X)
    h = np.einsum("ij,jk,ik->i", X, bread, X)
    meat = X.T @ (X * (e**2 / (1 - h) ** 2)[:, None])
    return beta, np.sqrt(np.diag(bread @ meat @ bread))


def test_ancova_matches_least_squares_with_hc3_errors():
    long = _long(drop=0.15)
    wide = long.pivot_table(
        index=["person_id", "arm"], columns="wave", values="value"
    ).reset_index()
    wide = wide.dropna(subset=[0, 2])
    X = np.column_stack([np.ones(len(wide)), wide["arm"] == "eigen_regie", wide["arm"] == "intensief",
                         wide[0]]).astype(float)  # fmt: skip
    beta, se = _hc3(X, wide[2].to_numpy())
    out = sv.ancova_wave2(long).set_index("contrast")
    row = out.loc["eigen_regie vs regulier"]
    assert row["estimate"] == pytest.approx(beta[1])
    assert row["ci_high"] - row["ci_low"] == pytest.approx(2 * stats.norm.ppf(0.975) * se[1])
    assert out.loc["intensief vs regulier", "estimate"] == pytest.approx(beta[2])
    assert row["n"] == int(wide["arm"].isin(["eigen_regie", "regulier"]).sum())


def test_hedges_g_matches_textbook_formula():
    long = _long()
    w2 = long[long["wave"] == 2]
    x = w2.loc[w2["arm"] == "eigen_regie", "value"].to_numpy()
    y = w2.loc[w2["arm"] == "regulier", "value"].to_numpy()
    nx, ny = len(x), len(y)
    sp = math.sqrt(((nx - 1) * x.var(ddof=1) + (ny - 1) * y.var(ddof=1)) / (nx + ny - 2))
    g = (x.mean() - y.mean()) / sp * (1 - 3 / (4 * (nx + ny) - 9))
    row = sv.hedges_g_wave2(long).set_index("contrast").loc["eigen_regie vs regulier"]
    assert row["estimate"] == pytest.approx(g, rel=1e-6)
    assert row["p"] == pytest.approx(stats.ttest_ind(x, y).pvalue)
    assert row["ci_low"] < g < row["ci_high"]


def test_mixed_model_contrasts_equal_mean_changes_in_a_balanced_complete_design():
    long = _long(n_per_arm=20, seed=4)
    wide = long.pivot_table(
        index=["person_id", "arm"], columns="wave", values="value"
    ).reset_index()
    change = (wide[2] - wide[0]).groupby(wide["arm"]).mean()
    out = sv.mixedlm_contrasts(sv.mixedlm_all(long)).set_index("contrast")
    assert out.loc["regulier wave 2 vs wave 0", "estimate"] == pytest.approx(
        change["regulier"], abs=1e-6
    )
    assert out.loc["eigen_regie vs regulier", "estimate"] == pytest.approx(
        change["eigen_regie"] - change["regulier"], abs=1e-6)  # fmt: skip
    assert out.loc["eigen_regie vs intensief", "estimate"] == pytest.approx(
        change["eigen_regie"] - change["intensief"], abs=1e-6)  # fmt: skip
    assert (out["ci_low"] < out["estimate"]).all() and (out["p"].between(0, 1)).all()


def test_mixed_anova_between_effect_equals_one_way_anova_on_person_means():
    long = _long(drop=0.2, seed=5)
    table = sv.mixed_anova_complete(long)
    wide = long.pivot_table(index=["person_id", "arm"], columns="wave", values="value").dropna()
    means = wide.mean(axis=1).reset_index(name="m")
    f = stats.f_oneway(*[means.loc[means["arm"] == a, "m"] for a in ARMS]).statistic
    assert table.set_index("Source").loc["arm", "F"] == pytest.approx(f, rel=1e-6)
    assert table["n"].iloc[0] == len(wide)


def test_pairwise_holm_matches_hand_computation():
    out = sv.pairwise_holm(pd.DataFrame({"p": [0.01, 0.04, 0.03, np.nan]}))
    # sorted 0.01, 0.03, 0.04 -> 0.03, 0.06, max(0.06, 0.04) = 0.06
    assert out["p_holm"].iloc[:3].tolist() == pytest.approx([0.03, 0.06, 0.06])
    assert math.isnan(out["p_holm"].iloc[3])


def test_within_change_matches_paired_t_test_and_d_av():
    long = _long(seed=6)
    wide = long.pivot_table(
        index=["person_id", "arm"], columns="wave", values="value"
    ).reset_index()
    sub = wide[wide["arm"] == "intensief"]
    out = sv.within_change(long, n_boot=200).set_index(["contrast", "method"])
    mean = out.loc[("intensief wave 2 vs wave 0", "mean change")]
    assert mean["estimate"] == pytest.approx((sub[2] - sub[0]).mean())
    assert mean["p"] == pytest.approx(stats.ttest_rel(sub[2], sub[0]).pvalue)
    d = out.loc[("intensief wave 2 vs wave 0", "within-person d")]
    d_av = (sub[2].mean() - sub[0].mean()) / math.sqrt((sub[2].var() + sub[0].var()) / 2)
    assert d["estimate"] == pytest.approx(d_av)
    assert d["ci_low"] < d_av < d["ci_high"]


def test_tost_matches_two_one_sided_scipy_tests_and_reports_the_90_percent_interval():
    long = _long(seed=7)
    wide = long.pivot_table(
        index=["person_id", "arm"], columns="wave", values="value"
    ).reset_index()
    ch = (wide[2] - wide[0]).groupby(wide["arm"])
    x, y = ch.get_group("intensief").to_numpy(), ch.get_group("regulier").to_numpy()
    bound = 0.5
    p_lower = stats.ttest_ind(x + bound, y, alternative="greater").pvalue
    p_upper = stats.ttest_ind(x - bound, y, alternative="less").pvalue
    row = sv.tost_arm(long, bound).set_index("contrast").loc["intensief vs regulier"]
    assert row["p"] == pytest.approx(max(p_lower, p_upper))
    res = stats.ttest_ind(x, y)
    lo, hi = res.confidence_interval(0.90)
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(lo), pytest.approx(hi))


def test_store_rows_pass_the_results_store_schema():
    from trustexp.results import validate_results

    long = _long(drop=0.1)
    rows = sv.store_rows("wellbeing", sv.ancova_wave2(long), sv.hedges_g_wave2(long),
                         sv.within_change(long, n_boot=100), sv.mixedlm_contrasts(sv.mixedlm_all(long)),
                         sv.tost_arm(long, 0.4), sv.mde_arm(long))  # fmt: skip
    validate_results(rows.assign(chapter="wellbeing"))
    assert rows["p"].notna().sum() == (rows["method"] != "MDE").sum()


def test_helpers_return_empty_frames_when_a_group_is_missing():
    long = _long()
    no_control = long[long["arm"] != "regulier"]
    assert sv.ancova_wave2(no_control).empty and sv.tost_arm(no_control, 0.3).empty
    assert sv.mixedlm_all(no_control) is None
    assert sv.store_rows("wellbeing", sv.ancova_wave2(no_control)).empty


@settings(max_examples=20, deadline=None)
@given(values=st.lists(st.floats(min_value=0, max_value=10), min_size=3, max_size=30))
def test_trajectory_interval_contains_the_mean_and_counts_every_answer(values):
    long = pd.DataFrame({"person_id": [str(i) for i in range(len(values))], "arm": "regulier",
                         "wave": 0, "value": values, "rater_id": None})  # fmt: skip
    traj = sv.trajectory(long)
    assert traj["n"].sum() == len(values)
    row = traj[(traj["arm"] == "regulier") & (traj["wave"] == 0)].iloc[0]
    assert row["ci_low"] - 1e-9 <= row["mean"] <= row["ci_high"] + 1e-9


@pytest.fixture(scope="module")
def known_truth_cohort():
    """A synthetic cohort with large, known arm effects at wave 2."""
    from trustexp.config import params_from_dict
    from trustexp.data.synthetic import generate

    params = params_from_dict({
        "name": "truth", "municipality": "Oss", "seed": 11,
        "cohort": {"n_participants": 900, "n_non_participants": 30, "months_before": 1, "follow_up_months": 6},
        "truth": {"arm_effect": {"eigen_regie": {"wellbeing": 1.0, "deprived": -0.20},
                                 "intensief": {"wellbeing": -0.6}}},
    })  # fmt: skip
    return generate(params)


@pytest.mark.parametrize(("item", "arm", "truth"), [
    ("wellbeing", "eigen_regie", 1.0), ("wellbeing", "intensief", -0.6), ("deprived", "eigen_regie", -20.0)])  # fmt: skip
def test_analyse_outcome_recovers_a_known_arm_effect(known_truth_cohort, item, arm, truth):
    c = known_truth_cohort
    res = sv.analyse_outcome(c.survey, c.participants, item, n_boot=100)
    for method in ("ANCOVA", "MixedLM"):
        row = res.get(method, f"{arm} vs regulier")
        assert np.sign(row["estimate"]) == np.sign(truth), method
        assert row["ci_low"] < truth < row["ci_high"], method
    assert np.sign(res.get("Hedges g", f"{arm} vs regulier")["estimate"]) == np.sign(truth)
    assert res.get("ANCOVA", f"{arm} vs regulier")["scale"] == (
        "pp" if item == "deprived" else "points"
    )
