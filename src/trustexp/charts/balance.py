"""Chart of chapter 3: standardised mean differences at baseline (a "Love plot")."""

from __future__ import annotations

import pandas as pd

from trustexp.charts import GROUP_COLOURS, group_label

COMPARISON_LABELS = {
    "eigen_regie": f"{group_label('eigen_regie')} vs control",
    "intensief": f"{group_label('intensief')} vs control",
    "participants": "Participants vs non-participants",
}


def smd_chart(smds: pd.DataFrame, threshold: float = 0.1):
    """SMD per covariate and comparison, with the conventional ±0.1 band of good balance."""
    import altair as alt

    data = smds.assign(comparison_label=smds["comparison"].map(COMPARISON_LABELS))
    order = list(dict.fromkeys(data["label"]))
    colour = alt.Color(
        "comparison_label:N",
        title=None,
        scale=alt.Scale(domain=list(COMPARISON_LABELS.values()),
                        range=[GROUP_COLOURS["eigen_regie"], GROUP_COLOURS["intensief"], GROUP_COLOURS["participants"]]),
    )  # fmt: skip
    band = (
        alt.Chart(pd.DataFrame({"lo": [-threshold], "hi": [threshold]}))
        .mark_rect(color="#eeeeee")
        .encode(x="lo:Q", x2="hi:Q")
    )
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#777777").encode(x="x:Q")
    points = alt.Chart(data).mark_point(filled=True, size=70).encode(
        x=alt.X("smd:Q", title="Standardised mean difference (SD units)"),
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
        color=colour,
        tooltip=[alt.Tooltip("label:N", title="characteristic"), alt.Tooltip("comparison_label:N", title="comparison"),
                 alt.Tooltip("smd:Q", title="SMD", format=".2f")],
    )  # fmt: skip
    return (
        (band + zero + points)
        .properties(
            width=420, height=alt.Step(18), title="Balance at the start: differences in SD units"
        )
        .configure_legend(orient="bottom", direction="vertical", labelLimit=320)
    )
