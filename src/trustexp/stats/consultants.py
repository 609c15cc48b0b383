"""Consultants vs participants: paired ratings of the same person and wave, and their agreement.

A consultant rates each of their clients on items that make sense for them (participation ladder,
progress, an estimate of the client's life satisfaction); participants answer their own
questionnaire. Items answered by both are paired per person and wave; items answered only by the
consultant (``progress`` in the synthetic data) are described per arm and wave.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pingouin as pg
import statsmodels.api as sm
from scipy import stats

RATED_ITEMS = ("ladder", "progress", "wellbeing")
"""Items a consultant rates (the codebook's ``survey`` table)."""
_PAIR_COLUMNS = ["person_id", "arm", "wave", "item", "rater_id", "participant", "consultant"]


def _answers(survey: pd.DataFrame, respondent: str, item: str) -> pd.DataFrame:
    rows = survey[(survey["respondent"] == respondent) & survey["completed"].astype(bool)]
    out = rows[["person_id", "wave", "rater_id", item]].copy()
    out[item] = pd.to_numeric(out[item], errors="coerce").astype(float)
    return out[out[item].notna()]


def rating_pairs(
    survey: pd.DataFrame, participants: pd.DataFrame, items: tuple[str, ...] = RATED_ITEMS
) -> pd.DataFrame:
    """Pair each participant's own answer with their consultant's rating (same person and wave).

    Returns one row per person, wave and item answered by both: ``person_id, arm, wave, item,
    rater_id, participant, consultant, difference`` (consultant minus participant) and ``mean``
    (of the two). Items that only one side answers yield no rows.

    >>> rating_pairs(cohort.survey, cohort.participants).groupby("item").size()  # doctest: +SKIP
    """
    arm_of = participants.set_index("person_id")["arm"].astype(str)
    frames = []
    for item in items:
        if item not in survey.columns:
            continue
        own = _answers(survey, "participant", item).drop(columns="rater_id")
        cons = _answers(survey, "consultant", item)
        both = own.merge(cons, on=["person_id", "wave"], suffixes=("_p", "_c"))
        if both.empty:
            continue
        frames.append(
            pd.DataFrame(
                {
                    "person_id": both["person_id"].astype(str),
                    "arm": both["person_id"].map(arm_of).astype(str),
                    "wave": both["wave"].astype(int),
                    "item": item,
                    "rater_id": both["rater_id"].astype(str),
                    "participant": both[f"{item}_p"],
                    "consultant": both[f"{item}_c"],
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=[*_PAIR_COLUMNS, "difference", "mean"])
    out = pd.concat(frames, ignore_index=True)
    out["difference"] = out["consultant"] - out["participant"]
    out["mean"] = (out["consultant"] + out["participant"]) / 2
    return out.sort_values(["item", "wave", "arm", "person_id"], kind="stable").reset_index(
        drop=True
    )


def paired_items(survey: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Split the consultant-rated items into those both sides answered and consultant-only ones."""
    paired, only = [], []
    for item in RATED_ITEMS:
        if item not in survey.columns:
            continue
        has = {
            who: _answers(survey, who, item).shape[0] > 0 for who in ("participant", "consultant")
        }
        if has["participant"] and has["consultant"]:
            paired.append(item)
        elif has["consultant"]:
            only.append(item)
    return paired, only


def paired_differences(
    pairs: pd.DataFrame, by: tuple[str, ...] = ("item", "wave"), alpha: float = 0.05
) -> pd.DataFrame:
    """Mean consultant-minus-participant difference per group, a paired t-test and a signed-rank test.

    Within one wave each person gives one pair, so the pairs are independent. Returns ``by``
    columns plus ``n, participant_mean, consultant_mean, estimate, ci_low, ci_high, p`` (paired
    t-test) and ``p_wilcoxon`` (Wilcoxon signed-rank, for the ordinal scales). Groups with fewer
    than two pairs get no test.

    >>> paired_differences(pairs, by=("item", "wave"))  # doctest: +SKIP
    """

    rows = []
    for key, g in pairs.groupby(list(by), sort=True, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        d = g["difference"].to_numpy(float)
        row: dict[str, Any] = dict(zip(by, key, strict=True))
        row.update(
            n=len(d),
            participant_mean=float(g["participant"].mean()),
            consultant_mean=float(g["consultant"].mean()),
            estimate=float(d.mean()) if len(d) else np.nan,
            ci_low=np.nan,
            ci_high=np.nan,
            p=np.nan,
            p_wilcoxon=np.nan,
        )
        if len(d) >= 2 and np.std(d) > 0:
            test = stats.ttest_rel(g["consultant"], g["participant"])
            ci = test.confidence_interval(1 - alpha)
            row.update(ci_low=float(ci.low), ci_high=float(ci.high), p=float(test.pvalue))
            row["p_wilcoxon"] = float(stats.wilcoxon(d).pvalue) if np.any(d != 0) else 1.0
        elif len(d) >= 2:  # every pair identical: no spread, the difference is exact
            row.update(ci_low=row["estimate"], ci_high=row["estimate"], p=np.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def pooled_difference(pairs: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Mean difference per item over all waves, with a CI clustered by person.

    A person contributes up to three pairs (one per wave), so the standard error comes from an
    intercept-only OLS with cluster-robust (by person) variance (statsmodels). Returns ``item, n,
    n_people, estimate, ci_low, ci_high, p``.
    """

    rows = []
    for item, g in pairs.groupby("item", sort=True):
        y = g["difference"].to_numpy(float)
        groups = pd.factorize(g["person_id"])[0]
        n_people = int(g["person_id"].nunique())
        if n_people < 2 or np.std(y) == 0:
            rows.append(dict(item=item, n=len(y), n_people=n_people, estimate=float(np.mean(y)),
                             ci_low=np.nan, ci_high=np.nan, p=np.nan))  # fmt: skip
            continue
        fit = sm.OLS(y, np.ones((len(y), 1))).fit(cov_type="cluster", cov_kwds={"groups": groups})
        low, high = fit.conf_int(alpha)[0]
        rows.append(dict(item=item, n=len(y), n_people=n_people, estimate=float(fit.params[0]),
                         ci_low=float(low), ci_high=float(high), p=float(fit.pvalues[0])))  # fmt: skip
    return pd.DataFrame(rows)


def agreement_icc(pairs: pd.DataFrame, by: tuple[str, ...] = ("item",)) -> pd.DataFrame:
    """Intraclass correlation of the two ratings (pingouin.intraclass_corr), per group.

    Targets are person-waves, raters the two respondents. ``icc_agreement`` is ICC(A,1) (two-way,
    absolute agreement: a systematic upward shift of the consultants lowers it), ``icc_consistency``
    ICC(C,1) (the same ordering, shift ignored). Returns ``by`` columns plus ``n`` (pairs) and, for
    each type, the estimate, its 95% CI (pingouin rounds CIs to two decimals) and p. Groups with
    fewer than five pairs are left out.
    """

    rows = []
    for key, g in pairs.groupby(list(by), sort=True, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        if len(g) < 5:
            continue
        target = g["person_id"].astype(str) + "|" + g["wave"].astype(str)
        long = pd.concat(
            [
                pd.DataFrame(
                    {"target": target, "rater": "participant", "rating": g["participant"]}
                ),
                pd.DataFrame({"target": target, "rater": "consultant", "rating": g["consultant"]}),
            ],
            ignore_index=True,
        )
        res = pg.intraclass_corr(long, targets="target", raters="rater", ratings="rating")
        res = res.set_index("Type")
        row: dict[str, Any] = dict(zip(by, key, strict=True))
        row["n"] = len(g)
        for name, typ in (("agreement", "ICC(A,1)"), ("consistency", "ICC(C,1)")):
            ci = res.loc[typ, "CI95"]
            row[f"icc_{name}"] = float(res.loc[typ, "ICC"])
            row[f"icc_{name}_low"], row[f"icc_{name}_high"] = float(ci[0]), float(ci[1])
            row[f"icc_{name}_p"] = float(res.loc[typ, "pval"])
        rows.append(row)
    return pd.DataFrame(rows)


def bland_altman(
    pairs: pd.DataFrame, n_bootstrap: int, seed: int, alpha: float = 0.05
) -> pd.DataFrame:
    """Bland-Altman mean difference and 95% limits of agreement per item, with person-bootstrap CIs.

    Limits of agreement: mean difference +- 1.96 SD of the differences (Bland & Altman 1986). A
    person contributes up to three pairs, so the CIs come from a cluster bootstrap that resamples
    people (hand-written and vectorised through multinomial person weights; no library offers the
    clustered version). Returns ``item, n, bias, bias_low, bias_high, loa_low, loa_low_low,
    loa_low_high, loa_high, loa_high_low, loa_high_high``.
    """
    rng = np.random.default_rng(seed)
    q = [100 * alpha / 2, 100 * (1 - alpha / 2)]
    rows = []
    for item, g in pairs.groupby("item", sort=True):
        d = g["difference"].to_numpy(float)
        bias, sd = float(d.mean()), float(d.std(ddof=1)) if len(d) > 1 else np.nan
        row: dict[str, Any] = dict(item=item, n=len(d), bias=bias, loa_low=bias - 1.96 * sd,
                                   loa_high=bias + 1.96 * sd)  # fmt: skip
        per = g.assign(d2=g["difference"] ** 2).groupby("person_id")
        s1, s2, m = (per["difference"].sum().to_numpy(), per["d2"].sum().to_numpy(),
                     per.size().to_numpy())  # fmt: skip
        k = len(m)
        if k >= 2 and len(d) > 2:
            w = rng.multinomial(k, np.full(k, 1 / k), size=n_bootstrap)
            nn, t1, t2 = w @ m, w @ s1, w @ s2
            mean = t1 / nn
            var = np.maximum((t2 - nn * mean**2) / np.maximum(nn - 1, 1), 0)
            lo, hi = mean - 1.96 * np.sqrt(var), mean + 1.96 * np.sqrt(var)
            for name, draws in (("bias", mean), ("loa_low", lo), ("loa_high", hi)):
                row[f"{name}_low"], row[f"{name}_high"] = np.percentile(draws, q)
        rows.append(row)
    return pd.DataFrame(rows)


def bland_altman_cells(pairs: pd.DataFrame, threshold: int) -> tuple[pd.DataFrame, int]:
    """Counts of pairs per (mean, difference) cell for the Bland-Altman chart, small cells dropped.

    The ratings are whole numbers, so pairs stack on a grid; each cell is drawn as one circle
    sized by its count. Cells with fewer than ``threshold`` pairs are not drawn (disclosure
    control). Returns the cells (``item, mean, difference, n``) and the number of pairs left out.
    """
    cells = pairs.groupby(["item", "mean", "difference"]).size().rename("n").reset_index()
    small = cells["n"] < threshold
    return cells[~small].reset_index(drop=True), int(cells.loc[small, "n"].sum())


def gap_change(
    pairs: pd.DataFrame, first: int = 0, last: int = 2, alpha: float = 0.05
) -> pd.DataFrame:
    """Does the consultants' upward gap grow? Change of the mean difference from ``first`` to ``last`` wave.

    Uses people with a pair at both waves (a paired t-test of their two differences, scipy).
    Returns ``item, n, estimate, ci_low, ci_high, p``.
    """

    rows = []
    for item, g in pairs.groupby("item", sort=True):
        wide = g.pivot_table(index="person_id", columns="wave", values="difference")
        if first not in wide or last not in wide:
            continue
        wide = wide[[first, last]].dropna()
        row = dict(item=item, n=len(wide), estimate=np.nan, ci_low=np.nan, ci_high=np.nan, p=np.nan)
        if len(wide) >= 2:
            row["estimate"] = float((wide[last] - wide[first]).mean())
            if np.std(wide[last] - wide[first]) > 0:
                test = stats.ttest_rel(wide[last], wide[first])
                ci = test.confidence_interval(1 - alpha)
                row.update(ci_low=float(ci.low), ci_high=float(ci.high), p=float(test.pvalue))
        rows.append(row)
    return pd.DataFrame(rows)


def consultant_only_means(
    survey: pd.DataFrame, participants: pd.DataFrame, item: str, alpha: float = 0.05
) -> pd.DataFrame:
    """Mean consultant rating of ``item`` per arm and wave with a t-based CI (scipy).

    For items the participants did not answer themselves (``progress`` in the synthetic data).
    Returns ``arm, wave, n, mean, ci_low, ci_high``.
    """

    arm_of = participants.set_index("person_id")["arm"].astype(str)
    ans = _answers(survey, "consultant", item)
    ans = ans.assign(arm=ans["person_id"].map(arm_of))
    rows = []
    for (arm, wave), g in ans.groupby(["arm", "wave"], sort=True):
        x = g[item].to_numpy(float)
        row = dict(arm=arm, wave=int(wave), n=len(x), mean=float(x.mean()), ci_low=np.nan,
                   ci_high=np.nan)  # fmt: skip
        if len(x) >= 2 and x.std() > 0:
            low, high = stats.t.interval(1 - alpha, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
            row.update(ci_low=float(low), ci_high=float(high))
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class ConsultantAnalysis:
    """Every result of the consultants chapter (see ``consultant_analysis``)."""

    paired: list[str]
    only: list[str]
    pairs: pd.DataFrame
    by_wave: pd.DataFrame
    by_arm_wave: pd.DataFrame
    pooled: pd.DataFrame
    icc: pd.DataFrame
    icc_by_wave: pd.DataFrame
    limits: pd.DataFrame
    cells: pd.DataFrame
    n_hidden: int
    growth: pd.DataFrame
    only_means: dict[str, pd.DataFrame] = field(default_factory=dict)


def consultant_analysis(
    survey: pd.DataFrame,
    participants: pd.DataFrame,
    alpha: float,
    n_bootstrap: int,
    seed: int,
    threshold: int,
) -> ConsultantAnalysis:
    """Pair the ratings and compute every estimate the chapter shows.

    Paired items get per-wave and per-arm-and-wave differences, the pooled difference, ICCs,
    Bland-Altman limits (bootstrap seeded with ``seed``) and chart cells (pairs in cells below
    ``threshold`` left out), and the change of the gap; consultant-only items their means per arm
    and wave. Raises ``ValueError`` when no item was answered by both sides.
    """
    paired, only = paired_items(survey)
    if not paired:
        raise ValueError(
            "no item was answered by both participants and consultants: nothing to pair"
        )
    pairs = rating_pairs(survey, participants, tuple(paired))
    if pairs.empty:
        raise ValueError("no person and wave has answers of both participant and consultant")
    cells, n_hidden = bland_altman_cells(pairs, threshold)
    return ConsultantAnalysis(
        paired=paired,
        only=only,
        pairs=pairs,
        by_wave=paired_differences(pairs, by=("item", "wave"), alpha=alpha),
        by_arm_wave=paired_differences(pairs, by=("item", "arm", "wave"), alpha=alpha),
        pooled=pooled_difference(pairs, alpha=alpha),
        icc=agreement_icc(pairs, by=("item",)),
        icc_by_wave=agreement_icc(pairs, by=("item", "wave")),
        limits=bland_altman(pairs, n_bootstrap, seed, alpha=alpha),
        cells=cells,
        n_hidden=n_hidden,
        growth=gap_change(pairs, alpha=alpha),
        only_means={i: consultant_only_means(survey, participants, i, alpha) for i in only},
    )
