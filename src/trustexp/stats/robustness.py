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

from trustexp.report.store import ESTIMATE_COLUMNS

POWER = 0.8
"""Power at which minimum detectable effects are computed."""
ARMS = ("eigen_regie", "intensief", "regulier")
CONTROL = "regulier"
TREATED = ("eigen_regie", "intensief")


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
    import statsmodels.formula.api as smf

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
    import statsmodels.formula.api as smf

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
) -> pd.DataFrame:
    """Minimum detectable effect of each arm vs control per outcome and wave (``power.mde``).

    Questionnaire items: at waves 1 and 2, n = people of each arm who answered at wave 0 and at
    that wave, SD = baseline SD, ``r`` = correlation of the wave-0 and wave-``w`` answers (ANCOVA).
    ``outflow``: one row per participant with ``arm`` and 0/1 outflow columns (no attrition; SD
    of a 0/100 variable at the participants' share). Returns ``outcome, wave, contrast, n1, n2,
    sd, r, mde_d, mde, scale``.
    """
    from trustexp.stats.power import mde
    from trustexp.stats.survey import baseline_sd, long_outcome, paired_wave, value_scale

    rows = []
    respondent = {"ladder": "consultant"}  # the ladder is the consultant's rating (codebook)
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
        long = long_outcome(survey, participants, item, respondent.get(item, "participant"))
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


def power_verdicts(mdes: pd.DataFrame, store: pd.DataFrame, sesoi_d: float) -> pd.DataFrame:
    """Set each arm contrast's estimate (results store) against its MDE and the smallest effect
    of interest.

    Uses the store's ``risk difference`` (outflow) and ``ANCOVA`` (questionnaire, wave 2) rows.
    ``verdict``: ``effect detected`` (CI excludes 0), ``informative null`` (CI inside
    +/- ``sesoi_d`` SDs: effects that would matter are ruled out) or ``inconclusive`` (neither).
    """
    final = mdes[mdes["wave"].isin(["registry", "wave 2"])]
    rows = []
    for r in final.itertuples():
        method = "risk difference" if r.wave == "registry" else "ANCOVA"
        hit = store[(store["outcome"] == r.outcome) & (store["contrast"] == r.contrast)
                    & (store["method"] == method)]  # fmt: skip
        if hit.empty:
            continue
        e = hit.iloc[0]
        sesoi = sesoi_d * r.sd
        if e["ci_low"] > 0 or e["ci_high"] < 0:
            verdict = "effect detected"
        elif e["ci_low"] > -sesoi and e["ci_high"] < sesoi:
            verdict = "informative null"
        else:
            verdict = "inconclusive"
        rows.append(dict(outcome=r.outcome, contrast=r.contrast, method=method, scale=r.scale,
                         estimate=e["estimate"], ci_low=e["ci_low"], ci_high=e["ci_high"], p=e["p"],
                         n=r.n1 + r.n2, sd=r.sd, mde=r.mde, mde_d=r.mde_d, sesoi=sesoi,
                         powered=r.mde_d <= sesoi_d, verdict=verdict))  # fmt: skip
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# The chapter's analyses of the primary outcomes (one call each from the notebook)
# --------------------------------------------------------------------------------------------

PRIMARY_SURVEY = ("wellbeing",)
"""Primary questionnaire outcomes (the registry outcome ``outflow_full`` has no attrition)."""


def participant_outflow(cohort, participants: pd.DataFrame, window_months: int) -> pd.DataFrame:
    """One row per participant: ``person_id, arm, consultant_id, outflow_full, outflow_any`` (0/1)."""
    from trustexp.data.outcomes import cohort_outflow_flags

    part = participants[["person_id", "arm", "consultant_id"]].astype(
        {"person_id": str, "arm": str, "consultant_id": str}
    )
    pop = cohort.population[cohort.population["person_id"].astype(str).isin(set(part["person_id"]))]
    flags = cohort_outflow_flags(cohort, window_months, pop).astype({"person_id": str})
    out = part.merge(flags, on="person_id", how="left")
    for col in ("outflow_full", "outflow_any"):
        out[col] = out[col].fillna(False).astype(int)
    return out


def primary_permutations(
    outflow: pd.DataFrame,
    survey: pd.DataFrame,
    participants: pd.DataFrame,
    store: pd.DataFrame,
    n_permutations: int,
    seed: int,
) -> pd.DataFrame:
    """Permutation p-values of the primary contrasts beside the chapters' model p-values.

    One set of lottery re-draws (seeded) serves every outcome: outflow to full-time work
    (difference in shares, pp) and each ``PRIMARY_SURVEY`` outcome (ANCOVA on the wave-0 score,
    people who answered at waves 0 and 2). Returns ``outcome, contrast, estimate, p, n,
    n_permutations, scale, model_method, model_estimate, model_p``.
    """
    from trustexp.stats.survey import long_outcome, paired_wave, value_scale

    people = participants[["person_id", "arm"]].astype(str).reset_index(drop=True)
    redraws = lottery_redraws(people["arm"].to_numpy(), n_permutations, seed)
    parts = []
    y = people.merge(outflow[["person_id", "outflow_full"]], on="person_id", how="left")[
        "outflow_full"
    ]
    res = permutation_contrasts(100.0 * y.astype(float).to_numpy(), people["arm"], redraws)
    parts.append(res.assign(outcome="outflow_full", scale="pp", model_method="risk difference"))
    for item in PRIMARY_SURVEY:
        paired = paired_wave(long_outcome(survey, participants, item), 2)
        aligned = people.merge(paired[["person_id", "y0", "y"]], on="person_id", how="left")
        res = permutation_contrasts(aligned["y"].to_numpy(), people["arm"], redraws,
                                    covariates=aligned["y0"].to_numpy())  # fmt: skip
        parts.append(res.assign(outcome=item, scale=value_scale(item), model_method="ANCOVA"))
    out = pd.concat(parts, ignore_index=True)
    model = store[["outcome", "contrast", "method", "estimate", "p"]].rename(
        columns={"method": "model_method", "estimate": "model_estimate", "p": "model_p"}
    )
    return out.merge(model, on=["outcome", "contrast", "model_method"], how="left")


def attrition_sensitivity(
    population: pd.DataFrame,
    participants: pd.DataFrame,
    survey: pd.DataFrame,
    store: pd.DataFrame,
    n_bootstrap: int,
    seed: int,
    alpha: float = 0.05,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Complete-case ANCOVA (store), response-weighted ANCOVA and Lee bounds per primary
    questionnaire outcome and arm contrast.

    Returns the rows (``outcome, contrast, method, estimate, upper, ci_low, ci_high, p, n,
    scale, trim_share``; for ``Lee bounds`` ``estimate``/``upper`` are the bounds on the
    wave-2 score difference) and the weights' summary of the first outcome.
    """
    from trustexp.stats.survey import long_outcome, paired_wave, value_scale

    rows, wsum = [], {}
    n_arm = participants["arm"].astype(str).value_counts()
    for item in PRIMARY_SURVEY:
        scale = value_scale(item)
        long = long_outcome(survey, participants, item)
        paired = paired_wave(long, 2)
        cc = store[(store["outcome"] == item) & (store["method"] == "ANCOVA")]
        for r in cc.itertuples():
            rows.append(dict(outcome=item, contrast=r.contrast, method="ANCOVA", estimate=r.estimate,
                             ci_low=r.ci_low, ci_high=r.ci_high, p=r.p, n=r.n, scale=scale))  # fmt: skip
        frame = response_frame(population, participants, paired["person_id"])
        weights = response_weights(frame)
        resp = frame["responded"] == 1
        w = pd.Series(weights[resp].to_numpy(), index=frame.loc[resp, "person_id"])
        wsum = wsum or weight_summary(w)
        for r in ipw_ancova(paired, w, alpha, scale).to_dict("records"):
            rows.append(dict(outcome=item, **r))
        w2 = long[long["wave"] == 2]
        for i, arm in enumerate(TREATED):
            y1 = w2.loc[w2["arm"] == arm, "value"].to_numpy()
            y0 = w2.loc[w2["arm"] == CONTROL, "value"].to_numpy()
            lb = lee_bounds_ci(y1, int(n_arm.get(arm, 0)), y0, int(n_arm.get(CONTROL, 0)),
                               n_bootstrap, seed + i, alpha)  # fmt: skip
            rows.append(dict(outcome=item, contrast=f"{arm} vs {CONTROL}", method="Lee bounds",
                             estimate=lb["lower"], upper=lb["upper"], ci_low=lb["ci_low"],
                             ci_high=lb["ci_high"], p=math.nan, n=len(y1) + len(y0), scale=scale,
                             trim_share=lb["trim_share"], trimmed=lb["trimmed"]))  # fmt: skip
    return pd.DataFrame(rows), wsum


def robustness_rows(
    perms: pd.DataFrame, attrition: pd.DataFrame, mdes: pd.DataFrame, sim: pd.DataFrame | None
) -> pd.DataFrame:
    """Results-store rows of the chapter (methods ``permutation``, ``IPW ANCOVA``, ``Lee bound
    (lower)``/``(upper)``, ``MDE <wave>``, ``simulation bias (<method>)``, ``simulation coverage
    (<method>)``)."""
    rows = [dict(outcome=r.outcome, contrast=r.contrast, estimate=r.estimate, ci_low=math.nan,
                 ci_high=math.nan, p=r.p, n=r.n, method="permutation", scale=r.scale)
            for r in perms.itertuples()]  # fmt: skip
    for r in attrition.itertuples():
        if r.method == "IPW ANCOVA":
            rows.append(dict(outcome=r.outcome, contrast=r.contrast, estimate=r.estimate, ci_low=r.ci_low,
                             ci_high=r.ci_high, p=r.p, n=r.n, method=r.method, scale=r.scale))  # fmt: skip
        elif r.method == "Lee bounds":
            for side, est, lo, hi in (("lower", r.estimate, r.ci_low, math.nan),
                                      ("upper", r.upper, math.nan, r.ci_high)):  # fmt: skip
                rows.append(dict(outcome=r.outcome, contrast=r.contrast, estimate=est, ci_low=lo,
                                 ci_high=hi, p=math.nan, n=r.n, method=f"Lee bound ({side})", scale=r.scale))  # fmt: skip
    for r in mdes.itertuples():
        method = "MDE registry" if r.wave == "registry" else f"MDE {r.wave}"
        rows.append(dict(outcome=r.outcome, contrast=r.contrast, estimate=r.mde, ci_low=math.nan,
                         ci_high=math.nan, p=math.nan, n=r.n1 + r.n2, method=method, scale=r.scale))  # fmt: skip
    if sim is not None:
        for r in sim.itertuples():
            rows.append(dict(outcome=r.outcome, contrast=r.contrast, estimate=r.bias,
                             ci_low=r.bias - 1.96 * r.bias_mcse, ci_high=r.bias + 1.96 * r.bias_mcse,
                             p=math.nan, n=r.n_replicates, method=f"simulation bias ({r.method})", scale=r.scale))  # fmt: skip
            rows.append(dict(outcome=r.outcome, contrast=r.contrast, estimate=r.coverage,
                             ci_low=max(0.0, r.coverage - 1.96 * r.coverage_mcse),
                             ci_high=min(1.0, r.coverage + 1.96 * r.coverage_mcse), p=math.nan,
                             n=r.n_replicates, method=f"simulation coverage ({r.method})", scale="share"))  # fmt: skip
    out = pd.DataFrame(rows)
    return out[pd.to_numeric(out["estimate"], errors="coerce").notna()].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Display tables (formatted by trustexp.fmt)
# --------------------------------------------------------------------------------------------


def _labels(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    from trustexp.stats.overview import contrast_label, outcome_label

    return frame["outcome"].map(outcome_label), frame["contrast"].map(contrast_label)


def _est(est: float, scale: str, signed: bool = True) -> str:
    from trustexp import fmt

    if est is None or not np.isfinite(est):
        return ""
    return f"{fmt.num(est, 1, signed)} pp" if scale == "pp" else fmt.num(est, signed=signed)


def _ci(low: float, high: float, scale: str) -> str:
    from trustexp import fmt

    return fmt.ci(low, high, scale="pp") if scale == "pp" else fmt.ci(low, high)


def permutation_table(perms: pd.DataFrame) -> pd.DataFrame:
    """Display table: estimate, model p and permutation p per primary contrast."""
    from trustexp import fmt

    outcome, contrast = _labels(perms)
    return pd.DataFrame({
        "outcome": outcome, "contrast": contrast,
        "estimate": [_est(e, s) for e, s in zip(perms["estimate"], perms["scale"], strict=True)],
        "model": perms["model_method"],
        "p (model)": perms["model_p"].map(fmt.pval),
        "p (permutation)": perms["p"].map(fmt.pval),
        "re-draws": perms["n_permutations"].map(fmt.count),
        "n": perms["n"],
    })  # fmt: skip


def attrition_table(att: pd.DataFrame) -> pd.DataFrame:
    """Display table: complete-case and weighted ANCOVA, and Lee bounds, per contrast."""
    from trustexp import fmt

    outcome, contrast = _labels(att)
    text = []
    for r in att.itertuples():
        if r.method == "Lee bounds":
            text.append(f"{_est(r.estimate, r.scale)} to {_est(r.upper, r.scale)}; 95% CI "
                        f"{_ci(r.ci_low, r.ci_high, r.scale)} (trimmed {fmt.pct(r.trim_share)} of the {r.trimmed} arm)")  # fmt: skip
        else:
            text.append(f"{_est(r.estimate, r.scale)} {_ci(r.ci_low, r.ci_high, r.scale)}")
    return pd.DataFrame({"outcome": outcome, "contrast": contrast, "method": att["method"],
                         "estimate or bounds [95% CI]": text, "p": att["p"].map(fmt.pval),
                         "n": att["n"]})  # fmt: skip


def power_table(verdicts: pd.DataFrame, mdes: pd.DataFrame) -> pd.DataFrame:
    """Display table: MDE at wave 1 and wave 2 (or the registry), the estimate and the verdict."""
    from trustexp import fmt

    outcome, contrast = _labels(verdicts)
    m1 = mdes[mdes["wave"] == "wave 1"].set_index(["outcome", "contrast"])["mde"]
    return pd.DataFrame({
        "outcome": outcome, "contrast": contrast,
        "n (wave 2 or registry)": verdicts["n"],
        "MDE wave 1": [_est(m1.get((r.outcome, r.contrast), math.nan), r.scale, False)
                       for r in verdicts.itertuples()],
        "MDE final": [_est(r.mde, r.scale, False) for r in verdicts.itertuples()],
        "MDE (SDs)": verdicts["mde_d"].map(fmt.num),
        "smallest effect of interest": [_est(r.sesoi, r.scale, False) for r in verdicts.itertuples()],
        "estimate [95% CI]": [f"{_est(r.estimate, r.scale)} {_ci(r.ci_low, r.ci_high, r.scale)}"
                              for r in verdicts.itertuples()],
        "verdict": verdicts["verdict"],
    })  # fmt: skip


def simulation_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Display table: truth, mean estimate, bias (Monte Carlo SE), coverage (MC SE), flag."""
    from trustexp import fmt

    outcome, contrast = _labels(summary)
    return pd.DataFrame({
        "outcome": outcome, "contrast": contrast, "estimator": summary["method"],
        "truth": [_est(t, s, False) for t, s in zip(summary["truth"], summary["scale"], strict=True)],
        "mean estimate": [_est(t, s) for t, s in zip(summary["mean_estimate"], summary["scale"], strict=True)],
        "bias (MC SE)": [f"{fmt.num(b, 3, True)} ({fmt.num(m, 3)})"
                         for b, m in zip(summary["bias"], summary["bias_mcse"], strict=True)],
        "coverage (MC SE)": [f"{fmt.pct(c)} ({fmt.pct(m)})"
                             for c, m in zip(summary["coverage"], summary["coverage_mcse"], strict=True)],
        "cohorts": summary["n_replicates"],
        "flag": summary["flag"].map({True: "coverage below the flag level", False: ""}),
    })  # fmt: skip


def sample_sizes(participants: pd.DataFrame, survey: pd.DataFrame) -> dict[str, dict[str, int]]:
    """People per arm: randomised, and answering their own questionnaire at wave 0 and wave 1 / 2."""
    from trustexp.stats.survey import long_outcome, paired_wave

    long = long_outcome(survey, participants, "wellbeing")
    arm = participants["arm"].astype(str)
    out = {"randomised": {a: int((arm == a).sum()) for a in ARMS}}
    for wave in (1, 2):
        counts = paired_wave(long, wave)["arm"].value_counts()
        out[f"wave {wave}"] = {a: int(counts.get(a, 0)) for a in ARMS}
    return out


def _range(values: Sequence[float], fmt_one) -> str:
    vals = [v for v in values if v is not None and np.isfinite(v)]
    if not vals:
        return "not estimated in this build"
    lo, hi = min(vals), max(vals)
    return fmt_one(lo) if fmt_one(lo) == fmt_one(hi) else f"{fmt_one(lo)} to {fmt_one(hi)}"


def robustness_facts(
    perms: pd.DataFrame,
    attrition: pd.DataFrame,
    mdes: pd.DataFrame,
    verdicts: pd.DataFrame,
    sim: pd.DataFrame,
    weights: dict[str, float],
) -> dict[str, str]:
    """Formatted numbers of the robustness page (glue name -> text)."""
    from trustexp import fmt

    out = {
        "n_perm": fmt.count(int(perms["n_permutations"].min())),
        "perm_range": _range(perms["p"], fmt.pval),
        "model_range": _range(perms["model_p"], fmt.pval),
        "max_p_gap": fmt.num(float((perms["p"] - perms["model_p"]).abs().max()), 3),
    }
    ipw = attrition[attrition["method"] == "IPW ANCOVA"]
    cc = attrition[attrition["method"] == "ANCOVA"]
    lee = attrition[attrition["method"] == "Lee bounds"]
    out["cc_range"] = _range(cc["estimate"], lambda x: fmt.num(x, signed=True))
    out["ipw_range"] = _range(ipw["estimate"], lambda x: fmt.num(x, signed=True))
    out["lee_range"] = (
        f"{fmt.num(float(lee['estimate'].min()), signed=True)} to {fmt.num(float(lee['upper'].max()), signed=True)}"
        if len(lee) else "not estimated in this build"
    )  # fmt: skip
    out["w_max"] = fmt.num(weights.get("max", math.nan))
    out["w_ess"] = fmt.count(weights.get("ess", math.nan))
    out["w_n"] = fmt.count(weights.get("n", math.nan))
    final = mdes[mdes["wave"].isin(["registry", "wave 2"])]
    get = lambda o: final.loc[final["outcome"] == o, "mde"]  # noqa: E731
    out["mde_outflow"] = _range(get("outflow_full"), lambda x: fmt.pp(x))
    out["mde_wellbeing"] = _range(get("wellbeing"), lambda x: fmt.num(x))
    out["mde_d_range"] = _range(final["mde_d"], lambda x: fmt.num(x))
    counts = verdicts["verdict"].value_counts()
    for key, words in (("n_detected", "effect detected"), ("n_informative", "informative null"),
                       ("n_inconclusive", "inconclusive")):  # fmt: skip
        out[key] = fmt.count(int(counts.get(words, 0)))
    out["n_verdicts"] = fmt.count(len(verdicts))
    out["n_sim"] = fmt.count(int(sim["n_replicates"].max()))
    out["coverage_range"] = _range(sim["coverage"], fmt.pct)
    out["bias_outflow"] = _range(sim.loc[sim["outcome"] == "outflow_full", "bias"],
                                 lambda x: fmt.num(x, 2, signed=True))  # fmt: skip
    out["bias_wellbeing"] = _range(sim.loc[sim["outcome"] == "wellbeing", "bias"],
                                   lambda x: fmt.num(x, 3, signed=True))  # fmt: skip
    out["n_flagged"] = fmt.count(int(sim["flag"].sum()))
    return out


# --------------------------------------------------------------------------------------------
# Attrition on the baseline-adjusted scale (issue 12): Lee bounds on y - b*y0, response weights
# whose model includes the baseline outcome
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
    from trustexp.stats.survey import paired_wave

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
    import statsmodels.formula.api as smf

    y0 = frame["person_id"].astype(str).map(baseline.rename(index=str)).astype(float)
    missing = y0.isna()
    data = frame.assign(y0=y0.fillna(y0.mean()), y0_missing=missing.astype(int))
    terms = f"{formula} + y0" + (" + y0_missing" if missing.any() and not missing.all() else "")
    fit = smf.logit(f"responded ~ {terms}", data=data).fit(disp=False, maxiter=200)
    p = np.clip(fit.predict(data), 0.05, 1.0)
    return pd.Series(1.0 / p, index=frame.index, name="weight")
