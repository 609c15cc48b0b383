"""Questionnaire-outcome helpers, each checked against an independent computation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.linalg import fractional_matrix_power

from trustexp.stats import survey as sv

ARMS = ("eigen_regie", "intensief", "regulier")


def _long(
    n_per_arm: int = 30, seed: int = 1, effect=(0.8, 0.3, 0.0), drop: float = 0.0
) -> pd.DataFrame:
    """A tiny long frame: person intercepts, a common trend and an arm effect at wave 2.

    Each arm has three consultants of its own (``consultant_id``), each with an effect.
    """
    rng = np.random.default_rng(seed)
    shift = rng.normal(0, 0.3, 9)
    rows = []
    for a, arm in enumerate(ARMS):
        for i in range(n_per_arm):
            person = rng.normal(0, 1)
            k = 3 * a + i % 3
            for w in (0, 1, 2):
                if w and rng.random() < drop:
                    continue
                y = 5 + person + shift[k] + 0.3 * w + effect[a] * (w / 2) + rng.normal(0, 0.8)
                rows.append((f"{arm}-{i}", arm, f"C{k}", w, y, None))
    columns = ["person_id", "arm", "consultant_id", "wave", "value", "rater_id"]
    return pd.DataFrame(rows, columns=columns)


def test_long_outcome_keeps_completed_answers_of_the_respondent_and_scales_shares():
    survey = pd.DataFrame({
        "person_id": ["A", "A", "B", "B", "C"], "wave": [0, 0, 0, 2, 0],
        "respondent": ["participant", "consultant", "participant", "participant", "participant"],
        "rater_id": [None, "C01", None, None, None], "completed": [True, True, False, True, True],
        "deprived": pd.array([True, False, None, False, True], dtype="boolean"),
    })  # fmt: skip
    participants = pd.DataFrame({"person_id": ["A", "B"], "arm": ["eigen_regie", "regulier"],
                                 "consultant_id": ["K1", "K2"]})  # fmt: skip
    out = sv.long_outcome(survey, participants, "deprived")
    assert out[["person_id", "wave", "value", "arm", "consultant_id"]].values.tolist() == [
        ["A", 0, 100.0, "eigen_regie", "K1"], ["B", 2, 0.0, "regulier", "K2"]]  # fmt: skip
    consultant = sv.long_outcome(survey, participants, "deprived", "consultant")
    assert consultant["rater_id"].tolist() == ["C01"]


def test_paired_wave_carries_the_participants_consultant():
    long = _long(drop=0.3, seed=2)
    paired = sv.paired_wave(long, 2)
    wide = long.pivot_table(index="person_id", columns="wave", values="value").dropna(subset=[0, 2])
    assert sorted(paired["person_id"]) == sorted(wide.index)
    own = long.drop_duplicates("person_id").set_index("person_id")["consultant_id"]
    assert (paired["consultant_id"] == paired["person_id"].map(own)).all()
    assert paired.columns.tolist() == ["person_id", "arm", "consultant_id", "y0", "y"]


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


def _cr2_by_hand(X: np.ndarray, y: np.ndarray, g: np.ndarray, j: int) -> tuple[float, float, float]:
    """Coefficient ``j``, its CR2 SE and the Bell-McCaffrey df (Imbens-Kolesar), dense matrices."""
    n = len(y)
    bread = np.linalg.inv(X.T @ X)
    beta = bread @ X.T @ y
    u = y - X @ beta
    M = np.eye(n) - X @ bread @ X.T
    c = np.zeros(X.shape[1])
    c[j] = 1.0
    meat = np.zeros((X.shape[1], X.shape[1]))
    cols = []
    for k in np.unique(g):
        i = np.flatnonzero(g == k)
        A = np.real(fractional_matrix_power(M[np.ix_(i, i)], -0.5))
        s = X[i].T @ A @ u[i]
        meat += np.outer(s, s)
        col = np.zeros(n)
        col[i] = A @ (X[i] @ bread @ c)
        cols.append(M @ col)
    G = np.column_stack(cols)
    lam = np.linalg.eigvalsh(G.T @ G)
    se = float(np.sqrt((bread @ meat @ bread)[j, j]))
    return float(beta[j]), se, float(lam.sum() ** 2 / (lam**2).sum())


def test_ancova_matches_least_squares_with_cr2_errors_clustered_by_consultant():
    long = _long(drop=0.15)
    wide = long.pivot_table(
        index=["person_id", "arm", "consultant_id"], columns="wave", values="value"
    ).reset_index()
    wide = wide.dropna(subset=[0, 2])
    X = np.column_stack([np.ones(len(wide)), wide["arm"] == "eigen_regie", wide["arm"] == "intensief",
                         wide[0]]).astype(float)  # fmt: skip
    y, g = wide[2].to_numpy(float), wide["consultant_id"].to_numpy()
    out = sv.ancova_wave2(long).set_index("contrast")
    assert set(out["method"]) == {"ANCOVA (baseline score)"} and set(out["scale"]) == {"points"}
    for j, arm in ((1, "eigen_regie"), (2, "intensief")):
        est, se, df = _cr2_by_hand(X, y, g, j)
        row = out.loc[f"{arm} vs regulier"]
        assert row["estimate"] == pytest.approx(est)
        assert row["se"] == pytest.approx(se, rel=1e-8)
        assert row["df"] == pytest.approx(df, rel=1e-8)
        half = stats.t.ppf(0.975, df) * se
        assert (row["ci_low"], row["ci_high"]) == (
            pytest.approx(est - half),
            pytest.approx(est + half),
        )
        assert row["p"] == pytest.approx(2 * stats.t.sf(abs(est / se), df))
        assert row["n"] == int(wide["arm"].isin([arm, "regulier"]).sum())


def test_ancova_needs_the_consultant_of_every_participant():
    long = _long().assign(consultant_id=None)
    with pytest.raises(KeyError, match="consultant_id"):
        sv.ancova_wave2(long)


def test_standardised_rows_divide_estimate_and_interval_by_the_baseline_sd():
    long = _long(seed=3)
    sd = long.loc[long["wave"] == 0, "value"].std(ddof=1)
    assert sv.baseline_sd(long) == pytest.approx(sd)
    anc = sv.ancova_wave2(long)
    std = sv.standardised(anc, sd)
    assert set(std["method"]) == {"standardised difference (baseline SD)"}
    assert set(std["scale"]) == {"d"}
    for col in ("estimate", "ci_low", "ci_high"):
        assert std[col].tolist() == pytest.approx((anc[col] / sd).tolist())
    assert std["p"].tolist() == anc["p"].tolist()
    assert sv.standardised(anc, float("nan")).empty and sv.standardised(anc, 0.0).empty


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


def test_within_change_matches_the_paired_t_test():
    long = _long(seed=6)
    wide = long.pivot_table(
        index=["person_id", "arm"], columns="wave", values="value"
    ).reset_index()
    sub = wide[wide["arm"] == "intensief"]
    diff = sub[2] - sub[0]
    out = sv.within_change(long).set_index(["contrast", "method"])
    assert set(out.index.get_level_values("method")) == {"mean change"}
    row = out.loc[("intensief wave 2 vs wave 0", "mean change")]
    assert row["estimate"] == pytest.approx(diff.mean())
    assert row["p"] == pytest.approx(stats.ttest_rel(sub[2], sub[0]).pvalue)
    lo, hi = stats.t.interval(0.95, len(diff) - 1, loc=diff.mean(), scale=stats.sem(diff))
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(lo), pytest.approx(hi))
    assert row["n"] == len(sub)


def test_store_rows_pass_the_results_store_schema():
    from trustexp.results import validate_results

    long = _long(drop=0.1)
    anc = sv.ancova_wave2(long)
    rows = sv.store_rows("wellbeing", anc, sv.standardised(anc, sv.baseline_sd(long)),
                         sv.within_change(long), sv.mixedlm_contrasts(sv.mixedlm_all(long)),
                         sv.mde_arm(long))  # fmt: skip
    validate_results(rows.assign(chapter="wellbeing"))
    assert rows["p"].notna().sum() == (rows["method"] != "MDE").sum()
    assert set(rows["method"]) == {"ANCOVA (baseline score)", "standardised difference (baseline SD)",
                                   "mean change", "MixedLM", "MDE"}  # fmt: skip


def test_helpers_return_empty_frames_when_a_group_is_missing():
    long = _long()
    no_control = long[long["arm"] != "regulier"]
    assert sv.ancova_wave2(no_control).empty
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
    res = sv.analyse_outcome(c.survey, c.participants, item)
    for method in ("ANCOVA (baseline score)", "MixedLM"):
        row = res.get(method, f"{arm} vs regulier")
        assert np.sign(row["estimate"]) == np.sign(truth), method
        assert row["ci_low"] < truth < row["ci_high"], method
    std = res.get("standardised difference (baseline SD)", f"{arm} vs regulier")
    assert np.sign(std["estimate"]) == np.sign(truth)
    assert res.get("ANCOVA (baseline score)", f"{arm} vs regulier")["scale"] == (
        "pp" if item == "deprived" else "points"
    )


def test_get_reads_the_rows_of_the_frames_as_they_are_now(known_truth_cohort):
    c = known_truth_cohort
    res = sv.analyse_outcome(c.survey, c.participants, "wellbeing")
    contrast = "eigen_regie vs regulier"
    rows = res.rows()
    hit = rows[(rows["method"] == "MixedLM") & (rows["contrast"] == contrast)].iloc[0]
    pd.testing.assert_series_equal(res.get("MixedLM", contrast), hit)
    # a replaced frame and an added one are read afresh
    res.mixedlm = res.mixedlm.assign(estimate=res.mixedlm["estimate"] + 1.0)
    assert res.get("MixedLM", contrast)["estimate"] == pytest.approx(hit["estimate"] + 1.0)
    extra = res.ancova.head(1).assign(method="extra method")
    res.extra.append(extra)
    assert res.get("extra method", extra["contrast"].iloc[0]) is not None
