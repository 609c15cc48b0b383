"""ATT estimators checked against statsmodels' TreatmentEffect and hand computations."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.treatment.treatment_effects import TreatmentEffect

from trustexp.stats import att as at


def _data(seed: int = 3, n: int = 1500):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), (rng.random(n) < 0.4).astype(float)
    X = np.column_stack([np.ones(n), x1, x2])
    d = (rng.random(n) < 1 / (1 + np.exp(-(-1 + 0.7 * x1 + 0.5 * x2)))).astype(float)
    y = (rng.random(n) < 0.2 + 0.05 * x1.clip(-2, 2) + 0.1 * d).astype(float)
    return y, d, X


@pytest.fixture(scope="module")
def sm_results():
    y, d, X = _data()
    te = TreatmentEffect(sm.OLS(y, X), d.astype(int), results_select=sm.Logit(d, X).fit(disp=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {"ra": te.ra(effect_group=1).summary_frame().loc["ATE"],
                "ipw": te.ipw(effect_group=1).summary_frame().loc["ATE"]}  # fmt: skip


def test_linear_ra_and_ipw_att_equal_statsmodels_treatment_effect(sm_results) -> None:
    y, d, X = _data()
    out = at.att(y, d, X, outcome_model="linear").set_index("estimator")
    for key in ("ra", "ipw"):
        assert out.loc[key, "estimate"] == pytest.approx(sm_results[key]["coef"], rel=1e-7)
        assert out.loc[key, "se"] == pytest.approx(sm_results[key]["std err"], rel=1e-4)


def test_logit_att_estimates_equal_a_hand_computation() -> None:
    y, d, X = _data(seed=8)
    ps = sm.Logit(d, X).fit(disp=0).predict(X)
    m0 = sm.Logit(y[d == 0], X[d == 0]).fit(disp=0).predict(X)
    odds = ps / (1 - ps)
    ra = y[d == 1].mean() - m0[d == 1].mean()
    ipw = y[d == 1].mean() - np.average(y[d == 0], weights=odds[d == 0])
    dr = ra - np.average((y - m0)[d == 0], weights=odds[d == 0])
    out = at.att(y, d, X).set_index("estimator")["estimate"]
    assert out.tolist() == pytest.approx([ra, ipw, dr], rel=1e-7)


def test_doubly_robust_with_a_weighted_linear_outcome_model_is_statsmodels_ipw_ra() -> None:
    # with the outcome model fitted by WLS with the odds weights, the augmentation term is zero
    # and the DR estimate is Wooldridge's IPW-RA for the ATT
    y, d, X = _data(seed=5)
    te = TreatmentEffect(sm.OLS(y, X), d.astype(int), results_select=sm.Logit(d, X).fit(disp=0))
    ipwra = te.ipw_ra(effect_group=1, return_results=False)[0]
    gamma = at.logit_fit(X, d)
    w = np.where(d == 1, 0.0, np.exp(X @ gamma))
    beta = at._linear_fit(X, y, w[None])
    est = at._estimates(y, d, X, gamma[None], beta, "linear", np.ones((1, len(y))))["dr"][0]
    assert est == pytest.approx(ipwra, rel=1e-7)


def test_batched_logit_equals_statsmodels_with_frequency_weights() -> None:
    y, d, X = _data(seed=2, n=400)
    rng = np.random.default_rng(0)
    f = rng.multinomial(400, np.full(400, 1 / 400), 3).astype(float)
    batch = at.logit_fit(X, d, f)
    for b in range(3):
        ref = sm.GLM(d, X, family=sm.families.Binomial(), freq_weights=f[b]).fit().params
        np.testing.assert_allclose(batch[b], ref, rtol=1e-7)


def test_bootstrap_and_analytic_standard_errors_agree_and_are_seeded() -> None:
    y, d, X = _data(seed=9)
    a = at.att(y, d, X).set_index("estimator")
    b1 = at.att(y, d, X, inference="bootstrap", n_bootstrap=600, seed=4)
    b2 = at.att(y, d, X, inference="bootstrap", n_bootstrap=600, seed=4)
    pd.testing.assert_frame_equal(b1, b2)
    b1 = b1.set_index("estimator")
    assert (b1["se"] / a["se"]).between(0.85, 1.15).all()
    assert (b1["ci_low"] < b1["estimate"]).all() and (b1["estimate"] < b1["ci_high"]).all()


def test_att_recovers_a_known_effect_on_the_treated_under_confounding() -> None:
    # the comparison group is older; outcome falls with age; true ATT is 0.15 for everyone
    rng = np.random.default_rng(11)
    n = 6000
    age = rng.normal(45, 10, n)
    d = (rng.random(n) < 1 / (1 + np.exp(-(-0.5 - 0.08 * (age - 45))))).astype(float)
    y = (rng.random(n) < np.clip(0.35 - 0.006 * (age - 45) + 0.15 * d, 0, 1)).astype(float)
    X = np.column_stack([np.ones(n), age])
    out = at.att(y, d, X, outcome_model="linear").set_index("estimator")
    naive = y[d == 1].mean() - y[d == 0].mean()
    assert naive > 0.2  # confounded
    for key in ("ra", "ipw", "dr"):
        assert out.loc[key, "ci_low"] < 0.15 < out.loc[key, "ci_high"]


def test_att_contrasts_names_and_units() -> None:
    rng = np.random.default_rng(1)
    n = 900
    frame = pd.DataFrame({
        "participant": (np.arange(n) < 300).astype(int),
        "arm": np.where(np.arange(n) < 300, np.resize(["eigen_regie", "intensief", "regulier"], n), None),
        "outflow_full": (rng.random(n) < 0.25).astype(int),
        "age": rng.integers(18, 67, n), "sex": rng.choice(["female", "male"], n),
        "household": rng.choice(["single", "single_parent", "couple", "couple_children"], n),
        "migration_background": rng.random(n) < 0.4, "benefit_years": rng.exponential(3, n),
    })  # fmt: skip
    out = at.att_contrasts(frame, "outflow_full", inference="analytic")
    assert len(out) == 12 and set(out["method"]) == set(at.METHODS.values())
    assert set(out["contrast"]) == set(at.CONTRASTS) and set(out["scale"]) == {"pp"}
    assert out["estimate"].abs().max() < 30  # percentage points, not shares


def test_logit_converges_under_quasi_separation_in_a_resample() -> None:
    # a rare dummy whose few members never have the outcome: the coefficient runs off to -inf
    # while the fitted probabilities settle; the fit must converge (deviance criterion)
    rng = np.random.default_rng(4)
    n = 500
    rare = (np.arange(n) < 8).astype(float)
    x = rng.normal(size=n)
    y = np.where(rare == 1, 0.0, (rng.random(n) < 0.3).astype(float))
    X = np.column_stack([np.ones(n), x, rare])
    beta = at.logit_fit(X, y)
    assert beta[2] < -8 and np.all(np.isfinite(beta))
    p = 1 / (1 + np.exp(-(X @ beta)))
    assert p[:8].max() < 1e-3
    # the other coefficients equal statsmodels' fit without the separated people
    ref = sm.Logit(y[8:], X[8:, :2]).fit(disp=0).params
    np.testing.assert_allclose(beta[:2], ref, atol=1e-3)
    f = np.random.default_rng(0).multinomial(n, np.full(n, 1 / n), 20).astype(float)
    assert np.isfinite(at.logit_fit(X, y, f)).all()
