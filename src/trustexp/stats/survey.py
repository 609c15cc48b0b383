"""Questionnaire outcomes over the three waves: trajectories, trial estimates and time course.

Every chapter on a questionnaire outcome (wellbeing, social participation, the unconfirmed
outcomes) calls the same functions, usually through ``analyse_outcome``. Each estimate function
returns a tidy frame whose columns include those of the results store (``contrast, estimate,
ci_low, ci_high, p, n, method, scale``); ``store_rows`` turns any of them into store rows.

Shares (``deprived``) are analysed as 0/100 variables, so means are percentages and differences are
percentage points (a linear probability model).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from trustexp.errors import InvalidData
from trustexp.report.store import ESTIMATE_COLUMNS

ARMS = ("eigen_regie", "intensief", "regulier")
CONTROL = "regulier"
TREATED = ("eigen_regie", "intensief")
WAVES = (0, 1, 2)
STORE_COLUMNS = list(ESTIMATE_COLUMNS)
SHARE_ITEMS = ("deprived",)
MDE_POWER = 0.8
"""Power at which minimum detectable effects are reported."""


def value_scale(item: str) -> str:
    """Results-store scale of differences on ``item``: ``pp`` for shares, else ``points``."""
    return "pp" if item in SHARE_ITEMS else "points"


def long_outcome(
    survey: pd.DataFrame, participants: pd.DataFrame, item: str, respondent: str = "participant"
) -> pd.DataFrame:
    """One row per person and wave with an answer: ``person_id, arm, wave, value, rater_id``.

    Keeps completed questionnaires of ``respondent`` (``participant`` or ``consultant``) with a
    non-missing ``item``; booleans become 0/100 (percent). People without an arm are dropped.

    >>> long_outcome(survey, participants, "wellbeing").head()  # doctest: +SKIP
    """
    if item not in survey.columns:
        raise InvalidData(f"survey has no column {item!r}; columns: {', '.join(survey.columns)}")
    rows = survey[
        (survey["respondent"].astype(str) == respondent)
        & survey["completed"].astype(bool)
        & survey[item].notna()
    ]
    value = rows[item]
    if item in SHARE_ITEMS or pd.api.types.is_bool_dtype(value.dtype):
        value = value.astype(float) * 100.0
    arm = participants.set_index(participants["person_id"].astype(str))["arm"].astype(str)
    out = pd.DataFrame(
        {
            "person_id": rows["person_id"].astype(str).to_numpy(),
            "wave": rows["wave"].astype(int).to_numpy(),
            "value": value.astype(float).to_numpy(),
            "rater_id": rows["rater_id"].astype(object).to_numpy() if "rater_id" in rows else None,
        }
    )
    out["arm"] = out["person_id"].map(arm)
    out = out[out["arm"].isin(ARMS)]
    return out[["person_id", "arm", "wave", "value", "rater_id"]].reset_index(drop=True)


def _wide(long: pd.DataFrame) -> pd.DataFrame:
    """Person by wave: columns ``person_id, arm, w0, w1, w2`` (NaN where not answered)."""
    wide = long.pivot_table(index=["person_id", "arm"], columns="wave", values="value")
    wide = wide.reindex(columns=list(WAVES))
    wide.columns = [f"w{w}" for w in WAVES]
    return wide.reset_index()


def paired_wave(long: pd.DataFrame, wave: int = 2) -> pd.DataFrame:
    """People who answered at wave 0 and at ``wave``: ``person_id, arm, y0, y`` (ANCOVA sample)."""
    wide = _wide(long)
    both = wide.dropna(subset=["w0", f"w{wave}"])
    return both.rename(columns={"w0": "y0", f"w{wave}": "y"})[["person_id", "arm", "y0", "y"]]


def _t_ci(mean: float, sd: float, n: int, alpha: float) -> tuple[float, float]:
    from scipy import stats

    if n < 2 or not np.isfinite(sd):
        return math.nan, math.nan
    half = stats.t.ppf(1 - alpha / 2, n - 1) * sd / math.sqrt(n)
    return mean - half, mean + half


def trajectory(long: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Mean per arm and wave with a t-based CI: ``arm, wave, n, mean, sd, ci_low, ci_high``.

    Every arm-wave cell appears, with ``n = 0`` and NaN where nobody answered.

    >>> trajectory(long_outcome(survey, participants, "wellbeing"))  # doctest: +SKIP
    """
    grid = pd.MultiIndex.from_product([ARMS, WAVES], names=["arm", "wave"])
    agg = long.groupby(["arm", "wave"])["value"].agg(n="count", mean="mean", sd="std")
    agg = agg.reindex(grid).reset_index()
    agg["n"] = agg["n"].fillna(0).astype(int)
    cis = [_t_ci(m, s, n, alpha) for m, s, n in zip(agg["mean"], agg["sd"], agg["n"], strict=True)]
    agg["ci_low"] = [c[0] for c in cis]
    agg["ci_high"] = [c[1] for c in cis]
    return agg


def _empty(method: str) -> pd.DataFrame:
    return pd.DataFrame(columns=[*STORE_COLUMNS, "se"]).assign(method=method)


def _enough(frame: pd.DataFrame, arms: tuple[str, ...], minimum: int = 2) -> bool:
    counts = frame["arm"].value_counts()
    return all(counts.get(a, 0) >= minimum for a in arms)


def ancova_wave2(long: pd.DataFrame, alpha: float = 0.05, scale: str = "points") -> pd.DataFrame:
    """Wave-2 score on arm plus the wave-0 score (OLS, HC3 robust SEs): each arm vs control.

    Returns one row per experimental arm (``<arm> vs regulier``) with the adjusted difference,
    its CI and p; ``n`` counts the people of both arms in the model (answered waves 0 and 2).

    >>> ancova_wave2(long_outcome(survey, participants, "wellbeing"))  # doctest: +SKIP
    """
    import statsmodels.formula.api as smf

    data = paired_wave(long, 2)
    arms = [a for a in TREATED if _enough(data, (a,))]
    if not _enough(data, (CONTROL,)) or not arms or len(data) < len(arms) + 4:
        return _empty("ANCOVA")
    data = data[data["arm"].isin([*arms, CONTROL])]
    fit = smf.ols(f"y ~ C(arm, Treatment('{CONTROL}')) + y0", data=data).fit(cov_type="HC3")
    ci = fit.conf_int(alpha=alpha)
    counts = data["arm"].value_counts()
    rows = []
    for arm in arms:
        term = f"C(arm, Treatment('{CONTROL}'))[T.{arm}]"
        rows.append(
            dict(contrast=f"{arm} vs {CONTROL}", estimate=fit.params[term], se=fit.bse[term],
                 ci_low=ci.loc[term, 0], ci_high=ci.loc[term, 1], p=fit.pvalues[term],
                 n=int(counts[arm] + counts[CONTROL]), method="ANCOVA", scale=scale)
        )  # fmt: skip
    return pd.DataFrame(rows)


def hedges_g_wave2(long: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Hedges' g of the wave-2 score, each arm vs control, with pingouin's CI and a t-test p.

    Uses the ANCOVA sample (people who answered at waves 0 and 2), so both estimates describe the
    same people; g is unadjusted for the baseline score.
    """
    import pingouin as pg
    from scipy import stats

    data = paired_wave(long, 2)
    if not _enough(data, (CONTROL,)):
        return _empty("Hedges g")
    y = data.loc[data["arm"] == CONTROL, "y"].to_numpy()
    rows = []
    for arm in TREATED:
        x = data.loc[data["arm"] == arm, "y"].to_numpy()
        if len(x) < 2 or np.var(np.concatenate([x, y])) == 0:
            continue
        g = float(pg.compute_effsize(x, y, paired=False, eftype="hedges"))
        lo, hi = pg.compute_esci(g, nx=len(x), ny=len(y), eftype="hedges",
                                 confidence=1 - alpha, decimals=12)  # fmt: skip
        p = float(stats.ttest_ind(x, y).pvalue)
        rows.append(dict(contrast=f"{arm} vs {CONTROL}", estimate=g, ci_low=float(lo),
                         ci_high=float(hi), p=p, n=len(x) + len(y), method="Hedges g", scale="g"))  # fmt: skip
    return pd.DataFrame(rows) if rows else _empty("Hedges g")


def mixed_anova_complete(long: pd.DataFrame) -> pd.DataFrame:
    """Mixed ANOVA arm (between) x wave (within) on people who answered all three waves (pingouin).

    Returns pingouin's table (``Source, DF1, DF2, F, p_unc, np2``) plus ``n`` (complete cases);
    empty when fewer than two arms have two complete cases.
    """
    import pingouin as pg

    wide = _wide(long).dropna(subset=[f"w{w}" for w in WAVES])
    counts = wide["arm"].value_counts()
    if (counts >= 2).sum() < 2:
        return pd.DataFrame(columns=["Source", "DF1", "DF2", "F", "p_unc", "np2", "n"])
    complete = long[long["person_id"].isin(wide["person_id"])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = pg.mixed_anova(data=complete, dv="value", within="wave", between="arm",
                               subject="person_id")  # fmt: skip
    keep = [c for c in ("Source", "DF1", "DF2", "F", "p_unc", "np2") if c in table.columns]
    return table[keep].assign(n=len(wide))


@dataclass
class MixedFit:
    """A fitted linear mixed model with the design it was fitted on."""

    params: pd.Series
    cov: pd.DataFrame
    n_people: dict[str, int]
    converged: bool
    arms: tuple[str, ...]


def mixedlm_all(long: pd.DataFrame) -> MixedFit | None:
    """Linear mixed model ``value ~ arm * wave`` with a random intercept per person (REML).

    Uses every available answer (missing at random given the person's other answers); ``None``
    when the control arm or wave 0 is missing or the model cannot be fitted.
    """
    import statsmodels.formula.api as smf

    arms = tuple(a for a in ARMS if (long["arm"] == a).any())
    if CONTROL not in arms or len(arms) < 2 or not (long["wave"] == 0).any():
        return None
    if long["value"].nunique() < 2 or long["person_id"].nunique() < 6:
        return None
    formula = f"value ~ C(arm, Treatment('{CONTROL}')) * C(wave, Treatment(0))"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = smf.mixedlm(formula, long, groups=long["person_id"])
            fit = model.fit(reml=True)
        except (np.linalg.LinAlgError, ValueError):
            return None
    names = model.exog_names
    cov = fit.cov_params().loc[names, names]
    n_people = long.groupby("arm")["person_id"].nunique().to_dict()
    return MixedFit(fit.fe_params[names], cov, n_people, bool(fit.converged), arms)


def _term(arm: str | None, wave: int | None) -> str:
    a = f"C(arm, Treatment('{CONTROL}'))[T.{arm}]"
    w = f"C(wave, Treatment(0))[T.{wave}]"
    if arm and wave:
        return f"{a}:{w}"
    return a if arm else w


def _change_vector(fit: MixedFit, arm: str, wave: int) -> pd.Series:
    """Weights on the fixed effects giving the arm's mean change from wave 0 to ``wave``."""
    L = pd.Series(0.0, index=fit.params.index)
    L[_term(None, wave)] = 1.0
    if arm != CONTROL:
        L[_term(arm, wave)] = 1.0
    return L


def mixedlm_contrasts(
    fit: MixedFit | None, alpha: float = 0.05, scale: str = "points"
) -> pd.DataFrame:
    """Contrasts of a ``mixedlm_all`` fit (Wald z tests).

    * ``<arm> wave 1|2 vs wave 0``: the arm's mean change since the start;
    * ``<arm> vs regulier`` and ``eigen_regie vs intensief``: difference in change from wave 0 to
      wave 2 (the arm x wave interaction).

    ``n`` is the number of people with at least one answer in the arm(s) involved.
    """
    from scipy import stats

    if fit is None:
        return _empty("MixedLM")
    z = stats.norm.ppf(1 - alpha / 2)
    present = set(fit.params.index)
    rows = []

    def add(contrast: str, L: pd.Series, n: int) -> None:
        if not set(L.index[L != 0]) <= present:
            return
        est = float(L @ fit.params)
        se = float(np.sqrt(L @ fit.cov @ L))
        p = float(2 * stats.norm.sf(abs(est / se))) if se > 0 else math.nan
        rows.append(dict(contrast=contrast, estimate=est, se=se, ci_low=est - z * se,
                         ci_high=est + z * se, p=p, n=n, method="MixedLM", scale=scale))  # fmt: skip

    waves = [w for w in (1, 2) if _term(None, w) in present]
    for arm in fit.arms:
        for w in waves:
            add(f"{arm} wave {w} vs wave 0", _change_vector(fit, arm, w), fit.n_people.get(arm, 0))
    if 2 in waves:
        pairs = [(a, CONTROL) for a in TREATED] + [("eigen_regie", "intensief")]
        for a, b in pairs:
            if a in fit.arms and b in fit.arms:
                L = _change_vector(fit, a, 2) - _change_vector(fit, b, 2)
                add(f"{a} vs {b}", L, fit.n_people.get(a, 0) + fit.n_people.get(b, 0))
    return pd.DataFrame(rows) if rows else _empty("MixedLM")


def pairwise_holm(contrasts: pd.DataFrame, p_col: str = "p") -> pd.DataFrame:
    """Add ``p_holm``: Holm-adjusted p-values over all rows of ``contrasts`` (one family).

    >>> pairwise_holm(pd.DataFrame({"p": [0.01, 0.04, 0.03]}))["p_holm"].tolist()
    [0.03, 0.06, 0.06]
    """
    from statsmodels.stats.multitest import multipletests

    out = contrasts.copy()
    ok = out[p_col].notna()
    out["p_holm"] = np.nan
    if ok.any():
        out.loc[ok, "p_holm"] = multipletests(out.loc[ok, p_col].astype(float), method="holm")[1]
    return out


def within_change(
    long: pd.DataFrame, alpha: float = 0.05, n_boot: int = 2000, seed: int = 0,
    scale: str = "points",
) -> pd.DataFrame:  # fmt: skip
    """Change from wave 0 to wave 2 within each arm (people who answered both).

    Two rows per arm, contrast ``<arm> wave 2 vs wave 0``: method ``mean change`` (mean of the
    differences, t CI, paired t-test p) and ``within-person d`` (Cohen's d_av = mean change over the
    average of the two waves' SDs, pingouin; bias-corrected percentile bootstrap CI resampling
    people, seeded; the paired t-test p).
    """
    import pingouin as pg
    from scipy import stats

    data = paired_wave(long, 2)
    rows = []
    for i, arm in enumerate(ARMS):
        sub = data[data["arm"] == arm]
        n = len(sub)
        if n < 3:
            continue
        diff = (sub["y"] - sub["y0"]).to_numpy()
        mean, sd = float(diff.mean()), float(diff.std(ddof=1))
        lo, hi = _t_ci(mean, sd, n, alpha)
        p = float(stats.ttest_rel(sub["y"], sub["y0"]).pvalue) if sd > 0 else math.nan
        rows.append(dict(contrast=f"{arm} wave 2 vs wave 0", estimate=mean, ci_low=lo, ci_high=hi,
                         p=p, n=n, method="mean change", scale=scale))  # fmt: skip
        x, y = sub["y"].to_numpy(), sub["y0"].to_numpy()
        if np.var(x) + np.var(y) == 0:
            continue
        d = float(pg.compute_effsize(x, y, paired=True, eftype="cohen"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dlo, dhi = pg.compute_bootci(x, y, func="cohen", paired=True, confidence=1 - alpha,
                                         n_boot=n_boot, decimals=12, seed=seed + i)  # fmt: skip
        rows.append(dict(contrast=f"{arm} wave 2 vs wave 0", estimate=d, ci_low=float(dlo),
                         ci_high=float(dhi), p=p, n=n, method="within-person d", scale="d"))  # fmt: skip
    return pd.DataFrame(rows) if rows else _empty("mean change")


def baseline_sd(long: pd.DataFrame) -> float:
    """SD of the wave-0 answers of all participants: the yardstick of standardised effects."""
    v = long.loc[long["wave"] == 0, "value"]
    return float(v.std(ddof=1)) if len(v) > 1 else math.nan


def tost_arm(
    long: pd.DataFrame, bound: float, alpha: float = 0.05, scale: str = "points"
) -> pd.DataFrame:
    """Equivalence (TOST, pingouin) of each arm's change (wave 0 to 2) with the control's change.

    ``bound`` is the smallest effect of interest in points. Estimate = difference in mean change;
    CI = the (1 - 2 alpha) CI (90 % for alpha 0.05) of the pooled-variance t-test, the interval
    that TOST checks against ``[-bound, bound]``; p = the TOST p-value (small: equivalent).
    """
    import pingouin as pg
    from scipy import stats

    data = paired_wave(long, 2)
    data = data.assign(change=data["y"] - data["y0"])
    y = data.loc[data["arm"] == CONTROL, "change"].to_numpy()
    if len(y) < 2 or not np.isfinite(bound) or bound <= 0:
        return _empty("TOST")
    rows = []
    for arm in TREATED:
        x = data.loc[data["arm"] == arm, "change"].to_numpy()
        if len(x) < 2:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = float(
                pg.tost(x, y, bound=float(bound), paired=False, correction=False)["pval"].iloc[0]
            )
        nx, ny = len(x), len(y)
        dof = nx + ny - 2
        pooled = ((nx - 1) * x.var(ddof=1) + (ny - 1) * y.var(ddof=1)) / dof
        se = math.sqrt(pooled * (1 / nx + 1 / ny))
        est = float(x.mean() - y.mean())
        half = stats.t.ppf(1 - alpha, dof) * se
        rows.append(dict(contrast=f"{arm} vs {CONTROL}", estimate=est, ci_low=est - half,
                         ci_high=est + half, p=p, n=nx + ny, method="TOST", scale=scale,
                         bound=float(bound)))  # fmt: skip
    return pd.DataFrame(rows) if rows else _empty("TOST")


def mde_arm(
    long: pd.DataFrame, alpha: float = 0.05, power: float = 0.8, scale: str = "points"
) -> pd.DataFrame:
    """Minimum detectable ANCOVA effect of each arm vs control at the achieved n (``power.mde``).

    SD = baseline SD of all participants; r = correlation of wave-0 and wave-2 answers in the
    ANCOVA sample. Estimate = MDE in points (``d`` column: in SDs); CI and p are empty.
    """
    from trustexp.stats.power import mde

    data = paired_wave(long, 2)
    sd = baseline_sd(long)
    r = float(data["y0"].corr(data["y"])) if len(data) > 2 else 0.0
    r = 0.0 if not np.isfinite(r) else max(min(r, 0.99), -0.99)
    counts = data["arm"].value_counts()
    rows = []
    for arm in TREATED:
        n1, n2 = int(counts.get(arm, 0)), int(counts.get(CONTROL, 0))
        res = mde(sd, n1, n2, alpha=alpha, power=power, r=r)
        if not np.isfinite(res.points):
            continue
        rows.append(dict(contrast=f"{arm} vs {CONTROL}", estimate=res.points, ci_low=math.nan,
                         ci_high=math.nan, p=math.nan, n=n1 + n2, method="MDE", scale=scale,
                         d=res.d, sd=sd, r=r, power=power))  # fmt: skip
    return pd.DataFrame(rows) if rows else _empty("MDE")


def store_rows(outcome: str, *frames: pd.DataFrame) -> pd.DataFrame:
    """Results-store rows (``outcome`` + store columns) from estimate frames; NaN estimates dropped."""
    parts = [f.reindex(columns=STORE_COLUMNS) for f in frames if f is not None and len(f)]
    if not parts:
        return pd.DataFrame(columns=["outcome", *STORE_COLUMNS])
    out = pd.concat(parts, ignore_index=True)
    out = out[pd.to_numeric(out["estimate"], errors="coerce").notna()]
    return out.assign(outcome=outcome)[["outcome", *STORE_COLUMNS]].reset_index(drop=True)


@dataclass
class OutcomeResult:
    """Every result for one questionnaire outcome (see ``analyse_outcome``)."""

    outcome: str
    respondent: str
    scale: str
    long: pd.DataFrame
    trajectory: pd.DataFrame
    ancova: pd.DataFrame
    hedges: pd.DataFrame
    mixed_anova: pd.DataFrame
    mixedlm: pd.DataFrame
    within: pd.DataFrame
    tost: pd.DataFrame
    mde: pd.DataFrame
    sesoi_points: float
    extra: list[pd.DataFrame] = field(default_factory=list)

    @property
    def pairwise(self) -> pd.DataFrame:
        """The mixed-model contrasts with Holm-adjusted p-values (one family per outcome)."""
        return pairwise_holm(self.mixedlm)

    def rows(self) -> pd.DataFrame:
        """All of this outcome's estimates as results-store rows."""
        return store_rows(self.outcome, self.ancova, self.hedges, self.within, self.mixedlm,
                          self.tost, self.mde, *self.extra)  # fmt: skip

    def get(self, method: str, contrast: str) -> pd.Series | None:
        """One estimate row by method and contrast (``None`` if not estimable)."""
        rows = self.rows()
        hit = rows[(rows["method"] == method) & (rows["contrast"] == contrast)]
        return None if hit.empty else hit.iloc[0]


def analyse_outcome(
    survey: pd.DataFrame,
    participants: pd.DataFrame,
    item: str,
    respondent: str = "participant",
    alpha: float = 0.05,
    sesoi_d: float = 0.3,
    n_boot: int = 2000,
    seed: int = 0,
) -> OutcomeResult:
    """Fit every model of the questionnaire chapters to one outcome, once.

    ``sesoi_d`` is the smallest effect of interest in baseline SDs (for TOST); ``seed`` seeds the
    bootstrap of the within-person effect sizes.

    >>> res = analyse_outcome(d.survey, d.participants, "wellbeing")  # doctest: +SKIP
    >>> res.ancova[["contrast", "estimate", "ci_low", "ci_high"]]  # doctest: +SKIP
    """
    long = long_outcome(survey, participants, item, respondent)
    scale = value_scale(item)
    sesoi = sesoi_d * baseline_sd(long)
    return OutcomeResult(
        outcome=item,
        respondent=respondent,
        scale=scale,
        long=long,
        trajectory=trajectory(long, alpha),
        ancova=ancova_wave2(long, alpha, scale),
        hedges=hedges_g_wave2(long, alpha),
        mixed_anova=mixed_anova_complete(long),
        mixedlm=mixedlm_contrasts(mixedlm_all(long), alpha, scale),
        within=within_change(long, alpha, n_boot, seed, scale),
        tost=tost_arm(long, sesoi, alpha, scale),
        mde=mde_arm(long, alpha, MDE_POWER, scale),
        sesoi_points=sesoi,
    )


def analyse_outcomes(
    survey: pd.DataFrame, participants: pd.DataFrame, items: list[str] | tuple[str, ...], **kwargs
) -> dict[str, OutcomeResult]:
    """``analyse_outcome`` for several participant-reported items (keyword arguments passed on)."""
    return {item: analyse_outcome(survey, participants, item, **kwargs) for item in items}


def all_rows(results: dict[str, OutcomeResult]) -> pd.DataFrame:
    """Results-store rows of several outcomes."""
    return pd.concat([r.rows() for r in results.values()], ignore_index=True)


# --- display: labels, formatted tables and glue texts for the chapters -----------------------

_METHOD_ORDER = ("ANCOVA", "Hedges g", "MixedLM", "mean change", "within-person d", "TOST", "MDE",
                 "proportional odds", "negative binomial")  # fmt: skip


def outcome_label(item: str) -> str:
    """Plain-words label of an outcome (codebook)."""
    from trustexp.data import codebook

    return str(codebook.outcome(item)["label_en"])


def outcome_unit(item: str) -> str:
    """Unit of an outcome's means for axis titles: ``"mark, 0-10"``, ``"% deprived"``..."""
    from trustexp.data import codebook

    if item in SHARE_ITEMS:
        return "% of people"
    spec = codebook.column_spec("survey", item)
    lo, hi = spec.get("range", (None, None))
    unit = spec.get("unit", "points")
    return f"{unit}, {lo}–{hi}" if lo is not None else str(unit)


def _fmt_est(est: float, lo: float, hi: float, scale: str) -> str:
    from trustexp import fmt

    if scale == "pp":
        return fmt.estimate_with_ci(est, lo, hi, scale="pp")
    return fmt.estimate_with_ci(est, lo, hi)


def _contrast_label(contrast: str) -> str:
    from trustexp.charts import group_label

    if " wave " in contrast:
        arm, rest = contrast.split(" ", 1)
        return f"{group_label(arm)}: {rest.replace('wave 2', 'two years').replace('wave 1', 'one year').replace('wave 0', 'start')}"
    a, b = contrast.split(" vs ")
    return f"{group_label(a)} vs {group_label(b)}"


def trajectory_table(res: OutcomeResult) -> pd.DataFrame:
    """Display table of the trajectory: arm, wave, n, mean and 95 % CI (formatted)."""
    from trustexp import fmt
    from trustexp.charts import group_label

    t = res.trajectory
    pp = res.scale == "pp"
    mean = [fmt.num(m, 1 if pp else 2) + ("%" if pp and np.isfinite(m) else "") for m in t["mean"]]
    ci = [
        fmt.ci(lo, hi, decimals=1 if pp else 2)
        for lo, hi in zip(t["ci_low"], t["ci_high"], strict=True)
    ]
    return pd.DataFrame({
        "arm": t["arm"].map(group_label), "wave": t["wave"].map({0: "start", 1: "one year", 2: "two years"}),
        "n": t["n"], "mean": mean, "95% CI": ci,
    })  # fmt: skip


def estimates_table(rows: pd.DataFrame, methods: tuple[str, ...] | None = None,
                    with_outcome: bool = False) -> pd.DataFrame:  # fmt: skip
    """Display table of store rows: contrast, method, estimate, 95 % CI, p, n (formatted).

    TOST rows show their 90 % CI (the interval the test uses); MDE rows show no CI or p.
    """
    from trustexp import fmt

    rows = rows if methods is None else rows[rows["method"].isin(methods)]
    order = {m: i for i, m in enumerate(_METHOD_ORDER)}
    rows = rows.assign(_o=rows["method"].map(order).fillna(99)).sort_values(["_o"], kind="stable")
    out = pd.DataFrame({
        "contrast": rows["contrast"].map(_contrast_label),
        "method": rows["method"],
        "scale": rows["scale"].map({"pp": "percentage points", "points": "points", "g": "Hedges' g",
                                    "d": "Cohen's d (av)", "odds_ratio": "odds ratio", "ratio": "rate ratio"}),
        "estimate": [fmt.num(e, 1 if s == "pp" else 2) for e, s in zip(rows["estimate"], rows["scale"], strict=True)],
        "CI": [("90% " if m == "TOST" else "95% ") + fmt.ci(lo, hi, decimals=1 if s == "pp" else 2)
               if np.isfinite(lo) else "" for lo, hi, s, m in
               zip(rows["ci_low"].astype(float), rows["ci_high"].astype(float), rows["scale"], rows["method"], strict=True)],
        "p": [fmt.pval(p) if np.isfinite(p) else "" for p in rows["p"].astype(float)],
        "n": rows["n"].astype(int).to_numpy(),
    })  # fmt: skip
    if with_outcome:
        out.insert(0, "outcome", rows["outcome"].map(outcome_label).to_numpy())
    return out.reset_index(drop=True)


def pairwise_table(res: OutcomeResult) -> pd.DataFrame:
    """Display table of the mixed-model contrasts with unadjusted and Holm-adjusted p-values."""
    from trustexp import fmt

    pw = res.pairwise
    if pw.empty:
        return pd.DataFrame(columns=["contrast", "estimate", "95% CI", "p", "p (Holm)", "n"])
    d = 1 if res.scale == "pp" else 2
    return pd.DataFrame({
        "contrast": [_contrast_label(c) + (" (difference in change, start to two years)" if " wave " not in c else "")
                     for c in pw["contrast"]],
        "estimate": [fmt.num(e, d) for e in pw["estimate"]],
        "95% CI": [fmt.ci(lo, hi, decimals=d) for lo, hi in zip(pw["ci_low"], pw["ci_high"], strict=True)],
        "p": [fmt.pval(p) for p in pw["p"]], "p (Holm)": [fmt.pval(p) for p in pw["p_holm"]],
        "n": pw["n"].astype(int).to_numpy(),
    })  # fmt: skip


def anova_table(res: OutcomeResult) -> pd.DataFrame:
    """Display table of the complete-case mixed ANOVA (F, degrees of freedom, p, partial eta²)."""
    from trustexp import fmt

    t = res.mixed_anova
    if t.empty:
        return pd.DataFrame(columns=["effect", "F", "df", "p", "partial eta²"])
    names = {"arm": "arm", "wave": "wave", "Interaction": "arm x wave"}
    return pd.DataFrame({
        "effect": t["Source"].map(names), "F": [fmt.num(f) for f in t["F"]],
        "df": [f"{int(a)}, {int(b)}" for a, b in zip(t["DF1"], t["DF2"], strict=True)],
        "p": [fmt.pval(p) for p in t["p_unc"]], "partial eta²": [fmt.num(e, 3) for e in t["np2"]],
    })  # fmt: skip


def _verdict(row: pd.Series | None) -> str:
    if row is None:
        return "could not be estimated"
    if row["ci_low"] > 0:
        return "higher than"
    if row["ci_high"] < 0:
        return "lower than"
    return "not clearly different from"


def result_texts(res: OutcomeResult, threshold: int, alpha: float = 0.05) -> dict[str, str]:
    """Pre-formatted strings for glue, keyed ``<outcome>_<what>[_<arm>]``.

    Counts pass through disclosure control; estimates are ``"x (95% CI [a, b])"``; verdicts are words.
    """
    from trustexp import fmt
    from trustexp.chapter import n_text
    from trustexp.charts import group_label
    from trustexp.disclosure import count_text

    o, s = res.outcome, res.scale
    pp = s == "pp"
    out: dict[str, str] = {}
    traj = res.trajectory
    for w in WAVES:
        cell = traj[traj["wave"] == w]
        n = int(cell["n"].sum())
        mean = float((cell["mean"] * cell["n"]).sum() / n) if n else math.nan
        out[f"{o}_n_w{w}"] = count_text(n, threshold)
        out[f"{o}_n_text_w{w}"] = n_text(dict(zip(cell["arm"], cell["n"], strict=True)), threshold)
        out[f"{o}_mean_w{w}"] = fmt.pct(mean / 100) if pp else fmt.num(mean)
    paired = paired_wave(res.long, 2)
    out[f"{o}_n_ancova"] = count_text(len(paired), threshold)
    out[f"{o}_mde_power"] = fmt.pct(MDE_POWER, 0)
    out[f"{o}_sesoi"] = fmt.pp(res.sesoi_points) if pp else f"{fmt.num(res.sesoi_points)} points"
    inter = (
        res.mixed_anova[res.mixed_anova["Source"] == "Interaction"]
        if len(res.mixed_anova)
        else None
    )
    out[f"{o}_interaction_p"] = (
        fmt.pval(float(inter["p_unc"].iloc[0])) if inter is not None and len(inter) else "n/a"
    )
    out[f"{o}_n_complete"] = count_text(
        int(res.mixed_anova["n"].iloc[0]) if len(res.mixed_anova) else 0, threshold
    )

    def est(method: str, contrast: str, scale: str | None = None) -> str:
        row = res.get(method, contrast)
        if row is None:
            return "not estimable"
        return _fmt_est(row["estimate"], row["ci_low"], row["ci_high"], scale or row["scale"])

    for arm in ARMS:
        within = f"{arm} wave 2 vs wave 0"
        out[f"{o}_change_{arm}"] = est("mean change", within)
        out[f"{o}_d_{arm}"] = est("within-person d", within)
        out[f"{o}_mixed_change_{arm}"] = est("MixedLM", within)
        out[f"{o}_change_verdict_{arm}"] = {"higher than": "rose", "lower than": "fell"}.get(
            _verdict(res.get("mean change", within)), "did not clearly change"
        )
    changes = {a: res.get("mean change", f"{a} wave 2 vs wave 0") for a in ARMS}
    changes = {a: r["estimate"] for a, r in changes.items() if r is not None}
    out[f"{o}_largest_change_arm"] = (
        group_label(max(changes, key=changes.get)).lower() if changes else "none"
    )
    for arm in TREATED:
        c = f"{arm} vs {CONTROL}"
        out[f"{o}_ancova_{arm}"] = est("ANCOVA", c)
        row = res.get("ANCOVA", c)
        out[f"{o}_ancova_p_{arm}"] = fmt.pval(row["p"]) if row is not None else "n/a"
        out[f"{o}_verdict_{arm}"] = _verdict(row)
        out[f"{o}_g_{arm}"] = est("Hedges g", c)
        out[f"{o}_mixed_{arm}"] = est("MixedLM", c)
        tost = res.get("TOST", c)
        if tost is None:
            out[f"{o}_tost_{arm}"] = "not estimable"
            out[f"{o}_tost_verdict_{arm}"] = "could not be tested"
        else:
            ci90 = fmt.ci(tost["ci_low"], tost["ci_high"], decimals=1 if pp else 2)
            out[f"{o}_tost_{arm}"] = (
                f"{fmt.num(tost['estimate'], 1 if pp else 2)} (90% CI {ci90}; TOST p = {fmt.pval(tost['p'])})"
            )
            out[f"{o}_tost_verdict_{arm}"] = (
                "equivalence shown" if tost["p"] < alpha else "equivalence not shown"
            )
        m = res.get("MDE", c)
        out[f"{o}_mde_{arm}"] = (
            "n/a"
            if m is None
            else (fmt.pp(m["estimate"]) if pp else f"{fmt.num(m['estimate'])} points")
        )
    return out


_METHOD_LABELS = {
    "ANCOVA": "ANCOVA: two years, adjusted for the start",
    "MixedLM": "Mixed model: difference in change",
    "TOST": "Difference in change (90% CI, equivalence test)",
    "Hedges g": "Hedges' g at two years",
}


def forest_rows(
    rows: pd.DataFrame, methods: tuple[str, ...], label: str = "method"
) -> pd.DataFrame:
    """Arm-vs-control rows of the given methods for ``forest_chart``, with a ``label`` column.

    ``label="method"`` labels a row by its method (one outcome); ``"outcome"`` by its outcome.
    """
    sel = rows[
        rows["method"].isin(methods) & rows["contrast"].isin([f"{a} vs {CONTROL}" for a in TREATED])
    ]
    if label == "outcome":
        lab = sel["outcome"].map(outcome_label)
    else:
        lab = sel["method"].map(lambda m: _METHOD_LABELS.get(m, m))
    return sel.assign(label=lab.to_numpy()).reset_index(drop=True)


def model_texts(frame: pd.DataFrame, key: str) -> dict[str, str]:
    """Glue texts ``<key>_<arm>`` (estimate with CI) and ``<key>_p_<arm>`` of arm-vs-control rows."""
    from trustexp import fmt

    out: dict[str, str] = {}
    for arm in TREATED:
        hit = frame[frame["contrast"] == f"{arm} vs {CONTROL}"] if len(frame) else frame
        if hit.empty:
            out[f"{key}_{arm}"], out[f"{key}_p_{arm}"] = "not estimable", "n/a"
            continue
        r = hit.iloc[0]
        out[f"{key}_{arm}"] = _fmt_est(r["estimate"], r["ci_low"], r["ci_high"], r["scale"])
        out[f"{key}_p_{arm}"] = fmt.pval(r["p"])
    return out


# --- several outcomes at once (chapter on the outcomes the report could not confirm) ----------

UNCONFIRMED = ("health", "mental_health", "self_reliance", "social_trust", "institutional_trust",
               "financial_strain", "deprived")  # fmt: skip


def panels(results: dict[str, OutcomeResult]) -> list[tuple[pd.DataFrame, str, str]]:
    """``(trajectory, title, unit)`` per outcome for ``charts.survey.trajectory_panels``."""
    return [(r.trajectory, outcome_label(k), outcome_unit(k)) for k, r in results.items()]


def standardised_equivalence(results: dict[str, OutcomeResult]) -> pd.DataFrame:
    """TOST rows of several outcomes in baseline-SD units (estimate and 90 % CI divided by the SD).

    Puts outcomes on different scales on one axis against the smallest effect of interest.
    """
    parts = []
    for key, r in results.items():
        sd = baseline_sd(r.long)
        if r.tost.empty or not np.isfinite(sd) or sd <= 0:
            continue
        t = r.tost.assign(outcome=key)
        t[["estimate", "ci_low", "ci_high"]] = (
            t[["estimate", "ci_low", "ci_high"]].astype(float) / sd
        )
        parts.append(t)
    if not parts:
        return pd.DataFrame(columns=["outcome", *STORE_COLUMNS, "label"])
    out = pd.concat(parts, ignore_index=True)
    return out.assign(label=out["outcome"].map(outcome_label))


def interaction_table(results: dict[str, OutcomeResult]) -> pd.DataFrame:
    """Per outcome: the arm x wave test of the complete-case mixed ANOVA (F, df, p, n)."""
    from trustexp import fmt

    rows = []
    for key, r in results.items():
        t = r.mixed_anova
        hit = t[t["Source"] == "Interaction"] if len(t) else t
        if hit.empty:
            rows.append(dict(outcome=outcome_label(key), F="n/a", df="", p="n/a", n=0))
            continue
        h = hit.iloc[0]
        rows.append(dict(outcome=outcome_label(key), F=fmt.num(h["F"]), df=f"{int(h['DF1'])}, {int(h['DF2'])}",
                         p=fmt.pval(h["p_unc"]), n=int(h["n"])))  # fmt: skip
    return pd.DataFrame(rows)


def pairwise_between_table(results: dict[str, OutcomeResult]) -> pd.DataFrame:
    """Per outcome: mixed-model differences in change between arms (start to two years), Holm p."""
    parts = []
    for key, r in results.items():
        t = pairwise_table(r)
        t = t[~t["contrast"].str.contains(": ", regex=False)]
        parts.append(t.assign(contrast=t["contrast"].str.replace(
            " (difference in change, start to two years)", "", regex=False)).assign(outcome=outcome_label(key)))  # fmt: skip
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return out[["outcome", *[c for c in out.columns if c != "outcome"]]] if len(out) else out


def callout_lines(results: dict[str, OutcomeResult], glued: dict[str, str]) -> list[str]:
    """One line per outcome: ANCOVA against regular service and the equivalence verdicts (glued texts)."""
    lines = []
    for key in results:
        lines.append(
            f"{outcome_label(key)}: self-direction {glued[f'{key}_ancova_eigen_regie']}, intensive support "
            f"{glued[f'{key}_ancova_intensief']} against regular service after two years; equivalence "
            f"{glued[f'{key}_tost_verdict_eigen_regie'].replace('equivalence ', '')} / "
            f"{glued[f'{key}_tost_verdict_intensief'].replace('equivalence ', '')}."
        )
    return lines


def summary_texts(results: dict[str, OutcomeResult], alpha: float = 0.05) -> dict[str, str]:
    """Counts over outcomes and arms for the prose: contrasts tested, clear differences, equivalence."""
    n_tests = n_clear = n_equiv = n_open = 0
    for r in results.values():
        for arm in TREATED:
            c = f"{arm} vs {CONTROL}"
            a, t = r.get("ANCOVA", c), r.get("TOST", c)
            if a is None:
                continue
            n_tests += 1
            clear = a["ci_low"] > 0 or a["ci_high"] < 0
            equiv = t is not None and t["p"] < alpha
            n_clear += clear
            n_equiv += equiv
            n_open += (not clear) and (not equiv)
    return {
        "unconfirmed_n_contrasts": str(n_tests),
        "unconfirmed_n_clear": str(n_clear),
        "unconfirmed_n_equivalent": str(n_equiv),
        "unconfirmed_n_open": str(n_open),
    }
