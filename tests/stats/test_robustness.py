"""Randomisation inference, Lee bounds, response weighting and MDEs against independent computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustexp.stats import robustness as rb


def _trial(n: int = 60, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arm = np.array(["eigen_regie", "intensief", "regulier"] * (n // 3), dtype=object)
    y0 = rng.normal(5, 1, n)
    y = 0.6 * y0 + 0.5 * (arm == "eigen_regie") + rng.normal(0, 1, n)
    return pd.DataFrame({"arm": arm, "y0": y0, "y": y})


def test_observed_permutation_coefficient_matches_statsmodels_ancova() -> None:
    import statsmodels.formula.api as smf

    d = _trial()
    d.loc[[0, 5], "y"] = np.nan  # outside the analysis sample
    redraws = rb.lottery_redraws(d["arm"], 50, seed=1)
    res = rb.permutation_contrasts(d["y"], d["arm"], redraws, covariates=d["y0"]).set_index(
        "contrast"
    )
    fit = smf.ols("y ~ C(arm, Treatment('regulier')) + y0", data=d.dropna()).fit()
    for arm in ("eigen_regie", "intensief"):
        expected = fit.params[f"C(arm, Treatment('regulier'))[T.{arm}]"]
        assert res.loc[f"{arm} vs regulier", "estimate"] == pytest.approx(expected, abs=1e-10)


def test_vectorised_redraws_equal_a_loop_of_least_squares_fits() -> None:
    d = _trial(45)
    redraws = rb.lottery_redraws(d["arm"], 200, seed=7)
    q, _ = np.linalg.qr(np.column_stack([np.ones(len(d)), d["y0"]]))
    y = d["y"].to_numpy()
    fast = rb._arm_coefficients(y - q @ (q.T @ y), q, redraws, [0, 1])  # codes of the sorted arms
    slow = rb.permutation_naive(y, d["arm"], redraws, covariates=d["y0"].to_numpy())
    np.testing.assert_allclose(fast, slow, atol=1e-10)


def test_permutation_p_matches_scipy_exact_permutation_test() -> None:
    from scipy import stats

    x = np.array([3.1, 4.2, 5.0, 6.3, 5.5])
    y = np.array([2.0, 3.3, 2.9, 4.1, 3.0])
    arms = np.array(["eigen_regie"] * 5 + ["regulier"] * 5, dtype=object)
    redraws = rb.lottery_redraws(arms, 40_000, seed=11)
    res = rb.permutation_contrasts(np.concatenate([x, y]), arms, redraws, treated=("eigen_regie",))
    exact = stats.permutation_test((x, y), lambda a, b: np.mean(a) - np.mean(b),
                                   permutation_type="independent", n_resamples=np.inf).pvalue  # fmt: skip
    assert res["estimate"].iloc[0] == pytest.approx(x.mean() - y.mean())
    assert res["p"].iloc[0] == pytest.approx(exact, abs=0.006)


@settings(max_examples=25, deadline=None)
@given(shift=st.floats(-50, 50), scale=st.floats(0.1, 10), seed=st.integers(0, 1000))
def test_permutation_p_is_invariant_to_affine_changes_of_the_outcome(shift, scale, seed) -> None:
    d = _trial(30, seed)
    redraws = rb.lottery_redraws(d["arm"], 300, seed=seed)
    a = rb.permutation_contrasts(d["y"], d["arm"], redraws, covariates=d["y0"])
    b = rb.permutation_contrasts(shift + scale * d["y"], d["arm"], redraws, covariates=d["y0"])
    np.testing.assert_allclose(b["estimate"], scale * a["estimate"], rtol=1e-8, atol=1e-8)
    np.testing.assert_array_equal(a["p"], b["p"])
    assert ((a["p"] > 0) & (a["p"] <= 1)).all()


def test_lottery_redraws_keep_group_sizes_and_are_seeded() -> None:
    arms = ["eigen_regie"] * 4 + ["intensief"] * 3 + ["regulier"] * 5
    r1, r2 = rb.lottery_redraws(arms, 100, 5), rb.lottery_redraws(arms, 100, 5)
    np.testing.assert_array_equal(r1, r2)
    labels = np.unique(arms)[r1]
    assert all((row == "regulier").sum() == 5 for row in labels)
    assert len({tuple(row) for row in r1}) > 90


def test_lee_bounds_match_hand_computed_trimming() -> None:
    # treated: all 5 respond (r1 = 1), control: 2 of 4 (r0 = 0.5) -> trim q = 0.5 of treated,
    # keep 2.5 values: lower = (1 + 2 + 0.5*3) / 2.5 = 1.8, upper = (5 + 4 + 0.5*3) / 2.5 = 4.2;
    # control mean 3 -> bounds [-1.2, 1.2].
    res = rb.lee_bounds([5, 1, 4, 2, 3], 5, [2, 4], 4)
    assert res["trim_share"] == pytest.approx(0.5)
    assert res["trimmed"] == "treated"
    assert res["lower"] == pytest.approx(-1.2)
    assert res["upper"] == pytest.approx(1.2)


def test_lee_bounds_trim_the_control_arm_when_it_responds_more() -> None:
    # control responds 4/4, treated 2/4: keep 2 of control [1, 2, 3, 10]; treated mean 5
    res = rb.lee_bounds([4, 6], 4, [1, 2, 3, 10], 4)
    assert res["trimmed"] == "control"
    assert res["lower"] == pytest.approx(5 - 6.5)
    assert res["upper"] == pytest.approx(5 - 1.5)


def test_lee_bounds_collapse_to_the_difference_in_means_without_differential_response() -> None:
    res = rb.lee_bounds([1.0, 2.0, 6.0], 4, [0.0, 1.0, 2.0], 4)
    assert res["lower"] == pytest.approx(3.0 - 1.0)
    assert res["upper"] == pytest.approx(3.0 - 1.0)


def test_lee_bounds_ci_contains_the_bounds_and_is_seeded() -> None:
    rng = np.random.default_rng(1)
    args = (rng.normal(1, 1, 40), 60, rng.normal(0, 1, 30), 60)
    a = rb.lee_bounds_ci(*args, n_bootstrap=300, seed=4)
    b = rb.lee_bounds_ci(*args, n_bootstrap=300, seed=4)
    assert a == b
    assert a["ci_low"] < a["lower"] <= a["upper"] < a["ci_high"]


def _response_fixture(n: int = 240, seed: int = 2):
    rng = np.random.default_rng(seed)
    ids = [f"P{i:04d}" for i in range(n)]
    arm = np.array(["eigen_regie", "intensief", "regulier"] * (n // 3), dtype=object)
    age = rng.integers(20, 65, n)
    pop = pd.DataFrame({"person_id": ids, "age": age, "sex": rng.choice(["female", "male"], n),
                        "household": rng.choice(["single", "couple"], n),
                        "migration_background": rng.random(n) < 0.4,
                        "benefit_months": rng.integers(1, 120, n)})  # fmt: skip
    part = pd.DataFrame(
        {"person_id": ids, "arm": arm, "education": rng.choice(["low", "mid", "high"], n)}
    )
    p_resp = 1 / (1 + np.exp(-(-1.0 + 0.05 * (age - 40))))
    responded = [i for i, r in zip(ids, rng.random(n) < p_resp, strict=True) if r]
    return pop, part, responded


def test_response_weights_are_inverse_glm_binomial_probabilities() -> None:
    import statsmodels.api as sm

    pop, part, responded = _response_fixture()
    frame = rb.response_frame(pop, part, responded)
    w = rb.response_weights(frame, formula="age + migration_background")
    x = sm.add_constant(frame[["age", "migration_background"]].astype(float))
    p = sm.GLM(frame["responded"], x, family=sm.families.Binomial()).fit().predict(x)
    np.testing.assert_allclose(w, 1 / np.clip(p, 0.05, 1), rtol=1e-5)


def test_ipw_ancova_matches_weighted_least_squares_by_hand() -> None:
    d = _trial(60).assign(person_id=[f"P{i}" for i in range(60)])
    w = pd.Series(np.linspace(1, 3, 60), index=d["person_id"])
    res = rb.ipw_ancova(d, w).set_index("contrast")
    x = np.column_stack(
        [np.ones(60), d["arm"] == "eigen_regie", d["arm"] == "intensief", d["y0"]]
    ).astype(float)
    sw = np.sqrt(w.to_numpy())
    beta = np.linalg.lstsq(x * sw[:, None], d["y"].to_numpy() * sw, rcond=None)[0]
    assert res.loc["eigen_regie vs regulier", "estimate"] == pytest.approx(beta[1])
    assert res.loc["intensief vs regulier", "estimate"] == pytest.approx(beta[2])
    assert (res["method"] == "IPW ANCOVA").all()


def test_mde_table_matches_statsmodels_power_for_outflow() -> None:
    from statsmodels.stats.power import TTestIndPower

    outflow = pd.DataFrame({"arm": ["eigen_regie"] * 80 + ["intensief"] * 70 + ["regulier"] * 90,
                            "outflow_full": np.r_[np.ones(60), np.zeros(180)]})  # fmt: skip
    empty = pd.DataFrame(columns=["person_id", "arm"])
    m = rb.mde_table(pd.DataFrame(), empty, outflow, items=[]).set_index(["outcome", "contrast"])
    d = TTestIndPower().solve_power(nobs1=80, ratio=90 / 80, alpha=0.05, power=0.8)
    row = m.loc[("outflow_full", "eigen_regie vs regulier")]
    assert row["mde_d"] == pytest.approx(d, rel=1e-3)
    assert row["mde"] == pytest.approx(d * 100 * np.sqrt(0.25 * 0.75), rel=1e-3)
