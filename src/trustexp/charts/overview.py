"""Chart of chapter 9: one forest plot of every outcome and contrast, grouped by domain."""

from __future__ import annotations

import altair as alt
import pandas as pd

from trustexp.charts import REFERENCE_INK, group_scale
from trustexp.stats.overview import RANDOMISED, VS_NON, WITHIN
from trustexp.vocab import ARMS, PARTICIPANTS

KIND_SHAPES = {
    RANDOMISED: "circle",
    VS_NON: "square",
    WITHIN: "triangle-up",
}


def forest_chart(data: pd.DataFrame):
    """Forest plot: standardised estimate and 95% CI per outcome (rows) and contrast (colour,
    shape), one panel per domain; the raw-scale estimate is in the tooltip.

    ``data`` is ``chapters.effect_sizes.forest_data`` (labels and texts already made).
    """

    groups = [g for g in (*ARMS, PARTICIPANTS) if g in set(data["group"])]
    outcome_order = list(dict.fromkeys(data["outcome_label"]))
    contrast_order = list(dict.fromkeys(data["contrast_label"]))
    y = alt.Y("outcome_label:N", title=None, sort=outcome_order, axis=alt.Axis(labelLimit=260))
    y_off = alt.YOffset("contrast_label:N", sort=contrast_order)
    x_scale = alt.Scale(zero=True, nice=True)
    base = alt.Chart().encode(y=y, yOffset=y_off)
    bars = base.mark_rule(strokeWidth=1.6).encode(
        x=alt.X("std_low:Q", scale=x_scale,
                title="Standardised effect (SDs of the outcome; 95% CI) — right = higher score"),
        x2="std_high:Q",
        color=alt.Color("group_label:N", scale=group_scale(groups), title="Group"),
    )  # fmt: skip
    points = base.mark_point(filled=True, size=55, opacity=1).encode(
        x=alt.X("std_estimate:Q", scale=x_scale),
        color=alt.Color("group_label:N", scale=group_scale(groups), title="Group"),
        shape=alt.Shape("kind:N", title="Comparison",
                        scale=alt.Scale(domain=list(KIND_SHAPES), range=list(KIND_SHAPES.values()))),
        tooltip=[
            alt.Tooltip("outcome_label:N", title="outcome"),
            alt.Tooltip("contrast_label:N", title="contrast"),
            alt.Tooltip("raw:N", title="estimate [95% CI], own scale"),
            alt.Tooltip("scale:N", title="unit"),
            alt.Tooltip("method:N", title="method"),
            alt.Tooltip("std_text:N", title="standardised [95% CI]"),
            alt.Tooltip("std_method:N", title="standardised by"),
            alt.Tooltip("p_text:N", title="p (unadjusted)"),
            alt.Tooltip("n_text:N", title="n"),
        ],
    )  # fmt: skip
    zero = alt.Chart().mark_rule(color=REFERENCE_INK, strokeDash=[4, 3]).encode(x=alt.datum(0))
    return (
        alt.layer(zero, bars, points, data=data)
        .properties(width=440, height=alt.Step(9))
        .facet(row=alt.Row("domain:N", title=None, sort=list(dict.fromkeys(data["domain"]))))
        .resolve_scale(y="independent")
        .properties(title=alt.Title(
            "Every outcome and contrast on one standardised scale",
            subtitle="For difficulty making ends meet and material deprivation, lower is better."))
    )  # fmt: skip
