"""Chapter 9, effect sizes at a glance: the overview of the store's estimates and its texts.

Reads the results store (never refits): picks each contrast's preferred estimate, puts it on a
common standardised scale for the forest plot, adjusts the p-values (``stats.overview``), and
builds the chapter's table, glued texts and store rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustexp import disclosure, fmt
from trustexp.errors import InvalidData
from trustexp.reference import oss as published
from trustexp.results import find_row
from trustexp.stats.overview import (
    RANDOMISED,
    VS_NON,
    WITHIN,
    binary_sd,
    contrast_kind,
    multiplicity_summary,
)
from trustexp.vocab import (
    ARMS,
    DOMAINS,
    UNCONFIRMED,
    contrast_group,
    contrast_label,
    domain_of,
    group_label,
    outcome_label,
)

RAW_METHODS: dict[str, tuple[str, ...]] = {
    RANDOMISED: ("risk difference", "ANCOVA"),
    VS_NON: ("adjusted risk difference", "risk difference", "reweighted risk difference"),
    WITHIN: ("mean change",),
}
"""Preferred method of the raw-scale estimate per contrast kind, first found wins."""


STD_METHODS: dict[str, tuple[str, ...]] = {
    RANDOMISED: ("Hedges g",),
    VS_NON: (),
    WITHIN: ("within-person d",),
}
"""Methods whose rows already are standardised (scale ``g`` or ``d``)."""


PRIMARY: tuple[tuple[str, str, str], ...] = (
    ("outflow_full", "eigen_regie vs regulier", "risk difference"),
    ("outflow_full", "intensief vs regulier", "risk difference"),
    ("wellbeing", "eigen_regie vs regulier", "ANCOVA"),
    ("wellbeing", "intensief vs regulier", "ANCOVA"),
)
"""The primary estimates (outcome, contrast, method): the randomised arm contrasts of the two
primary outcomes. Pages that read the store must find these rows; all others are optional."""


def require_primary(store: pd.DataFrame) -> None:
    """Raise ``InvalidData`` naming every primary row the store lacks (see ``PRIMARY``)."""
    missing = [
        f"outcome {o!r}, contrast {c!r}, method {m!r}"
        for o, c, m in PRIMARY
        if find_row(store, o, c, m) is None
    ]
    if missing:
        raise InvalidData(
            "the results store lacks primary estimates; run the outflow and wellbeing chapters first",
            missing,
        )


def _group_share(store: pd.DataFrame, outcome: str, group: str) -> float | None:
    """The share (0-1) of a group from a ``<group> level`` row, pooling arms for participants."""
    row = find_row(store, outcome, f"{group} level", ("share (Wilson)", "share"))
    if row is not None:
        return float(row["estimate"])
    if group == "participants":
        rows = [find_row(store, outcome, f"{a} level", ("share (Wilson)", "share")) for a in ARMS]
        if all(r is not None for r in rows):
            n = np.array([float(r["n"]) for r in rows])
            p = np.array([float(r["estimate"]) for r in rows])
            return float((n * p).sum() / n.sum())
    return None


def effect_overview(store: pd.DataFrame, sds: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per effect outcome and contrast: raw estimate, standardised estimate, p.

    The raw row is the preferred method of ``RAW_METHODS``. The standardised value divides the
    raw estimate and its CI by ``sds[outcome]`` where given (the baseline SD of a questionnaire
    outcome: the yardstick the questionnaire chapters use), so raw and standardised values agree
    in sign and significance; otherwise it is the chapter's own ``g``/``d`` row, or for
    differences of shares the risk difference divided by the pooled SD of the two groups' shares
    (from ``<group> level`` rows).
    Columns: ``domain, outcome, contrast, kind, group, method, scale, estimate, ci_low, ci_high,
    p, n, std_estimate, std_low, std_high, std_method``.
    """
    effects = store[store["outcome"].map(domain_of).notna()]
    effects = effects[effects["contrast"].map(contrast_kind).notna()]
    rows = []
    for (outcome, contrast), _ in effects.groupby(["outcome", "contrast"], sort=False):
        kind = contrast_kind(contrast)
        raw = find_row(effects, outcome, contrast, RAW_METHODS[kind])
        if raw is None:
            continue
        std = find_row(effects, outcome, contrast, STD_METHODS[kind])
        s_est = s_low = s_high = np.nan
        s_method = ""
        sd = (sds or {}).get(outcome, np.nan)
        if np.isfinite(sd) and sd > 0:
            s_est, s_low, s_high = raw["estimate"] / sd, raw["ci_low"] / sd, raw["ci_high"] / sd
            s_method = f"{raw['method']} / baseline SD"
        elif std is not None:
            s_est, s_low, s_high = std["estimate"], std["ci_low"], std["ci_high"]
            s_method = str(std["method"])
        elif raw["scale"] == "pp":
            a, b = contrast.split(" vs ")
            p1, p2 = _group_share(store, outcome, a), _group_share(store, outcome, b)
            if p1 is not None and p2 is not None and binary_sd(p1, p2) > 0:
                sd = 100 * binary_sd(p1, p2)
                s_est, s_low, s_high = raw["estimate"] / sd, raw["ci_low"] / sd, raw["ci_high"] / sd
                s_method = "risk difference / pooled SD"
        rows.append(
            dict(
                domain=domain_of(outcome),
                outcome=outcome,
                contrast=contrast,
                kind=kind,
                group=contrast_group(contrast),
                method=str(raw["method"]),
                scale=str(raw["scale"]),
                estimate=float(raw["estimate"]),
                ci_low=float(raw["ci_low"]),
                ci_high=float(raw["ci_high"]),
                p=float(raw["p"]) if pd.notna(raw["p"]) else np.nan,
                n=raw["n"],
                std_estimate=float(s_est),
                std_low=float(s_low),
                std_high=float(s_high),
                std_method=s_method,
            )
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    order_o = {k: i for i, k in enumerate(k for keys in DOMAINS.values() for k in keys)}
    order_k = {RANDOMISED: 0, VS_NON: 1, WITHIN: 2}
    out = out.assign(
        _o=out["outcome"].map(order_o), _k=out["kind"].map(order_k), _c=out["contrast"]
    ).sort_values(["_o", "_k", "_c"])
    return out.drop(columns=["_o", "_k", "_c"]).reset_index(drop=True)


def estimate_text(est: float, low: float, high: float, scale: str) -> str:
    """A raw-scale estimate with its CI as the book formats it (pp, points, g, ...)."""

    if scale == "pp":
        return f"{fmt.num(est, 1, signed=True)} pp {fmt.ci(low, high, scale='pp')}"
    return f"{fmt.num(est, signed=True)} {fmt.ci(low, high)}"


def multiplicity_table(adjusted: pd.DataFrame) -> pd.DataFrame:
    """The display table of the overview: labels, raw estimate with CI, n and the three p-values."""

    units = {"pp": "percentage points", "points": "points on the outcome's scale"}
    return pd.DataFrame(
        {
            "domain": adjusted["domain"],
            "outcome": adjusted["outcome"].map(outcome_label),
            "contrast": adjusted["contrast"].map(contrast_label),
            "method": adjusted["method"],
            "estimate [95% CI]": [
                estimate_text(r.estimate, r.ci_low, r.ci_high, r.scale)
                for r in adjusted.itertuples()
            ],
            "unit": adjusted["scale"].map(lambda s: units.get(s, s)),
            "standardised": [
                f"{fmt.num(r.std_estimate, signed=True)} {fmt.ci(r.std_low, r.std_high)}"
                if pd.notna(r.std_estimate)
                else "n/a"
                for r in adjusted.itertuples()
            ],
            "n": adjusted["n"],
            "p": adjusted["p"].map(fmt.pval),
            "p (Holm)": adjusted["p_holm"].map(fmt.pval),
            "p (BH)": adjusted["p_bh"].map(fmt.pval),
        }
    )


ESTIMATE_CHAPTERS = ("outflow", "wellbeing", "social_participation", "other_outcomes")
"""Chapters whose estimates the overview shows (the effect outcomes)."""


def overview_rows(adjusted: pd.DataFrame) -> pd.DataFrame:
    """Results-store rows of the overview: standardised risk differences (scale ``d``) and the
    Holm- and BH-adjusted p-values of every tested estimate (method ``<method> (Holm)``/``(BH)``)."""
    rows = []
    for r in adjusted.itertuples():
        if r.std_method == "risk difference / pooled SD":
            rows.append(dict(outcome=r.outcome, contrast=r.contrast, estimate=r.std_estimate,
                             ci_low=r.std_low, ci_high=r.std_high, p=r.p, n=r.n,
                             method="standardised risk difference", scale="d"))  # fmt: skip
        if pd.notna(r.p):
            for tag, p in (("Holm", r.p_holm), ("BH", r.p_bh)):
                rows.append(dict(outcome=r.outcome, contrast=r.contrast, estimate=r.estimate,
                                 ci_low=r.ci_low, ci_high=r.ci_high, p=min(1.0, float(p)), n=r.n,
                                 method=f"{r.method} ({tag})", scale=r.scale))  # fmt: skip
    return pd.DataFrame(rows)


def overview_facts(adjusted: pd.DataFrame, alpha: float = 0.05) -> dict[str, str]:
    """Formatted numbers of the overview page (glue name -> text)."""

    fam = multiplicity_summary(adjusted, alpha).set_index("family")
    out = {
        "n_effects": fmt.count(len(adjusted)),
        "n_outcomes": fmt.count(adjusted["outcome"].nunique()),
        "n_standardised": fmt.count(int(adjusted["std_estimate"].notna().sum())),
        "alpha": fmt.num(alpha),
    }
    for kind, key in ((RANDOMISED, "rand"), (VS_NON, "non"), (WITHIN, "within")):
        row = fam.loc[kind] if kind in fam.index else None
        for col in ("tests", "raw", "holm", "bh"):
            out[f"{key}_{col}"] = fmt.count(int(row[col])) if row is not None else "0"
    rand = adjusted[(adjusted["kind"] == RANDOMISED) & adjusted["std_estimate"].notna()]
    if len(rand):
        top = rand.loc[rand["std_estimate"].abs().idxmax()]
        out["largest_rand"] = (
            f"{fmt.num(top['std_estimate'], signed=True)} SDs, "
            f"{contrast_label(top['contrast']).lower()} on {outcome_label(top['outcome']).lower()}"
        )
    else:
        out["largest_rand"] = "not estimated in this build"
    unc = adjusted[(adjusted["kind"] == RANDOMISED) & adjusted["outcome"].isin(UNCONFIRMED)]
    if len(unc):
        k = int(((unc["ci_low"] > 0) | (unc["ci_high"] < 0)).sum())
        out["unconfirmed_text"] = f"{k} of the {len(unc)}"
    else:
        out["unconfirmed_text"] = "not estimated in this build"
    return out


def forest_data(overview: pd.DataFrame, threshold: int = 10) -> pd.DataFrame:
    """The rows of ``stats.overview.effect_overview`` that have a standardised value, with labels.

    Only the columns the chart uses; ``n`` as text with counts below ``threshold`` suppressed.
    """
    data = overview[overview["std_estimate"].notna()].copy()
    data["outcome_label"] = data["outcome"].map(outcome_label)
    data["contrast_label"] = data["contrast"].map(contrast_label)
    data["group_label"] = data["group"].map(group_label)
    data["raw"] = [
        estimate_text(r.estimate, r.ci_low, r.ci_high, r.scale) for r in data.itertuples()
    ]
    data["std_text"] = [
        f"{r.std_estimate:+.2f} [{r.std_low:.2f}, {r.std_high:.2f}]" for r in data.itertuples()
    ]
    data["p_text"] = data["p"].map(
        lambda p: "n/a" if pd.isna(p) else ("< 0.001" if p < 0.001 else f"{p:.3f}")
    )
    data["n_text"] = data["n"].map(lambda n: disclosure.count_text(int(n), threshold))
    cols = ["domain", "outcome_label", "contrast_label", "group", "group_label", "kind", "method",
            "scale", "raw", "std_estimate", "std_low", "std_high", "std_text", "std_method", "p_text",
            "n_text"]  # fmt: skip
    return data[cols]


def family_table(adjusted: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """``stats.overview.multiplicity_summary`` for readers (column names in words)."""
    return multiplicity_summary(adjusted, alpha).rename(columns={
        "family": "family of comparisons", "tests": "tests", "raw": "p < alpha, unadjusted",
        "holm": "p < alpha, Holm", "bh": "p < alpha, Benjamini-Hochberg"})  # fmt: skip


def published_texts() -> dict[str, str]:
    """Glue texts of the published-vs-build callout: the between-arm finding, unconfirmed outcomes."""
    return {
        "pub_between": str(published("outflow", "difference_between_arms", "value")),
        "pub_not_confirmed": ", ".join(
            k.replace("_", " ") for k in published("not_confirmed", "value")
        ),
    }
