"""Charts of the resources chapter: participation-budget spending per arm and instrument."""

from __future__ import annotations

import altair as alt
import pandas as pd

from trustexp.charts import group_scale
from trustexp.vocab import ARMS, group_label


def spending_chart(by_arm: pd.DataFrame, instrument_labels: dict[str, str], threshold: int):
    """Euros per participant and share of the budget, per instrument and arm (and all), with 95% CIs.

    Rows with fewer than ``threshold`` users are not drawn (disclosure control); the subtitle says
    how many.
    """

    groups = (*ARMS, "participants")
    data = by_arm[by_arm["arm"].isin(groups) & (by_arm["instrument"] != "all instruments")]
    hidden = int(((data["users"] > 0) & (data["users"] < threshold)).sum())
    data = data[~((data["users"] > 0) & (data["users"] < threshold))]
    data = data.assign(
        group=data["arm"].map(group_label),
        label=data["instrument"].map(lambda k: instrument_labels.get(k, k)),
        share_pct=100 * data["share"],
        share_low_pct=100 * data["share_low"],
        share_high_pct=100 * data["share_high"],
    )
    order = [instrument_labels.get(k, k) for k in instrument_labels]
    arms = [a for a in groups if a in set(data["arm"])]
    y = alt.Y("label:N", sort=order, title=None)
    colour = alt.Color("group:N", scale=group_scale(arms), title="Group")
    tip = [
        alt.Tooltip("group:N", title="group"),
        alt.Tooltip("label:N", title="instrument"),
        alt.Tooltip("users:Q", title="users"),
        alt.Tooltip("n:Q", title="participants"),
        alt.Tooltip("per_participant:Q", title="EUR per participant", format=",.0f"),
        alt.Tooltip("per_participant_low:Q", title="95% CI low", format=",.0f"),
        alt.Tooltip("per_participant_high:Q", title="95% CI high", format=",.0f"),
        alt.Tooltip("share_pct:Q", title="share of budget (%)", format=".1f"),
        alt.Tooltip("share_low_pct:Q", title="share 95% CI low (%)", format=".1f"),
        alt.Tooltip("share_high_pct:Q", title="share 95% CI high (%)", format=".1f"),
    ]
    base = alt.Chart(data).encode(y=y, yOffset=alt.YOffset("group:N"), color=colour, tooltip=tip)
    eur = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("per_participant_low:Q", title="Euros per participant over the experiment (EUR)"),
        x2="per_participant_high:Q",
    ) + base.mark_point(filled=True, size=60).encode(x="per_participant:Q")
    share = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("share_low_pct:Q", title="Share of the group's budget (%)"), x2="share_high_pct:Q"
    ) + base.mark_point(filled=True, size=60).encode(x="share_pct:Q")
    subtitle = "Points: estimate; lines: 95% bootstrap CI"
    if hidden:
        subtitle += f"; {hidden} cells with fewer than {threshold} users not drawn"
    return alt.vconcat(
        eur.properties(width=440, height=alt.Step(9)),
        share.properties(width=440, height=alt.Step(9)),
    ).properties(title=alt.Title("Where the participation budget went", subtitle=subtitle))
