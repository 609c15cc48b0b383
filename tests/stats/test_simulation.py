"""Simulation harness: truth mapping, seeding, summary arithmetic and recovery of a known effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustexp.stats import simulation as sim


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
