"""Charts of the Hawthorne chapter: decomposition, the control group over time, bounds."""

from __future__ import annotations

import altair as alt
import pandas as pd

from trustexp.charts import GROUP_COLOURS, REFERENCE_INK, group_scale, panel_title
from trustexp.vocab import (
    ARMS,
    WAVES,
    component_label,
    contrast_label,
    group_label,
    outcome_title,
    wave_label,
)

OUTCOMES = ("outflow_full", "wellbeing")
"""The two outcomes the chapter decomposes, in panel order."""


def decomposition_chart(decomp: pd.DataFrame):
    """Participation and treatment contrasts side by side, per outcome, with 95% CIs."""

    data = decomp.assign(
        label=decomp["contrast"].map(contrast_label),
        component_label=decomp["component"].map(component_label),
        colour=decomp["group"].map(group_label),
    )
    keys = [k for k in ("participants", *ARMS) if k in set(decomp["group"])]
    panels = []
    for outcome, title in ((o, outcome_title(o)) for o in OUTCOMES):
        sub = data[data["outcome"] == outcome]
        if sub.empty:
            continue
        tip = [
            alt.Tooltip("component_label:N", title="kind"),
            alt.Tooltip("label:N", title="contrast"),
            alt.Tooltip("estimate:Q", title="estimate", format=".2f"),
            alt.Tooltip("ci_low:Q", title="95% CI low", format=".2f"),
            alt.Tooltip("ci_high:Q", title="95% CI high", format=".2f"),
            alt.Tooltip("method:N", title="method"),
            alt.Tooltip("n:Q", title="n"),
        ]
        base = alt.Chart().encode(
            y=alt.Y("label:N", title=None, sort=list(sub["label"]), axis=alt.Axis(labelLimit=260)),
            color=alt.Color("colour:N", scale=group_scale(keys), title="Group"),
            tooltip=tip,
        )
        rules = base.mark_rule(strokeWidth=2).encode(
            x=alt.X("ci_low:Q", title=title), x2="ci_high:Q"
        )
        dots = base.mark_point(filled=True, size=70).encode(x="estimate:Q")
        zero = alt.Chart().mark_rule(color=REFERENCE_INK, strokeDash=[4, 3]).encode(x=alt.datum(0))
        panels.append(
            alt.layer(zero, rules, dots, data=sub)
            .properties(width=440, height=alt.Step(44))
            .facet(row=alt.Row("component_label:N", title=None))
            .resolve_scale(y="independent")
        )
    return alt.vconcat(*panels, spacing=24).properties(
        title=alt.Title(
            "Taking part vs the arm itself",
            subtitle="Estimates of the outflow and wellbeing chapters with 95% CIs; 0 = no difference",
        )
    )


def receipt_chart(shares: pd.DataFrame, gap: pd.DataFrame, threshold: int, wave_months=(0, 12, 24)):
    """On-benefit share by month since the lottery per group, and the control arm's gap over time.

    Top: share on benefit (Wilson 95% band) for the arms and the non-participants, with the
    questionnaire waves marked. Bottom: change since the month before the lottery, control arm
    minus non-participants, in percentage points with a 95% band. Groups with fewer than
    ``threshold`` people in a month are not drawn.
    """

    data = shares[shares["n"] >= threshold].assign(
        colour=lambda f: f["group"].map(group_label),
        pct=lambda f: 100 * f["share"],
        pct_low=lambda f: 100 * f["ci_low"],
        pct_high=lambda f: 100 * f["ci_high"],
    )
    keys = [k for k in (*ARMS, "non_participants") if k in set(data["group"])]
    colour = alt.Color("colour:N", scale=group_scale(keys), title="Group")
    x = alt.X("k:Q", title="Months since the lottery")
    tip = [
        alt.Tooltip("colour:N", title="group"),
        alt.Tooltip("k:Q", title="month"),
        alt.Tooltip("n:Q", title="people"),
        alt.Tooltip("pct:Q", title="on benefit (%)", format=".1f"),
        alt.Tooltip("pct_low:Q", title="95% CI low (%)", format=".1f"),
        alt.Tooltip("pct_high:Q", title="95% CI high (%)", format=".1f"),
    ]
    waves = pd.DataFrame(
        {
            "k": list(wave_months),
            "wave": [wave_label(w) for w in WAVES][: len(wave_months)],
        }
    )
    wave_rules = (
        alt.Chart(waves)
        .mark_rule(color=REFERENCE_INK, strokeDash=[2, 3])
        .encode(x="k:Q", tooltip=[alt.Tooltip("wave:N", title="questionnaire")])
    )
    band = (
        alt.Chart(data)
        .mark_area(opacity=0.15)
        .encode(x=x, y=alt.Y("pct_low:Q", title="On benefit (%)"), y2="pct_high:Q", color=colour)
    )
    line = (
        alt.Chart(data).mark_line(strokeWidth=2).encode(x=x, y="pct:Q", color=colour, tooltip=tip)
    )
    pts = (
        alt.Chart(data)
        .mark_point(size=12, filled=True)
        .encode(x=x, y="pct:Q", color=colour, tooltip=tip)
    )
    top = (band + wave_rules + line + pts).properties(
        width=520, height=240, title=panel_title("Share on benefit, by group")
    )
    g = gap.assign(group=group_label("regulier"))
    gtip = [
        alt.Tooltip("k:Q", title="month"),
        alt.Tooltip("gap:Q", title="gap (pp)", format=".1f"),
        alt.Tooltip("ci_low:Q", title="95% CI low", format=".1f"),
        alt.Tooltip("ci_high:Q", title="95% CI high", format=".1f"),
    ]
    gband = (
        alt.Chart(g)
        .mark_area(opacity=0.2, color=GROUP_COLOURS["regulier"])
        .encode(
            x=x, y=alt.Y("ci_low:Q", title="Control minus non-participants (pp)"), y2="ci_high:Q"
        )
    )
    gline = (
        alt.Chart(g)
        .mark_line(color=GROUP_COLOURS["regulier"], strokeWidth=2)
        .encode(x=x, y="gap:Q", tooltip=gtip)
    )
    zero = (
        alt.Chart(pd.DataFrame({"y": [0]}))
        .mark_rule(color=REFERENCE_INK, aria=False)
        .encode(y="y:Q")
    )
    bottom = (gband + zero + wave_rules + gline).properties(
        width=520, height=180,
        title=panel_title("Control arm minus non-participants: change in receipt since the month before the lottery"),
    )  # fmt: skip
    return alt.vconcat(top, bottom).properties(
        title=alt.Title(
            "The control arm against people who did not take part",
            subtitle="Benefit registry, every month; dotted lines: questionnaire waves",
        )  # fmt: skip
    )


def bounds_chart(bounds: pd.DataFrame):
    """Bounds on each arm's effect against an uncontaminated control, per outcome.

    Thick bar: the identified set (lower to upper bound); thin line: the outer 95% limits; point:
    the lottery-based contrast with the control arm (the lower bound).
    """

    panels = []
    for outcome, title in ((o, outcome_title(o)) for o in OUTCOMES):
        sub = bounds[bounds["outcome"] == outcome]
        if sub.empty:
            continue
        sub = sub.assign(colour=sub["group"].map(group_label))
        keys = [k for k in ARMS if k in set(sub["group"])]
        y = alt.Y("colour:N", title=None, sort=[group_label(k) for k in keys])
        colour = alt.Color("colour:N", scale=group_scale(keys), legend=None)
        tip = [
            alt.Tooltip("colour:N", title="arm"),
            alt.Tooltip("lower:Q", title="lower bound", format=".2f"),
            alt.Tooltip("upper:Q", title="upper bound", format=".2f"),
            alt.Tooltip("lower_ci:Q", title="95% limit, low", format=".2f"),
            alt.Tooltip("upper_ci:Q", title="95% limit, high", format=".2f"),
        ]
        base = alt.Chart(sub).encode(y=y, color=colour, tooltip=tip)
        outer = base.mark_rule(strokeWidth=1.5).encode(
            x=alt.X("lower_ci:Q", title=title), x2="upper_ci:Q"
        )
        inner = base.mark_bar(size=14, opacity=0.6).encode(x="lower:Q", x2="upper:Q")
        dot = base.mark_point(filled=True, size=80).encode(x="lower:Q")
        zero = (
            alt.Chart(pd.DataFrame({"x": [0]}))
            .mark_rule(color=REFERENCE_INK, strokeDash=[4, 3], aria=False)
            .encode(x="x:Q")
        )
        panels.append((zero + outer + inner + dot).properties(width=480, height=alt.Step(30)))
    return alt.vconcat(*panels).properties(
        title=alt.Title(
            "Each arm against a control that did not know it was in an experiment: bounds",
            subtitle="Bar: range allowed by the assumptions; line: with 95% uncertainty; point: lottery contrast with the control arm",
        )
    )
