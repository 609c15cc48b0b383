"""Chapter 10, the Hawthorne caveat: the store's contrasts side by side, bounds, the pattern.

Reads the outflow and wellbeing chapters' estimates from the results store (never refits them),
bounds each arm's effect against an uncontaminated control with ``stats.hawthorne.effect_bounds``
(under a stated assumption), judges the pattern on the control arm against non-participants and
says what the design could have detected.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from trustexp import disclosure, fmt, verdicts
from trustexp.chapters.common import n_text
from trustexp.reference import oss as published
from trustexp.results import find_row
from trustexp.stats.hawthorne import effect_bounds
from trustexp.vocab import (
    ARMS,
    CONTROL,
    NON_PARTICIPANTS,
    TREATED,
    between,
    component_label,
    contrast_label,
    group_label,
    month_label,
    outcome_label,
)

OUTFLOW_TREATMENT = ("difference (covariate-adjusted)",)


OUTFLOW_PARTICIPATION = ("ATT (doubly robust)", "risk difference")


WELLBEING_TREATMENT = ("ANCOVA (baseline score)",)


WELLBEING_CHANGE = ("mean change",)


BOUND_METHOD = "bound vs uncontaminated control"


BOUND_CI_METHOD = "bound vs uncontaminated control (95% CI)"


def decomposition(
    store: pd.DataFrame,
    outflow_treatment: tuple[str, ...] = OUTFLOW_TREATMENT,
    outflow_participation: tuple[str, ...] = OUTFLOW_PARTICIPATION,
    wellbeing_treatment: tuple[str, ...] = WELLBEING_TREATMENT,
    wellbeing_change: tuple[str, ...] = WELLBEING_CHANGE,
) -> pd.DataFrame:
    """Participation and treatment contrasts side by side, read from the results store.

    Outflow (``outflow_full``, pp): participation = participants (and each arm) vs
    non-participants; treatment = each experimental arm vs regular service. Wellbeing (points):
    treatment = each experimental arm vs regular service; there is no questionnaire of
    non-participants, so the "participation" side is each arm's own change from wave 0 to wave 2,
    which mixes the participation effect with the common trend (and attrition). Methods are taken
    in the order given (first available). Returns ``outcome, component, group, contrast, estimate,
    ci_low, ci_high, p, n, method, scale``; missing rows are left out.

    >>> decomposition(read_results(results_dir, ["outflow", "wellbeing"]))  # doctest: +SKIP
    """
    plan: list[tuple[str, str, str, str, tuple[str, ...]]] = []
    for group in ("participants", *ARMS):
        plan.append(("outflow_full", "participation", group, f"{group} vs non_participants",
                     outflow_participation))  # fmt: skip
    for arm in TREATED:
        plan.append(("outflow_full", "treatment", arm, f"{arm} vs regulier", outflow_treatment))
    for arm in ARMS:
        plan.append(("wellbeing", "participation + trend", arm, f"{arm} wave 2 vs wave 0",
                     wellbeing_change))  # fmt: skip
    for arm in TREATED:
        plan.append(("wellbeing", "treatment", arm, f"{arm} vs regulier", wellbeing_treatment))
    rows = []
    for outcome, component, group, contrast, methods in plan:
        row = find_row(store, outcome, contrast, methods)
        if row is None:
            continue
        rows.append(dict(outcome=outcome, component=component, group=group, contrast=contrast,
                         estimate=float(row["estimate"]), ci_low=float(row["ci_low"]),
                         ci_high=float(row["ci_high"]), p=float(row["p"]), n=row["n"],
                         method=str(row["method"]), scale=str(row["scale"])))  # fmt: skip
    return pd.DataFrame(
        rows,
        columns=["outcome", "component", "group", "contrast", "estimate", "ci_low", "ci_high", "p",
                 "n", "method", "scale"],
    )  # fmt: skip


def bounds_from_store(store: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """``effect_bounds`` for ``outflow_full`` or ``wellbeing`` with the estimates of the store.

    Outflow: ``T_a`` = risk difference arm vs regular service; ``C`` = adjusted (else raw) risk
    difference regular service vs non-participants; upper bound from the adjusted arm vs
    non-participants rows when present. Wellbeing: ``T_a`` = ANCOVA arm vs regular service;
    ``C`` = the control arm's mean change wave 2 vs wave 0. Empty when an input is missing.
    """

    def trio(row: pd.Series | None) -> tuple[float, float, float] | None:
        return (
            None
            if row is None
            else (float(row["estimate"]), float(row["ci_low"]), float(row["ci_high"]))
        )

    if outcome == "outflow_full":
        treat_m, cont = (
            OUTFLOW_TREATMENT,
            find_row(store, outcome, "regulier vs non_participants", OUTFLOW_PARTICIPATION),
        )
        direct = {a: trio(find_row(store, outcome, f"{a} vs non_participants", (str(cont["method"]),)))
                  for a in TREATED} if cont is not None else {}  # fmt: skip
    elif outcome == "wellbeing":
        treat_m, cont = (
            WELLBEING_TREATMENT,
            find_row(store, outcome, "regulier wave 2 vs wave 0", WELLBEING_CHANGE),
        )
        direct = {}
    else:
        raise ValueError(f"bounds are defined for outflow_full and wellbeing, not {outcome!r}")
    if cont is None:
        return pd.DataFrame()
    treatment = {a: trio(find_row(store, outcome, f"{a} vs regulier", treat_m)) for a in TREATED}
    treatment = {a: v for a, v in treatment.items() if v is not None}
    direct = {a: v for a, v in direct.items() if v is not None}
    out = effect_bounds(treatment, trio(cont), direct or None)
    return out.assign(outcome=outcome, contamination_method=str(cont["method"]),
                      n=int(cont["n"]) if pd.notna(cont["n"]) else pd.NA)  # fmt: skip


def hawthorne_store_rows(bounds: pd.DataFrame) -> pd.DataFrame:
    """Results-store rows of the chapter: the bounds on each arm's effect against a control that
    did not know it was in an experiment (contrast ``<arm> vs non_participants``): method
    ``bound vs uncontaminated control`` with ``ci_low``/``ci_high`` = the lower and upper bound and
    ``estimate`` = their midpoint, and ``bound vs uncontaminated control (95% CI)`` with the outer
    95% limits."""
    rows: list[dict[str, Any]] = []
    for r in bounds.itertuples():
        scale = "pp" if r.outcome == "outflow_full" else "points"
        contrast = between(r.group, NON_PARTICIPANTS)
        mid = (r.lower + r.upper) / 2
        rows.append(dict(outcome=r.outcome, contrast=contrast, estimate=mid, ci_low=r.lower,
                         ci_high=r.upper, p=np.nan, n=r.n, method=BOUND_METHOD, scale=scale))  # fmt: skip
        rows.append(dict(outcome=r.outcome, contrast=contrast, estimate=mid, ci_low=r.lower_ci,
                         ci_high=r.upper_ci, p=np.nan, n=r.n, method=BOUND_CI_METHOD, scale=scale))  # fmt: skip
    return pd.DataFrame(rows)


def contrast_text(decomp: pd.DataFrame, outcome: str, contrast: str) -> str:
    """A decomposition row as prose: ``+7.9 percentage points (95% CI [3.2, 12.5])``."""

    hit = decomp[(decomp["outcome"] == outcome) & (decomp["contrast"] == contrast)]
    if hit.empty:
        return "n/a (not in the results store)"
    r = hit.iloc[0]
    if r["scale"] == "pp":
        return f"{fmt.pp(r['estimate'], signed=True)} (95% CI {fmt.ci(r['ci_low'], r['ci_high'], scale='pp')})"
    return (
        f"{fmt.num(r['estimate'], signed=True)} points (95% CI {fmt.ci(r['ci_low'], r['ci_high'])})"
    )


def pattern_verdict(decomp: pd.DataFrame, margins: dict[str, float] | None = None) -> str:
    """Does the outflow pattern match the report's reading?

    Judged on the control arm against non-participants (the effect of taking part with regular
    service, doubly robust ATT) and on the lottery contrasts of the experimental arms: the report's
    reading needs the control arm clearly ahead and no arm clearly apart from it.
    """

    def row(contrast: str) -> pd.Series | None:
        hit = decomp[(decomp["outcome"] == "outflow_full") & (decomp["contrast"] == contrast)]
        return None if hit.empty else hit.iloc[0]

    def verdict(r: pd.Series | None) -> verdicts.Verdict:
        return (
            verdicts.row_verdict(r, margins) if r is not None else verdicts.Verdict("imprecise", 0)
        )

    control = verdict(row(between(CONTROL, NON_PARTICIPANTS)))
    arms = [verdict(row(between(a, CONTROL))) for a in TREATED]
    ahead = control.code == "gain"
    apart = any(v.clear for v in arms)
    return {
        (True, False): "the pattern the report describes: the control arm ahead of comparable non-participants and no experimental arm clearly apart from the control arm; this fits a common effect of taking part but cannot prove it",
        (True, True): "the control arm ahead of comparable non-participants, but at least one experimental arm clearly apart from the control arm, so not everything is a common effect of taking part",
        (False, False): "the control arm not clearly ahead of comparable non-participants, so these data cannot tell a common effect of taking part from none",
        (False, True): "the control arm not clearly ahead of comparable non-participants and at least one experimental arm clearly apart from it: not the pattern the report describes",
    }[(ahead, apart)]  # fmt: skip


def decomposition_table(decomp: pd.DataFrame) -> pd.DataFrame:
    """Display table of ``decomposition``."""

    dec = [1 if s == "pp" else 2 for s in decomp["scale"]]
    return pd.DataFrame({
        "outcome": decomp["outcome"].map(outcome_label), "kind": decomp["component"].map(component_label),
        "contrast": decomp["contrast"].map(contrast_label),
        "estimate [95% CI]": [f"{fmt.num(r.estimate, k, signed=True)} {fmt.ci(r.ci_low, r.ci_high, k)}"
                              for r, k in zip(decomp.itertuples(), dec, strict=True)],
        "p": decomp["p"].map(fmt.pval), "n": decomp["n"], "method": decomp["method"],
        "scale": decomp["scale"],
    })  # fmt: skip


def wave_gap_table(gap: pd.DataFrame, group: str = "regulier") -> pd.DataFrame:
    """Display table of ``control_gap`` at the wave months (12, 24, 36 where present)."""

    at = gap.set_index("k")
    rows = []
    for k in (12, 24, 36):
        when = month_label(k)
        if k not in at.index:
            continue
        r = at.loc[k]
        rows.append({
            "month since lottery": k, "when": when,
            "control on benefit": fmt.pct(r[f"share_{group}"]),
            "non-participants on benefit": fmt.pct(r["share_non_participants"]),
            "change since lottery, control minus non-participants [95% CI]":
                f"{fmt.num(r['gap'], 1, signed=True)} pp {fmt.ci(r['ci_low'], r['ci_high'], scale='pp')}",
            "control n": int(r[f"n_{group}"]), "non-participants n": int(r["n_non_participants"]),
        })  # fmt: skip
    return pd.DataFrame(rows)


def fall_text(gap: pd.DataFrame, k: int) -> str:
    """How much more the group's receipt fell than the non-participants' by month ``k`` (prose)."""

    at = gap.set_index("k")
    if k not in at.index:
        return "n/a (outside the registry window)"
    r = at.loc[k]
    return f"{fmt.pp(-r['gap'])} (95% CI {fmt.ci(-r['ci_high'], -r['ci_low'], scale='pp')})"


def bounds_table(bounds: pd.DataFrame) -> pd.DataFrame:
    """Display table of the bounds (outflow in pp with one decimal, wellbeing with two)."""

    dec = [1 if o == "outflow_full" else 2 for o in bounds["outcome"]]
    return pd.DataFrame({
        "outcome": bounds["outcome"].map(outcome_label), "arm": bounds["group"].map(group_label),
        "effect vs uncontaminated control: bounds": [
            f"{fmt.num(r.lower, k)} to {fmt.num(r.upper, k)}" for r, k in zip(bounds.itertuples(), dec, strict=True)],
        "95% confidence limits": [fmt.ci(r.lower_ci, r.upper_ci, k) for r, k in zip(bounds.itertuples(), dec, strict=True)],
        "control's lead from": bounds["contamination_method"],
        "assumptions": bounds["consistent"].map({True: "consistent", False: "contradicted (lead below zero)"}),
    })  # fmt: skip


def bound_text(bounds: pd.DataFrame, outcome: str, arm: str) -> str:
    """One arm's bounds as prose."""

    hit = bounds[(bounds["outcome"] == outcome) & (bounds["group"] == arm)]
    if hit.empty:
        return "n/a"
    r = hit.iloc[0]
    if outcome == "outflow_full":
        return (f"{fmt.num(r['lower'], 1)} to {fmt.num(r['upper'], 1)} percentage points "
                f"(95% confidence limits {fmt.ci(r['lower_ci'], r['upper_ci'], scale='pp')})")  # fmt: skip
    return (f"{fmt.num(r['lower'])} to {fmt.num(r['upper'])} points "
            f"(95% confidence limits {fmt.ci(r['lower_ci'], r['upper_ci'])})")  # fmt: skip


CONTRAST_GLUES = (
    ("part_effect", "outflow_full", "participants vs non_participants"),
    ("reg_effect", "outflow_full", "regulier vs non_participants"),
    ("eigen_vs_reg", "outflow_full", "eigen_regie vs regulier"),
    ("int_vs_reg", "outflow_full", "intensief vs regulier"),
    ("wb_reg_change", "wellbeing", "regulier wave 2 vs wave 0"),
    ("wb_eigen_vs_reg", "wellbeing", "eigen_regie vs regulier"),
    ("wb_int_vs_reg", "wellbeing", "intensief vs regulier"),
)


def data_texts(sizes: dict[str, int], threshold: int, k_min: int, k_max: int) -> dict[str, str]:
    """Glue texts of the Data section: ``n_arm_text``, ``n_non`` and ``k_range``."""

    return {
        "n_arm_text": n_text({k: sizes.get(k, 0) for k in ARMS}, threshold),
        "n_non": disclosure.count_text(int(sizes.get("non_participants", 0)), threshold),
        "k_range": f"{k_min} to +{k_max}",
    }


def required_decomposition(store: pd.DataFrame, results_dir: Any) -> pd.DataFrame:
    """``decomposition(store)``; a ``ValueError`` naming ``results_dir`` when it is empty."""
    decomp = decomposition(store)
    if decomp.empty:
        raise ValueError(
            f"the results store {results_dir} holds none of the outflow/wellbeing rows this "
            "chapter reads: run those chapters first"
        )
    return decomp


def participation_row(store: pd.DataFrame) -> pd.Series | None:
    """The store's participants-vs-non-participants outflow row (adjusted if present)."""
    return find_row(
        store, "outflow_full", "participants vs non_participants", OUTFLOW_PARTICIPATION
    )


def contrast_texts(
    decomp: pd.DataFrame, store: pd.DataFrame, margins: dict[str, float] | None = None
) -> dict[str, str]:
    """Glue texts of the contrasts section: one per ``CONTRAST_GLUES``, ``part_method``, ``verdict``."""
    texts = {key: contrast_text(decomp, outcome, c) for key, outcome, c in CONTRAST_GLUES}
    part = participation_row(store)
    texts["part_method"] = str(part["method"]) if part is not None else "n/a"
    texts["verdict"] = pattern_verdict(decomp, margins)
    return texts


def all_bounds(store: pd.DataFrame) -> pd.DataFrame:
    """``bounds_from_store`` for outflow to full-time work and wellbeing, stacked."""
    parts = [bounds_from_store(store, "outflow_full"), bounds_from_store(store, "wellbeing")]
    return pd.concat(parts, ignore_index=True)


def bound_texts(bounds: pd.DataFrame) -> dict[str, str]:
    """Glue texts ``bound_out_<arm>``, ``bound_wb_<arm>`` per arm and ``upper_eigen``."""

    texts = {}
    for arm in ARMS:
        texts[f"bound_out_{arm}"] = bound_text(bounds, "outflow_full", arm)
        texts[f"bound_wb_{arm}"] = bound_text(bounds, "wellbeing", arm)
    hit = bounds[(bounds["outcome"] == "outflow_full") & (bounds["group"] == "eigen_regie")]
    texts["upper_eigen"] = fmt.pp(hit["upper"].iloc[0], signed=True) if len(hit) else "n/a"
    return texts


def fall_texts(gap: pd.DataFrame) -> dict[str, str]:
    """Glue texts ``fall_k12`` and ``fall_k24``: the control arm's extra fall after one and two years."""
    return {f"fall_k{k}": fall_text(gap, k) for k in (12, 24)}


def published_texts(published_range: tuple[float, ...]) -> dict[str, str]:
    """Glue texts of the published-vs-build callout: the published range and between-arm finding."""
    lo, hi = published_range[0], published_range[-1]
    return {
        "pub_range": f"{fmt.num(lo, 0)} to {fmt.num(hi, 0)} percentage points",
        "pub_between": str(published("outflow", "difference_between_arms", "value")),
    }


def detectable_texts(
    store: pd.DataFrame, alpha: float = 0.05, power: float = 0.8
) -> dict[str, str]:
    """What the design could have detected: the arm effect on full-time outflow (pp) that the
    adjusted lottery contrast finds with ``power``, and the participation effect the lottery
    cannot see at any size.

    From the half-width ``h`` of the contrast's 95 % interval (``h = z * SE``, normal
    approximation of the stored interval): ``MDE = SE * (z_(1 - alpha/2) + z_power)``.
    """
    out = {"target_power": fmt.pct(power, 0)}
    z, zp = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    for arm in TREATED:
        r = find_row(store, "outflow_full", between(arm, CONTROL), OUTFLOW_TREATMENT)
        if r is None:
            out[f"mde_{arm}"] = "not estimable"
            continue
        se = (float(r["ci_high"]) - float(r["ci_low"])) / (2 * z)
        out[f"mde_{arm}"] = fmt.pp(se * (z + zp))
    return out
