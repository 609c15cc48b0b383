"""Few-cluster inference checked against statsmodels, a brute-force bootstrap and closed forms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from trustexp.stats import cluster_robust as cr


def _data(seed: int = 1, n_clusters: int = 12, size: int = 10):
    rng = np.random.default_rng(seed)
    n = n_clusters * size
    g = np.repeat(np.arange(n_clusters), size)
    X = np.column_stack([np.ones(n), (rng.random(n) < 0.5).astype(float), rng.normal(size=n)])
    y = X @ [1.0, 0.5, 0.3] + rng.normal(size=n_clusters)[g] + rng.normal(size=n)
    return y, X, g


def test_cr1_equals_statsmodels_cluster_covariance() -> None:
    y, X, g = _data()
    _, u, _ = cr.ols(y, X)
    ref = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": g}).cov_params()
    np.testing.assert_allclose(cr.cluster_robust_vcov(X, u, g, "CR1"), ref, rtol=1e-10)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(8, 60))
def test_cr2_with_singleton_clusters_is_statsmodels_hc2(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=n), (rng.random(n) < 0.5)])
    lev = np.diag(X @ np.linalg.pinv(X.T @ X) @ X.T)
    if np.linalg.matrix_rank(X) < 3 or lev.max() > 0.99:  # HC2 is undefined at leverage 1
        return
    y = rng.normal(size=n) * (1 + X[:, 2])
    _, u, _ = cr.ols(y, X)
    ref = sm.OLS(y, X).fit(cov_type="HC2").cov_params()
    np.testing.assert_allclose(cr.cluster_robust_vcov(X, u, np.arange(n), "CR2"), ref, rtol=1e-8)
    np.testing.assert_allclose(cr.cluster_robust_vcov(X, u, None, "HC1"),
                               sm.OLS(y, X).fit(cov_type="HC1").cov_params(), rtol=1e-10)  # fmt: skip


def _bm_df_dense(X: np.ndarray, g: np.ndarray, c: np.ndarray) -> float:
    """Imbens-Kolesar (2016) df written out with full n x n matrices, as in their appendix:
    df = (tr(Omega P))^2 / tr((Omega P)^2)-type ratio via the G'G eigenvalues."""
    n = len(g)
    H = X @ np.linalg.pinv(X.T @ X) @ X.T
    M = np.eye(n) - H
    A = np.zeros((n, n))
    for k in np.unique(g):
        i = np.flatnonzero(g == k)
        vals, vecs = np.linalg.eigh(M[np.ix_(i, i)])
        A[np.ix_(i, i)] = vecs @ np.diag(vals**-0.5) @ vecs.T
    q = np.linalg.pinv(X.T @ X) @ c
    lam = []
    cols = []
    for k in np.unique(g):
        e = (g == k).astype(float)
        cols.append(M @ (e * (A @ (e * (X @ q)))))
    Gm = np.column_stack(cols)
    lam = np.linalg.eigvalsh(Gm.T @ Gm)
    return float(lam.sum() ** 2 / (lam**2).sum())


def test_bell_mccaffrey_df_matches_dense_formula_and_closed_forms() -> None:
    y, X, g = _data(seed=4)
    c = np.array([0.0, 1.0, 0.0])
    assert cr.bell_mccaffrey_df(X, g, c) == pytest.approx(_bm_df_dense(X, g, c), rel=1e-9)
    # intercept only, equal clusters: df = G - 1
    assert cr.bell_mccaffrey_df(
        np.ones((30, 1)), np.repeat(np.arange(6), 5), np.ones(1)
    ) == pytest.approx(5.0)
    # difference of two means, singleton clusters (HC2): df = Welch-type closed form with
    # equal working variances, ((n0 + n1)^2 ... ) reduces to n0 + n1 - 2 when n0 = n1
    X2 = np.column_stack([np.ones(20), np.repeat([0.0, 1.0], 10)])
    assert cr.bell_mccaffrey_df(X2, np.arange(20), np.array([0.0, 1.0])) == pytest.approx(18.0)


def test_wild_cluster_bootstrap_p_equals_a_brute_force_refit_loop() -> None:
    y, X, g = _data(seed=2)
    c, null = np.array([0.0, 1.0, 0.0]), 0.2
    wc = cr._WildCluster(y, X, g, c, 199, seed=5)
    xtx_inv = np.linalg.inv(X.T @ X)
    b = xtx_inv @ X.T @ y
    b_r = b - xtx_inv @ c * (c @ b - null) / (c @ xtx_inv @ c)
    u_r = y - X @ b_r
    t_obs = (c @ b - null) / sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": g}).bse[1]
    t_star = []
    for j in range(wc.v.shape[1]):
        fit = sm.OLS(X @ b_r + wc.v[g, j] * u_r, X).fit(cov_type="cluster", cov_kwds={"groups": g})
        t_star.append((fit.params[1] - null) / fit.bse[1])
    assert wc.pvalue(null) == pytest.approx(np.mean(np.abs(t_star) >= abs(t_obs)))
    assert set(np.round(np.unique(wc.v) ** 2, 12)) == {0.5, 1.0, 1.5}  # Webb's six points


def test_wild_cluster_interval_inverts_the_test() -> None:
    y, X, g = _data(seed=3)
    out = cr.wild_cluster_bootstrap(y, X, g, np.array([0.0, 1.0, 0.0]), n_bootstrap=399, seed=1)
    wc = cr._WildCluster(y, X, g, np.array([0.0, 1.0, 0.0]), 399, seed=1)
    assert out["ci_low"] < out["estimate"] < out["ci_high"]
    assert wc.pvalue(out["ci_low"] - 1e-3) < 0.05 <= wc.pvalue(out["ci_low"] + 1e-3)
    assert wc.pvalue(out["ci_high"] + 1e-3) < 0.05 <= wc.pvalue(out["ci_high"] - 1e-3)


def test_linear_contrast_cr1_ci_equals_statsmodels_with_t_on_g_minus_1() -> None:
    y, X, g = _data(seed=6)
    res = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": g}, use_t=True)
    out = cr.linear_contrast(y, X, np.array([0.0, 1.0, 0.0]), g, "CR1")
    ci = res.conf_int()[1]
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((ci[0], ci[1]))
    assert out["p"] == pytest.approx(res.pvalues[1]) and out["df"] == 11


def _frame(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 240
    return pd.DataFrame({
        "arm": rng.permutation(np.resize(["eigen_regie", "intensief", "regulier"], n)),
        "consultant_id": [f"C{i % 12}" for i in range(n)],
        "y": (rng.random(n) < 0.3).astype(float), "y0": rng.normal(size=n),
        "age": rng.integers(18, 67, n), "sex": rng.choice(["female", "male"], n),
        "household": rng.choice(["single", "single_parent", "couple", "couple_children"], n),
        "migration_background": rng.random(n) < 0.4, "benefit_years": rng.exponential(3, n),
    })  # fmt: skip


def test_arm_contrasts_adjusted_equals_statsmodels_formula_fit() -> None:
    import statsmodels.formula.api as smf

    f = _frame()
    out = cr.arm_contrasts(f, "y", adjust=True, inference="CR1").set_index("contrast")
    data = f.assign(y=100 * f["y"], migration_background=f["migration_background"].astype(int))
    res = smf.ols("y ~ C(arm, Treatment('regulier')) + age + C(sex) + C(household) + "
                  "migration_background + benefit_years", data).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(f["consultant_id"])[0]}, use_t=True)  # fmt: skip
    term = "C(arm, Treatment('regulier'))[T.eigen_regie]"
    row = out.loc["eigen_regie vs regulier"]
    assert row["estimate"] == pytest.approx(res.params[term])
    assert row["se"] == pytest.approx(res.bse[term])
    assert row["method"] == "difference (covariate-adjusted)" and row["scale"] == "pp"
    anc = cr.arm_contrasts(f, "y", baseline="y0", scale="points", inference="CR2")
    assert set(anc["method"]) == {"ANCOVA (baseline score)"} and (anc["df"] < 12).all()


def test_shared_cr2_adjustments_give_the_same_contrast_as_computing_them_afresh() -> None:
    y, X, g = _data(seed=7)
    y2 = y[::-1].copy()  # a second outcome on the same design
    shared = cr.cr2_adjustments(X, g)
    assert len(shared) == 12 and all(a.shape == (10, 10) for _, a in shared)
    for outcome in (y, y2):
        for c in (np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0]), np.array([1.0, 1.0, 0.0])):
            fresh = cr.linear_contrast(outcome, X, c, g, "CR2")
            reused = cr.linear_contrast(outcome, X, c, g, "CR2", adjustments=shared)
            assert reused == pytest.approx(fresh, rel=1e-12)
    # and both equal a dense CR2 sandwich with (I - H_gg)^(-1/2) written out
    _, u, _ = cr.ols(y, X)
    bread = np.linalg.inv(X.T @ X)
    meat = np.zeros((3, 3))
    for k in np.unique(g):
        i = np.flatnonzero(g == k)
        vals, vecs = np.linalg.eigh(np.eye(len(i)) - X[i] @ bread @ X[i].T)
        s = X[i].T @ (vecs @ np.diag(vals**-0.5) @ vecs.T) @ u[i]
        meat += np.outer(s, s)
    np.testing.assert_allclose(cr.cluster_robust_vcov(X, u, g, "CR2", shared),
                               bread @ meat @ bread, rtol=1e-10)  # fmt: skip
    assert cr.bell_mccaffrey_df(X, g, np.array([0.0, 1.0, 0.0]), shared) == pytest.approx(
        _bm_df_dense(X, g, np.array([0.0, 1.0, 0.0])), rel=1e-9
    )
