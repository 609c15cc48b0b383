"""Chart of chapter 2: questionnaire response per arm and wave, with Wilson 95% CIs."""

from __future__ import annotations

import altair as alt
import pandas as pd

from trustexp.charts import group_scale
from trustexp.vocab import ARMS, RESPONDENTS, WAVES, group_label, respondent_label, wave_label


def response_chart(shares: pd.DataFrame):
    """Share responding per arm and wave (points, CI bars), one panel per respondent type, stacked."""

    data = shares.assign(
        group=shares["arm"].map(group_label),
        wave_label=shares["wave"].map(wave_label),
        panel=shares["respondent"].map(respondent_label),
    )
    x = alt.X("wave_label:N", sort=[wave_label(w) for w in WAVES], title="Questionnaire wave")
    offset = alt.XOffset("group:N", sort=[group_label(a) for a in ARMS])
    colour = alt.Color("group:N", scale=group_scale(ARMS), title=None)
    tooltip = [alt.Tooltip("group:N", title="arm"), alt.Tooltip("wave_label:N", title="wave"),
               alt.Tooltip("share:Q", format=".1%"), alt.Tooltip("ci_low:Q", format=".1%", title="95% CI low"),
               alt.Tooltip("ci_high:Q", format=".1%", title="95% CI high"), alt.Tooltip("n:Q", title="allocated"),
               alt.Tooltip("responded:Q")]  # fmt: skip
    base = alt.Chart(data).encode(x=x, xOffset=offset, color=colour, tooltip=tooltip)
    bars = base.mark_rule(strokeWidth=2).encode(
        y=alt.Y("ci_low:Q", title="Share returned (95% CI)", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        y2="ci_high:Q",
    )  # fmt: skip
    points = base.mark_point(filled=True, size=70).encode(y="share:Q")
    return (
        (bars + points)
        .properties(width=520, height=200)
        .facet(row=alt.Row("panel:N", title=None, sort=[respondent_label(r) for r in RESPONDENTS]))
        .properties(title="Who returned the questionnaires")
    )
