"""The simulation harness (trustexp.simulation) and the pure coverage summaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_params
from scipy import stats

from trustexp import simulation as S
from trustexp.stats import simulation as ss


def _params(**truth):
    return make_params(cohort={"n_participants": 150, "n_non_participants": 400, "months_before": 2,
                               "follow_up_months": 24}, truth=truth)  # fmt: skip


def test_estimate_primary_rows_truths_and_units() -> None:
    p = _params(participation={"outflow_full": 0.1}, consultants={"outflow_sd": 0.0},
                arm_effect={"eigen_regie": {"outflow_full": 0.05, "wellbeing": 0.4}})  # fmt: skip
    out = S.estimate_primary(p)
    keys = set(zip(out["outcome"], out["contrast"], out["method"], out["inference"], strict=True))
    assert set(S.PRIMARY) <= keys
    arm = out[
        (out["method"] == "difference (unadjusted)")
        & (out["contrast"] == "eigen_regie vs regulier")
    ]
    assert arm["truth"].unique().tolist() == pytest.approx([5.0])
    assert set(arm["inference"]) == {"HC1", "CR1", "CR2", "WCR", "Newcombe"}
    # same point estimate whatever the inference; CR2 and WCR intervals are not the HC1 one
    assert arm["estimate"].nunique() == 1 or np.ptp(arm["estimate"]) < 1e-9
    att = out[out["contrast"] == "participants vs non_participants"]
    # no consultant effects: the truth is the participation shift plus the mean arm shift
    # (up to the generator's clipping of probabilities at 0.005)
    assert att["truth"].iloc[0] == pytest.approx(10 + 5 / 3, abs=0.3)
    assert att["truth"].iloc[0] == pytest.approx(att["truth_population"].iloc[0])
    wb = out[(out["outcome"] == "wellbeing") & (out["contrast"] == "eigen_regie vs regulier")]
    assert wb["truth"].unique().tolist() == pytest.approx([0.4])
    assert (out["ci_low"] <= out["estimate"]).all() and (out["estimate"] <= out["ci_high"]).all()


def test_estimate_primary_matches_the_chapter_estimators_on_the_generated_cohort() -> None:
    # the harness reads the generator's arrays; the same cohort through generate() and the
    # frame-level estimators must give the same numbers
    from trustexp.data.outcomes import outflow_flags
    from trustexp.data.synthetic import generate
    from trustexp.stats import cluster_robust as cr
    from trustexp.stats.survey import long_outcome, paired_wave

    p = _params()
    out = S.estimate_primary(p).set_index(["outcome", "contrast", "method", "inference"])
    c = generate(p)
    flags = outflow_flags(c.population, c.registry, 24)
    frame = c.participants.merge(c.population).merge(flags)
    rows = cr.arm_contrasts(frame.assign(outflow_full=frame["outflow_full"].astype(float)),
                            "outflow_full", adjust=True, inference="CR2").set_index("contrast")  # fmt: skip
    key = ("outflow_full", "eigen_regie vs regulier", "difference (covariate-adjusted)", "CR2")
    assert out.loc[key, "estimate"] == pytest.approx(
        rows.loc["eigen_regie vs regulier", "estimate"]
    )
    assert out.loc[key, "ci_high"] == pytest.approx(rows.loc["eigen_regie vs regulier", "ci_high"])
    paired = paired_wave(long_outcome(c.survey, c.participants, "wellbeing"), 2)
    assert paired["consultant_id"].notna().all()  # paired_wave carries the participant's consultant
    anc = cr.arm_contrasts(paired, "y", baseline="y0", scale="points").set_index("contrast")
    key = ("wellbeing", "intensief vs regulier", "ANCOVA (baseline score)", "CR2")
    assert out.loc[key, "estimate"] == pytest.approx(anc.loc["intensief vs regulier", "estimate"])


def test_run_simulation_is_seeded_and_independent_of_workers() -> None:
    p = _params()
    serial = S.run_simulation(p, 2, truths=("default", "null"), workers=1, primary_only=True)
    parallel = S.run_simulation(p, 2, truths=("default", "null"), workers=2, primary_only=True)
    pd.testing.assert_frame_equal(serial, parallel)
    assert set(serial["truth_name"]) == {"default", "null"} and serial["replicate"].max() == 1
    assert len(S.primary_rows(serial)) == len(S.PRIMARY) * 2 * 2  # 2 truths x 2 cohorts


def test_coverage_test_matches_scipy_binomtest_and_wilson() -> None:
    from statsmodels.stats.proportion import proportion_confint

    out = ss.coverage_test(181, 200)
    assert out["p_binomial"] == pytest.approx(
        stats.binomtest(181, 200, 0.95, alternative="less").pvalue
    )
    assert (out["coverage_mc_low"], out["coverage_mc_high"]) == pytest.approx(
        proportion_confint(181, 200, method="wilson"))  # fmt: skip


def test_coverage_summary_hand_computed_with_varying_truth_and_flags() -> None:
    reps = pd.DataFrame({
        "truth_name": "t", "outcome": "o", "contrast": "c", "method": "m", "inference": "i",
        "estimate": [0.0, 0.2, 0.4, 0.6], "ci_low": [-0.3, -0.1, 0.2, 0.3],
        "ci_high": [0.3, 0.5, 0.6, 0.9], "truth": [0.1, 0.1, 0.1, 0.5],
    })  # fmt: skip
    s = ss.coverage_summary(reps).iloc[0]
    assert s["bias"] == pytest.approx(np.mean([-0.1, 0.1, 0.3, 0.1]))
    assert s["coverage"] == pytest.approx(0.75)  # the fourth interval holds its own truth 0.5
    assert s["mean_ci_width"] == pytest.approx(0.55)
    assert s["p_binomial"] == pytest.approx(stats.binomtest(3, 4, 0.95, alternative="less").pvalue)
    assert bool(s["below_min"]) and not bool(s["under_covers"]) and not bool(s["passes"])
    many = pd.concat([reps.assign(ci_low=-9.0, ci_high=9.0)] * 50, ignore_index=True)
    assert bool(ss.coverage_summary(many).iloc[0]["passes"])
