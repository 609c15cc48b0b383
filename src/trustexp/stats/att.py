"""The effect of participation on the participants (ATT): participants vs non-participants.

One estimand - the average effect on those who took part (the ATT) - and three estimators of it,
each under one method name used everywhere (``METHODS``):

* ``ATT (regression adjustment)``: a model of the outcome among non-participants (logit for a
  0/1 outcome, or linear), predicted for every participant; ATT = mean over participants of
  ``y - m0(x)``;
* ``ATT (IPW)``: the participants' mean minus the non-participants' mean weighted by the odds
  of participation ``e(x) / (1 - e(x))`` (normalised to sum to one);
* ``ATT (doubly robust)``: regression adjustment plus the odds-weighted mean residual of the
  non-participants (Sant'Anna & Zhao 2020, eq. 3.1 without the time dimension); consistent
  when either the propensity or the outcome model is right.

The propensity ``e(x)`` is a logit of participation on the baseline registry covariates plus
the duration classes (``att_design``). Intervals either come from the influence function of the
stacked estimating equations (``analytic``: propensity and outcome model estimation included,
an M-estimation sandwich) or from a seeded bootstrap that re-estimates both models in every
resample (``bootstrap``: participants and non-participants resampled separately; percentile
interval; all resamples fitted at once by batched Newton steps).

Written by hand because statsmodels' ``TreatmentEffect`` (0.15) fits only linear outcome
models, has no ATT for ``aipw``/``aipw_wls`` (ATE only), and its ``ipw_ra`` covariance assumes
a selection model with exactly six parameters (``params[-6:]``); its GMM refits are also far too
slow for thousands of resamples. The linear special cases are checked against it in the tests.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special, stats
from scipy.special import expit

from trustexp.stats.cluster_robust import REGISTRY_COVARIATES, registry_design
from trustexp.vocab import ARMS, NON_PARTICIPANTS, PARTICIPATION, between

METHODS = {
    "ra": "ATT (regression adjustment)",
    "ipw": "ATT (IPW)",
    "dr": "ATT (doubly robust)",
}
"""One method name per ATT estimator."""
CONTRASTS = (PARTICIPATION, *(between(a, NON_PARTICIPANTS) for a in ARMS))
DURATION_CUTS = (12, 36, 60)
"""Months on benefit at which the duration classes of the propensity model start (1-3, 3-5, 5+ y)."""
OutcomeModel = Literal["logit", "linear"]


def att_design(frame: pd.DataFrame) -> np.ndarray:
    """Design matrix of both models: intercept, registry covariates, duration-class dummies.

    The dummies let the propensity follow the skewed distribution of time on benefit (the
    non-participants have been on benefit longer) without a parametric form.
    """
    return att_design_from_registry(registry_design(frame).to_numpy(float))


def att_design_from_registry(registry: np.ndarray) -> np.ndarray:
    """``att_design`` from the registry covariates as a matrix (``registry_design`` or
    ``cluster_robust.registry_matrix``: columns ``REGISTRY_COVARIATES``).

    For callers that hold arrays (the simulation builds thousands of these designs).
    """
    registry = np.asarray(registry, float)
    months = registry[:, REGISTRY_COVARIATES.index("benefit_years")] * 12.0
    dummies = [
        ((months >= lo) & (months < hi)).astype(float)
        for lo, hi in zip(DURATION_CUTS, (*DURATION_CUTS[1:], math.inf), strict=True)
    ]
    X = np.column_stack([np.ones(len(registry)), registry, *dummies])
    # a column without variation (e.g. every duration dummy within one duration class) other than
    # the intercept would make both models singular: it carries no information, so it is dropped
    rest = X[:, 1:]
    varies = rest.max(axis=0) > rest.min(axis=0)  # cheaper than std, and the same for these:
    if not varies.all():  # a constant column can still have a rounding-size std; keep the rule
        varies[~varies] = rest[:, ~varies].std(axis=0) > 0
    return X[:, np.r_[True, varies]]


def logit_fit(
    X: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None, max_iter: int = 100
) -> np.ndarray:
    """Logit coefficients by Newton-Raphson, for one weight vector or a batch of them.

    ``weights``: None, (n,) or (B, n) frequency weights (bootstrap counts); returns (k,) or
    (B, k). Converged when the deviance changes by less than 1e-10 relative (as R's ``glm``),
    so a covariate that separates the outcome in a resample (a coefficient running off to
    infinity while the fitted probabilities settle) still converges. A single fit that does not
    converge raises ``FloatingPointError``; in a batch its row is NaN.

    >>> X = np.column_stack([np.ones(6), [0, 1, 2, 3, 4, 5.0]])
    >>> logit_fit(X, np.array([0, 0, 1, 0, 1, 1.0])).round(3).tolist()
    [-3.035, 1.214]
    """
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    single = weights is None or np.ndim(weights) == 1
    w = np.ones((1, len(y))) if weights is None else np.atleast_2d(np.asarray(weights, float))
    n_b, k = w.shape[0], X.shape[1]
    beta = np.zeros((n_b, k))
    ybar = np.clip((w * y).sum(1) / w.sum(1), 1e-6, 1 - 1e-6)
    beta[:, 0] = np.log(ybar / (1 - ybar))
    # the Hessians of a batch as one matrix product: (B, n) weights times the (n, k*k) products of
    # the columns, instead of a (B, k, n) temporary per iteration (the bootstrap's cost)
    xx = (X[:, :, None] * X[:, None, :]).reshape(len(y), k * k)

    def deviance(eta: np.ndarray) -> np.ndarray:
        return 2 * (w * (np.logaddexp(0, eta) - y * eta)).sum(1)

    eta = beta @ X.T
    dev = deviance(eta)
    done = np.zeros(n_b, bool)
    ridge = 1e-10 * np.eye(k)
    for _ in range(max_iter):
        p = expit(eta)
        grad = (w * (y - p)) @ X
        hess = ((w * p * (1 - p)) @ xx).reshape(n_b, k, k) + ridge
        step = np.linalg.solve(hess, grad[..., None])[..., 0]
        beta = np.where(done[:, None], beta, beta + step)
        eta = beta @ X.T
        new = deviance(eta)
        done |= np.abs(new - dev) < 1e-10 * (np.abs(new) + 0.1)
        dev = new
        if done.all():
            break
    if single and not done[0]:
        raise FloatingPointError("logit did not converge")
    beta[~done] = np.nan
    return beta[0] if single else beta


def _linear_fit(X: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted least squares for a batch of weight vectors (B, n) -> (B, k)."""
    xtwx = (X.T[None, :, :] * weights[:, None, :]) @ X
    xtwy = (weights * y) @ X
    return np.linalg.solve(xtwx, xtwy[..., None])[..., 0]


def _estimates(y, d, X, gamma, beta, outcome_model: OutcomeModel, f) -> dict[str, np.ndarray]:
    """RA, IPW and DR point estimates for batches of frequency weights ``f`` (B, n)."""
    odds = np.exp(gamma @ X.T)  # B x n
    lin = beta @ X.T
    m0 = expit(lin) if outcome_model == "logit" else lin
    ft, wc = f * d, f * (1 - d) * odds
    n_t, s_w = ft.sum(1), wc.sum(1)
    mean_t = (ft * y).sum(1) / n_t
    ra = mean_t - (ft * m0).sum(1) / n_t
    ipw = mean_t - (wc * y).sum(1) / s_w
    dr = ra - (wc * (y - m0)).sum(1) / s_w
    return {"ra": ra, "ipw": ipw, "dr": dr}


def _influence(y, d, X, gamma, beta, outcome_model: OutcomeModel) -> dict[str, np.ndarray]:
    """Influence functions of the three estimators (propensity and outcome fits included)."""
    n = len(y)
    e = expit(X @ gamma)
    w = np.exp(X @ gamma)
    lin = X @ beta
    m = expit(lin) if outcome_model == "logit" else lin
    dm = m * (1 - m) if outcome_model == "logit" else np.ones(n)
    if_gamma = np.linalg.solve((X.T * (e * (1 - e))) @ X / n, (X * (d - e)[:, None]).T).T
    h_beta = (X.T * ((1 - d) * dm)) @ X / n
    if_beta = np.linalg.solve(h_beta, (X * ((1 - d) * (y - m))[:, None]).T).T
    p = d.mean()
    s_w = ((1 - d) * w).mean()
    out = {}
    for key, mm, with_beta in (("ra", m, True), ("ipw", np.zeros(n), False), ("dr", m, True)):
        mu = (d * (y - mm)).sum() / d.sum()
        if_mu = d * (y - mm - mu)
        if with_beta:
            if_mu = if_mu - if_beta @ ((X * (d * dm)[:, None]).mean(0))
        if_mu = if_mu / p
        if key == "ra":
            out[key] = if_mu
            continue
        eta = ((1 - d) * w * (y - mm)).sum() / ((1 - d) * w).sum()
        r = y - mm - eta
        if_eta = (1 - d) * w * r + if_gamma @ ((X * ((1 - d) * w * r)[:, None]).mean(0))
        if with_beta:
            if_eta = if_eta - if_beta @ ((X * ((1 - d) * w * dm)[:, None]).mean(0))
        out[key] = if_mu - if_eta / s_w
    return out


def _fit_outcome(X, y, d, outcome_model: OutcomeModel, f: np.ndarray) -> np.ndarray:
    fc = f * (1 - d)
    if outcome_model == "logit":
        return logit_fit(X, y, fc)
    return _linear_fit(X, y, fc)


def _checked(y, d, X, outcome_model: OutcomeModel) -> tuple[np.ndarray, ...]:
    y = np.asarray(y, float)
    if outcome_model == "logit" and ((y < 0) | (y > 1)).any():
        raise ValueError("a logit outcome model needs an outcome between 0 and 1 (a share)")
    return y, np.asarray(d, float), np.asarray(X, float)


def _point(y, d, X, outcome_model: OutcomeModel) -> tuple[np.ndarray, np.ndarray, dict]:
    """Propensity and outcome coefficients and the three point estimates."""
    ones = np.ones((1, len(y)))
    gamma = logit_fit(X, d)
    beta = _fit_outcome(X, y, d, outcome_model, ones)[0]
    point = {k: float(v[0]) for k, v in _estimates(y, d, X, gamma[None], beta[None],
                                                    outcome_model, ones).items()}  # fmt: skip
    return gamma, beta, point


def _analytic_rows(y, d, X, gamma, beta, point, outcome_model, z: float) -> list[dict]:
    """``estimator, estimate, se, ci_low, ci_high`` per estimator from the influence functions."""
    n = len(y)
    infl = _influence(y, d, X, gamma, beta, outcome_model)
    rows = []
    for key, est in point.items():
        se = float(np.sqrt(np.sum(infl[key] ** 2)) / n)
        rows.append({"estimator": key, "estimate": est, "se": se, "ci_low": est - z * se,
                     "ci_high": est + z * se})  # fmt: skip
    return rows


def att_analytic(
    y: np.ndarray,
    d: np.ndarray,
    X: np.ndarray,
    *,
    alpha: float = 0.05,
    propensity_coef: np.ndarray | None = None,
    outcome_coef: np.ndarray | None = None,
) -> list[dict[str, float | str]]:
    """``att(y, d, X, inference="analytic")`` (logit outcome model) as plain rows.

    One row per estimator: ``estimator, estimate, se, ci_low, ci_high, p, method`` - the numbers
    of ``att`` to rounding. Written for callers that run thousands of fits (the simulation):
    both logits are single Newton fits (the outcome model on the comparison group's rows only),
    the influence functions use ``(X'WX)^-1 v`` instead of an n x k solve, and no frame is built.
    ``propensity_coef``: ``propensity_fit(X, d)`` and ``outcome_coef``: ``outcome_fit(X, y, d)``,
    when already computed for these arrays (the simulation's contrasts and truths share them).

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=400); d = (rng.random(400) < 1 / (1 + np.exp(-x))).astype(float)
    >>> y = (rng.random(400) < 0.3 + 0.1 * d).astype(float)
    >>> [r["estimator"] for r in att_analytic(y, d, np.column_stack([np.ones(400), x]))]
    ['ra', 'ipw', 'dr']
    """
    y, d, X = _checked(y, d, X, "logit")
    n = len(y)
    gamma = _logit_newton(X, d) if propensity_coef is None else propensity_coef
    beta = outcome_fit(X, y, d) if outcome_coef is None else outcome_coef
    lin_g = X @ gamma
    e, odds = expit(lin_g), np.exp(lin_g)
    m = expit(X @ beta)
    dm = m * (1 - m)
    c = 1 - d
    # point estimates (``_estimates`` with unit weights)
    n_t, wc = d.sum(), c * odds
    s_w = wc.sum()
    mean_t = (d * y).sum() / n_t
    ra = mean_t - (d * m).sum() / n_t
    point = {"ra": ra, "ipw": mean_t - (wc * y).sum() / s_w, "dr": ra - (wc * (y - m)).sum() / s_w}
    # influence functions (``_influence``): if_gamma @ v = S_g H_g^-1 v with S_g the score rows
    h_g = (X.T * (e * (1 - e))) @ X / n
    h_b = (X.T * (c * dm)) @ X / n
    s_g, s_b = X * (d - e)[:, None], X * (c * (y - m))[:, None]
    p = d.mean()
    s_w_mean = wc.mean()
    b_mu = s_b @ np.linalg.solve(h_b, (d * dm) @ X / n)
    b_eta = s_b @ np.linalg.solve(h_b, (wc * dm) @ X / n)
    z = float(special.ndtri(1 - alpha / 2))  # what stats.norm.ppf computes
    rows = []
    for key, mm, with_beta in (("ra", m, True), ("ipw", 0.0, False), ("dr", m, True)):
        mu = (d * (y - mm)).sum() / n_t
        if_mu = d * (y - mm - mu)
        if with_beta:
            if_mu = if_mu - b_mu
        if_mu = if_mu / p
        if key == "ra":
            infl = if_mu
        else:
            eta = (wc * (y - mm)).sum() / s_w
            wr = wc * (y - mm - eta)
            if_eta = wr + s_g @ np.linalg.solve(h_g, wr @ X / n)
            if with_beta:
                if_eta = if_eta - b_eta
            infl = if_mu - if_eta / s_w_mean
        est = float(point[key])
        se = float(np.sqrt(np.sum(infl**2)) / n)
        rows.append({"estimator": key, "estimate": est, "se": se, "ci_low": est - z * se,
                     "ci_high": est + z * se, "p": float(2 * special.ndtr(-abs(est / se))),
                     "method": METHODS[key]})  # fmt: skip
    return rows


def propensity_fit(X: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Coefficients of the propensity logit of ``att`` (``logit_fit(X, d)``, one unweighted fit).

    >>> X = np.column_stack([np.ones(6), [0, 1, 2, 3, 4, 5.0]])
    >>> propensity_fit(X, np.array([0, 0, 1, 0, 1, 1.0])).round(3).tolist()
    [-3.035, 1.214]
    """
    return _logit_newton(np.asarray(X, float), np.asarray(d, float))


def outcome_fit(X: np.ndarray, y: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Coefficients of the logit outcome model of ``att``: ``y`` on ``X`` among ``d == 0``.

    >>> X = np.column_stack([np.ones(8), [0, 1, 2, 3, 4, 5, 9, 9.0]])
    >>> y, d = np.array([0, 0, 1, 0, 1, 1, 1, 1.0]), np.array([0, 0, 0, 0, 0, 0, 1, 1.0])
    >>> outcome_fit(X, y, d).round(3).tolist()
    [-3.035, 1.214]
    """
    control = np.asarray(d, float) == 0
    return _logit_newton(np.asarray(X, float)[control], np.asarray(y, float)[control])


def _logit_newton(X: np.ndarray, y: np.ndarray, max_iter: int = 100) -> np.ndarray:
    """``logit_fit(X, y)`` for one unweighted fit (same start, steps and stopping rule), without
    the batch dimension; the linear predictor of each step is reused for the next."""
    k = X.shape[1]
    ybar = min(max(float(y.mean()), 1e-6), 1 - 1e-6)
    beta = np.zeros(k)
    beta[0] = math.log(ybar / (1 - ybar))
    ridge = 1e-10 * np.eye(k)
    eta = X @ beta
    dev = 2 * float(np.sum(np.logaddexp(0, eta) - y * eta))
    for _ in range(max_iter):
        p = expit(eta)
        hess = (X.T * (p * (1 - p))) @ X + ridge
        beta = beta + np.linalg.solve(hess, (y - p) @ X)
        eta = X @ beta
        new = 2 * float(np.sum(np.logaddexp(0, eta) - y * eta))
        if abs(new - dev) < 1e-10 * (abs(new) + 0.1):
            return beta
        dev = new
    raise FloatingPointError("logit did not converge")


def att(
    y: np.ndarray,
    d: np.ndarray,
    X: np.ndarray,
    *,
    outcome_model: OutcomeModel = "logit",
    inference: Literal["analytic", "bootstrap"] = "analytic",
    n_bootstrap: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
    chunk: int = 250,
) -> pd.DataFrame:
    """RA, IPW and doubly robust ATT of a 0/1 treatment ``d`` on outcome ``y`` (same units as y).

    ``X`` is the design of both models (intercept first, e.g. ``att_design``). Returns one row
    per estimator: ``estimator`` (``ra``, ``ipw``, ``dr``), ``estimate, se, ci_low, ci_high, p``
    (normal reference; the bootstrap gives a percentile interval and ``se`` = SD of the
    resampled estimates), ``n``, ``method`` (``METHODS``) and ``inference``.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=400); d = (rng.random(400) < 1 / (1 + np.exp(-x))).astype(float)
    >>> y = (rng.random(400) < 0.3 + 0.1 * d).astype(float)
    >>> att(y, d, np.column_stack([np.ones(400), x]))["method"].tolist()
    ['ATT (regression adjustment)', 'ATT (IPW)', 'ATT (doubly robust)']
    """
    y, d, X = _checked(y, d, X, outcome_model)
    n = len(y)
    gamma, beta, point = _point(y, d, X, outcome_model)
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    if inference == "analytic":
        rows = _analytic_rows(y, d, X, gamma, beta, point, outcome_model, z)
        label = "analytic (influence function)"
    elif inference == "bootstrap":
        draws = {k: [] for k in point}
        rng = np.random.default_rng(seed)
        idx_t, idx_c = np.flatnonzero(d == 1), np.flatnonzero(d == 0)
        for start in range(0, n_bootstrap, chunk):
            b = min(chunk, n_bootstrap - start)
            f = np.zeros((b, n))
            f[:, idx_t] = rng.multinomial(len(idx_t), np.full(len(idx_t), 1 / len(idx_t)), b)
            f[:, idx_c] = rng.multinomial(len(idx_c), np.full(len(idx_c), 1 / len(idx_c)), b)
            g_b = logit_fit(X, d, f)
            b_b = _fit_outcome(X, y, d, outcome_model, f)
            for k, v in _estimates(y, d, X, g_b, b_b, outcome_model, f).items():
                draws[k].append(v)
        failed = 0
        for key, est in point.items():
            v = np.concatenate(draws[key])
            failed = max(failed, int((~np.isfinite(v)).sum()))
            v = v[np.isfinite(v)]
            rows.append({"estimator": key, "estimate": est, "se": float(v.std(ddof=1)),
                         "ci_low": float(np.quantile(v, alpha / 2)),
                         "ci_high": float(np.quantile(v, 1 - alpha / 2))})  # fmt: skip
        label = f"bootstrap ({n_bootstrap} resamples, percentile)"
        if failed:
            label += f"; {failed} resamples without a converged fit left out"
    else:
        raise ValueError(f"unknown inference {inference!r}; allowed: analytic, bootstrap")
    out = pd.DataFrame(rows)
    out["p"] = 2 * stats.norm.sf(np.abs(out["estimate"] / out["se"]))
    return out.assign(n=n, method=out["estimator"].map(METHODS), inference=label)


def att_contrasts(
    frame: pd.DataFrame,
    outcome: str,
    *,
    contrasts: tuple[str, ...] = CONTRASTS,
    outcome_model: OutcomeModel = "logit",
    inference: Literal["analytic", "bootstrap"] = "bootstrap",
    n_bootstrap: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
    scale: str = "pp",
) -> pd.DataFrame:
    """ATT rows (RA, IPW, doubly robust) of participants, or of one arm, vs non-participants.

    ``frame``: one row per person with ``participant`` (0/1), ``arm`` (participants), the
    outcome (0/1 for ``scale="pp"``: estimates in percentage points) and the registry
    covariates (``registry_design``). Each contrast has its own propensity and outcome model.
    Returns ``outcome, contrast, estimate, se, ci_low, ci_high, p, n, method, scale,
    inference``.

    >>> att_contrasts(analysis_frame, "outflow_full", n_bootstrap=2000, seed=1)  # doctest: +SKIP
    """
    part = frame["participant"].astype(int).to_numpy() == 1
    arm = frame["arm"].astype(object).to_numpy() if "arm" in frame else np.full(len(frame), None)
    mult = 100.0 if scale == "pp" else 1.0
    parts = []
    for i, contrast in enumerate(contrasts):
        group = contrast.split(" vs ")[0]
        treated = part if group == "participants" else part & (arm == group)
        sub = frame[treated | ~part].dropna(subset=[outcome])
        if treated.sum() < 5:
            continue
        d = (sub["participant"].astype(int).to_numpy() == 1).astype(float)
        out = att(sub[outcome].astype(float).to_numpy(), d, att_design(sub),
                  outcome_model=outcome_model, inference=inference, n_bootstrap=n_bootstrap,
                  seed=seed + i, alpha=alpha)  # fmt: skip
        for col in ("estimate", "se", "ci_low", "ci_high"):
            out[col] = out[col] * mult
        parts.append(out.assign(outcome=outcome, contrast=contrast, scale=scale))
    cols = ["outcome", "contrast", "estimate", "se", "ci_low", "ci_high", "p", "n", "method",
            "scale", "inference"]  # fmt: skip
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
