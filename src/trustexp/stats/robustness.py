"""Robustness of the primary estimates: randomisation inference, attrition, power.

* ``lottery_redraws`` + ``permutation_contrasts``: re-draw the lottery many times and recompute
  each arm's coefficient (difference in means, or ANCOVA) for all re-draws at once with a few
  matrix products (Fisher's randomisation test of the sharp null of no effect for anyone).
* ``lee_bounds`` / ``lee_bounds_ci``: Lee (2009) bounds on an arm effect under differential
  questionnaire non-response.
* ``response_weights`` / ``ipw_ancova``: inverse-probability-of-response weighted ANCOVA.
* ``mde_table`` / ``power_verdicts``: minimum detectable effects at the achieved n, set against
  the estimates of the results store.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from trustexp.stats.power import mde
from trustexp.stats.survey import baseline_sd, long_outcome, paired_wave, value_scale
from trustexp.vocab import ARMS, CONTROL, ESTIMATE_COLUMNS, TREATED

POWER = 0.8
"""Power at which minimum detectable effects are computed."""


# --------------------------------------------------------------------------------------------
# Randomisation inference
# --------------------------------------------------------------------------------------------


def lottery_redraws(arms: Sequence[str], n_permutations: int, seed: int) -> np.ndarray:
    """``n_permutations`` re-draws of the lottery: each row a random permutation of ``arms``.

    Row ``b`` gives every randomised person the arm the ``b``-th re-draw would have given them
    (the group sizes stay those of the real lottery), coded as the index of the arm in the
    sorted distinct labels ``np.unique(arms)``. Returns a small-integer array (B, n).

    >>> lottery_redraws(["a", "b", "b"], 2, seed=1).shape
    (2, 3)
    """
    labels = np.asarray(arms).astype(str)
    codes = np.searchsorted(np.unique(labels), labels).astype(np.int8)
    rng = np.random.default_rng(seed)
    return rng.permuted(np.tile(codes, (n_permutations, 1)), axis=1)


def _arm_coefficients(
    y_res: np.ndarray, q: np.ndarray, labels: np.ndarray, treated: Sequence[int]
) -> np.ndarray:
    """OLS coefficients of the arm dummies for every row of ``labels`` (B, n), shape (B, m).

    ``labels`` holds arm codes, ``treated`` the codes of the arms whose dummies enter the model.

    With ``Q`` an orthonormal basis of the covariates (intercept included) and ``y_res`` the
    outcome residualised on them, the Frisch–Waugh–Lovell theorem gives the coefficients of the
    dummies ``D`` as ``solve(D'D - (Q'D)'(Q'D), D'y_res)``: per re-draw an m x m system whose
    entries are all matrix products over the B re-draws at once.
    """
    dummies = [(labels == arm).astype(float) for arm in treated]  # m arrays (B, n)
    qd = [d @ q for d in dummies]  # (B, k)
    m, b = len(treated), labels.shape[0]
    gram = np.empty((b, m, m))
    for i in range(m):
        for j in range(m):
            cross = dummies[i].sum(axis=1) if i == j else np.zeros(b)  # dummies are disjoint
            gram[:, i, j] = cross - np.einsum("bk,bk->b", qd[i], qd[j])
    rhs = np.stack([d @ y_res for d in dummies], axis=1)  # (B, m)
    out = np.full((b, m), np.nan)
    det_ok = np.abs(np.linalg.det(gram)) > 1e-9
    if det_ok.any():
        out[det_ok] = np.linalg.solve(gram[det_ok], rhs[det_ok][..., None])[..., 0]
    return out


def permutation_contrasts(
    y: Sequence[float],
    arms: Sequence[str],
    redraws: np.ndarray,
    covariates: np.ndarray | pd.DataFrame | None = None,
    treated: Sequence[str] = TREATED,
    control: str = CONTROL,
) -> pd.DataFrame:
    """Randomisation-test p-values of each arm vs control, all re-draws in one pass.

    Parameters
    ----------
    y: outcome of every randomised person (NaN for people outside the analysis sample, e.g.
        non-respondents; under the sharp null their absence does not depend on the arm).
    arms: the arm each person actually drew.
    redraws: ``lottery_redraws(arms, B, seed)`` (B, n).
    covariates: columns the model adjusts for (e.g. the wave-0 score for ANCOVA); none gives the
        difference in means.

    Every arm other than ``treated`` is the reference (here: ``control``). Returns ``contrast,
    estimate, p, n, n_permutations``: the observed coefficient (equal to the OLS coefficient of
    ``y ~ arm + covariates`` with ``control`` as reference) and the two-sided
    p-value ``(1 + #{|b| >= |observed|}) / (1 + B)``.

    >>> redraws = lottery_redraws(arms, 10_000, seed=1)  # doctest: +SKIP
    >>> permutation_contrasts(y2, arms, redraws, covariates=y0)  # doctest: +SKIP
    """
    y = np.asarray(y, dtype=float)
    arms = np.asarray(arms).astype(str)
    uniques = np.unique(arms)
    codes = np.searchsorted(uniques, arms)
    t_codes = [int(np.searchsorted(uniques, a)) if a in uniques else -1 for a in treated]
    x = np.ones((len(y), 1))
    if covariates is not None:
        cov = np.asarray(covariates, dtype=float).reshape(len(y), -1)
        x = np.column_stack([x, cov])
    ok = np.isfinite(y) & np.isfinite(x).all(axis=1)
    y, x, obs, draws = y[ok], x[ok], arms[ok], redraws[:, ok]
    q, _ = np.linalg.qr(x)
    y_res = y - q @ (q.T @ y)
    observed = _arm_coefficients(y_res, q, codes[ok][None, :], t_codes)[0]
    perm = _arm_coefficients(y_res, q, draws, t_codes)
    rows = []
    for i, arm in enumerate(treated):
        b = perm[:, i]
        b = b[np.isfinite(b)]
        extreme = np.abs(b) >= np.abs(observed[i]) - 1e-12
        n = int(np.isin(obs, [arm, control]).sum())
        rows.append(
            dict(
                contrast=f"{arm} vs {control}",
                estimate=float(observed[i]),
                p=float((1 + extreme.sum()) / (1 + len(b))),
                n=n,
                n_permutations=len(b),
            )
        )
    return pd.DataFrame(rows)


def permutation_naive(
    y: Sequence[float],
    arms: Sequence[str],
    redraws: np.ndarray,
    covariates: np.ndarray | None = None,
    treated: Sequence[str] = TREATED,
) -> np.ndarray:
    """The same coefficients as ``permutation_contrasts`` by one least-squares fit per re-draw.

    A slow reference for the benchmark and the tests; returns the (B, m) coefficients.
    """
    y = np.asarray(y, dtype=float)
    base = np.ones((len(y), 1))
    if covariates is not None:
        base = np.column_stack([base, np.asarray(covariates, dtype=float).reshape(len(y), -1)])
    ok = np.isfinite(y) & np.isfinite(base).all(axis=1)
    uniques = np.unique(np.asarray(arms).astype(str))
    t_codes = [int(np.searchsorted(uniques, a)) for a in treated]
    out = np.empty((redraws.shape[0], len(treated)))
    for b in range(redraws.shape[0]):
        d = np.column_stack([(redraws[b] == c).astype(float) for c in t_codes])
        coef = np.linalg.lstsq(np.column_stack([d, base])[ok], y[ok], rcond=None)[0]
        out[b] = coef[: len(treated)]
    return out


# --------------------------------------------------------------------------------------------
# Attrition: Lee bounds and inverse-probability-of-response weighting
# --------------------------------------------------------------------------------------------


def _trimmed_mean(sorted_y: np.ndarray, keep: float, top: bool) -> float:
    """Mean of the lowest (``top=False``) or highest ``keep`` values; fractional at the edge."""
    m = len(sorted_y)
    if m == 0 or keep <= 0:
        return math.nan
    w = np.clip(keep - np.arange(m), 0.0, 1.0)
    vals = sorted_y[::-1] if top else sorted_y
    return float((w * vals).sum() / w.sum())


def lee_bounds(y1: Sequence[float], n1: int, y0: Sequence[float], n0: int) -> dict[str, float]:
    """Lee (2009) sharp bounds on the effect for people who would respond in either arm.

    ``y1``/``y0``: outcomes of the respondents of the treated and control arm; ``n1``/``n0``:
    people randomised to each arm (respondents and non-respondents). The arm with the higher
    response rate has its respondents trimmed by the share ``q = 1 - r_low / r_high`` from the top
    (lower bound) or the bottom (upper bound); ties at the cut are split fractionally. Written by
    hand: statsmodels, scipy and pingouin have no Lee bounds.

    Returns ``lower, upper, trim_share, trimmed`` (``"treated"``/``"control"``), response rates
    ``r1, r0``.

    >>> lee_bounds([1, 2, 3, 4], 4, [1, 2], 4)["lower"]
    0.0
    """
    y1 = np.sort(np.asarray(y1, dtype=float))
    y0 = np.sort(np.asarray(y0, dtype=float))
    m1, m0 = len(y1), len(y0)
    nan = dict(
        lower=math.nan, upper=math.nan, trim_share=math.nan, trimmed="", r1=math.nan, r0=math.nan
    )
    if n1 <= 0 or n0 <= 0 or m1 == 0 or m0 == 0:
        return nan
    r1, r0 = m1 / n1, m0 / n0
    if r1 >= r0:
        q = 1 - r0 / r1
        keep = (1 - q) * m1
        lower = _trimmed_mean(y1, keep, top=False) - y0.mean()
        upper = _trimmed_mean(y1, keep, top=True) - y0.mean()
        trimmed = "treated"
    else:
        q = 1 - r1 / r0
        keep = (1 - q) * m0
        lower = y1.mean() - _trimmed_mean(y0, keep, top=True)
        upper = y1.mean() - _trimmed_mean(y0, keep, top=False)
        trimmed = "control"
    return dict(lower=lower, upper=upper, trim_share=q, trimmed=trimmed, r1=r1, r0=r0)


def lee_bounds_ci(
    y1: Sequence[float],
    n1: int,
    y0: Sequence[float],
    n0: int,
    n_bootstrap: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
) -> dict[str, float]:
    """``lee_bounds`` plus a percentile-bootstrap CI for the identified set.

    People are resampled within each arm (respondents and non-respondents alike, so response
    rates vary across resamples); the interval runs from the ``alpha/2`` quantile of the lower
    bound to the ``1 - alpha/2`` quantile of the upper bound. Adds ``ci_low, ci_high``.
    """
    out = lee_bounds(y1, n1, y0, n0)
    if not np.isfinite(out["lower"]):
        return {**out, "ci_low": math.nan, "ci_high": math.nan}
    rng = np.random.default_rng(seed)
    a1 = np.concatenate([np.asarray(y1, float), np.full(n1 - len(y1), np.nan)])
    a0 = np.concatenate([np.asarray(y0, float), np.full(n0 - len(y0), np.nan)])
    s1 = a1[rng.integers(0, n1, (n_bootstrap, n1))]
    s0 = a0[rng.integers(0, n0, (n_bootstrap, n0))]
    lows, highs = np.empty(n_bootstrap), np.empty(n_bootstrap)
    for b in range(n_bootstrap):
        r = lee_bounds(s1[b][np.isfinite(s1[b])], n1, s0[b][np.isfinite(s0[b])], n0)
        lows[b], highs[b] = r["lower"], r["upper"]
    return {
        **out,
        "ci_low": float(np.nanquantile(lows, alpha / 2)),
        "ci_high": float(np.nanquantile(highs, 1 - alpha / 2)),
    }


RESPONSE_COVARIATES = (
    "age + C(sex) + C(household) + migration_background + benefit_years + C(education) + C(arm)"
)
"""Baseline covariates of the response model (registry and lottery; known for everyone)."""


def response_frame(
    population: pd.DataFrame, participants: pd.DataFrame, responded_ids: Sequence[str]
) -> pd.DataFrame:
    """One row per participant: baseline covariates, ``arm`` and ``responded`` (0/1)."""
    frame = participants[["person_id", "arm", "education"]].merge(
        population[
            ["person_id", "age", "sex", "household", "migration_background", "benefit_months"]
        ],
        on="person_id",
        how="left",
    )
    frame = frame.assign(
        person_id=frame["person_id"].astype(str),
        arm=frame["arm"].astype(str),
        education=frame["education"].astype(str),
        sex=frame["sex"].astype(str),
        household=frame["household"].astype(str),
        migration_background=frame["migration_background"].astype(bool).astype(int),
        benefit_years=frame["benefit_months"].astype(float) / 12.0,
        age=frame["age"].astype(float),
    )
    frame["responded"] = frame["person_id"].isin(set(map(str, responded_ids))).astype(int)
    return frame.drop(columns="benefit_months")


def response_weights(frame: pd.DataFrame, formula: str = RESPONSE_COVARIATES) -> pd.Series:
    """Inverse probability of response, ``1 / p``, from a logistic model on baseline covariates.

    ``frame`` comes from ``response_frame``; ``p`` is from a statsmodels logit of ``responded``
    on ``formula`` (probabilities floored at 0.05 so no one weighs more than 20). Returns the
    weights of all rows (meaningful for respondents), indexed like ``frame``.

    >>> response_weights(response_frame(pop, part, ids))  # doctest: +SKIP
    """

    fit = smf.logit(f"responded ~ {formula}", data=frame).fit(disp=False, maxiter=200)
    p = np.clip(fit.predict(frame), 0.05, 1.0)
    return pd.Series(1.0 / p, index=frame.index, name="weight")


def ipw_ancova(
    paired: pd.DataFrame, weights: pd.Series, alpha: float = 0.05, scale: str = "points"
) -> pd.DataFrame:
    """ANCOVA of the wave-2 score weighted by inverse probability of response (WLS, HC1 SEs).

    ``paired`` holds ``person_id, arm, y0, y`` (``survey.paired_wave``); ``weights`` maps
    ``person_id`` to ``1/p``. Returns store-shaped rows ``<arm> vs regulier`` (method
    ``IPW ANCOVA``).
    """

    data = paired.assign(w=paired["person_id"].astype(str).map(weights)).dropna(subset=["w"])
    counts = data["arm"].value_counts()
    arms = [a for a in TREATED if counts.get(a, 0) >= 2]
    if counts.get(CONTROL, 0) < 2 or not arms:
        return pd.DataFrame(columns=list(ESTIMATE_COLUMNS))
    data = data[data["arm"].isin([*arms, CONTROL])]
    fit = smf.wls(f"y ~ C(arm, Treatment('{CONTROL}')) + y0", data=data, weights=data["w"]).fit(
        cov_type="HC1"
    )
    ci = fit.conf_int(alpha=alpha)
    rows = []
    for arm in arms:
        term = f"C(arm, Treatment('{CONTROL}'))[T.{arm}]"
        rows.append(
            dict(contrast=f"{arm} vs {CONTROL}", estimate=float(fit.params[term]),
                 ci_low=float(ci.loc[term, 0]), ci_high=float(ci.loc[term, 1]),
                 p=float(fit.pvalues[term]), n=int(counts[arm] + counts[CONTROL]),
                 method="IPW ANCOVA", scale=scale)
        )  # fmt: skip
    return pd.DataFrame(rows)


def weight_summary(weights: pd.Series) -> dict[str, float]:
    """Spread of the weights of respondents: min, max and Kish's effective sample size."""
    w = weights.dropna().to_numpy(float)
    return dict(
        min=float(w.min()), max=float(w.max()), n=len(w), ess=float(w.sum() ** 2 / (w**2).sum())
    )


# --------------------------------------------------------------------------------------------
# Power
# --------------------------------------------------------------------------------------------


def mde_table(
    survey: pd.DataFrame,
    participants: pd.DataFrame,
    outflow: pd.DataFrame | None,
    items: Sequence[str],
    alpha: float = 0.05,
    power: float = POWER,
    sources: dict[str, tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """Minimum detectable effect of each arm vs control per outcome and wave (``power.mde``).

    ``sources`` maps an outcome to its survey ``(column, respondent)`` (``vocab.survey_source``;
    by default the outcome's own column as the participant answered it).

    Questionnaire items: at waves 1 and 2, n = people of each arm who answered at wave 0 and at
    that wave, SD = baseline SD, ``r`` = correlation of the wave-0 and wave-``w`` answers (ANCOVA).
    ``outflow``: one row per participant with ``arm`` and 0/1 outflow columns (no attrition; SD
    of a 0/100 variable at the participants' share). Returns ``outcome, wave, contrast, n1, n2,
    sd, r, mde_d, mde, scale``.
    """

    rows = []
    sources = sources or {}
    if outflow is not None:
        for outcome in ("outflow_full", "outflow_any"):
            if outcome not in outflow:
                continue
            share = float(outflow[outcome].mean())
            sd = 100 * math.sqrt(share * (1 - share))
            counts = outflow["arm"].value_counts()
            for arm in TREATED:
                n1, n2 = int(counts.get(arm, 0)), int(counts.get(CONTROL, 0))
                res = mde(sd, n1, n2, alpha=alpha, power=power)
                rows.append(dict(outcome=outcome, wave="registry", contrast=f"{arm} vs {CONTROL}",
                                 n1=n1, n2=n2, sd=sd, r=0.0, mde_d=res.d, mde=res.points, scale="pp"))  # fmt: skip
    for item in items:
        column, respondent = sources.get(item, (item, "participant"))
        long = long_outcome(survey, participants, column, respondent)
        sd = baseline_sd(long)
        for wave in (1, 2):
            data = paired_wave(long, wave)
            r = float(data["y0"].corr(data["y"])) if len(data) > 2 else 0.0
            r = 0.0 if not np.isfinite(r) else max(min(r, 0.99), -0.99)
            counts = data["arm"].value_counts()
            for arm in TREATED:
                n1, n2 = int(counts.get(arm, 0)), int(counts.get(CONTROL, 0))
                res = mde(sd, n1, n2, alpha=alpha, power=power, r=r)
                rows.append(dict(outcome=item, wave=f"wave {wave}", contrast=f"{arm} vs {CONTROL}",
                                 n1=n1, n2=n2, sd=sd, r=r, mde_d=res.d, mde=res.points,
                                 scale=value_scale(item)))  # fmt: skip
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# The chapter's analyses of the primary outcomes (one call each from the notebook)
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Display tables (formatted by trustexp.fmt)
# --------------------------------------------------------------------------------------------


def sample_sizes(participants: pd.DataFrame, survey: pd.DataFrame) -> dict[str, dict[str, int]]:
    """People per arm: randomised, and answering their own questionnaire at wave 0 and wave 1 / 2."""

    long = long_outcome(survey, participants, "wellbeing")
    arm = participants["arm"].astype(str)
    out = {"randomised": {a: int((arm == a).sum()) for a in ARMS}}
    for wave in (1, 2):
        counts = paired_wave(long, wave)["arm"].value_counts()
        out[f"wave {wave}"] = {a: int(counts.get(a, 0)) for a in ARMS}
    return out


# --------------------------------------------------------------------------------------------
# Attrition on the baseline-adjusted scale: Lee bounds on y - b*y0, response weights whose model
# includes the baseline outcome
# --------------------------------------------------------------------------------------------

LEE_ADJUSTED = "Lee bounds (baseline-adjusted)"


def ancova_slope(paired: pd.DataFrame) -> float:
    """Pooled within-arm slope ``b`` of the wave-2 score on the wave-0 score (OLS with arm dummies).

    ``paired``: ``arm, y0, y`` (``survey.paired_wave``).
    """
    arms = pd.get_dummies(paired["arm"].astype(str), drop_first=True, dtype=float)
    X = np.column_stack([np.ones(len(paired)), arms.to_numpy(), paired["y0"].to_numpy(float)])
    coef = np.linalg.lstsq(X, paired["y"].to_numpy(float), rcond=None)[0]
    return float(coef[-1])


def lee_bounds_adjusted(
    long: pd.DataFrame,
    n_bootstrap: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
    scale: str = "points",
    slope: float | None = None,
) -> pd.DataFrame:
    """Lee bounds on the arm effects for the baseline-adjusted wave-2 score ``y - b * y0``.

    The bounds of ``lee_bounds_ci`` applied to the residualised score of the people who answered
    at wave 0, with ``n`` per arm = those wave-0 respondents and response = answering at wave 2.
    Because ``y0`` is measured before the lottery, its distribution is the same in both arms of
    the always-responders, so the bounds are bounds on the effect on ``y`` itself - narrower than
    on the raw score when ``y0`` predicts ``y``. ``b`` is ``ancova_slope`` of the respondents
    (or ``slope``), held fixed in the bootstrap. ``long``: ``survey.long_outcome``. Returns one
    row per experimental arm: ``contrast, estimate`` (lower bound), ``upper, ci_low, ci_high, p``
    (NaN), ``n, method, scale, trim_share, trimmed, slope``.

    >>> lee_bounds_adjusted(long_outcome(survey, participants, "wellbeing"))  # doctest: +SKIP
    """

    base = long[long["wave"] == 0].drop_duplicates("person_id")
    n_base = base["arm"].astype(str).value_counts()
    paired = paired_wave(long, 2)
    b = ancova_slope(paired) if slope is None else float(slope)
    resid = paired.assign(r=paired["y"] - b * paired["y0"])
    rows = []
    for i, arm in enumerate(TREATED):
        r1 = resid.loc[resid["arm"] == arm, "r"].to_numpy()
        r0 = resid.loc[resid["arm"] == CONTROL, "r"].to_numpy()
        lb = lee_bounds_ci(r1, int(n_base.get(arm, 0)), r0, int(n_base.get(CONTROL, 0)),
                           n_bootstrap, seed + i, alpha)  # fmt: skip
        rows.append(dict(contrast=f"{arm} vs {CONTROL}", estimate=lb["lower"], upper=lb["upper"],
                         ci_low=lb["ci_low"], ci_high=lb["ci_high"], p=math.nan,
                         n=len(r1) + len(r0), method=LEE_ADJUSTED, scale=scale,
                         trim_share=lb["trim_share"], trimmed=lb["trimmed"], slope=b))  # fmt: skip
    return pd.DataFrame(rows)


def response_weights_with_baseline(
    frame: pd.DataFrame, baseline: pd.Series, formula: str = RESPONSE_COVARIATES
) -> pd.Series:
    """Inverse probability of response from a model that includes the baseline outcome.

    ``frame``: ``response_frame``; ``baseline``: the wave-0 score per ``person_id`` (NaN or
    absent for people without one: they get the mean and a missing indicator). The logit of
    ``responded`` on ``formula + y0 (+ y0_missing)`` gives ``p``, floored at 0.05 as in
    ``response_weights``. Returns ``1 / p`` indexed like ``frame``.

    >>> response_weights_with_baseline(response_frame(pop, part, ids), y0_by_person)  # doctest: +SKIP
    """

    y0 = frame["person_id"].astype(str).map(baseline.rename(index=str)).astype(float)
    missing = y0.isna()
    data = frame.assign(y0=y0.fillna(y0.mean()), y0_missing=missing.astype(int))
    terms = f"{formula} + y0" + (" + y0_missing" if missing.any() and not missing.all() else "")
    fit = smf.logit(f"responded ~ {terms}", data=data).fit(disp=False, maxiter=200)
    p = np.clip(fit.predict(data), 0.05, 1.0)
    return pd.Series(1.0 / p, index=frame.index, name="weight")
