"""Questionnaire chapters (wellbeing, social participation, other outcomes): what they show.

Display tables, glue texts and forest rows built from ``stats.survey.OutcomeResult``; shared by
the three chapters so that none of them formats an estimate or words a verdict its own way. The
primary estimate of every outcome is the ANCOVA of the wave-2 score on the arm and the wave-0
score with few-cluster (CR2) inference; its one standardised effect is that difference over the
baseline SD; its verdict (``trustexp.verdicts``) weighs the 95 % CI against the analysis plan's
equivalence margin for the outcome.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from trustexp import disclosure, fmt, verdicts
from trustexp.chapters.common import estimate_text, n_text
from trustexp.reference import oss as published
from trustexp.stats.survey import (
    ANCOVA,
    CHANGE,
    MDE_POWER,
    STANDARDISED,
    OutcomeResult,
    paired_wave,
)
from trustexp.vocab import (
    ARMS,
    CONTROL,
    TREATED,
    WAVES,
    between,
    contrast_label,
    group_label,
    in_sentence,
    method_label,
    outcome_label,
    outcome_unit,
    unit_word,
    wave_label,
    within,
)

METHOD_ORDER = (ANCOVA, STANDARDISED, "MixedLM", CHANGE, "MDE", "proportional odds",
                "negative binomial")  # fmt: skip
"""Order of the methods in the estimate tables."""


def _est(row: pd.Series | None, outcome: str) -> str:
    if row is None:
        return "not estimable"
    unit = f" {unit_word(outcome)}" if row["scale"] == "points" else ""
    return estimate_text(row["estimate"], row["ci_low"], row["ci_high"], row["scale"], unit=unit)


def _verdict(row: pd.Series | None, margins: Mapping[str, float] | None) -> verdicts.Verdict:
    if row is None:
        return verdicts.Verdict("imprecise", 0)
    return verdicts.row_verdict(row, margins)


def trajectory_table(res: OutcomeResult) -> pd.DataFrame:
    """Display table of the trajectory: arm, wave, n, mean with its 95 % CI (formatted)."""
    t = res.trajectory
    pp = res.scale == "pp"
    d = 1 if pp else 2
    mean = [
        (fmt.num(m, d) + ("%" if pp else "") + " " + fmt.ci(lo, hi, decimals=d))
        if np.isfinite(m)
        else ""
        for m, lo, hi in zip(t["mean"], t["ci_low"], t["ci_high"], strict=True)
    ]
    return pd.DataFrame({
        "arm": t["arm"].map(group_label), "wave": t["wave"].map(lambda w: wave_label(w).lower()),
        "n": t["n"], "mean [95% CI]": mean,
    })  # fmt: skip


def estimates_table(
    rows: pd.DataFrame,
    methods: tuple[str, ...] | None = None,
    with_outcome: bool = False,
    margins: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Display table of store rows: the estimate with its 95 % CI first, then method, p, n, verdict.

    MDE rows show no CI, p or verdict.
    """
    rows = rows if methods is None else rows[rows["method"].isin(methods)]
    order = {m: i for i, m in enumerate(METHOD_ORDER)}
    rows = rows.assign(_o=rows["method"].map(order).fillna(99)).sort_values(["_o"], kind="stable")
    estimate = []
    verdict = []
    for r in rows.to_dict("records"):
        d = 1 if r["scale"] == "pp" else 2
        ci = fmt.ci(r["ci_low"], r["ci_high"], decimals=d) if np.isfinite(r["ci_low"]) else ""
        estimate.append(f"{fmt.num(r['estimate'], d, signed=r['method'] != 'MDE')} {ci}".strip())
        judged = verdicts.judged(r) and np.isfinite(r["ci_low"])
        verdict.append(verdicts.judgement(verdicts.row_verdict(r, margins)) if judged else "")
    out = pd.DataFrame({
        "contrast": rows["contrast"].map(contrast_label).to_numpy(),
        "estimate [95% CI]": estimate,
        "method": rows["method"].map(method_label).to_numpy(),
        "p": [fmt.pval(p) if np.isfinite(p) else "" for p in rows["p"].astype(float)],
        "n": rows["n"].astype(int).to_numpy(),
        "verdict": verdict,
    })  # fmt: skip
    if with_outcome:
        out.insert(0, "outcome", rows["outcome"].map(outcome_label).to_numpy())
    return out.reset_index(drop=True)


def pairwise_table(res: OutcomeResult) -> pd.DataFrame:
    """Display table of the mixed-model contrasts with unadjusted and Holm-adjusted p-values."""
    pw = res.pairwise
    if pw.empty:
        return pd.DataFrame(columns=["contrast", "estimate [95% CI]", "p", "p (Holm)", "n"])
    d = 1 if res.scale == "pp" else 2
    return pd.DataFrame({
        "contrast": [contrast_label(c) + (" (difference in change, start to two years)" if " wave " not in c else "")
                     for c in pw["contrast"]],
        "estimate [95% CI]": [f"{fmt.num(e, d, signed=True)} {fmt.ci(lo, hi, decimals=d)}"
                              for e, lo, hi in zip(pw["estimate"], pw["ci_low"], pw["ci_high"], strict=True)],
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


def margin_text(outcome: str, margins: Mapping[str, float], scale: str) -> str:
    """The outcome's equivalence margin in words (``plus or minus 0.50 points``)."""
    m = margins.get(outcome)
    if m is None:
        return "not declared"
    if scale == "pp":
        return f"plus or minus {fmt.pp(m)}"
    return f"plus or minus {fmt.num(m)} {unit_word(outcome)}"


def result_texts(
    res: OutcomeResult, threshold: int, margins: Mapping[str, float] | None = None
) -> dict[str, str]:
    """Pre-formatted strings for glue, keyed ``<outcome>_<what>[_<arm>]``.

    Counts pass through disclosure control; estimates are ``"x (95% CI [a, b])"``; directions and
    verdicts come from ``trustexp.verdicts`` (``<o>_change_verdict_<arm>``: rose / fell / did not
    clearly change; ``<o>_judgement_<arm>``: the ANCOVA's verdict with the range it allows).
    """
    margins = dict(margins or {})
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
    out[f"{o}_n_ancova"] = disclosure.count_text(len(paired_wave(res.long, 2)), threshold)
    out[f"{o}_mde_power"] = fmt.pct(MDE_POWER, 0)
    out[f"{o}_margin"] = margin_text(o, margins, s)
    inter = res.mixed_anova[res.mixed_anova["Source"] == "Interaction"] if len(res.mixed_anova) else None  # fmt: skip
    out[f"{o}_interaction_p"] = (
        fmt.p_is(float(inter["p_unc"].iloc[0])) if inter is not None and len(inter) else "p n/a"
    )
    out[f"{o}_n_complete"] = disclosure.count_text(
        int(res.mixed_anova["n"].iloc[0]) if len(res.mixed_anova) else 0, threshold
    )
    for arm in ARMS:
        c = within(arm, 2)
        row = res.get(CHANGE, c)
        out[f"{o}_change_{arm}"] = _est(row, o)
        out[f"{o}_mixed_change_{arm}"] = _est(res.get("MixedLM", c), o)
        out[f"{o}_change_verdict_{arm}"] = verdicts.change(_verdict(row, None))
        out[f"{o}_std_change_{arm}"] = _est(res.get(STANDARDISED, c), o)
    for arm in TREATED:
        c = between(arm, CONTROL)
        row = res.get(ANCOVA, c)
        v = _verdict(row, margins)
        out[f"{o}_ancova_{arm}"] = _est(row, o)
        out[f"{o}_ancova_p_{arm}"] = fmt.p_is(row["p"]) if row is not None else "n/a"
        out[f"{o}_comparative_{arm}"] = verdicts.comparative(v)
        out[f"{o}_judgement_{arm}"] = (
            verdicts.verdict_sentence(v, row["ci_low"], row["ci_high"], s, unit=f" {unit_word(o)}")
            if row is not None
            else "not estimable"
        )
        out[f"{o}_std_{arm}"] = _est(res.get(STANDARDISED, c), o)
        out[f"{o}_mixed_{arm}"] = _est(res.get("MixedLM", c), o)
        m = res.get("MDE", c)
        out[f"{o}_mde_{arm}"] = (
            "n/a"
            if m is None
            else (fmt.pp(m["estimate"]) if pp else f"{fmt.num(m['estimate'])} {unit_word(o)}")
        )
    return out


def control_sentence(res: OutcomeResult) -> str:
    """What the change under regular service means for reading the other arms' changes.

    Worded from the verdict of the control arm's own change, so it stays true either way.
    """
    row = res.get(CHANGE, within(CONTROL, 2))
    v = _verdict(row, None)
    label = in_sentence(outcome_label(res.outcome))
    if v.clear:
        return (
            f"Under regular service, the control group, {label} {verdicts.change(v)} as well, so a "
            "change in the other arms by itself says little about the new ways of working: the "
            "fair comparison is between the arms"
        )
    return (
        f"Under regular service, the control group, {label} {verdicts.change(v)}; the fair "
        "comparison of the ways of working is still the one between the arms"
    )


def forest_rows(
    rows: pd.DataFrame, methods: tuple[str, ...], label: str = "method"
) -> pd.DataFrame:
    """Arm-vs-control rows of the given methods for ``forest_chart``, with a ``label`` column.

    ``label="method"`` labels a row by its method (one outcome); ``"outcome"`` by its outcome.
    """
    sel = rows[rows["method"].isin(methods) & rows["contrast"].isin([between(a, CONTROL) for a in TREATED])]  # fmt: skip
    lab = sel["outcome"].map(outcome_label) if label == "outcome" else sel["method"].map(method_label)  # fmt: skip
    return sel.assign(label=lab.to_numpy()).reset_index(drop=True)


def model_texts(frame: pd.DataFrame, key: str) -> dict[str, str]:
    """Glue texts ``<key>_<arm>`` (estimate with CI) and ``<key>_p_<arm>`` of arm-vs-control rows."""
    out: dict[str, str] = {}
    for arm in TREATED:
        hit = frame[frame["contrast"] == between(arm, CONTROL)] if len(frame) else frame
        if hit.empty:
            out[f"{key}_{arm}"], out[f"{key}_p_{arm}"] = "not estimable", "n/a"
            continue
        r = hit.iloc[0]
        out[f"{key}_{arm}"] = estimate_text(r["estimate"], r["ci_low"], r["ci_high"], r["scale"])
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


def callout_lines(results: dict[str, OutcomeResult], texts: dict[str, str]) -> list[str]:
    """One line per outcome: each arm against regular service after two years, with its verdict."""
    return [
        f"{outcome_label(key)}: self-direction {texts[f'{key}_ancova_eigen_regie']} "
        f"({texts[f'{key}_judgement_eigen_regie']}), intensive support "
        f"{texts[f'{key}_ancova_intensief']} ({texts[f'{key}_judgement_intensief']})."
        for key in results
    ]


def summary_texts(
    results: dict[str, OutcomeResult], margins: Mapping[str, float] | None = None
) -> dict[str, str]:
    """Counts over outcomes and arms of each verdict of the ANCOVA against regular service."""
    codes = []
    for r in results.values():
        for arm in TREATED:
            row = r.get(ANCOVA, between(arm, CONTROL))
            if row is not None:
                codes.append(verdicts.row_verdict(row, margins).code)
    return {
        "unconfirmed_n_contrasts": fmt.count(len(codes)),
        "unconfirmed_n_clear": fmt.count(sum(c in ("gain", "loss") for c in codes)),
        "unconfirmed_n_gain": fmt.count(codes.count("gain")),
        "unconfirmed_n_loss": fmt.count(codes.count("loss")),
        "unconfirmed_n_equivalent": fmt.count(codes.count("equivalent")),
        "unconfirmed_n_open": fmt.count(codes.count("imprecise")),
    }


def standardised_rows(results: dict[str, OutcomeResult]) -> pd.DataFrame:
    """The standardised ANCOVA of several outcomes, labelled, for one forest chart."""
    parts = [r.standardised.assign(outcome=k) for k, r in results.items() if len(r.standardised)]
    rows = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["outcome", "contrast"])
    )
    rows = rows[rows["contrast"].isin([between(a, CONTROL) for a in TREATED])]
    return rows.assign(label=rows["outcome"].map(outcome_label)).reset_index(drop=True)


def callout_markdown(results: dict[str, OutcomeResult], texts: dict[str, str]) -> str:
    """``callout_lines`` as a Markdown list (glued with ``{glue:md}`` into the published callout)."""
    return "\n".join(f"- {line}" for line in callout_lines(results, texts))


def outcomes_texts(
    results: dict[str, OutcomeResult], threshold: int, margins: Mapping[str, float] | None = None
) -> dict[str, str]:
    """Glue texts of several outcomes: ``summary_texts`` and every outcome's ``result_texts``."""
    texts = summary_texts(results, margins)
    for r in results.values():
        texts.update(result_texts(r, threshold, margins))
    return texts


def unconfirmed_published_texts() -> dict[str, str]:
    """Glue texts of the other-outcomes callout: what the evaluation published on these outcomes."""
    return {
        "published_not_confirmed": ", ".join(published("not_confirmed", "value")).replace("_", "-"),
        "published_health": str(published("health", "value")),
        "published_social_trust": str(published("social_trust", "value")),
    }


def plan_margins(params) -> dict[str, float]:
    """The analysis plan's equivalence margin per outcome (``{outcome: margin}``)."""
    return verdicts.margins_of(params.analysis.plan)
