"""Chapter 10, the Hawthorne caveat: the store's contrasts side by side, bounds, masking.

Reads the outflow and wellbeing chapters' estimates from the results store (never refits them),
bounds each arm's effect against an uncontaminated control with ``stats.hawthorne.effect_bounds``
and runs ``stats.hawthorne.masking_power`` for this build's arm sizes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from trustexp import disclosure, fmt
from trustexp.chapters.common import n_text
from trustexp.reference import oss as published
from trustexp.results import find_row
from trustexp.stats.hawthorne import (
    detectable_effect,
    effect_bounds,
    masking_power,
    power_at_clean_detectable,
)
from trustexp.vocab import (
    ARMS,
    TREATED,
    component_label,
    contrast_label,
    group_label,
    month_label,
    outcome_label,
)

OUTFLOW_TREATMENT = ("risk difference",)


OUTFLOW_PARTICIPATION = ("adjusted risk difference", "risk difference")


WELLBEING_TREATMENT = ("ANCOVA",)


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


def hawthorne_store_rows(
    bounds: pd.DataFrame,
    detectable: dict[str, pd.DataFrame],
    masked_at: dict[str, pd.DataFrame],
    sizes: dict[str, int],
) -> pd.DataFrame:
    """Results-store rows of the chapter.

    Bounds (contrast ``<arm> vs non_participants``, read as "vs an uncontaminated control"):
    method ``bound vs uncontaminated control`` with ``ci_low``/``ci_high`` = the lower and upper
    bound and ``estimate`` = their midpoint; method ``bound vs uncontaminated control (95% CI)``
    with the outer 95% limits. Simulation (outcome ``outflow_full``, contrast ``<arm> vs
    regulier``, ``n`` = the two arms' sizes from ``sizes``): ``detectable effect vs uncontaminated
    control (80% power), participation <H> pp`` (scale ``pp``) and ``power at clean-design
    detectable effect <E> pp, participation <H> pp`` (scale ``share``, Wilson CI of the simulated
    power).
    """
    rows: list[dict[str, Any]] = []
    for r in bounds.itertuples():
        scale = "pp" if r.outcome == "outflow_full" else "points"
        contrast = f"{r.group} vs non_participants"
        mid = (r.lower + r.upper) / 2
        rows.append(dict(outcome=r.outcome, contrast=contrast, estimate=mid, ci_low=r.lower,
                         ci_high=r.upper, p=np.nan, n=r.n, method=BOUND_METHOD, scale=scale))  # fmt: skip
        rows.append(dict(outcome=r.outcome, contrast=contrast, estimate=mid, ci_low=r.lower_ci,
                         ci_high=r.upper_ci, p=np.nan, n=r.n, method=BOUND_CI_METHOD, scale=scale))  # fmt: skip
    for arm, det in detectable.items():
        for r in det.itertuples():
            if np.isnan(r.detectable_pp):
                continue
            method = (f"detectable effect vs uncontaminated control (80% power), "
                      f"participation {r.participation_pp:.1f} pp")  # fmt: skip
            rows.append(dict(outcome="outflow_full", contrast=f"{arm} vs regulier",
                             estimate=r.detectable_pp, ci_low=np.nan, ci_high=np.nan, p=np.nan,
                             n=sizes[arm], method=method, scale="pp"))  # fmt: skip
    for arm, curve in masked_at.items():
        for r in curve.itertuples():
            method = (f"power at clean-design detectable effect {r.effect_pp:.1f} pp, "
                      f"participation {r.participation_pp:.1f} pp")  # fmt: skip
            rows.append(dict(outcome="outflow_full", contrast=f"{arm} vs regulier", estimate=r.power,
                             ci_low=r.power_low, ci_high=r.power_high, p=np.nan, n=sizes[arm],
                             method=method, scale="share"))  # fmt: skip
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


def pattern_verdict(decomp: pd.DataFrame) -> str:
    """Does the outflow pattern match the report's reading (participants ahead, arms alike)?"""

    def row(contrast: str) -> pd.Series | None:
        hit = decomp[(decomp["outcome"] == "outflow_full") & (decomp["contrast"] == contrast)]
        return None if hit.empty else hit.iloc[0]

    part = row("participants vs non_participants")
    arms = [row(f"{a} vs regulier") for a in TREATED]
    ahead = part is not None and part["ci_low"] > 0
    alike = all(r is not None and r["ci_low"] <= 0 <= r["ci_high"] for r in arms)
    return {
        (True, True): "the pattern the report describes — participants ahead of comparable non-participants, arms not distinguishable from the control arm — which fits that reading but cannot prove it",
        (True, False): "participants ahead of comparable non-participants, but at least one arm distinguishable from the control arm, so not everything is a common effect of taking part",
        (False, True): "participants not clearly ahead of comparable non-participants, so these data give little room for a participation effect",
        (False, False): "participants not clearly ahead of comparable non-participants and at least one arm distinguishable from the control arm: not the pattern the report describes",
    }[(ahead, alike)]  # fmt: skip


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


def masking_table(detect: pd.DataFrame, masked: pd.DataFrame, target: float) -> pd.DataFrame:
    """Display table: detectable effects and power at the clean design's detectable effect, per H."""

    det = detect.merge(masked[["participation_pp", "power", "power_low", "power_high"]],
                       on="participation_pp", how="left")  # fmt: skip
    t = fmt.pct(target, 0)
    return pd.DataFrame({
        "participation effect (pp)": det["participation_pp"].map(lambda v: fmt.num(v, 1)),
        f"arm effect found with {t} power, contaminated control (pp)": det["detectable_pp"].map(lambda v: fmt.num(v, 0)),
        "the same with a clean control (pp)": det["detectable_clean_pp"].map(lambda v: fmt.num(v, 0)),
        f"power at the clean design's {t}-power effect [95% CI]": [
            f"{fmt.pct(r.power)} {fmt.ci(r.power_low, r.power_high, scale='pct')}" for r in det.itertuples()],
    })  # fmt: skip


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


def contrast_texts(decomp: pd.DataFrame, store: pd.DataFrame) -> dict[str, str]:
    """Glue texts of the contrasts section: one per ``CONTRAST_GLUES``, ``part_method``, ``verdict``."""
    texts = {key: contrast_text(decomp, outcome, c) for key, outcome, c in CONTRAST_GLUES}
    part = participation_row(store)
    texts["part_method"] = str(part["method"]) if part is not None else "n/a"
    texts["verdict"] = pattern_verdict(decomp)
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


@dataclass(frozen=True)
class Masking:
    """The chapter's masking simulation: power curves per experimental arm and what they imply.

    ``participation``: this build's participation estimate (NaN when not in the store);
    ``published_high``: the top of the published difference with non-participants (pp);
    ``h_grid``: the participation effects simulated (pp); ``curves``, ``detect``, ``masked``:
    per arm ``masking_power``, ``detectable_effect`` and ``power_at_clean_detectable``;
    ``pair_sizes``: per arm the people in the arm and the control arm together.
    """

    participation: float
    published_high: float
    control_share: float
    h_grid: list[float]
    effects: np.ndarray
    target: float
    curves: dict[str, pd.DataFrame]
    detect: dict[str, pd.DataFrame]
    masked: dict[str, pd.DataFrame]
    pair_sizes: dict[str, int]


def masking_grid(published_range: tuple[float, ...], participation: float) -> list[float]:
    """Participation effects to simulate (pp, one decimal): 0, the published range and the estimate."""
    grid = {0.0, *(round(float(v), 1) for v in published_range)}
    if np.isfinite(participation):
        grid.add(round(max(participation, 0.0), 1))
    return sorted(grid)


def masking_simulation(
    store: pd.DataFrame,
    published_range: tuple[float, ...],
    sizes: dict[str, int],
    n_simulations: int,
    seed: int,
    alpha: float = 0.05,
    target: float = 0.8,
) -> Masking:
    """Run ``masking_power`` for each experimental arm against the control arm of this build.

    The control arm's outflow share is the store's ``regulier level`` row (``ValueError`` when
    missing); arm ``i`` (0 self-direction, 1 intensive support) uses ``seed + i``; an arm without
    people (or without a control arm) is left out. Effects run from 0 to at least 40 pp.
    """
    part = participation_row(store)
    est_h = float(part["estimate"]) if part is not None else np.nan
    h_grid = masking_grid(published_range, est_h)
    lv = store[(store["outcome"] == "outflow_full") & (store["contrast"] == "regulier level")]
    control_share = float(lv["estimate"].iloc[0]) if len(lv) else np.nan
    if not np.isfinite(control_share):
        raise ValueError(
            "the results store has no 'regulier level' outflow share: run the outflow chapter first"
        )
    effects = np.arange(0, max(40, int(max(h_grid)) + 30) + 1, 1.0)
    n_ctl = sizes.get("regulier", 0)
    curves = {
        arm: masking_power(
            sizes.get(arm, 0), n_ctl, control_share, h_grid, effects, n_simulations, seed + i, alpha
        )  # fmt: skip
        for i, arm in enumerate(TREATED)
        if sizes.get(arm, 0) and n_ctl
    }
    detect = {arm: detectable_effect(c, target) for arm, c in curves.items()}
    masked = {arm: power_at_clean_detectable(curves[arm], detect[arm]) for arm in curves}
    pair_sizes = {arm: sizes.get(arm, 0) + n_ctl for arm in curves}
    return Masking(est_h, round(float(max(published_range)), 1), control_share, h_grid, effects,
                   target, curves, detect, masked, pair_sizes)  # fmt: skip


def masking_texts(m: Masking, n_simulations: int, arm: str = "eigen_regie") -> dict[str, str]:
    """Glue texts of the masking section for one arm.

    ``n_sim``, ``det_clean`` (detectable with a clean control), ``pub_high`` (top of the published
    range), ``det_pub_high`` (detectable against an uncontaminated control at that participation
    effect), ``power_pub_high`` (power there at the clean design's detectable effect), ``h_est``
    (this build's participation estimate, floored at 0) and ``power_est`` (power at it).
    """

    d0 = m.detect[arm].set_index("participation_pp")
    m0 = m.curves[arm].set_index(["participation_pp", "effect_pp"])
    hi = m.published_high
    h_est = round(max(m.participation, 0.0), 1) if np.isfinite(m.participation) else None
    e_clean = d0.loc[hi, "detectable_clean_pp"]
    e_est = d0.loc[h_est, "detectable_clean_pp"] if h_est is not None else np.nan
    det_hi = d0.loc[hi, "detectable_pp"]
    return {
        "n_sim": fmt.count(n_simulations),
        "det_clean": fmt.pp(d0.loc[0.0, "detectable_clean_pp"], decimals=0),
        "pub_high": fmt.pp(hi, decimals=0),
        "det_pub_high": fmt.pp(det_hi, decimals=0) if np.isfinite(det_hi) else "more than the simulated range",
        "power_pub_high": fmt.pct(m0.loc[(hi, e_clean), "power"]) if np.isfinite(e_clean) else "n/a",
        "h_est": fmt.pp(h_est) if h_est is not None else "n/a",
        "power_est": fmt.pct(m0.loc[(h_est, e_est), "power"]) if np.isfinite(e_est) else "n/a",
    }  # fmt: skip


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
