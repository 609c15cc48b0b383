"""Chapter 8, consultants and participants: display tables, glued texts and store rows."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from trustexp import disclosure, fmt
from trustexp.chapters.common import n_text
from trustexp.reference import oss as published
from trustexp.stats.consultants import ConsultantAnalysis
from trustexp.verdicts import judge
from trustexp.vocab import ARMS, level, outcome_label

THEMES_PATH = Path(__file__).resolve().parents[1] / "data" / "themes.yml"


def store_rows(res: ConsultantAnalysis, only_item: str = "progress") -> pd.DataFrame:
    """Results-store rows of the chapter (``consultant_store_rows``)."""
    return consultant_store_rows(res.pooled, res.by_wave, res.by_arm_wave, res.icc,
                                 res.icc_by_wave, res.only_means.get(only_item), only_item)  # fmt: skip


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
            rows.append(dict(outcome=only_item, contrast=level(r.arm), estimate=r.mean,
                             ci_low=r.ci_low, ci_high=r.ci_high, p=np.nan, n=r.n,
                             method=f"consultant rating wave {r.wave}", scale="points"))  # fmt: skip
    return pd.DataFrame(rows)


@cache
def _themes() -> dict[str, Any]:

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

    icc = icc_by_wave.set_index(["item", "wave"]) if len(icc_by_wave) else None
    rows = []
    for r in by_wave.itertuples():
        key = (r.item, r.wave)
        has_icc = icc is not None and key in icc.index
        rows.append(
            {
                "item": outcome_label(r.item),
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


def data_texts(
    res: ConsultantAnalysis, participants: pd.DataFrame, threshold: int
) -> dict[str, str]:
    """Glue texts of the *Data* section: items, pairs per wave, people and participants per arm.

    Counts of people pass through disclosure control (``threshold``).
    """

    first = res.paired[0]
    waves = res.by_wave[res.by_wave["item"] == first]
    per_wave = ", ".join(f"wave {r.wave}: {fmt.count(r.n)}" for r in waves.itertuples())
    arms = participants["arm"].astype(str).value_counts().reindex(ARMS, fill_value=0)
    return {
        "paired_items": ", ".join(outcome_label(i).lower() for i in res.paired),
        "only_items": ", ".join(outcome_label(i).lower() for i in res.only) if res.only else "none",
        "n_pairs_ladder": per_wave
        + ("" if first == "ladder" else f" ({first}; the ladder was not paired)"),
        "n_people": disclosure.count_text(int(res.pairs["person_id"].nunique()), threshold),
        "n_arm_text": n_text(arms.to_dict(), threshold),
    }


GAP_UNITS = {"ladder": "rungs", "wellbeing": "points"}
"""Unit of a consultant-minus-participant difference in prose (default ``points``)."""


GAP_KEYS = (
    "gap",
    "gap_ci",
    "gap_w0",
    "gap_w2",
    "growth",
    "icc",
    "icc_ci",
    "icc_c",
    "gap_text",
    "growth_dir",
    "icc_words",
)
"""Glue keys (``<item>_<key>``) of ``gap_texts``."""


def _by_item(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` indexed by item (an empty frame when no group had enough pairs)."""
    return (
        frame.set_index("item")
        if "item" in frame
        else pd.DataFrame(index=pd.Index([], name="item"))
    )


ICC_WORDS = ((0.5, "poor"), (0.75, "moderate"), (0.9, "good"), (float("inf"), "excellent"))
"""Koo & Li (2016): ICC below 0.5 poor, 0.5-0.75 moderate, 0.75-0.9 good, above 0.9 excellent."""


def icc_words(icc: float) -> str:
    """The Koo & Li label of an ICC point estimate (``ICC_WORDS``).

    >>> icc_words(0.62), icc_words(0.3)
    ('moderate', 'poor')
    """
    if icc != icc:
        return "not estimated"
    return next(word for cut, word in ICC_WORDS if icc < cut)


def _gap_text(est: float, lo: float, hi: float, unit: str) -> str:
    """``0.63 rungs higher (95% CI [0.50, 0.76])``, ``lower`` or ``not clearly higher or lower``."""
    v = judge(est, lo, hi, better=0)
    ci = f"95% CI {fmt.ci(lo, hi)}"
    if not v.clear:
        return f"not clearly higher or lower ({fmt.num(est, signed=True)} {unit}, {ci})"
    return f"{fmt.num(abs(est))} {unit} {'higher' if v.sign > 0 else 'lower'} ({ci})"


def _growth_dir(est: float, lo: float, hi: float) -> str:
    v = judge(est, lo, hi, better=0)
    return "did not clearly change" if not v.clear else ("grew" if v.sign > 0 else "shrank")


def gap_texts(res: ConsultantAnalysis) -> dict[str, str]:
    """Glue texts of the results: gap, its CI, gap at waves 0 and 2, its growth and the ICCs.

    Keys ``<item>_<key>`` for every paired item and ``key`` in ``GAP_KEYS``; the ladder and
    life satisfaction get ``"n/a (not paired in these data)"`` when they were not paired.
    """

    pooled, growth, ic = (_by_item(f) for f in (res.pooled, res.growth, res.icc))
    out: dict[str, str] = {}
    for item in res.paired:
        u = GAP_UNITS.get(item, "points")
        if item in pooled.index:
            r = pooled.loc[item]
            out[f"{item}_gap"] = fmt.num(r.estimate)
            out[f"{item}_gap_ci"] = (
                f"{fmt.num(r.estimate, signed=True)} {u} (95% CI {fmt.ci(r.ci_low, r.ci_high)})"
            )
            out[f"{item}_gap_text"] = _gap_text(r.estimate, r.ci_low, r.ci_high, u)
        else:
            out[f"{item}_gap"] = out[f"{item}_gap_ci"] = out[f"{item}_gap_text"] = "n/a"
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
            out[f"{item}_growth_dir"] = _growth_dir(g.estimate, g.ci_low, g.ci_high)
        else:
            out[f"{item}_growth"] = "n/a"
            out[f"{item}_growth_dir"] = "could not be followed (too few pairs at both waves)"
        has = item in ic.index
        out[f"{item}_icc"] = fmt.num(ic.loc[item, "icc_agreement"]) if has else "n/a"
        out[f"{item}_icc_ci"] = (
            fmt.ci(ic.loc[item, "icc_agreement_low"], ic.loc[item, "icc_agreement_high"])
            if has
            else "[n/a]"
        )
        out[f"{item}_icc_c"] = fmt.num(ic.loc[item, "icc_consistency"]) if has else "n/a"
        out[f"{item}_icc_words"] = (
            icc_words(float(ic.loc[item, "icc_agreement"])) if has else "not estimated"
        )
    for item in ("ladder", "wellbeing"):
        if item not in res.paired:
            out.update({f"{item}_{k}": "n/a (not paired in these data)" for k in GAP_KEYS})
    out["view_text"] = view_text(res)
    return out


def view_text(res: ConsultantAnalysis) -> str:
    """What the gaps mean, from their verdicts: the consultants' view was more positive, less
    positive, or not clearly different from the participants' own."""
    pooled = _by_item(res.pooled)
    signs = set()
    for item in ("ladder", "wellbeing"):
        if item in pooled.index:
            r = pooled.loc[item]
            v = judge(r.estimate, r.ci_low, r.ci_high, better=0)
            signs.add(v.sign if v.clear else 0)
    if signs == {1}:
        return ("The consultants judged their clients more positively than the clients judged "
                "themselves, so part of what looks like progress on a consultant-scored measure is "
                "the consultant's view rather than the participant's.")  # fmt: skip
    if signs == {-1}:
        return ("The consultants judged their clients less positively than the clients judged "
                "themselves, so a consultant-scored measure understates the participants' own view.")  # fmt: skip
    return ("The consultants' and the participants' judgements did not differ clearly in one "
            "direction, but a measure the consultants score is still their view, not the participant's.")  # fmt: skip


def themes_display(themes: pd.DataFrame) -> pd.DataFrame:
    """The working elements for readers (``working_elements`` without its key column)."""
    return themes[["theme", "reading", "related", "sources"]].rename(columns={
        "theme": "working element (paraphrased)", "reading": "this book's reading",
        "related": "related in this book", "sources": "source"})  # fmt: skip


def theme_texts(themes: pd.DataFrame) -> dict[str, str]:
    """Glue text ``n_themes``: how many working elements the consultants named."""
    return {"n_themes": fmt.count(len(themes))}


def published_texts() -> dict[str, str]:
    """Glue texts of the published-vs-build callout (published findings, in the sources' words)."""
    return {
        "pub_consultants": str(published("consultants_vs_participants", "value")),
        "pub_ladder_measure": str(published("social_participation", "finding", "value")),
    }


def only_figure_name(item: str) -> str:
    """The figure label of the chart of an item only the consultants rated."""
    return "fig-consultants-only-" + item.replace("_", "-")


def only_figures_markdown(items: list[str] | dict[str, Any]) -> str:
    """MyST sentence that refers by number to the charts of the consultant-only items (none: says so)."""
    refs = [f"{{numref}}`{only_figure_name(i)}`" for i in items]
    if not refs:
        return "Every consultant-rated item was also answered by the participants in these data."
    listed = refs[0] if len(refs) == 1 else ", ".join(refs[:-1]) + " and " + refs[-1]
    verb = "shows" if len(refs) == 1 else "show"
    return f"{listed} {verb} the consultants' mean rating per arm and wave, with 95% confidence intervals."
