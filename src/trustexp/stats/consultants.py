"""Consultants vs participants: paired ratings of the same person and wave, and their agreement.

A consultant rates each of their clients on items that make sense for them (participation ladder,
progress, an estimate of the client's life satisfaction); participants answer their own
questionnaire. Items answered by both are paired per person and wave; items answered only by the
consultant (``progress`` in the synthetic data) are described per arm and wave.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ARMS = ("eigen_regie", "intensief", "regulier")
RATED_ITEMS = ("ladder", "progress", "wellbeing")
"""Items a consultant rates (see DESIGN.md, ``survey``)."""
THEMES_PATH = Path(__file__).resolve().parents[1] / "data" / "themes.yml"
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
    from scipy import stats

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
    import statsmodels.api as sm

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
    import pingouin as pg

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
    from scipy import stats

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
    from scipy import stats

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


def consultant_store_rows(
    pooled: pd.DataFrame, by_wave: pd.DataFrame, by_arm_wave: pd.DataFrame, icc: pd.DataFrame,
    icc_by_wave: pd.DataFrame, only: pd.DataFrame | None = None, only_item: str = "progress",
) -> pd.DataFrame:  # fmt: skip
    """Results-store rows (contrast ``consultant vs participant``; progress: ``<arm> level``).

    Methods: ``paired mean difference`` (all waves, clustered CI), ``paired mean difference wave
    <w>``, ``paired mean difference <arm> wave <w>`` (scale ``points``), ``ICC`` (ICC(A,1), all
    waves), ``ICC consistency`` (ICC(C,1)), ``ICC wave <w>`` (scale ``icc``); for a consultant-only
    item, ``consultant rating wave <w>`` per arm (contrast ``<arm> level``, scale ``points``).
    """
    rows: list[dict[str, Any]] = []
    base = dict(contrast="consultant vs participant", scale="points")
    for r in pooled.itertuples():
        rows.append(dict(base, outcome=r.item, estimate=r.estimate, ci_low=r.ci_low,
                         ci_high=r.ci_high, p=r.p, n=r.n, method="paired mean difference"))  # fmt: skip
    for r in by_wave.itertuples():
        rows.append(dict(base, outcome=r.item, estimate=r.estimate, ci_low=r.ci_low, ci_high=r.ci_high,
                         p=r.p, n=r.n, method=f"paired mean difference wave {r.wave}"))  # fmt: skip
    for r in by_arm_wave.itertuples():
        rows.append(dict(base, outcome=r.item, estimate=r.estimate, ci_low=r.ci_low, ci_high=r.ci_high,
                         p=r.p, n=r.n, method=f"paired mean difference {r.arm} wave {r.wave}"))  # fmt: skip
    base = dict(contrast="consultant vs participant", scale="icc")
    for r in icc.itertuples():
        rows.append(
            dict(
                base,
                outcome=r.item,
                estimate=r.icc_agreement,
                ci_low=r.icc_agreement_low,
                ci_high=r.icc_agreement_high,
                p=r.icc_agreement_p,
                n=r.n,
                method="ICC",
            )
        )
        rows.append(dict(base, outcome=r.item, estimate=r.icc_consistency, ci_low=r.icc_consistency_low,
                         ci_high=r.icc_consistency_high, p=r.icc_consistency_p, n=r.n,
                         method="ICC consistency"))  # fmt: skip
    for r in icc_by_wave.itertuples():
        rows.append(dict(base, outcome=r.item, estimate=r.icc_agreement, ci_low=r.icc_agreement_low,
                         ci_high=r.icc_agreement_high, p=r.icc_agreement_p, n=r.n,
                         method=f"ICC wave {r.wave}"))  # fmt: skip
    if only is not None:
        for r in only.itertuples():
            rows.append(dict(outcome=only_item, contrast=f"{r.arm} level", estimate=r.mean,
                             ci_low=r.ci_low, ci_high=r.ci_high, p=np.nan, n=r.n,
                             method=f"consultant rating wave {r.wave}", scale="points"))  # fmt: skip
    return pd.DataFrame(rows)


@cache
def _themes() -> dict[str, Any]:
    import yaml

    return yaml.safe_load(THEMES_PATH.read_text(encoding="utf-8"))


def working_elements() -> pd.DataFrame:
    """The process evaluation's working elements as named by the consultants, paraphrased.

    Read from ``trustexp/data/themes.yml`` (reference text, not data): one row per theme with
    ``key, theme, reading, related, sources``. Descriptions are the book's paraphrase; there are
    no quotations.
    """
    themes = _themes()["working_elements"]
    return pd.DataFrame(
        [
            dict(
                key=t["key"],
                theme=t["theme"],
                reading=t["reading"],
                related=t["related"],
                sources=", ".join(t["sources"]),
            )  # fmt: skip
            for t in themes
        ]
    )


def gap_table(by_wave: pd.DataFrame, icc_by_wave: pd.DataFrame) -> pd.DataFrame:
    """Display table: per item and wave, the two means, the difference with CI, tests and ICC."""
    from trustexp import fmt

    icc = icc_by_wave.set_index(["item", "wave"]) if len(icc_by_wave) else None
    rows = []
    for r in by_wave.itertuples():
        key = (r.item, r.wave)
        has_icc = icc is not None and key in icc.index
        rows.append(
            {
                "item": r.item,
                "wave": int(r.wave),
                "pairs": r.n,
                "participants' mean": fmt.num(r.participant_mean),
                "consultants' mean": fmt.num(r.consultant_mean),
                "difference [95% CI]": f"{fmt.num(r.estimate, signed=True)} {fmt.ci(r.ci_low, r.ci_high)}",
                "p (paired t)": fmt.pval(r.p),
                "p (signed rank)": fmt.pval(r.p_wilcoxon),
                "ICC agreement [95% CI]": (
                    f"{fmt.num(icc.loc[key, 'icc_agreement'])} "
                    f"{fmt.ci(icc.loc[key, 'icc_agreement_low'], icc.loc[key, 'icc_agreement_high'])}"
                    if has_icc
                    else "n/a"
                ),
            }
        )
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

    def store_rows(self, only_item: str = "progress") -> pd.DataFrame:
        """Results-store rows of the chapter (``consultant_store_rows``)."""
        return consultant_store_rows(self.pooled, self.by_wave, self.by_arm_wave, self.icc,
                                     self.icc_by_wave, self.only_means.get(only_item), only_item)  # fmt: skip


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


def data_texts(
    res: ConsultantAnalysis, participants: pd.DataFrame, threshold: int
) -> dict[str, str]:
    """Glue texts of the *Data* section: items, pairs per wave, people and participants per arm.

    Counts of people pass through disclosure control (``threshold``).
    """
    from trustexp import fmt
    from trustexp.chapter import n_text
    from trustexp.disclosure import count_text

    first = res.paired[0]
    waves = res.by_wave[res.by_wave["item"] == first]
    per_wave = ", ".join(f"wave {r.wave}: {fmt.count(r.n)}" for r in waves.itertuples())
    arms = participants["arm"].astype(str).value_counts().reindex(ARMS, fill_value=0)
    return {
        "paired_items": ", ".join(res.paired),
        "only_items": ", ".join(res.only) if res.only else "none",
        "n_pairs_ladder": per_wave
        + ("" if first == "ladder" else f" ({first}; the ladder was not paired)"),
        "n_people": count_text(int(res.pairs["person_id"].nunique()), threshold),
        "n_arm_text": n_text(arms.to_dict(), threshold),
    }


GAP_UNITS = {"ladder": "rungs", "wellbeing": "points"}
"""Unit of a consultant-minus-participant difference in prose (default ``points``)."""
GAP_KEYS = ("gap", "gap_ci", "gap_w0", "gap_w2", "growth", "icc", "icc_ci", "icc_c")
"""Glue keys (``<item>_<key>``) of ``gap_texts``."""


def _by_item(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` indexed by item (an empty frame when no group had enough pairs)."""
    return (
        frame.set_index("item")
        if "item" in frame
        else pd.DataFrame(index=pd.Index([], name="item"))
    )


def gap_texts(res: ConsultantAnalysis) -> dict[str, str]:
    """Glue texts of the results: gap, its CI, gap at waves 0 and 2, its growth and the ICCs.

    Keys ``<item>_<key>`` for every paired item and ``key`` in ``GAP_KEYS``; the ladder and
    life satisfaction get ``"n/a (not paired in these data)"`` when they were not paired.
    """
    from trustexp import fmt

    pooled, growth, ic = (_by_item(f) for f in (res.pooled, res.growth, res.icc))
    out: dict[str, str] = {}
    for item in res.paired:
        u = GAP_UNITS.get(item, "points")
        if item in pooled.index:
            r = pooled.loc[item]
            out[f"{item}_gap"] = fmt.num(r.estimate)
            out[f"{item}_gap_ci"] = (
                f"{fmt.num(r.estimate)} {u} (95% CI {fmt.ci(r.ci_low, r.ci_high)})"
            )
        else:
            out[f"{item}_gap"] = out[f"{item}_gap_ci"] = "n/a"
        bw = res.by_wave
        w = bw[bw["item"] == item].set_index("wave") if item in pooled.index else None
        for wave in (0, 2):
            has_wave = w is not None and wave in w.index
            out[f"{item}_gap_w{wave}"] = fmt.num(w.loc[wave, "estimate"]) if has_wave else "n/a"
        if item in growth.index:
            g = growth.loc[item]
            out[f"{item}_growth"] = (
                f"{fmt.num(g.estimate, signed=True)} {u} (95% CI {fmt.ci(g.ci_low, g.ci_high)})"
            )
        else:
            out[f"{item}_growth"] = "n/a"
        has = item in ic.index
        out[f"{item}_icc"] = fmt.num(ic.loc[item, "icc_agreement"]) if has else "n/a"
        out[f"{item}_icc_ci"] = (
            fmt.ci(ic.loc[item, "icc_agreement_low"], ic.loc[item, "icc_agreement_high"])
            if has
            else "[n/a]"
        )
        out[f"{item}_icc_c"] = fmt.num(ic.loc[item, "icc_consistency"]) if has else "n/a"
    for item in ("ladder", "wellbeing"):
        if item not in res.paired:
            out.update({f"{item}_{k}": "n/a (not paired in these data)" for k in GAP_KEYS})
    return out
