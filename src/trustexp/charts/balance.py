"""Chart of chapter 3: standardised mean differences at baseline (a "Love plot")."""

from __future__ import annotations

import altair as alt
import pandas as pd

from trustexp.charts import GROUP_COLOURS, REFERENCE_INK
from trustexp.vocab import (
    CONTROL,
    NON_PARTICIPANTS,
    PARTICIPANTS,
    TREATED,
    between,
    contrast_label,
    covariate_label,
)

COMPARISONS = {
    **{arm: between(arm, CONTROL) for arm in TREATED},
    PARTICIPANTS: between(PARTICIPANTS, NON_PARTICIPANTS),
}
"""The ``comparison`` values of ``stats.balance.smd_long`` and the contrast each stands for."""


def smd_chart(smds: pd.DataFrame, threshold: float = 0.1):
    """SMD per covariate and comparison, with the conventional ±0.1 band of good balance."""

    labels = {k: contrast_label(c) for k, c in COMPARISONS.items()}
    data = smds.assign(
        comparison_label=smds["comparison"].map(labels),
        label=smds["covariate"].map(covariate_label),
    )
    order = list(dict.fromkeys(data["label"]))
    colour = alt.Color(
        "comparison_label:N",
        title=None,
        legend=alt.Legend(columns=1),
        scale=alt.Scale(domain=list(labels.values()),
                        range=[GROUP_COLOURS["eigen_regie"], GROUP_COLOURS["intensief"], GROUP_COLOURS["participants"]]),
    )  # fmt: skip
    band = (
        alt.Chart(pd.DataFrame({"lo": [-threshold], "hi": [threshold]}))
        .mark_rect(color="#eeeeee", aria=False)
        .encode(x="lo:Q", x2="hi:Q")
    )
    zero = (
        alt.Chart(pd.DataFrame({"x": [0]}))
        .mark_rule(color=REFERENCE_INK, aria=False)
        .encode(x="x:Q")
    )
    points = alt.Chart(data).mark_point(filled=True, size=70).encode(
        x=alt.X("smd:Q", title="Standardised mean difference (SD units)"),
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
        color=colour,
        tooltip=[alt.Tooltip("label:N", title="characteristic"), alt.Tooltip("comparison_label:N", title="comparison"),
                 alt.Tooltip("smd:Q", title="SMD", format=".2f")],
    )  # fmt: skip
    return (band + zero + points).properties(
        height=alt.Step(30), title="Balance at the start: differences in SD units"
    )
