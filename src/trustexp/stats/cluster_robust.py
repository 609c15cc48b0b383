"""Few-cluster inference for linear contrasts of OLS coefficients (arm vs control).

The trial's consultants (12 of them, each serving mostly one arm) are confounded with arm, so
outcomes of one consultant's clients are correlated and the arm contrasts need cluster-robust
inference that holds with few clusters. Three variance estimators and one bootstrap:

* ``HC1``  - heteroskedasticity-robust, no clustering (normal reference), what the book used;
* ``CR1``  - the usual cluster-robust sandwich with the ``G/(G-1) (n-1)/(n-k)`` correction and a
  t reference with ``G - 1`` degrees of freedom (equals statsmodels' ``cov_type="cluster"``);
* ``CR2``  - Bell & McCaffrey's bias-reduced sandwich (each cluster's residuals are multiplied
  by ``(I - H_gg)^(-1/2)``) with their Satterthwaite degrees of freedom for the contrast, in the
  form of Imbens & Kolesár (2016, REStat 98:701) under a homoskedastic working model. With every
  observation its own cluster CR2 is HC2;
* ``WCR``  - the restricted wild cluster bootstrap-t (Cameron, Gelbach & Miller 2008) with Webb's
  six-point weights (Webb 2023), the t built with CR1 standard errors, computed for all
  bootstrap draws at once with the cluster-score algebra of Roodman et al. (2019, Stata J 19:4);
  intervals by test inversion.

Written by hand: statsmodels has CR1 but neither CR2 nor the Bell-McCaffrey degrees of freedom,
and its bootstrap is not a wild cluster bootstrap. ``wildboottest`` (PyPI) computes the same WCR
p-value one test at a time; here thousands of simulated tests need the vectorised form.

``arm_contrasts`` is the frame-level entry point: one row per experimental arm against control,
unadjusted, covariate-adjusted, or ANCOVA (with the wave-0 score).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special, stats

from trustexp.vocab import ARMS, CONTROL, TREATED

Inference = Literal["HC1", "CR1", "CR2", "WCR"]
INFERENCES: tuple[str, ...] = ("HC1", "CR1", "CR2", "WCR")
INFERENCE_LABELS = {
    "HC1": "robust (HC1), unclustered",
    "CR1": "cluster-robust (CR1), t with G-1 df",
    "CR2": "cluster-robust (CR2), Bell-McCaffrey df",
    "WCR": "wild cluster bootstrap (Webb weights)",
}
"""Short descriptions of each inference method (the ``inference`` column of the outputs)."""

WEBB = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])
"""Webb's six-point distribution: mean 0, variance 1, each value with probability 1/6."""

REGISTRY_COVARIATES: tuple[str, ...] = (
    "age",
    "female",
    "household_single_parent",
    "household_couple",
    "household_couple_children",
    "migration_background",
    "benefit_years",
)
"""Pre-specified baseline registry covariates of the adjusted arm contrasts (incl. time on benefit)."""

METHODS = {
    "unadjusted": "difference (unadjusted)",
    "adjusted": "difference (covariate-adjusted)",
    "ancova": "ANCOVA (baseline score)",
    "ancova_adjusted": "ANCOVA (baseline score and covariates)",
}
"""One method name per arm-contrast estimator (``arm_contrasts`` writes these)."""


# --------------------------------------------------------------------------- building blocks


def _codes(clusters: Sequence | np.ndarray) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(pd.Series(np.asarray(clusters, dtype=object)), sort=True)
    if (codes < 0).any():
        raise ValueError("cluster labels must not be missing")
    return codes.astype(np.int64), len(uniques)


def _inv_sqrt_psd(m: np.ndarray) -> np.ndarray:
    """Symmetric (pseudo-)inverse square root of a positive semi-definite matrix."""
    vals, vecs = np.linalg.eigh((m + m.T) / 2)
    keep = vals > 1e-12 * max(1.0, float(np.abs(vals).max()))
    inv = np.zeros_like(vals)
    inv[keep] = 1.0 / np.sqrt(vals[keep])
    return (vecs * inv) @ vecs.T


def ols(y: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OLS coefficients, residuals and ``(X'X)^-1`` (raises on a rank-deficient design)."""
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    xtx = X.T @ X
    if np.linalg.matrix_rank(xtx) < X.shape[1]:
        raise np.linalg.LinAlgError("design matrix is rank deficient")
    xtx_inv = np.linalg.inv(xtx)
    beta = xtx_inv @ (X.T @ y)
    return beta, y - X @ beta, xtx_inv


def _cr2_adjustments(X: np.ndarray, codes: np.ndarray, n_clusters: int, xtx_inv: np.ndarray):
    """Per cluster: row indices and ``A_g = (I - H_gg)^(-1/2)``."""
    out = []
    for g in range(n_clusters):
        idx = np.flatnonzero(codes == g)
        xg = X[idx]
        out.append((idx, _inv_sqrt_psd(np.eye(len(idx)) - xg @ xtx_inv @ xg.T)))
    return out


def cr2_adjustments(X: np.ndarray, clusters: Sequence | np.ndarray | None) -> list:
    """The CR2 pieces of a design (per cluster: row indices and ``(I - H_gg)^(-1/2)``).

    They depend on ``X`` and the clusters only, so several contrasts or outcomes fitted on one
    design can share them (pass as ``adjustments`` to ``linear_contrast``).
    """
    X = np.asarray(X, float)
    codes, n_clusters = _codes(np.arange(len(X)) if clusters is None else clusters)
    return _cr2_adjustments(X, codes, n_clusters, np.linalg.inv(X.T @ X))


def cluster_robust_vcov(
    X: np.ndarray,
    resid: np.ndarray,
    clusters: Sequence | np.ndarray | None,
    kind: Literal["HC1", "CR1", "CR2"] = "CR2",
    adjustments: list | None = None,
) -> np.ndarray:
    """Sandwich covariance of OLS coefficients: ``HC1`` (no clusters), ``CR1`` or ``CR2``.

    ``CR1`` multiplies the cluster sandwich by ``G/(G-1) (n-1)/(n-k)`` (statsmodels'
    ``cov_type="cluster"``); ``CR2`` uses the adjusted residuals ``(I - H_gg)^(-1/2) u_g`` of
    Bell & McCaffrey (2002) and no further correction. ``clusters=None`` means one cluster per row.

    >>> X = np.column_stack([np.ones(4), [0, 0, 1, 1]])
    >>> cluster_robust_vcov(X, np.array([1.0, -1, 1, -1]), None, "CR2").shape
    (2, 2)
    """
    X = np.asarray(X, float)
    resid = np.asarray(resid, float)
    n, k = X.shape
    xtx_inv = np.linalg.inv(X.T @ X)
    if kind == "HC1":
        meat = (X * resid[:, None] ** 2).T @ X * n / (n - k)
        return xtx_inv @ meat @ xtx_inv
    codes, n_clusters = _codes(np.arange(n) if clusters is None else clusters)
    if kind == "CR1":
        scores = np.zeros((n_clusters, k))
        np.add.at(scores, codes, X * resid[:, None])
        c = n_clusters / (n_clusters - 1) * (n - 1) / (n - k)
        return c * xtx_inv @ (scores.T @ scores) @ xtx_inv
    if kind == "CR2":
        scores = np.empty((n_clusters, k))
        adj = (
            adjustments
            if adjustments is not None
            else _cr2_adjustments(X, codes, n_clusters, xtx_inv)
        )
        for g, (idx, a) in enumerate(adj):
            scores[g] = X[idx].T @ (a @ resid[idx])
        return xtx_inv @ (scores.T @ scores) @ xtx_inv
    raise ValueError(f"unknown kind {kind!r}; allowed: HC1, CR1, CR2")


def bell_mccaffrey_df(
    X: np.ndarray,
    clusters: Sequence | np.ndarray | None,
    contrast: np.ndarray,
    adjustments: list | None = None,
) -> float:
    """Bell-McCaffrey degrees of freedom of a CR2 t statistic for the contrast ``c'beta``.

    Imbens & Kolesár (2016), eq. (11) with a homoskedastic working model: with ``G_g = (I - H)_{.,g}
    A_g X_g (X'X)^-1 c`` stacked as columns of ``G``, ``df = (sum lambda)^2 / sum lambda^2`` over
    the eigenvalues of ``G'G``. Intercept-only regressions with equal clusters give ``G - 1``.

    >>> X = np.ones((6, 1))
    >>> round(bell_mccaffrey_df(X, [0, 0, 1, 1, 2, 2], np.array([1.0])), 6)
    2.0
    """
    X = np.asarray(X, float)
    n = X.shape[0]
    codes, n_clusters = _codes(np.arange(n) if clusters is None else clusters)
    xtx_inv = np.linalg.inv(X.T @ X)
    q = xtx_inv @ np.asarray(contrast, float)
    m_resid = np.eye(n) - X @ xtx_inv @ X.T
    cols = np.empty((n, n_clusters))
    adj = (
        adjustments if adjustments is not None else _cr2_adjustments(X, codes, n_clusters, xtx_inv)
    )
    for g, (idx, a) in enumerate(adj):
        cols[:, g] = m_resid[:, idx] @ (a @ (X[idx] @ q))
    gtg = cols.T @ cols
    return float(np.trace(gtg) ** 2 / np.sum(gtg * gtg))


def _webb(rng: np.random.Generator, n_clusters: int, n_bootstrap: int) -> np.ndarray:
    return WEBB[rng.integers(0, 6, (n_clusters, n_bootstrap))]


class _WildCluster:
    """Precomputed pieces of the restricted wild cluster bootstrap-t for one contrast.

    For a null value ``r`` the restricted residuals are ``u_r = u + a (c'b - r)`` with
    ``a = X q / (c'q)``, ``q = (X'X)^-1 c``; every bootstrap statistic is then a product of
    G-vectors and a G x G matrix with the weight matrix ``V`` (G x B), so all draws cost
    O(G^2 B) whatever n is (Roodman et al. 2019).
    """

    def __init__(self, y, X, clusters, contrast, n_bootstrap: int, seed: int):
        X = np.asarray(X, float)
        n, k = X.shape
        self.codes, self.G = _codes(clusters)
        beta, u, xtx_inv = ols(y, X)
        c = np.asarray(contrast, float)
        q = xtx_inv @ c
        self.est = float(c @ beta)
        a = X @ q / float(c @ q)
        xq = X @ q  # n
        # per-cluster scores of q'X_g' u and q'X_g' a
        self.s_u = np.bincount(self.codes, xq * u, self.G)
        self.s_a = np.bincount(self.codes, xq * a, self.G)
        # C_hg = q'X_h'X_h (X'X)^-1 X_g' w_g for w = u and w = a
        xh_q = np.zeros((self.G, k))
        np.add.at(xh_q, self.codes, X * xq[:, None])  # rows: q'X_h'X_h
        left = xh_q @ xtx_inv  # G x k
        xg_u = np.zeros((self.G, k))
        np.add.at(xg_u, self.codes, X * u[:, None])
        xg_a = np.zeros((self.G, k))
        np.add.at(xg_a, self.codes, X * a[:, None])
        self.c_u, self.c_a = left @ xg_u.T, left @ xg_a.T
        self.corr = self.G / (self.G - 1) * (n - 1) / (n - k)
        cr1 = cluster_robust_vcov(X, u, clusters, "CR1")
        self.se = float(math.sqrt(c @ cr1 @ c))
        self.v = _webb(np.random.default_rng(seed), self.G, n_bootstrap)

    def pvalue(self, null: float) -> float:
        t = (self.est - null) / self.se
        shift = self.est - null
        s = self.s_u + self.s_a * shift
        cm = self.c_u + self.c_a * shift
        num = s @ self.v  # B: c'(b* - b_r)
        scores = s[:, None] * self.v - cm @ self.v
        se = np.sqrt(self.corr * np.sum(scores**2, axis=0))
        with np.errstate(divide="ignore", invalid="ignore"):
            t_star = np.where(se > 0, num / se, 0.0)
        return float(np.mean(np.abs(t_star) >= abs(t) - 1e-12))

    def interval(self, alpha: float) -> tuple[float, float]:
        """Test inversion: the null values whose p-value is at least ``alpha`` (bisection)."""
        step = max(self.se, 1e-8)

        def edge(direction: int) -> float:
            inside, outside = self.est, self.est + direction * 2 * step
            for _ in range(60):  # widen until the null is rejected
                if self.pvalue(outside) < alpha:
                    break
                inside, outside = outside, outside + direction * 2 * step
            else:
                return math.inf * direction
            while abs(outside - inside) > 1e-6 * step:  # about 21 halvings of 2 SE
                mid = (inside + outside) / 2
                if self.pvalue(mid) >= alpha:
                    inside = mid
                else:
                    outside = mid
            return (inside + outside) / 2

        return edge(-1), edge(+1)


class _DesignWildCluster(_WildCluster):
    """``_WildCluster`` from a prepared ``ClusteredDesign``, each p-value in O(B) instead of O(G B).

    The bootstrap scores are linear in the null value, ``P + shift Q`` (G x B), so their squared
    norms are ``PP + 2 shift PQ + shift^2 QQ``: three B-vectors computed once, and the ~50
    p-values of the test inversion each cost a few B-vector operations. Same weights (the same
    ``seed``), same statistic and the same bisection as ``_WildCluster``. What does not depend on
    the outcome (the weights, ``Q`` and ``QQ``) is kept in the design for the next outcome.
    """

    def __init__(self, design: ClusteredDesign, y, contrast, n_bootstrap: int, seed: int):
        X, xtx_inv, oh = design.X, design.xtx_inv, design.onehot
        n, k, self.G = design.n, design.k, design.G
        beta, u = design.fit(np.asarray(y, float))
        c = np.asarray(contrast, float)
        # what depends on the design, contrast and weights only is kept in the design
        key = (c.tobytes(), n_bootstrap, seed)
        if key not in design._wild:
            q = xtx_inv @ c
            a = X @ q / float(c @ q)
            xq = X @ q
            s_a = oh @ (xq * a)
            left = (oh @ (X * xq[:, None])) @ xtx_inv
            c_a = left @ (oh @ (X * a[:, None])).T
            v = _webb(np.random.default_rng(seed), self.G, n_bootstrap)
            qq = s_a[:, None] * v - c_a @ v
            design._wild[key] = (q, xq, left, v, s_a @ v, qq, (qq * qq).sum(0))
        q, xq, left, v, self.num_a, qq, self.qq = design._wild[key]
        self.est = float(c @ beta)
        s_u = oh @ (xq * u)
        xg_u = oh @ (X * u[:, None])
        c_u = left @ xg_u.T
        self.corr = self.G / (self.G - 1) * (n - 1) / (n - k)
        s_cr1 = xg_u @ q
        self.se = float(math.sqrt(self.corr * (s_cr1 @ s_cr1)))
        self.num_u = s_u @ v
        pp = s_u[:, None] * v - c_u @ v
        self.pp, self.pq = (pp * pp).sum(0), 2 * (pp * qq).sum(0)

    def pvalue(self, null: float) -> float:
        return float(_Stacked([self], 1).pvalues(np.array([null]))[0])


class _Stacked:
    """The pieces of several ``_DesignWildCluster`` tests as rows (each test ``repeat`` times),
    so that one p-value per row is one set of array operations (the same arithmetic per row
    as ``_DesignWildCluster`` on its own)."""

    def __init__(self, tests: Sequence[_DesignWildCluster], repeat: int):
        def rows(name: str) -> np.ndarray:
            return np.repeat(np.stack([getattr(t, name) for t in tests]), repeat, axis=0)

        self.num_u, self.num_a = rows("num_u"), rows("num_a")
        self.pp, self.pq, self.qq = rows("pp"), rows("pq"), rows("qq")
        self.est = np.repeat([t.est for t in tests], repeat)
        self.se = np.repeat([t.se for t in tests], repeat)
        self.corr = np.repeat([t.corr for t in tests], repeat)[:, None]

    def pvalues(self, nulls: np.ndarray) -> np.ndarray:
        # t* = (num_u + num_a s) / sqrt(corr max(pp + s (pq + s qq), 0)), computed in place
        # operation by operation (this runs ~25 times per cohort on (2 x tests) x B arrays)
        shift = self.est - nulls
        t = shift / self.se
        s = shift[:, None]
        se = self.qq * s
        se += self.pq
        se *= s
        se += self.pp
        np.maximum(se, 0.0, out=se)
        se *= self.corr
        np.sqrt(se, out=se)
        t_star = self.num_a * s
        t_star += self.num_u
        with np.errstate(divide="ignore", invalid="ignore"):
            np.divide(t_star, se, out=t_star)
        if not se.all():  # a bootstrap draw without variation has t* = 0
            t_star[se == 0] = 0.0
        np.abs(t_star, out=t_star)
        hits = np.count_nonzero(t_star >= (np.abs(t) - 1e-12)[:, None], axis=1)
        return hits / t_star.shape[1]


def wild_cluster_intervals(
    tests: Sequence[_DesignWildCluster], alpha: float, null: float = 0.0
) -> list[tuple[float, float, float]]:
    """``(p, ci_low, ci_high)`` of several wild-bootstrap tests, the intervals inverted together.

    The bisection of ``_WildCluster.interval`` run for both edges of every test in lockstep:
    each round evaluates one p-value per edge in one set of array operations, with the same
    widening steps, midpoints and stopping rule per edge as the one-test loop - so the numbers
    are those of inverting each test on its own. Written because a cohort of the simulation
    has six such tests of ~50 p-values each, and the per-call overhead was most of their cost.
    """
    m = len(tests)
    p0 = _Stacked(tests, 1).pvalues(np.full(m, float(null)))
    edges = _Stacked(tests, 2)  # row 2i: lower edge of test i, 2i + 1: upper edge
    direction = np.tile([-1, 1], m)
    step = np.maximum(edges.se, 1e-8)
    inside = edges.est.copy()
    outside = inside + direction * 2 * step
    widening = np.ones(2 * m, bool)  # phase 1: widen until the null is rejected
    n_widened = np.zeros(2 * m, np.int64)
    result = np.full(2 * m, np.nan)
    while True:
        # phase 2 (bisection) ends when the bracket is narrow enough
        done = np.isnan(result) & ~widening & ~(np.abs(outside - inside) > 1e-6 * step)
        result[done] = (inside[done] + outside[done]) / 2
        active = np.isnan(result)
        if not active.any():
            break
        mid = (inside + outside) / 2
        rejected = edges.pvalues(np.where(widening, outside, mid)) < alpha
        halve = active & ~widening
        grow = active & widening & ~rejected
        widening &= ~(active & rejected)  # rejected while widening: bisect from the next round
        inside, outside = (np.where(grow, outside, inside),
                           np.where(grow, outside + direction * 2 * step, outside))  # fmt: skip
        n_widened += grow
        gave_up = grow & (n_widened == 60)  # never rejected within 60 steps: unbounded
        result[gave_up] = math.inf * direction[gave_up]
        inside = np.where(halve & ~rejected, mid, inside)
        outside = np.where(halve & rejected, mid, outside)
    return [(float(p0[i]), float(result[2 * i]), float(result[2 * i + 1])) for i in range(m)]


def wild_cluster_bootstrap(
    y: np.ndarray,
    X: np.ndarray,
    clusters: Sequence | np.ndarray,
    contrast: np.ndarray,
    null: float = 0.0,
    n_bootstrap: int = 999,
    seed: int = 0,
    alpha: float | None = 0.05,
) -> dict[str, float]:
    """Restricted wild cluster bootstrap-t (WCR) with Webb weights for ``H0: c'beta = null``.

    Returns ``estimate, se`` (CR1), ``p`` (share of bootstrap |t*| at least the observed |t|)
    and, unless ``alpha`` is None, the ``1 - alpha`` interval by test inversion (``ci_low,
    ci_high``: the null values not rejected, same bootstrap weights for every null).

    >>> rng = np.random.default_rng(1)
    >>> X = np.column_stack([np.ones(60), np.repeat([0.0, 1.0], 30)])
    >>> g = np.tile(np.arange(12), 5)
    >>> out = wild_cluster_bootstrap(rng.normal(size=60), X, g, np.array([0.0, 1.0]))
    >>> 0 <= out["p"] <= 1
    True
    """
    wc = _WildCluster(y, X, clusters, contrast, n_bootstrap, seed)
    out = {"estimate": wc.est, "se": wc.se, "p": wc.pvalue(null), "df": math.nan}
    if alpha is not None:
        out["ci_low"], out["ci_high"] = wc.interval(alpha)
    return out


def linear_contrast(
    y: np.ndarray,
    X: np.ndarray,
    contrast: np.ndarray,
    clusters: Sequence | np.ndarray | None = None,
    inference: Inference = "CR2",
    alpha: float = 0.05,
    null: float = 0.0,
    n_bootstrap: int = 999,
    seed: int = 0,
    adjustments: list | None = None,
) -> dict[str, float]:
    """Estimate, SE, reference df, ``1 - alpha`` CI and p of ``c'beta`` from an OLS fit.

    ``inference``: ``HC1`` (normal reference, ``df`` inf), ``CR1`` (t, ``G - 1`` df), ``CR2``
    (t, Bell-McCaffrey df) or ``WCR`` (wild cluster bootstrap, CR1 SE shown). ``p`` tests
    ``c'beta = null``. ``adjustments``: ``cr2_adjustments(X, clusters)``, computed here when absent.

    >>> X = np.column_stack([np.ones(8), [0, 0, 0, 0, 1, 1, 1, 1]])
    >>> y = np.array([1.0, 2, 3, 4, 3, 4, 5, 6])
    >>> linear_contrast(y, X, np.array([0.0, 1]), [0, 0, 1, 1, 2, 2, 3, 3], "CR2")["estimate"]
    2.0
    """
    c = np.asarray(contrast, float)
    if inference == "WCR":
        if clusters is None:
            raise ValueError("the wild cluster bootstrap needs clusters")
        return wild_cluster_bootstrap(y, X, clusters, c, null, n_bootstrap, seed, alpha)
    beta, u, _ = ols(y, X)
    est = float(c @ beta)
    if inference == "HC1":
        v, df = cluster_robust_vcov(X, u, None, "HC1"), math.inf
    elif inference == "CR1":
        v = cluster_robust_vcov(X, u, clusters, "CR1")
        df = float(_codes(clusters)[1] - 1)
    elif inference == "CR2":
        adj = adjustments if adjustments is not None else cr2_adjustments(X, clusters)
        v = cluster_robust_vcov(X, u, clusters, "CR2", adj)
        df = bell_mccaffrey_df(X, clusters, c, adj)
    else:
        raise ValueError(f"unknown inference {inference!r}; allowed: {', '.join(INFERENCES)}")
    se = float(math.sqrt(max(c @ v @ c, 0.0)))
    crit = stats.norm.ppf(1 - alpha / 2) if math.isinf(df) else stats.t.ppf(1 - alpha / 2, df)
    t = (est - null) / se if se > 0 else math.nan
    p = float(2 * (stats.norm.sf(abs(t)) if math.isinf(df) else stats.t.sf(abs(t), df)))
    return {"estimate": est, "se": se, "df": df, "ci_low": float(est - crit * se),
            "ci_high": float(est + crit * se), "p": p}  # fmt: skip


# --------------------------------------------------------------------------- many fits of one design


class ClusteredDesign:
    """One OLS design and its clusters, prepared once for many outcomes, contrasts and inferences.

    Gives the numbers of ``linear_contrast`` (to rounding) without redoing per call what depends
    on the design only: ``(X'X)^-1``, the cluster factorisation, the CR2 pieces and the cluster
    sums of the wild bootstrap. Written by hand for the simulation, which fits the same three
    designs per cohort thousands of times: there the per-call set-up, not the arithmetic, was
    the cost. The CR2 and Bell-McCaffrey pieces use the low-rank form of ``I - H_gg``: with
    ``X_g = Q_g R_g`` (QR), ``(I - H_gg)^(-1/2) = I + Q_g (F_g - I) Q_g'`` where ``F_g`` is the
    inverse square root of the k x k matrix ``I - R_g (X'X)^-1 R_g'`` (same eigenvalues, same
    pseudo-inverse rule as ``cr2_adjustments``); and, since ``I - H`` is idempotent, the
    Bell-McCaffrey ``G'G = diag(w_g'w_g) - Z (X'X)^-1 Z'`` with ``w_g = A_g X_g q`` and
    ``Z_g = X_g'w_g`` - no n x n matrix is formed.

    ``codes``: each row's cluster as ``0 .. n_clusters - 1`` in the sorted order of the cluster
    labels (as ``linear_contrast`` factorises them; the wild bootstrap draws its weights per
    cluster in that order, so the order decides which weights a cluster gets).

    >>> X = np.column_stack([np.ones(8), [0, 0, 0, 0, 1, 1, 1, 1]])
    >>> y = np.array([1.0, 2, 3, 4, 3, 4, 5, 6])
    >>> d = ClusteredDesign(X, np.array([0, 0, 1, 1, 2, 2, 3, 3]), 4)
    >>> d.contrast(y, np.array([0.0, 1]), "CR2")["estimate"]
    2.0
    """

    def __init__(self, X: np.ndarray, codes: np.ndarray, n_clusters: int):
        X = np.asarray(X, float)
        self.X, (self.n, self.k) = X, X.shape
        xtx = X.T @ X
        if np.linalg.matrix_rank(xtx) < self.k:
            raise np.linalg.LinAlgError("design matrix is rank deficient")
        self.xtx_inv = np.linalg.inv(xtx)
        self.codes = np.asarray(codes, np.int64)
        self.G = int(n_clusters)
        self.onehot = np.zeros((self.G, self.n))
        self.onehot[self.codes, np.arange(self.n)] = 1.0
        self._cr2: tuple | None = None
        self._weights: dict[bytes, tuple[np.ndarray, float]] = {}
        self._wild: dict[tuple, tuple] = {}

    def fit(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """OLS coefficients and residuals of ``y`` (as ``ols``)."""
        beta = self.xtx_inv @ (self.X.T @ y)
        return beta, y - self.X @ beta

    def wild_cluster(
        self, y: np.ndarray, contrast: np.ndarray, n_bootstrap: int = 999, seed: int = 0
    ) -> _DesignWildCluster:
        """The wild cluster bootstrap of ``contrast`` for outcome ``y``, ready to be inverted
        (``wild_cluster_intervals``: several tests at once)."""
        return _DesignWildCluster(self, y, np.asarray(contrast, float), n_bootstrap, seed)

    def _cr2_pieces(self) -> tuple:
        if self._cr2 is None:
            counts = np.bincount(self.codes, minlength=self.G)
            order = np.argsort(self.codes, kind="stable")
            pos = np.arange(self.n) - np.repeat(np.cumsum(counts) - counts, counts)
            rows = np.full((self.G, int(counts.max())), -1)
            rows[self.codes[order], pos] = order
            mask = rows >= 0
            xp = np.where(mask[..., None], self.X[np.where(mask, rows, 0)], 0.0)  # G x m x k
            q, r = np.linalg.qr(xp)  # zero padding rows leave R_g as it is
            eye = np.eye(r.shape[1])
            m = eye - r @ self.xtx_inv @ r.transpose(0, 2, 1)
            vals, vecs = np.linalg.eigh((m + m.transpose(0, 2, 1)) / 2)
            keep = vals > 1e-12 * np.maximum(1.0, np.abs(vals).max(axis=1, keepdims=True))
            inv = np.where(keep, 1.0 / np.sqrt(np.where(keep, vals, 1.0)), 0.0)
            f_minus_i = (vecs * (inv - 1.0)[:, None, :]) @ vecs.transpose(0, 2, 1)
            self._cr2 = (rows, mask, xp, q, r, f_minus_i)
        return self._cr2

    def _cr2_weights(self, q_vec: np.ndarray) -> tuple[np.ndarray, float]:
        """Per cluster ``w_g = A_g X_g q`` (G x m, padded with zeros) and the Bell-McCaffrey df
        (they depend on the design and the contrast only: kept for the next outcome)."""
        key = q_vec.tobytes()
        if key not in self._weights:
            self._weights[key] = self._cr2_weights_of(q_vec)
        return self._weights[key]

    def _cr2_weights_of(self, q_vec: np.ndarray) -> tuple[np.ndarray, float]:
        rows, mask, xp, q, r, f_minus_i = self._cr2_pieces()
        w = xp @ q_vec + (q @ (f_minus_i @ (r @ q_vec)[..., None]))[..., 0]
        w = np.where(mask, w, 0.0)
        z = np.einsum("gmk,gm->gk", xp, w)
        gtg = np.diag(np.sum(w * w, axis=1)) - z @ self.xtx_inv @ z.T
        return w, float(np.trace(gtg) ** 2 / np.sum(gtg * gtg))

    def contrast(
        self,
        y: np.ndarray,
        contrast: np.ndarray,
        inference: Inference = "CR2",
        alpha: float = 0.05,
        null: float = 0.0,
        n_bootstrap: int = 999,
        seed: int = 0,
    ) -> dict[str, float]:
        """``linear_contrast(y, X, contrast, clusters, inference, ...)`` on this design."""
        c = np.asarray(contrast, float)
        if inference == "WCR":
            wc = self.wild_cluster(y, c, n_bootstrap, seed)
            p, low, high = wild_cluster_intervals([wc], alpha, null)[0]
            return {"estimate": wc.est, "se": wc.se, "p": p, "df": math.nan, "ci_low": low,
                    "ci_high": high}  # fmt: skip
        beta, u = self.fit(y)
        est = float(c @ beta)
        q_vec = self.xtx_inv @ c
        if inference == "HC1":
            meat = (self.X * u[:, None] ** 2).T @ self.X * self.n / (self.n - self.k)
            var, df = float(q_vec @ meat @ q_vec), math.inf
        elif inference == "CR1":
            s = self.onehot @ (self.X * u[:, None]) @ q_vec
            corr = self.G / (self.G - 1) * (self.n - 1) / (self.n - self.k)
            var, df = float(corr * (s @ s)), float(self.G - 1)
        elif inference == "CR2":
            rows = self._cr2_pieces()[0]
            w, df = self._cr2_weights(q_vec)
            s = np.sum(w * np.where(rows >= 0, u[rows], 0.0), axis=1)
            var = float(s @ s)
        else:
            raise ValueError(f"unknown inference {inference!r}; allowed: {', '.join(INFERENCES)}")
        return _t_row(est, math.sqrt(max(var, 0.0)), df, alpha, null)


def _t_row(est: float, se: float, df: float, alpha: float, null: float) -> dict[str, float]:
    """Interval and p of ``linear_contrast`` with scipy.special directly (what ``stats.t`` and
    ``stats.norm`` call underneath, without their per-call argument checking)."""
    if math.isinf(df):
        crit = float(special.ndtri(1 - alpha / 2))
    else:
        crit = float(special.stdtrit(df, 1 - alpha / 2))
    t = (est - null) / se if se > 0 else math.nan
    p = float(2 * (special.ndtr(-abs(t)) if math.isinf(df) else special.stdtr(df, -abs(t))))
    return {"estimate": est, "se": se, "df": df, "ci_low": float(est - crit * se),
            "ci_high": float(est + crit * se), "p": p}  # fmt: skip


def registry_matrix(columns: dict[str, np.ndarray]) -> np.ndarray:
    """``registry_design`` for plain arrays (no missing values): an n x 7 float matrix.

    ``columns``: ``age, sex, household, migration_background`` and ``benefit_years`` or
    ``benefit_months``, as arrays. The array twin of ``registry_design`` for callers that hold
    arrays (the simulation) and would otherwise build a frame only to read it back.
    """
    if "benefit_years" in columns:
        years = np.asarray(columns["benefit_years"], float)
    else:
        years = np.asarray(columns["benefit_months"], float) / 12.0
    household = np.asarray(columns["household"], dtype=object)
    return np.column_stack([
        np.asarray(columns["age"], float),
        (np.asarray(columns["sex"], dtype=object) == "female").astype(float),
        (household == "single_parent").astype(float),
        (household == "couple").astype(float),
        (household == "couple_children").astype(float),
        np.asarray(columns["migration_background"]).astype(bool).astype(float),
        years,
    ])  # fmt: skip


# --------------------------------------------------------------------------- frame level


def registry_design(frame: pd.DataFrame) -> pd.DataFrame:
    """Numeric baseline registry covariates (``REGISTRY_COVARIATES``) from person-level columns.

    Needs ``age, sex, household, migration_background`` and ``benefit_years`` (or
    ``benefit_months``).
    """
    years = (
        frame["benefit_years"].astype(float)
        if "benefit_years" in frame
        else frame["benefit_months"].astype(float) / 12.0
    )
    household = frame["household"].astype(str)
    return pd.DataFrame(
        {
            "age": frame["age"].astype(float),
            "female": (frame["sex"].astype(str) == "female").astype(float),
            "household_single_parent": (household == "single_parent").astype(float),
            "household_couple": (household == "couple").astype(float),
            "household_couple_children": (household == "couple_children").astype(float),
            "migration_background": frame["migration_background"].astype(bool).astype(float),
            "benefit_years": years,
        },
        index=frame.index,
    )


def arm_contrasts(
    frame: pd.DataFrame,
    outcome: str,
    *,
    adjust: bool = False,
    baseline: str | None = None,
    cluster: str | None = "consultant_id",
    inference: Inference = "CR2",
    scale: str = "pp",
    alpha: float = 0.05,
    n_bootstrap: int = 999,
    seed: int = 0,
) -> pd.DataFrame:
    """Each experimental arm vs regular service from one OLS fit among participants.

    ``frame``: one row per participant with ``arm``, ``outcome``, the ``cluster`` column
    (consultant for outflow, rater for consultant-rated outcomes) and, with ``adjust``, the
    registry covariates (``registry_design``); ``baseline`` names the wave-0 score column of an
    ANCOVA. ``scale="pp"`` multiplies a 0/1 outcome by 100 (percentage points). Rows with a
    missing value are dropped. Returns ``contrast, estimate, se, df, ci_low, ci_high, p, n,
    method, scale, inference`` (method from ``METHODS``).

    >>> arm_contrasts(frame, "outflow_full", adjust=True)  # doctest: +SKIP
    """
    cols = ["arm", outcome] + ([baseline] if baseline else []) + ([cluster] if cluster else [])
    data = frame.dropna(subset=cols)
    data = data[data["arm"].astype(str).isin(ARMS)]
    parts = [np.ones(len(data))]
    arm = data["arm"].astype(str).to_numpy()
    arms = [a for a in TREATED if (arm == a).sum() >= 2]
    parts += [(arm == a).astype(float) for a in arms]
    if baseline:
        parts.append(data[baseline].astype(float).to_numpy())
    if adjust:
        cov = registry_design(data)
        keep = cov.notna().all(axis=1).to_numpy()
        data, arm = data[keep], arm[keep]
        parts = [p[keep] for p in parts] + [cov[keep].to_numpy(float)]
    X = np.column_stack(parts)
    if baseline:
        method = METHODS["ancova_adjusted" if adjust else "ancova"]
    else:
        method = METHODS["adjusted" if adjust else "unadjusted"]
    columns = ["contrast", "estimate", "se", "df", "ci_low", "ci_high", "p", "n", "method",
               "scale", "inference"]  # fmt: skip
    if (arm == CONTROL).sum() < 2 or not arms:
        return pd.DataFrame(columns=columns)
    y = data[outcome].astype(float).to_numpy() * (100.0 if scale == "pp" else 1.0)
    groups = data[cluster].astype(str).to_numpy() if cluster else None
    rows = []
    for j, a in enumerate(arms, start=1):
        c = np.zeros(X.shape[1])
        c[j] = 1.0
        est = linear_contrast(y, X, c, groups, inference, alpha, 0.0, n_bootstrap, seed + j)
        rows.append({"contrast": f"{a} vs {CONTROL}", **est,
                     "n": int(np.isin(arm, [a, CONTROL]).sum()), "method": method,
                     "scale": scale, "inference": INFERENCE_LABELS[inference]})  # fmt: skip
    return pd.DataFrame(rows).reindex(columns=columns)
