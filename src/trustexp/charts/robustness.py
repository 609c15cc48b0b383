"""Charts of chapter 12: power against the estimates, attrition sensitivity, simulation coverage."""

from __future__ import annotations

import altair as alt
import pandas as pd

from trustexp.charts import BAND_GREY, INK, REFERENCE_INK, group_scale
from trustexp.disclosure import count_text
from trustexp.vocab import TREATED, contrast_label, group_label, outcome_label


def _labels(frame: pd.DataFrame) -> pd.DataFrame:

    return frame.assign(
        outcome_label=frame["outcome"].map(outcome_label),
        contrast_label=frame["contrast"].map(contrast_label),
        group_label=frame["contrast"].str.split(" ").str[0].map(group_label),
    )


def power_chart(verdicts: pd.DataFrame, threshold: int = 10):
    """Each arm contrast in SDs of the outcome (estimate, 95% CI) beside its minimum detectable
    effect (ticks at +/- MDE) and the smallest effect of interest (grey band)."""

    d = _labels(verdicts)
    sd = d["sd"]
    d = d.assign(
        est_d=d["estimate"] / sd, low_d=d["ci_low"] / sd, high_d=d["ci_high"] / sd,
        mde_neg=-d["mde_d"], sesoi_d=d["sesoi"] / sd, sesoi_neg=-d["sesoi"] / sd,
        est_text=[f"{r.estimate:+.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}] {r.scale}" for r in d.itertuples()],
        mde_text=[f"{r.mde:.2f} {r.scale} ({r.mde_d:.2f} SD)" for r in d.itertuples()],
        n_text=d["n"].map(lambda n: count_text(int(n), threshold)),
    )  # fmt: skip
    d = d[["outcome_label", "contrast_label", "group_label", "est_d", "low_d", "high_d", "mde_d", "mde_neg",
           "sesoi_d", "sesoi_neg", "est_text", "mde_text", "verdict", "n_text"]]  # fmt: skip
    arms = [a for a in TREATED if group_label(a) in set(d["group_label"])]
    y = alt.Y("outcome_label:N", title=None, sort=list(dict.fromkeys(d["outcome_label"])),
              axis=alt.Axis(labelLimit=260))  # fmt: skip
    off = alt.YOffset("contrast_label:N")
    base = alt.Chart(d).encode(y=y, yOffset=off)
    tip = [
        alt.Tooltip("outcome_label:N", title="outcome"),
        alt.Tooltip("contrast_label:N", title="contrast"),
        alt.Tooltip("est_text:N", title="estimate [95% CI]"),
        alt.Tooltip("mde_text:N", title="minimum detectable effect"),
        alt.Tooltip("verdict:N", title="verdict"),
        alt.Tooltip("n_text:N", title="n"),
    ]
    band = base.mark_bar(color=BAND_GREY, height=14).encode(
        x=alt.X("sesoi_neg:Q", title="Effect in SDs of the outcome (estimate with 95% CI; | = minimum detectable effect)"),
        x2="sesoi_d:Q",
    )  # fmt: skip
    colour = alt.Color("group_label:N", scale=group_scale(arms), title="Arm vs regular service")
    ci = base.mark_rule(strokeWidth=1.6).encode(
        x="low_d:Q", x2="high_d:Q", color=colour, tooltip=tip
    )
    pt = base.mark_point(filled=True, size=50, opacity=1).encode(
        x="est_d:Q", color=colour, tooltip=tip
    )
    tick_pos = base.mark_tick(thickness=2, size=10, color=INK).encode(x="mde_d:Q", tooltip=tip)
    tick_neg = base.mark_tick(thickness=2, size=10, color=INK).encode(x="mde_neg:Q", tooltip=tip)
    zero = alt.Chart(d).mark_rule(color=REFERENCE_INK, strokeDash=[4, 3]).encode(x=alt.datum(0))
    return (band + zero + ci + pt + tick_pos + tick_neg).properties(
        height=alt.Step(14),
        title=alt.Title("What the design could detect",
                        subtitle="Grey band: smaller than the smallest effect of interest"),
    )  # fmt: skip


def attrition_chart(frame: pd.DataFrame):
    """Complete-case ANCOVA, response-weighted ANCOVA and Lee bounds per arm contrast.

    ``frame``: ``outcome, contrast, method, estimate, ci_low, ci_high, scale`` where Lee bounds
    have a method starting ``Lee bounds`` with ``estimate`` = lower and ``upper`` = upper bound.
    """

    d = _labels(frame)
    d = d.assign(
        upper=d.get("upper", d["estimate"]).fillna(d["estimate"]),
        text=[f"{r.estimate:+.2f}" + (f" to {r.upper:+.2f}" if r.method.startswith("Lee bounds") else "")
              + f" [{r.ci_low:.2f}, {r.ci_high:.2f}] {r.scale}" for r in d.assign(
                  upper=d.get("upper", d["estimate"]).fillna(d["estimate"])).itertuples()],
    )  # fmt: skip
    d = d[
        [
            "outcome_label",
            "contrast_label",
            "group_label",
            "method",
            "estimate",
            "upper",
            "ci_low",
            "ci_high",
            "text",
        ]
    ]
    arms = [a for a in (*TREATED, "participants") if group_label(a) in set(d["group_label"])]
    colour = alt.Color("group_label:N", scale=group_scale(arms), title="Group compared")
    y = alt.Y("method:N", title=None, sort=list(dict.fromkeys(d["method"])))
    tip = [alt.Tooltip("contrast_label:N", title="contrast"), alt.Tooltip("method:N"),
           alt.Tooltip("text:N", title="estimate or bounds [95% CI]")]  # fmt: skip
    base = alt.Chart().encode(y=y, yOffset=alt.YOffset("contrast_label:N"))
    ci = base.mark_rule(strokeWidth=1.2).encode(
        x=alt.X("ci_low:Q", title="Difference in the score after two years (points; 95% CI)"),
        x2="ci_high:Q", color=colour, tooltip=tip)  # fmt: skip
    bounds = base.mark_bar(height=7, opacity=0.8).encode(
        x="estimate:Q", x2="upper:Q", color=colour, tooltip=tip
    )
    pt = base.mark_point(filled=True, size=50, opacity=1).encode(
        x="estimate:Q", color=colour, tooltip=tip
    )
    zero = alt.Chart().mark_rule(color=REFERENCE_INK, strokeDash=[4, 3]).encode(x=alt.datum(0))
    return (
        alt.layer(zero, ci, bounds, pt, data=d)
        .properties(width=480, height=alt.Step(14))
        .facet(row=alt.Row("outcome_label:N", title=None))
        .properties(title=alt.Title("Does questionnaire non-response change the answer?",
                                    subtitle="Bars: Lee bounds (range of effects consistent with selective response)"))
    )  # fmt: skip


def coverage_chart(summary: pd.DataFrame, nominal: float = 0.95, flag_below: float = 0.93):
    """Coverage of each estimator's 95% CI over the simulated cohorts (+/- 1.96 Monte Carlo SE).

    One panel per outcome; a row per method, a colour per group compared (an arm against regular
    service, or all participants against non-participants).
    """

    d = _labels(summary)
    d = d.assign(
        label=d["outcome_label"] + ": " + d["contrast_label"].str.lower() + ", " + d["method"],
        low=(d["coverage"] - 1.96 * d["coverage_mcse"]).clip(0, 1),
        high=(d["coverage"] + 1.96 * d["coverage_mcse"]).clip(0, 1),
        cov_text=[f"{100 * r.coverage:.1f}% of {r.n_replicates} cohorts" for r in d.itertuples()],
        bias_text=[f"{r.bias:+.3f} {r.scale} (truth {r.truth:.2f})" for r in d.itertuples()],
    )
    d = d[["outcome_label", "method", "contrast_label", "label", "group_label", "coverage", "low",
           "high", "cov_text", "bias_text"]]  # fmt: skip
    arms = [a for a in (*TREATED, "participants") if group_label(a) in set(d["group_label"])]
    colour = alt.Color("group_label:N", scale=group_scale(arms), title="Group compared")
    y = alt.Y("method:N", title=None, sort=list(dict.fromkeys(d["method"])))
    tip = [alt.Tooltip("label:N", title="estimator"), alt.Tooltip("cov_text:N", title="coverage"),
           alt.Tooltip("bias_text:N", title="bias")]  # fmt: skip
    base = alt.Chart().encode(
        y=y, yOffset=alt.YOffset("group_label:N", sort=[group_label(a) for a in arms])
    )
    lowest = min(0.7, float(d["low"].min()) - 0.02)
    scale = alt.Scale(domain=[lowest, 1.0], clamp=True)
    x = alt.X("low:Q", title="Share of 95% CIs that contain the truth (± 1.96 Monte Carlo SE)",
              scale=scale, axis=alt.Axis(format="%"))  # fmt: skip
    bars = base.mark_rule(strokeWidth=1.6).encode(x=x, x2="high:Q", color=colour, tooltip=tip)
    pts = base.mark_point(filled=True, size=55, opacity=1).encode(
        x="coverage:Q", color=colour, tooltip=tip
    )
    nominal_rule = (
        alt.Chart()
        .mark_rule(color=REFERENCE_INK, strokeDash=[4, 3])
        .encode(x=alt.datum(nominal, scale=scale))
    )
    flag_rule = alt.Chart().mark_rule(color=REFERENCE_INK).encode(x=alt.datum(flag_below))
    return (
        alt.layer(nominal_rule, flag_rule, bars, pts, data=d)
        .properties(width=440, height=alt.Step(16))
        .facet(row=alt.Row("outcome_label:N", title=None, sort=list(dict.fromkeys(d["outcome_label"]))))
        .resolve_scale(y="independent")
        .properties(title=alt.Title(
            "Do the 95% confidence intervals hold the truth 95% of the time?",
            subtitle=f"Dashed line: {nominal:.0%}, the nominal level; solid line: {flag_below:.0%}, "
                     "below which an estimator is flagged"))
    )  # fmt: skip
