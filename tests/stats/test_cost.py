"""Cost per extra exit against hand computations."""

from __future__ import annotations

import math

import pytest

from trustexp.stats import cost


def test_cost_per_extra_exit_hand_worked() -> None:
    # participants: 1,500 euros spending + 12 h x 2 y x 80 = 3,420; non-participants 300 + 6 x 2 x 80
    # = 1,260; difference 2,160 per person; ATT 0.08 -> 27,000 euros per extra exit
    out = cost.cost_per_extra_exit(0.08, (0.02, 0.14), {"participants": 1500, "non_participants": 300},
                                   {"participants": 12, "non_participants": 6}, 80, 2, n=2200).iloc[0]  # fmt: skip
    assert out["cost_difference"] == pytest.approx(2160.0)
    assert out["estimate"] == pytest.approx(27_000.0)
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((2160 / 0.14, 2160 / 0.02))
    assert out["scale"] == "eur" and out["n"] == 2200
    undefined = cost.cost_per_extra_exit(0.03, (-0.01, 0.07), {"participants": 1, "non_participants": 0},
                                         {"participants": 0, "non_participants": 0}, 80, 2).iloc[0]  # fmt: skip
    assert math.isnan(undefined["ci_low"]) and math.isnan(undefined["ci_high"])


def test_sensitivity_grid_without_consultant_time_is_spending_only() -> None:
    grid = cost.cost_sensitivity(0.1, {"participants": 1000, "non_participants": 400},
                                 {"participants": 20, "non_participants": 5}, 2, [60, 100])  # fmt: skip
    assert len(grid) == 10
    zero = grid[grid["hours_multiplier"] == 0]
    assert zero["estimate"].tolist() == pytest.approx([6000.0, 6000.0])
    one = grid[(grid["hours_multiplier"] == 1) & (grid["eur_per_hour"] == 100)].iloc[0]
    assert one["estimate"] == pytest.approx((1000 + 20 * 2 * 100 - 400 - 5 * 2 * 100) / 0.1)
