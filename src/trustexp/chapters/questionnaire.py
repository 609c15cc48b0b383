"""Questionnaire chapters (wellbeing, social participation, other outcomes): what they show.

Display tables, glue texts and forest rows built from ``stats.survey.OutcomeResult``; shared by
the three chapters so that none of them formats an estimate its own way.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from trustexp import disclosure, fmt
from trustexp.chapters.common import n_text
from trustexp.reference import oss as published
from trustexp.stats.survey import (
    MDE_POWER,
    OutcomeResult,
    paired_wave,
    standardised_equivalence,
)
from trustexp.vocab import (
    ARMS,
    CONTROL,
    TREATED,
    WAVES,
    contrast_label,
    group_label,
    method_label,
    outcome_label,
    outcome_unit,
    scale_label,
    wave_label,
)

_METHOD_ORDER = ("ANCOVA", "Hedges g", "MixedLM", "mean change", "within-person d", "TOST", "MDE",
                 "proportional odds", "negative binomial")  # fmt: skip


def _fmt_est(est: float, lo: float, hi: float, scale: str) -> str:

    if scale == "pp":
        return fmt.estimate_with_ci(est, lo, hi, scale="pp")
    return fmt.estimate_with_ci(est, lo, hi)


def trajectory_table(res: OutcomeResult) -> pd.DataFrame:
    """Display table of the trajectory: arm, wave, n, mean and 95 % CI (formatted)."""

    t = res.trajectory
    pp = res.scale == "pp"
    mean = [fmt.num(m, 1 if pp else 2) + ("%" if pp and np.isfinite(m) else "") for m in t["mean"]]
    ci = [
        fmt.ci(lo, hi, decimals=1 if pp else 2)
        for lo, hi in zip(t["ci_low"], t["ci_high"], strict=True)
    ]
    return pd.DataFrame({
        "arm": t["arm"].map(group_label), "wave": t["wave"].map(lambda w: wave_label(w).lower()),
        "n": t["n"], "mean": mean, "95% CI": ci,
    })  # fmt: skip


def estimates_table(rows: pd.DataFrame, methods: tuple[str, ...] | None = None,
                    with_outcome: bool = False) -> pd.DataFrame:  # fmt: skip
    """Display table of store rows: contrast, method, estimate, 95 % CI, p, n (formatted).

    TOST rows show their 90 % CI (the interval the test uses); MDE rows show no CI or p.
    """

    rows = rows if methods is None else rows[rows["method"].isin(methods)]
    order = {m: i for i, m in enumerate(_METHOD_ORDER)}
    rows = rows.assign(_o=rows["method"].map(order).fillna(99)).sort_values(["_o"], kind="stable")
    out = pd.DataFrame({
        "contrast": rows["contrast"].map(contrast_label),
        "method": rows["method"],
        "scale": rows["scale"].map(scale_label),
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

    pw = res.pairwise
    if pw.empty:
        return pd.DataFrame(columns=["contrast", "estimate", "95% CI", "p", "p (Holm)", "n"])
    d = 1 if res.scale == "pp" else 2
    return pd.DataFrame({
        "contrast": [contrast_label(c) + (" (difference in change, start to two years)" if " wave " not in c else "")
                     for c in pw["contrast"]],
        "estimate": [fmt.num(e, d) for e in pw["estimate"]],
        "95% CI": [fmt.ci(lo, hi, decimals=d) for lo, hi in zip(pw["ci_low"], pw["ci_high"], strict=True)],
        "p": [fmt.pval(p) for p in pw["p"]], "p (Holm)": [fmt.pval(p) for p in pw["p_holm"]],
        "n": pw["n"].astype(int).to_numpy(),
    })  # fmt: skip


def anova_table(res: OutcomeResult) -> pd.DataFrame:
    """Display table of the complete-case mixed ANOVA (F, degrees of freedom, p, partial eta²)."""

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

    o, s = res.outcome, res.scale
    pp = s == "pp"
    out: dict[str, str] = {}
    traj = res.trajectory
    for w in WAVES:
        cell = traj[traj["wave"] == w]
        n = int(cell["n"].sum())
        mean = float((cell["mean"] * cell["n"]).sum() / n) if n else math.nan
        out[f"{o}_n_w{w}"] = disclosure.count_text(n, threshold)
        out[f"{o}_n_text_w{w}"] = n_text(dict(zip(cell["arm"], cell["n"], strict=True)), threshold)
        out[f"{o}_mean_w{w}"] = fmt.pct(mean / 100) if pp else fmt.num(mean)
    paired = paired_wave(res.long, 2)
    out[f"{o}_n_ancova"] = disclosure.count_text(len(paired), threshold)
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
    out[f"{o}_n_complete"] = disclosure.count_text(
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
        lab = sel["method"].map(lambda m: method_label(m))
    return sel.assign(label=lab.to_numpy()).reset_index(drop=True)


def model_texts(frame: pd.DataFrame, key: str) -> dict[str, str]:
    """Glue texts ``<key>_<arm>`` (estimate with CI) and ``<key>_p_<arm>`` of arm-vs-control rows."""

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


def panels(results: dict[str, OutcomeResult]) -> list[tuple[pd.DataFrame, str, str]]:
    """``(trajectory, title, unit)`` per outcome for ``charts.survey.trajectory_panels``."""
    return [(r.trajectory, outcome_label(k), outcome_unit(k)) for k, r in results.items()]


def interaction_table(results: dict[str, OutcomeResult]) -> pd.DataFrame:
    """Per outcome: the arm x wave test of the complete-case mixed ANOVA (F, df, p, n)."""

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


def equivalence_rows(results: dict[str, OutcomeResult]) -> pd.DataFrame:
    """``stats.survey.standardised_equivalence`` with a ``label`` column for the forest chart."""
    rows = standardised_equivalence(results)
    return rows.assign(label=rows["outcome"].map(outcome_label))


def callout_markdown(results: dict[str, OutcomeResult], texts: dict[str, str]) -> str:
    """``callout_lines`` as a Markdown list (glued with ``{glue:md}`` into the published callout)."""
    return "\n".join(f"- {line}" for line in callout_lines(results, texts))


def outcomes_texts(
    results: dict[str, OutcomeResult], threshold: int, alpha: float = 0.05
) -> dict[str, str]:
    """Glue texts of several outcomes: ``summary_texts`` and every outcome's ``result_texts``."""
    texts = summary_texts(results, alpha)
    for r in results.values():
        texts.update(result_texts(r, threshold, alpha))
    return texts


def unconfirmed_published_texts() -> dict[str, str]:
    """Glue texts of the other-outcomes callout: what the evaluation published on these outcomes."""
    return {
        "published_not_confirmed": ", ".join(published("not_confirmed", "value")).replace("_", "-"),
        "published_health": str(published("health", "value")),
        "published_social_trust": str(published("social_trust", "value")),
    }
