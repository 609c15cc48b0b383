"""Charts of the consultants chapter: rating gaps by arm and wave, Bland-Altman, consultant-only items."""

from __future__ import annotations

import altair as alt
import pandas as pd

from trustexp.charts import BAND_GREY, INK, REFERENCE_INK, group_scale, panel_title
from trustexp.vocab import ARMS, WAVES, group_label, item_label, wave_label

PANEL_ORDER = ("ladder", "wellbeing", "progress")
"""Order of the consultant-rated items' panels."""
WAVE_ORDER = [wave_label(w) for w in WAVES]


def gap_by_arm_chart(by_arm_wave: pd.DataFrame, threshold: int = 1):
    """Mean consultant-minus-participant difference with 95% CI, per item, wave and arm.

    Groups of fewer than ``threshold`` pairs are not drawn (disclosure control).
    """

    by_arm_wave = by_arm_wave[by_arm_wave["n"] >= threshold]
    data = by_arm_wave.assign(
        group=by_arm_wave["arm"].map(group_label),
        wave_label=by_arm_wave["wave"].map(wave_label),
        item_label=by_arm_wave["item"].map(item_label),
    )
    arms = [a for a in ARMS if a in set(by_arm_wave["arm"])]
    colour = alt.Color("group:N", scale=group_scale(arms), title="Arm")
    order = WAVE_ORDER
    tooltip = [
        alt.Tooltip("item_label:N", title="item"),
        alt.Tooltip("group:N", title="arm"),
        alt.Tooltip("wave_label:N", title="wave"),
        alt.Tooltip("n:Q", title="pairs"),
        alt.Tooltip("participant_mean:Q", title="participants' mean", format=".2f"),
        alt.Tooltip("consultant_mean:Q", title="consultants' mean", format=".2f"),
        alt.Tooltip("estimate:Q", title="difference", format=".2f"),
        alt.Tooltip("ci_low:Q", title="95% CI low", format=".2f"),
        alt.Tooltip("ci_high:Q", title="95% CI high", format=".2f"),
    ]
    panels = []
    for item in [i for i in PANEL_ORDER if i in set(data["item"])]:
        sub = data[data["item"] == item]
        x = alt.X(
            "wave_label:N", sort=order, title="Questionnaire wave", axis=alt.Axis(labelAngle=0)
        )
        base = alt.Chart(sub).encode(x=x, xOffset=alt.XOffset("group:N"), color=colour)
        bars = base.mark_rule(strokeWidth=2).encode(
            y=alt.Y("ci_low:Q", title="Consultant minus participant (points)"), y2="ci_high:Q"
        )
        dots = base.mark_point(filled=True, size=70).encode(y="estimate:Q", tooltip=tooltip)
        zero = (
            alt.Chart(pd.DataFrame({"y": [0]}))
            .mark_rule(color=REFERENCE_INK, strokeDash=[4, 3], aria=False)
            .encode(y="y:Q")
        )
        panels.append(
            (zero + bars + dots).properties(
                width=480, height=170, title=panel_title(item_label(item))
            )
        )
    return alt.vconcat(*panels).properties(
        title=alt.Title(
            "How much more positive the consultant is than the participant",
            subtitle="Mean difference of paired ratings (same person, same wave) with 95% CI; 0 = agreement",
        )
    )


def bland_altman_chart(cells: pd.DataFrame, limits: pd.DataFrame, n_hidden: int, threshold: int):
    """Bland-Altman plot per item: pairs (counted per cell), mean difference and limits of agreement."""

    panels = []
    for item in [i for i in PANEL_ORDER if i in set(limits["item"])]:
        sub = cells[cells["item"] == item]
        lim = limits[limits["item"] == item].iloc[0]
        lines = pd.DataFrame(
            [
                dict(what="mean difference", y=lim["bias"], low=lim.get("bias_low"), high=lim.get("bias_high")),
                dict(what="lower limit of agreement", y=lim["loa_low"], low=lim.get("loa_low_low"), high=lim.get("loa_low_high")),
                dict(what="upper limit of agreement", y=lim["loa_high"], low=lim.get("loa_high_low"), high=lim.get("loa_high_high")),
            ]
        )  # fmt: skip
        tip = [
            alt.Tooltip("what:N", title="line"),
            alt.Tooltip("y:Q", title="value", format=".2f"),
            alt.Tooltip("low:Q", title="95% CI low", format=".2f"),
            alt.Tooltip("high:Q", title="95% CI high", format=".2f"),
        ]
        band = (
            alt.Chart(lines).mark_rect(color=BAND_GREY).encode(y="low:Q", y2="high:Q", tooltip=tip)
        )
        rule = (
            alt.Chart(lines)
            .mark_rule(color=INK, strokeWidth=2)
            .encode(
                y="y:Q",
                strokeDash=alt.StrokeDash(
                    "what:N", title="Line (band: its 95% CI)", sort=list(lines["what"]),
                    scale=alt.Scale(domain=list(lines["what"]), range=[[1, 0], [6, 3], [2, 2]]),
                ),
                tooltip=tip,
            )
        )  # fmt: skip
        pts = (
            alt.Chart(sub)
            .mark_circle(color=INK, opacity=0.5)
            .encode(
                x=alt.X(
                    "mean:Q", title="Mean of the two ratings (points)", scale=alt.Scale(zero=False)
                ),
                y=alt.Y("difference:Q", title="Consultant minus participant (points)"),
                size=alt.Size("n:Q", title="Pairs in cell", scale=alt.Scale(range=[20, 400])),
                tooltip=[
                    alt.Tooltip("mean:Q", title="mean of ratings"),
                    alt.Tooltip("difference:Q", title="difference"),
                    alt.Tooltip("n:Q", title="pairs"),
                ],
            )
        )
        panels.append(
            (band + rule + pts).properties(
                width=420, height=220, title=panel_title(item_label(item))
            )
        )
    note = (
        f"{n_hidden} pairs in cells of fewer than {threshold} pairs are not drawn (disclosure control); "
        "the lines use all pairs"
    )
    return alt.vconcat(*panels).properties(
        title=alt.Title("Agreement of consultant and participant (Bland-Altman)", subtitle=note)
    )


def consultant_only_chart(means: pd.DataFrame, item: str = "progress", threshold: int = 1):
    """Mean consultant rating of a consultant-only item per arm and wave, with 95% CI.

    Groups of fewer than ``threshold`` ratings are not drawn (disclosure control).
    """

    means = means[means["n"] >= threshold]
    data = means.assign(
        group=means["arm"].map(group_label), wave_label=means["wave"].map(wave_label)
    )
    arms = [a for a in ARMS if a in set(means["arm"])]
    x = alt.X("wave_label:N", sort=WAVE_ORDER, title="Questionnaire wave",
              axis=alt.Axis(labelAngle=0))  # fmt: skip
    base = alt.Chart(data).encode(
        x=x, xOffset=alt.XOffset("group:N"),
        color=alt.Color("group:N", scale=group_scale(arms), title="Arm"),
    )  # fmt: skip
    bars = base.mark_rule(strokeWidth=2).encode(
        y=alt.Y(
            "ci_low:Q",
            title=f"Consultants' mean rating: {item_label(item)}",
            scale=alt.Scale(zero=False),
        ),
        y2="ci_high:Q",
    )
    dots = base.mark_point(filled=True, size=70).encode(
        y="mean:Q",
        tooltip=[
            alt.Tooltip("group:N", title="arm"),
            alt.Tooltip("wave_label:N", title="wave"),
            alt.Tooltip("n:Q", title="ratings"),
            alt.Tooltip("mean:Q", title="mean", format=".2f"),
            alt.Tooltip("ci_low:Q", title="95% CI low", format=".2f"),
            alt.Tooltip("ci_high:Q", title="95% CI high", format=".2f"),
        ],
    )
    return (bars + dots).properties(
        width=420, height=280,
        title=alt.Title(f"{item_label(item)}: as the consultants rated it",
                        subtitle="Mean with 95% CI; the participants were not asked this item"),
    )  # fmt: skip
