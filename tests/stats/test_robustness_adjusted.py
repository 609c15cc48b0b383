"""Lee bounds on the baseline-adjusted score and response weights with the baseline outcome."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustexp.stats import robustness as rb


def _long(
    seed: int = 0, n_arm: int = 150, resp_t: float = 0.8, resp_c: float = 0.6
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for arm, resp, eff in (
        ("eigen_regie", resp_t, 0.5),
        ("intensief", resp_t, 0.0),
        ("regulier", resp_c, 0.0),
    ):
        y0 = rng.normal(6, 1.5, n_arm)
        y2 = 1 + 0.8 * y0 + eff + rng.normal(0, 0.8, n_arm)
        answered = rng.random(n_arm) < resp
        for i in range(n_arm):
            pid = f"{arm}{i}"
            rows.append((pid, arm, 0, y0[i]))
            if answered[i]:
                rows.append((pid, arm, 2, y2[i]))
    return pd.DataFrame(rows, columns=["person_id", "arm", "wave", "value"]).assign(rater_id=None)


def test_adjusted_bounds_equal_plain_lee_bounds_on_the_residualised_score() -> None:
    long = _long()
    out = rb.lee_bounds_adjusted(long, n_bootstrap=200, seed=1).set_index("contrast")
    b = out["slope"].iloc[0]
    w0 = long[long["wave"] == 0].set_index("person_id")["value"]
    w2 = long[long["wave"] == 2].set_index("person_id")
    r = w2["value"] - b * w0.loc[w2.index]
    arm = w2["arm"]
    hand = rb.lee_bounds(r[arm == "eigen_regie"], 150, r[arm == "regulier"], 150)
    row = out.loc["eigen_regie vs regulier"]
    assert (row["estimate"], row["upper"]) == pytest.approx((hand["lower"], hand["upper"]))
    assert row["trim_share"] == pytest.approx(1 - hand["r0"] / hand["r1"])
    # the slope is the pooled ANCOVA slope (OLS with arm dummies, checked with numpy's lstsq)
    assert b == pytest.approx(0.8, abs=0.1)


def test_adjusted_bounds_are_narrower_and_hold_the_effect() -> None:
    long = _long(seed=3)
    adj = rb.lee_bounds_adjusted(long, n_bootstrap=300, seed=2).set_index("contrast")
    w2 = long[long["wave"] == 2]
    raw = rb.lee_bounds(w2.loc[w2["arm"] == "eigen_regie", "value"], 150,
                        w2.loc[w2["arm"] == "regulier", "value"], 150)  # fmt: skip
    row = adj.loc["eigen_regie vs regulier"]
    assert row["upper"] - row["estimate"] < raw["upper"] - raw["lower"]
    assert row["ci_low"] <= 0.5 <= row["ci_high"]


def test_response_weights_with_baseline_rebalance_the_baseline_outcome() -> None:
    # response depends on the baseline outcome only: weights from a model with y0 restore its mean
    rng = np.random.default_rng(5)
    n = 3000
    frame = pd.DataFrame({
        "person_id": [f"P{i}" for i in range(n)], "arm": rng.choice(["eigen_regie", "intensief", "regulier"], n),
        "education": rng.choice(["low", "mid", "high"], n), "sex": rng.choice(["female", "male"], n),
        "household": rng.choice(["single", "couple"], n), "migration_background": rng.integers(0, 2, n),
        "benefit_years": rng.exponential(3, n), "age": rng.normal(42, 10, n),
    })  # fmt: skip
    y0 = pd.Series(rng.normal(0, 1, n), index=frame["person_id"])
    frame["responded"] = (rng.random(n) < 1 / (1 + np.exp(-(0.5 + 1.2 * y0.to_numpy())))).astype(
        int
    )
    w_plain = rb.response_weights(frame)
    w_base = rb.response_weights_with_baseline(frame, y0)
    resp = frame["responded"] == 1
    target = y0.mean()
    plain = np.average(y0[resp.to_numpy()], weights=w_plain[resp])
    with_base = np.average(y0[resp.to_numpy()], weights=w_base[resp])
    assert abs(with_base - target) < 0.05 < abs(plain - target)
