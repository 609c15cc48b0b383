"""Simulation harness: truth mapping, seeding, summary arithmetic and recovery of a known effect."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import make_params

from trustexp import simulation as harness
from trustexp.data.truth import Truth
from trustexp.stats import simulation as sim


def test_true_effects_are_the_truths_arm_effects() -> None:
    t = harness.true_effects(Truth()).set_index(["outcome", "contrast"])["truth"]
    assert t[("outflow_full", "eigen_regie vs regulier")] == pytest.approx(
        100 * Truth().arm_effect.eigen_regie.outflow_full
    )
    assert t[("wellbeing", "intensief vs regulier")] == pytest.approx(
        Truth().arm_effect.intensief.wellbeing
    )


def test_replicate_seeds_are_deterministic_and_distinct() -> None:
    a, b = harness.replicate_seeds(5, 100), harness.replicate_seeds(5, 100)
    assert a == b and len(set(a)) == 100 and harness.replicate_seeds(6, 3) != a[:3]


def _params(**truth):
    return make_params(cohort={"n_participants": 150, "n_non_participants": 30, "months_before": 3,
                               "follow_up_months": 24}, truth=truth)  # fmt: skip


def test_parallel_and_serial_runs_give_identical_estimates() -> None:
    p = _params()
    serial = harness.simulate(p, 4, workers=1)
    parallel = harness.simulate(p, 4, workers=2)
    pd.testing.assert_frame_equal(serial, parallel)
    assert set(serial["method"]) == {m for _, m, _ in harness.ESTIMATORS}


def test_simulation_recovers_a_known_large_effect() -> None:
    p = _params(arm_effect={"eigen_regie": {"wellbeing": 1.0, "outflow_full": 0.25}})
    s = sim.simulation_summary(harness.simulate(p, 25, workers=1)).set_index(
        ["outcome", "contrast", "method"]
    )
    wb = s.loc[("wellbeing", "eigen_regie vs regulier", "ANCOVA")]
    rd = s.loc[("outflow_full", "eigen_regie vs regulier", "risk difference")]
    assert wb["truth"] == pytest.approx(1.0) and wb["mean_estimate"] > 0.6
    assert rd["truth"] == pytest.approx(25.0) and rd["mean_estimate"] > 15
    assert wb["coverage"] >= 0.8 and rd["coverage"] >= 0.8
