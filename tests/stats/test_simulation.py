"""Simulation harness: truth mapping, seeding, summary arithmetic and recovery of a known effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_params

from trustexp.data.truth import Truth
from trustexp.stats import simulation as sim


def test_true_effects_are_the_truths_arm_effects() -> None:
    t = sim.true_effects(Truth()).set_index(["outcome", "contrast"])["truth"]
    assert t[("outflow_full", "eigen_regie vs regulier")] == pytest.approx(
        100 * Truth().arm_effect.eigen_regie.outflow_full
    )
    assert t[("wellbeing", "intensief vs regulier")] == pytest.approx(
        Truth().arm_effect.intensief.wellbeing
    )


def test_replicate_seeds_are_deterministic_and_distinct() -> None:
    a, b = sim.replicate_seeds(5, 100), sim.replicate_seeds(5, 100)
    assert a == b and len(set(a)) == 100 and sim.replicate_seeds(6, 3) != a[:3]


def test_summary_matches_hand_computed_bias_and_coverage() -> None:
    reps = pd.DataFrame({
        "outcome": "wellbeing", "contrast": "eigen_regie vs regulier", "method": "ANCOVA", "scale": "points",
        "estimate": [0.0, 0.2, 0.4, 0.6], "ci_low": [-0.3, -0.1, 0.2, 0.3], "ci_high": [0.3, 0.5, 0.6, 0.9],
        "truth": 0.1,
    })  # fmt: skip
    s = sim.simulation_summary(reps).iloc[0]
    assert s["bias"] == pytest.approx(0.2)  # mean(0.3) - 0.1
    assert s["coverage"] == pytest.approx(0.5)  # first two intervals hold 0.1
    assert s["coverage_mcse"] == pytest.approx(np.sqrt(0.25 / 4))
    assert s["bias_mcse"] == pytest.approx(np.std([0, 0.2, 0.4, 0.6], ddof=1) / 2)
    assert bool(s["flag"]) is True


def _params(**truth):
    return make_params(cohort={"n_participants": 150, "n_non_participants": 30, "months_before": 3,
                               "follow_up_months": 24}, truth=truth)  # fmt: skip


def test_parallel_and_serial_runs_give_identical_estimates() -> None:
    p = _params()
    serial = sim.simulate(p, 4, workers=1)
    parallel = sim.simulate(p, 4, workers=2)
    pd.testing.assert_frame_equal(serial, parallel)
    assert set(serial["method"]) == {m for _, m, _ in sim.ESTIMATORS}


def test_simulation_recovers_a_known_large_effect() -> None:
    p = _params(arm_effect={"eigen_regie": {"wellbeing": 1.0, "outflow_full": 0.25}})
    s = sim.simulation_summary(sim.simulate(p, 25, workers=1)).set_index(
        ["outcome", "contrast", "method"]
    )
    wb = s.loc[("wellbeing", "eigen_regie vs regulier", "ANCOVA")]
    rd = s.loc[("outflow_full", "eigen_regie vs regulier", "risk difference")]
    assert wb["truth"] == pytest.approx(1.0) and wb["mean_estimate"] > 0.6
    assert rd["truth"] == pytest.approx(25.0) and rd["mean_estimate"] > 15
    assert wb["coverage"] >= 0.8 and rd["coverage"] >= 0.8
