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
import pingouin as pg
import statsmodels.formula.api as smf
from scipy import stats

from trustexp.stats import cluster_robust as cr
from trustexp.stats.multiplicity import holm
from trustexp.stats.plan import STANDARDISED as STANDARDISED_DIFFERENCE
from trustexp.stats.plan import standardised_difference
from trustexp.stats.power import mde
from trustexp.vocab import ARMS, CONTROL, ESTIMATE_COLUMNS, SHARE_ITEMS, TREATED, WAVES

STORE_COLUMNS = list(ESTIMATE_COLUMNS)
MDE_POWER = 0.8
"""Power at which minimum detectable effects are reported."""


def value_scale(item: str) -> str:
    """Results-store scale of differences on ``item``: ``pp`` for shares, else ``points``."""
    return "pp" if item in SHARE_ITEMS else "points"


def long_outcome(
    survey: pd.DataFrame, participants: pd.DataFrame, item: str, respondent: str = "participant"
) -> pd.DataFrame:
    """One row per person and wave with an answer: ``person_id, arm, consultant_id, wave, value,
    rater_id`` (``consultant_id`` of the participant, from ``participants`` when it has one).

    Keeps completed questionnaires of ``respondent`` (``participant`` or ``consultant``) with a
    non-missing ``item``; booleans become 0/100 (percent). People without an arm are dropped.

    >>> long_outcome(survey, participants, "wellbeing").head()  # doctest: +SKIP
    """
    if item not in survey.columns:
        raise KeyError(f"survey has no column {item!r}; columns: {', '.join(survey.columns)}")
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
    by_id = participants.set_index(participants["person_id"].astype(str))
    out["arm"] = out["person_id"].map(arm)
    out["consultant_id"] = (
        out["person_id"].map(by_id["consultant_id"].astype(str))
        if "consultant_id" in by_id
        else None
    )
    out = out[out["arm"].isin(ARMS)]
    cols = ["person_id", "arm", "consultant_id", "wave", "value", "rater_id"]
    return out[cols].reset_index(drop=True)


def _wide(long: pd.DataFrame) -> pd.DataFrame:
    """Person by wave: columns ``person_id, arm, w0, w1, w2`` (NaN where not answered)."""
    wide = long.pivot_table(index=["person_id", "arm"], columns="wave", values="value")
    wide = wide.reindex(columns=list(WAVES))
    wide.columns = [f"w{w}" for w in WAVES]
    return wide.reset_index()


def paired_wave(long: pd.DataFrame, wave: int = 2) -> pd.DataFrame:
    """People who answered at wave 0 and at ``wave``: ``person_id, arm, consultant_id, y0, y``
    (the ANCOVA sample)."""
    wide = _wide(long)
    both = wide.dropna(subset=["w0", f"w{wave}"])
    out = both.rename(columns={"w0": "y0", f"w{wave}": "y"})[["person_id", "arm", "y0", "y"]]
    if "consultant_id" in long:
        consultant = long.drop_duplicates("person_id").set_index("person_id")["consultant_id"]
        out.insert(2, "consultant_id", out["person_id"].map(consultant))
    return out.reset_index(drop=True)


def _t_ci(mean: float, sd: float, n: int, alpha: float) -> tuple[float, float]:

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


ANCOVA = cr.METHODS["ancova"]
"""The method name of the primary questionnaire estimator (``"ANCOVA (baseline score)"``)."""
STANDARDISED = STANDARDISED_DIFFERENCE
"""One standardised effect per contrast: the difference (or change) over the baseline SD."""
CHANGE = "mean change"


def ancova_wave2(
    long: pd.DataFrame, alpha: float = 0.05, scale: str = "points", cluster: str = "consultant_id"
) -> pd.DataFrame:
    """Wave-2 score on arm plus the wave-0 score, each arm vs control, few-cluster inference.

    OLS among people who answered at waves 0 and 2, with CR2 standard errors clustered by the
    participant's consultant (``cluster``) and Bell-McCaffrey degrees of freedom
    (``stats.cluster_robust.arm_contrasts``): consultants mostly served one arm, so their
    influence is confounded with the arm. Returns one row per experimental arm (method
    ``ANCOVA (baseline score)``) with ``se, df``; ``n`` counts the people of both arms in the model.

    >>> ancova_wave2(long_outcome(survey, participants, "wellbeing"))  # doctest: +SKIP
    """
    data = paired_wave(long, 2)
    arms = [a for a in TREATED if _enough(data, (a,))]
    if not _enough(data, (CONTROL,)) or not arms or len(data) < len(arms) + 4:
        return _empty(ANCOVA)
    if cluster not in data or data[cluster].isna().all():
        raise KeyError(
            f"the ANCOVA needs the {cluster!r} of every participant (participants table)"
        )
    # values of shares are already in percent (``long_outcome``): no second scaling to pp
    out = cr.arm_contrasts(data, "y", baseline="y0", cluster=cluster, inference="CR2",
                           scale="points", alpha=alpha).assign(scale=scale)  # fmt: skip
    return out[out["contrast"].isin([f"{a} vs {CONTROL}" for a in arms])].reset_index(drop=True)


def standardised(rows: pd.DataFrame, sd: float) -> pd.DataFrame:
    """Rows of differences (or changes) over the baseline ``sd``, method ``STANDARDISED``, scale d."""
    if rows.empty or not np.isfinite(sd) or sd <= 0:
        return _empty(STANDARDISED)
    return standardised_difference(rows, sd)


def mixed_anova_complete(long: pd.DataFrame) -> pd.DataFrame:
    """Mixed ANOVA arm (between) x wave (within) on people who answered all three waves (pingouin).

    Returns pingouin's table (``Source, DF1, DF2, F, p_unc, np2``) plus ``n`` (complete cases);
    empty when fewer than two arms have two complete cases.
    """

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
        pairs = [(a, CONTROL) for a in TREATED] + [tuple(TREATED)]
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

    out = contrasts.copy()
    ok = out[p_col].notna()
    out["p_holm"] = np.nan
    if ok.any():
        out.loc[ok, "p_holm"] = holm(out.loc[ok, p_col].astype(float))
    return out


def within_change(long: pd.DataFrame, alpha: float = 0.05, scale: str = "points") -> pd.DataFrame:
    """Change from wave 0 to wave 2 within each arm (people who answered both).

    One row per arm, contrast ``<arm> wave 2 vs wave 0``, method ``mean change``: the mean of the
    differences with a t CI and the paired t-test p.
    """
    data = paired_wave(long, 2)
    rows = []
    for arm in ARMS:
        sub = data[data["arm"] == arm]
        n = len(sub)
        if n < 3:
            continue
        diff = (sub["y"] - sub["y0"]).to_numpy()
        mean, sd = float(diff.mean()), float(diff.std(ddof=1))
        lo, hi = _t_ci(mean, sd, n, alpha)
        p = float(stats.ttest_rel(sub["y"], sub["y0"]).pvalue) if sd > 0 else math.nan
        rows.append(dict(contrast=f"{arm} wave 2 vs wave 0", estimate=mean, ci_low=lo, ci_high=hi,
                         p=p, n=n, method=CHANGE, scale=scale))  # fmt: skip
    return pd.DataFrame(rows) if rows else _empty(CHANGE)


def baseline_sd(long: pd.DataFrame) -> float:
    """SD of the wave-0 answers of all participants: the yardstick of standardised effects."""
    v = long.loc[long["wave"] == 0, "value"]
    return float(v.std(ddof=1)) if len(v) > 1 else math.nan


def mde_arm(
    long: pd.DataFrame, alpha: float = 0.05, power: float = 0.8, scale: str = "points"
) -> pd.DataFrame:
    """Minimum detectable ANCOVA effect of each arm vs control at the achieved n (``power.mde``).

    SD = baseline SD of all participants; r = correlation of wave-0 and wave-2 answers in the
    ANCOVA sample. Estimate = MDE in points (``d`` column: in SDs); CI and p are empty.
    """

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
    mixed_anova: pd.DataFrame
    mixedlm: pd.DataFrame
    within: pd.DataFrame
    mde: pd.DataFrame
    sd: float
    extra: list[pd.DataFrame] = field(default_factory=list)
    _rows_cache: tuple[tuple, pd.DataFrame] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def standardised(self) -> pd.DataFrame:
        """The ANCOVA and the within-arm changes over the baseline SD (one standardised effect)."""
        return pd.concat([standardised(self.ancova, self.sd), standardised(self.within, self.sd)],
                         ignore_index=True)  # fmt: skip

    @property
    def pairwise(self) -> pd.DataFrame:
        """The mixed-model contrasts with Holm-adjusted p-values (one family per outcome)."""
        return pairwise_holm(self.mixedlm)

    def rows(self) -> pd.DataFrame:
        """All of this outcome's estimates as results-store rows."""
        return store_rows(self.outcome, self.ancova, self.within, self.standardised,
                          self.mixedlm, self.mde, *self.extra)  # fmt: skip

    def get(self, method: str, contrast: str) -> pd.Series | None:
        """One estimate row by method and contrast (``None`` if not estimable).

        The chapters ask for a few hundred rows; ``rows()`` is built once for them and again
        only when a frame is replaced or one is added to ``extra`` (frames are not changed in
        place).
        """
        frames = (self.ancova, self.within, self.mixedlm, self.mde, *self.extra)
        key = (self.sd, *((id(f), f.shape) for f in frames))
        if self._rows_cache is None or self._rows_cache[0] != key:
            self._rows_cache = (key, self.rows())
        rows = self._rows_cache[1]
        hit = rows[(rows["method"] == method) & (rows["contrast"] == contrast)]
        return None if hit.empty else hit.iloc[0]


def analyse_outcome(
    survey: pd.DataFrame,
    participants: pd.DataFrame,
    item: str,
    respondent: str = "participant",
    alpha: float = 0.05,
    cluster: str = "consultant_id",
    outcome: str | None = None,
) -> OutcomeResult:
    """Fit every model of the questionnaire chapters to one outcome, once.

    ``cluster`` is the column the ANCOVA's standard errors are clustered by (the participant's
    consultant; ``rater_id`` for consultant-rated items). ``outcome`` names the result (default
    ``item``; e.g. ``ladder_self`` for the participants' own ladder rating).

    >>> res = analyse_outcome(d.survey, d.participants, "wellbeing")  # doctest: +SKIP
    >>> res.ancova[["contrast", "estimate", "ci_low", "ci_high"]]  # doctest: +SKIP
    """
    long = long_outcome(survey, participants, item, respondent)
    if cluster == "rater_id":
        rater = long[long["wave"] == 2].drop_duplicates("person_id").set_index("person_id")
        long = long.assign(rater_wave2=long["person_id"].map(rater["rater_id"]))
        long = long.assign(consultant_id=long["rater_wave2"]).drop(columns="rater_wave2")
        cluster = "consultant_id"
    scale = value_scale(item)
    return OutcomeResult(
        outcome=outcome or item,
        respondent=respondent,
        scale=scale,
        long=long,
        trajectory=trajectory(long, alpha),
        ancova=ancova_wave2(long, alpha, scale, cluster),
        mixed_anova=mixed_anova_complete(long),
        mixedlm=mixedlm_contrasts(mixedlm_all(long), alpha, scale),
        within=within_change(long, alpha, scale),
        mde=mde_arm(long, alpha, MDE_POWER, scale),
        sd=baseline_sd(long),
    )


def analyse_outcomes(
    survey: pd.DataFrame, participants: pd.DataFrame, items: list[str] | tuple[str, ...], **kwargs
) -> dict[str, OutcomeResult]:
    """``analyse_outcome`` for several participant-reported items (keyword arguments passed on)."""
    return {item: analyse_outcome(survey, participants, item, **kwargs) for item in items}


def all_rows(results: dict[str, OutcomeResult]) -> pd.DataFrame:
    """Results-store rows of several outcomes."""
    return pd.concat([r.rows() for r in results.values()], ignore_index=True)
