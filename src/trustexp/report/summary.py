"""The one-page summaries (English and Dutch): sentences built from the results store only.

Every number in a summary sentence comes from a row of the results store, formatted by
``trustexp.fmt`` (Dutch notation via ``fmt.nl``); nothing is refitted. The primary rows
(``stats.overview.PRIMARY``) must be present; a missing optional row gives the words "not
estimated in this build" (``niet geschat in deze build``) instead of a number.
"""

from __future__ import annotations

import pandas as pd

from trustexp import fmt
from trustexp.report.contents import EVERYTHING
from trustexp.stats.overview import find_row, require_primary

ARMS = ("eigen_regie", "intensief", "regulier")
TREATED = ("eigen_regie", "intensief")
UNCONFIRMED = ("health", "mental_health", "self_reliance", "social_trust", "institutional_trust",
               "financial_strain", "deprived")  # fmt: skip
"""Outcomes the published evaluation did not confirm (``not_confirmed`` in published.yml)."""

NOT_ESTIMATED = {"en": "not estimated in this build", "nl": "niet geschat in deze build"}
ARM_NAMES = {
    "en": {"eigen_regie": "self-direction (eigen regie)", "intensief": "intensive support",
           "regulier": "regular service", "participants": "participants",
           "non_participants": "non-participants"},
    "nl": {"eigen_regie": "eigen regie", "intensief": "intensieve begeleiding",
           "regulier": "reguliere dienstverlening", "participants": "deelnemers",
           "non_participants": "niet-deelnemers"},
}  # fmt: skip
OUTCOME_NAMES = {
    "en": {"contacts": "social contacts per month", "ladder": "the participation ladder",
           "wellbeing": "life satisfaction"},
    "nl": {"contacts": "sociale contacten per maand", "ladder": "de participatieladder",
           "wellbeing": "tevredenheid met het leven"},
}  # fmt: skip


def _n(x: str, lang: str) -> str:
    return fmt.nl(x) if lang == "nl" else x


UNITS = {
    "en": {"contacts": " contacts per month", "ladder": " rungs", "": " points"},
    "nl": {"contacts": " contacten per maand", "ladder": " treden", "": " punt"},
}


def estimate_text(row: pd.Series | None, lang: str = "en") -> str:
    """An estimate with its 95% CI in the row's unit (pp or points), or "not estimated"."""
    if row is None or pd.isna(row["estimate"]):
        return NOT_ESTIMATED[lang]
    est, low, high = float(row["estimate"]), float(row["ci_low"]), float(row["ci_high"])
    units = UNITS[lang]
    if lang == "nl":
        if row["scale"] == "pp":
            return f"{fmt.pp_nl(est, signed=True)} (95%-BI {fmt.nl(fmt.ci(low, high, scale='pp'))})"
        unit = units.get(str(row["outcome"]), units[""]) if row["scale"] == "points" else ""
        return f"{fmt.nl(fmt.num(est, signed=True))}{unit} (95%-BI {fmt.nl(fmt.ci(low, high))})"
    if row["scale"] == "pp":
        return f"{fmt.pp(est, signed=True)} (95% CI {fmt.ci(low, high, scale='pp')})"
    unit = units.get(str(row["outcome"]), units[""]) if row["scale"] == "points" else ""
    return f"{fmt.num(est, signed=True)}{unit} (95% CI {fmt.ci(low, high)})"


def share_text(row: pd.Series | None, lang: str = "en") -> str:
    """A share row (0-1) as a percentage."""
    if row is None or pd.isna(row["estimate"]):
        return NOT_ESTIMATED[lang]
    return _n(fmt.pct(float(row["estimate"])), lang)


def count_text(n: float | None, lang: str = "en") -> str:
    """A count of people (thousands separator in the language's notation)."""
    return NOT_ESTIMATED[lang] if n is None or pd.isna(n) else _n(fmt.count(n), lang)


def _group_n(store: pd.DataFrame, group: str) -> float | None:
    row = find_row(store, "outflow_full", f"{group} level", ("share (Wilson)",))
    if row is not None:
        return float(row["n"])
    if group in ARMS:
        row = find_row(store, "response", f"{group} level", ("completed questionnaire wave 0",))
        return None if row is None else float(row["n"])
    return None


def _excludes_zero(row: pd.Series | None) -> bool | None:
    if row is None or pd.isna(row["ci_low"]):
        return None
    return bool(row["ci_low"] > 0 or row["ci_high"] < 0)


def summary_facts(store: pd.DataFrame, lang: str = "en", alpha: float = 0.05) -> dict[str, str]:
    """Formatted numbers (glue name -> text) the summary pages need, read from the store.

    Raises ``InvalidData`` when a primary row is missing; optional ones read "not estimated".

    >>> summary_facts(read_results(results_dir), "nl")["outflow_er"]  # doctest: +SKIP
    '+1,0 procentpunt (95%-BI [-8,7; 10,7])'
    """
    require_primary(store)
    names = ARM_NAMES[lang]
    out: dict[str, str] = {}
    arm_n = {a: _group_n(store, a) for a in ARMS}
    known = [v for v in arm_n.values() if v is not None]
    out["n_participants"] = count_text(sum(known) if len(known) == 3 else None, lang)
    out["n_arms"] = ", ".join(f"{names[a]} {count_text(arm_n[a], lang)}" for a in ARMS)
    out["n_non_participants"] = count_text(_group_n(store, "non_participants"), lang)

    level = lambda g: find_row(store, "outflow_full", f"{g} level", ("share (Wilson)",))  # noqa: E731
    out["outflow_share_participants"] = share_text(level("participants"), lang)
    out["outflow_share_non"] = share_text(level("non_participants"), lang)
    vs_non = ("adjusted risk difference", "risk difference")
    out["outflow_vs_non"] = estimate_text(
        find_row(store, "outflow_full", "participants vs non_participants", vs_non), lang
    )
    arm_vs_non = [find_row(store, "outflow_full", f"{a} vs non_participants", vs_non) for a in ARMS]
    if all(r is not None for r in arm_vs_non):
        lo = min(float(r["estimate"]) for r in arm_vs_non)
        hi = max(float(r["estimate"]) for r in arm_vs_non)
        out["outflow_arm_range"] = (
            f"{fmt.nl(fmt.num(lo, 1))} tot {fmt.pp_nl(hi)}" if lang == "nl"
            else f"{fmt.num(lo, 1)} to {fmt.pp(hi)}"
        )  # fmt: skip
    else:
        out["outflow_arm_range"] = NOT_ESTIMATED[lang]
    for arm, key in (("eigen_regie", "er"), ("intensief", "int")):
        contrast = f"{arm} vs regulier"
        out[f"outflow_{key}"] = estimate_text(
            find_row(store, "outflow_full", contrast, "risk difference"), lang
        )
        out[f"wellbeing_{key}"] = estimate_text(
            find_row(store, "wellbeing", contrast, "ANCOVA"), lang
        )
    changes = [find_row(store, "wellbeing", f"{a} wave 2 vs wave 0", "mean change") for a in ARMS]
    out["wellbeing_change"] = (
        "; ".join(
            f"{names[a]} {estimate_text(r, lang)}" for a, r in zip(ARMS, changes, strict=True)
        )
        if any(r is not None for r in changes)
        else NOT_ESTIMATED[lang]
    )
    for outcome in ("contacts", "ladder"):
        out[f"{outcome}_er"] = estimate_text(
            find_row(store, outcome, "eigen_regie vs regulier", "ANCOVA"), lang
        )
    flags = [
        _excludes_zero(find_row(store, o, f"{a} vs regulier", "ANCOVA"))
        for o in UNCONFIRMED
        for a in TREATED
    ]
    tested = [f for f in flags if f is not None]
    if tested:
        k, m = sum(tested), len(tested)
        out["unconfirmed"] = f"{k} van de {m}" if lang == "nl" else f"{k} of the {m}"
    else:
        out["unconfirmed"] = NOT_ESTIMATED[lang]
    holm = store[store["method"].astype(str).str.endswith("(Holm)")
                 & store["contrast"].astype(str).str.endswith("vs regulier")]  # fmt: skip
    if len(holm):
        k, m = int((holm["p"] < alpha).sum()), int(holm["p"].notna().sum())
        out["holm"] = f"{k} van de {m}" if lang == "nl" else f"{k} of the {m}"
    else:
        out["holm"] = NOT_ESTIMATED[lang]
    rater = find_row(store, "wellbeing", "consultant vs participant", "paired mean difference")
    out["consultant_gap"] = estimate_text(rater, lang)
    perm = [find_row(store, o, c, "permutation") for o, c in
            (("outflow_full", "eigen_regie vs regulier"), ("outflow_full", "intensief vs regulier"),
             ("wellbeing", "eigen_regie vs regulier"), ("wellbeing", "intensief vs regulier"))]  # fmt: skip
    if all(r is not None for r in perm):
        lo = min(float(r["p"]) for r in perm)
        out["permutation_min_p"] = _n(fmt.pval(lo), lang)
    else:
        out["permutation_min_p"] = NOT_ESTIMATED[lang]
    mde = store[(store["outcome"] == "outflow_full") & (store["method"] == "MDE registry")]
    out["mde_outflow"] = (
        (fmt.pp_nl(float(mde["estimate"].max())) if lang == "nl" else fmt.pp(float(mde["estimate"].max())))
        if len(mde) else NOT_ESTIMATED[lang]
    )  # fmt: skip
    p_row, n_row = level("participants"), level("non_participants")
    if p_row is not None and n_row is not None and float(n_row["estimate"]) > 0:
        out["outflow_ratio"] = _n(
            fmt.num(float(p_row["estimate"]) / float(n_row["estimate"]), 1), lang
        )
    else:
        out["outflow_ratio"] = NOT_ESTIMATED[lang]
    spend = find_row(store, "spending", "participants level", "spending per participant")
    out["spend_participant"] = (
        NOT_ESTIMATED[lang] if spend is None
        else _n(f"€{fmt.count(float(spend['estimate']))}", lang).replace("€", "€ " if lang == "nl" else "€")
    )  # fmt: skip
    traj = find_row(
        store, "spending", "participants level", "budget share: reintegration_trajectory"
    )
    out["trajectory_share"] = share_text(traj, lang)
    cov = store[store["method"].astype(str).str.startswith("simulation coverage")]
    out["coverage_min"] = (
        _n(fmt.pct(float(cov["estimate"].min())), lang) if len(cov) else NOT_ESTIMATED[lang]
    )
    return out


def outflow_between_arms_clear(store: pd.DataFrame) -> bool:
    """True when any arm-vs-control outflow CI excludes zero (decides a sentence's wording)."""
    rows = [find_row(store, "outflow_full", f"{a} vs regulier", "risk difference") for a in TREATED]
    return any(_excludes_zero(r) for r in rows)


def wellbeing_between_arms_clear(store: pd.DataFrame) -> bool:
    """True when any arm-vs-control wellbeing ANCOVA CI excludes zero."""
    rows = [find_row(store, "wellbeing", f"{a} vs regulier", "ANCOVA") for a in TREATED]
    return any(_excludes_zero(r) for r in rows)


def verdict_words(store: pd.DataFrame, lang: str = "en") -> dict[str, str]:
    """Words (no numbers) that depend on the estimates: whether arm differences are clear."""
    words = {
        "en": ("a difference the data can tell apart from chance", "too small to tell apart from chance"),
        "nl": ("een verschil dat de gegevens van toeval kunnen onderscheiden", "te klein om van toeval te onderscheiden"),
    }[lang]  # fmt: skip
    return {
        "outflow_arms_verdict": words[0] if outflow_between_arms_clear(store) else words[1],
        "wellbeing_arms_verdict": words[0] if wellbeing_between_arms_clear(store) else words[1],
    }


def chapter_links(lang: str = "en") -> list[str]:
    """Markdown lines ``{doc}`NN_x` — title`` for every chapter of the book (but the summaries)."""
    from pathlib import Path

    from trustexp.report.contents import CHAPTERS

    skip = {"summary", "samenvatting"}
    return [f"{{doc}}`{Path(c.notebook).stem}` — {c.title}" for c in CHAPTERS if c.key not in skip]


SUMMARY_CHAPTERS = EVERYTHING
"""Chapters whose results the summaries read (those not in the store are reported, not fatal)."""
