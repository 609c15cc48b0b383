"""Chapter 9, effect sizes at a glance: the overview of the store's estimates and its texts.

Reads the results store (never refits): picks each contrast's preferred estimate, puts it on a
common standardised scale for the forest plot, adjusts the p-values (``stats.overview``), and
builds the chapter's table, glued texts and store rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustexp import disclosure, fmt, verdicts
from trustexp.errors import InvalidData
from trustexp.reference import oss as published
from trustexp.results import find_row
from trustexp.stats.overview import (
    RANDOMISED,
    VS_NON,
    WITHIN,
    adjust_pvalues,
    binary_sd,
    contrast_kind,
)
from trustexp.stats.plan import apply_plan
from trustexp.vocab import (
    ARMS,
    DOMAINS,
    UNCONFIRMED,
    contrast_group,
    contrast_label,
    domain_of,
    group_label,
    in_sentence,
    outcome_label,
)

RAW_METHODS: dict[str, tuple[str, ...]] = {
    RANDOMISED: ("difference (covariate-adjusted)", "ANCOVA (baseline score)"),
    VS_NON: ("ATT (doubly robust)", "risk difference"),
    WITHIN: ("mean change",),
}
"""Preferred method of the raw-scale estimate per contrast kind, first found wins: the analysis
plan's estimators for the lottery contrasts, the effect on the participants against non-participants."""

STD_METHODS: dict[str, tuple[str, ...]] = {
    kind: ("standardised difference (baseline SD)",) for kind in (RANDOMISED, VS_NON, WITHIN)
}
"""Methods whose rows already are standardised (scale ``d``): the one standardised effect."""


def primary_rows(plan) -> list[tuple[str, str, str]]:
    """``(outcome, contrast, method)`` of every hypothesis of the plan's confirmatory families."""
    return [
        (o, c, plan.estimators[o])
        for fam in plan.families
        if fam.confirmatory
        for o in fam.outcomes
        for c in fam.contrasts
    ]


def require_primary(store: pd.DataFrame, plan) -> None:
    """Raise ``InvalidData`` naming every confirmatory estimate of the plan that the store lacks."""
    missing = [
        f"outcome {o!r}, contrast {c!r}, method {m!r}"
        for o, c, m in primary_rows(plan)
        if find_row(store, o, c, m) is None
    ]
    if missing:
        raise InvalidData(
            "the results store lacks estimates the analysis plan tests; run the chapters that "
            "estimate them (outflow, wellbeing, social participation) first",
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
                s_method = "difference / pooled SD"
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


def with_plan(overview: pd.DataFrame, plan, alpha: float = 0.05) -> pd.DataFrame:
    """``overview`` with the analysis plan applied to its lottery contrasts and Holm elsewhere.

    Adds ``family`` (the plan's family; for comparisons outside the plan their kind),
    ``p_adjusted`` (Holm within the family), ``tested_under_plan`` and ``rejected`` (gatekeeping:
    ``stats.plan.apply_plan``; never for families outside the plan's confirmatory ones).
    """
    out = apply_plan(overview, plan.model_dump(), alpha)
    rest = out["family"].isna() & out["p"].notna()
    if rest.any():
        holm = adjust_pvalues(out[rest].assign(_fam=out.loc[rest, "kind"]), family="_fam")
        out.loc[rest, "family"] = out.loc[rest, "kind"].map(lambda k: f"{k}, exploratory")
        out.loc[rest, "p_adjusted"] = holm["p_holm"].to_numpy()
    return out


def multiplicity_table(
    adjusted: pd.DataFrame, margins: dict[str, float] | None = None, kind: str | None = None
) -> pd.DataFrame:
    """The display table of the overview: the estimate in its unit and standardised, the p-values
    before and after the plan's correction, and the verdict; with ``kind`` (``RANDOMISED``,
    ``VS_NON``, ``WITHIN``) only the contrasts of that kind, so the long overview reads as three
    tables: the lottery's effects, the comparisons with non-participants, the changes."""
    if kind is not None:
        adjusted = adjusted[adjusted["kind"] == kind]
    status = [
        ("confirmed under the plan" if r.rejected else "tested, not confirmed")
        if r.tested_under_plan
        else "exploratory"
        for r in adjusted.itertuples()
    ]
    verdict = [
        verdicts.judgement(verdicts.row_verdict(r, margins)) for r in adjusted.to_dict("records")
    ]
    return pd.DataFrame(
        {
            "outcome": adjusted["outcome"].map(outcome_label),
            "contrast": adjusted["contrast"].map(contrast_label),
            "estimate [95% CI]": [
                estimate_text(r.estimate, r.ci_low, r.ci_high, r.scale)
                for r in adjusted.itertuples()
            ],
            "standardised": [
                f"{fmt.num(r.std_estimate, signed=True)} {fmt.ci(r.std_low, r.std_high)}"
                if pd.notna(r.std_estimate)
                else "n/a"
                for r in adjusted.itertuples()
            ],
            "p": adjusted["p"].map(fmt.pval),
            "p, adjusted": adjusted["p_adjusted"].map(fmt.pval),
            "plan": status,
            "verdict": verdict,
            "n": adjusted["n"],
        }
    )


ESTIMATE_CHAPTERS = ("outflow", "wellbeing", "social_participation", "other_outcomes")
"""Chapters whose estimates the overview shows (the effect outcomes)."""


def overview_rows(adjusted: pd.DataFrame) -> pd.DataFrame:
    """Results-store rows of the overview: standardised differences (scale ``d``) and each
    tested estimate with its p-value adjusted within its family (method ``<method> (adjusted)``,
    Holm; for the plan's families after gatekeeping)."""
    rows = []
    for r in adjusted.itertuples():
        if r.std_method == "difference / pooled SD":
            rows.append(dict(outcome=r.outcome, contrast=r.contrast, estimate=r.std_estimate,
                             ci_low=r.std_low, ci_high=r.std_high, p=r.p, n=r.n,
                             method="standardised difference", scale="d"))  # fmt: skip
        if pd.notna(r.p_adjusted):
            rows.append(dict(outcome=r.outcome, contrast=r.contrast, estimate=r.estimate,
                             ci_low=r.ci_low, ci_high=r.ci_high, p=min(1.0, float(r.p_adjusted)),
                             n=r.n, method=f"{r.method} (adjusted)", scale=r.scale))  # fmt: skip
    return pd.DataFrame(rows)


def _family_sentence(adjusted: pd.DataFrame, fam, alpha: float) -> str:
    rows = adjusted[adjusted["family"] == fam.name]
    names = ", ".join(in_sentence(outcome_label(o)) for o in fam.outcomes)
    if rows.empty:
        return f"the {fam.name} family ({names}) was not estimated"
    if not bool(rows["tested_under_plan"].any()):
        return (
            f"the {fam.name} family ({names}) was not tested, because the family before it did "
            "not hold in full; its results count as exploratory"
        )
    k, m = int(rows["rejected"].sum()), len(rows)
    return (
        f"in the {fam.name} family ({names}), {fmt.count(k)} of the {fmt.count(m)} comparisons held "
        f"after correcting for the number of tests (adjusted p below {fmt.num(alpha)})"
    )


def overview_facts(adjusted: pd.DataFrame, plan, alpha: float = 0.05) -> dict[str, str]:
    """Formatted numbers and sentences of the overview page (glue name -> text)."""
    out = {
        "n_effects": fmt.count(len(adjusted)),
        "n_outcomes": fmt.count(adjusted["outcome"].nunique()),
        "n_standardised": fmt.count(int(adjusted["std_estimate"].notna().sum())),
        "alpha": fmt.num(alpha),
    }
    confirmatory = [f for f in plan.families if f.confirmatory]
    out["plan_result"] = "; ".join(_family_sentence(adjusted, f, alpha) for f in confirmatory)
    explo = adjusted[
        ~adjusted["tested_under_plan"] & adjusted["p"].notna() & (adjusted["kind"] == RANDOMISED)
    ]
    out["explo_tests"] = fmt.count(len(explo))
    out["explo_raw"] = fmt.count(int((explo["p"] < alpha).sum()))
    out["explo_adjusted"] = fmt.count(int((explo["p_adjusted"] < alpha).sum()))
    rand = adjusted[(adjusted["kind"] == RANDOMISED) & adjusted["std_estimate"].notna()]
    if len(rand):
        top = rand.loc[rand["std_estimate"].abs().idxmax()]
        out["largest_rand"] = (
            f"{fmt.num(top['std_estimate'], signed=True)} standard deviations, "
            f"{in_sentence(contrast_label(top['contrast']))} on {in_sentence(outcome_label(top['outcome']))}"
        )
    else:
        out["largest_rand"] = "not estimated"
    unc = adjusted[(adjusted["kind"] == RANDOMISED) & adjusted["outcome"].isin(UNCONFIRMED)]
    k = int(((unc["ci_low"] > 0) | (unc["ci_high"] < 0)).sum())
    out["unconfirmed_text"] = (
        f"{fmt.count(k)} of the {fmt.count(len(unc))}" if len(unc) else "none of the"
    )
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
    """Per family: comparisons, how many had p below alpha before and after the correction, and
    (plan families) how many were tested and confirmed under the plan."""
    rows = []
    for fam, sub in adjusted[adjusted["p"].notna()].groupby("family", sort=False):
        rows.append({
            "family of comparisons": fam, "comparisons": len(sub),
            "p < alpha, unadjusted": int((sub["p"] < alpha).sum()),
            "p < alpha, adjusted": int((sub["p_adjusted"] < alpha).sum()),
            "confirmed under the plan": int(sub["rejected"].sum()) if sub["tested_under_plan"].any() else "not tested",
        })  # fmt: skip
    return pd.DataFrame(rows)


def published_texts() -> dict[str, str]:
    """Glue texts of the published-vs-build callout: the between-arm finding, unconfirmed outcomes."""
    return {
        "pub_between": str(published("outflow", "difference_between_arms", "value")),
        "pub_not_confirmed": ", ".join(
            k.replace("_", " ") for k in published("not_confirmed", "value")
        ),
    }
