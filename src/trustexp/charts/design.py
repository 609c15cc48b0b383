"""Charts of chapter 1: the CONSORT flow diagram and the timeline of the experiment."""

from __future__ import annotations

import altair as alt
import pandas as pd

from trustexp.charts import GROUP_COLOURS
from trustexp.disclosure import suppressed_label
from trustexp.vocab import group_label, wave_label

_ARM_X = {"eigen_regie": 1.0, "intensief": 3.0, "regulier": 5.0}
_STAGE_ROWS = [  # (stage, row, text template)
    ("allocated", 2, "Allocated\nn = {n}"),
    ("wave_0", 3, "Start questionnaire\nn = {n}"),
    ("wave_1", 4, "After one year\nn = {n} (lost {lost})"),
    ("wave_2", 5, "After two years\nn = {n} (lost {lost})"),
    ("analysed", 6, "Analysed\nregistry {reg}\nquestionnaire {srv}"),
]


def _show(n: int, threshold: int) -> str:
    return suppressed_label(threshold) if 0 < n < threshold else f"{n:,}"


def consort_boxes(counts: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Boxes of the CONSORT diagram: centre, size, text and colour key, counts disclosure-checked."""
    n = {(r.stage, r.group): int(r.n) for r in counts.itertuples()}
    boxes = [
        dict(x=3.0, row=0, w=3.2, text=f"On social assistance at the index date\nn = {_show(n[('assessed', 'all')], threshold)}", group="all"),
        dict(x=3.0, row=1, w=3.2, text=f"Volunteered and randomised by lottery\nn = {_show(n[('randomised', 'all')], threshold)}", group="all"),
        dict(x=5.6, row=0.5, w=1.8, text=f"Did not take part\n(comparison group)\nn = {_show(n[('not_enrolled', 'all')], threshold)}", group="non_participants"),
    ]  # fmt: skip
    for arm, x in _ARM_X.items():
        for stage, row, template in _STAGE_ROWS:
            text = template.format(
                n=_show(n.get((stage, arm), 0), threshold),
                lost=_show(n.get((f"lost_{stage}", arm), 0), threshold),
                reg=_show(n[("analysed_registry", arm)], threshold),
                srv=_show(n[("analysed_survey", arm)], threshold),
            )
            if stage == "allocated":
                text = f"{group_label(arm)}\n{text}"
            boxes.append(dict(x=x, row=row, w=1.8, text=text, group=arm))
    out = pd.DataFrame(boxes)
    out["x0"], out["x1"] = out["x"] - out["w"] / 2, out["x"] + out["w"] / 2
    out["y0"], out["y1"] = out["row"] - 0.36, out["row"] + 0.36
    out["lines"] = out["text"].str.split("\n")
    out["colour"] = out["group"].map({**GROUP_COLOURS, "all": "#444444"})
    return out


def consort_chart(counts: pd.DataFrame, threshold: int):
    """The CONSORT 2010 flow diagram (enrolment, allocation, follow-up, analysis) as an Altair chart."""

    boxes = consort_boxes(counts, threshold)
    arrows = [dict(x=3.0, y0=0.36, x1=3.0, y1=0.64), dict(x=3.0, y0=0.5, x1=4.7, y1=0.5)]
    arrows += [dict(x=x, y0=1.36, x1=x, y1=1.64) for x in _ARM_X.values()]
    arrows += [dict(x=1.0, y0=1.64, x1=5.0, y1=1.64)]
    arrows += [
        dict(x=x, y0=r + 0.36, x1=x, y1=r + 0.64) for x in _ARM_X.values() for r in range(2, 6)
    ]
    links = pd.DataFrame(arrows)
    x = alt.X("x0:Q", axis=None, scale=alt.Scale(domain=[-0.1, 6.6]))
    y = alt.Y("y0:Q", axis=None, scale=alt.Scale(domain=[6.5, -0.5]))
    rect = alt.Chart(boxes).mark_rect(fill="white", strokeWidth=1.5, cornerRadius=4).encode(
        x=x, x2="x1:Q", y=y, y2="y1:Q",
        stroke=alt.Color("colour:N", scale=None),
        tooltip=[alt.Tooltip("text:N", title="box")],
    )  # fmt: skip
    text = (
        alt.Chart(boxes)
        .mark_text(fontSize=11, lineHeight=13, baseline="middle")
        .encode(
            x=alt.X("x:Q", axis=None, scale=alt.Scale(domain=[-0.1, 6.6])),
            y=alt.Y("row:Q", axis=None, scale=alt.Scale(domain=[6.5, -0.5])),
            text="lines",
        )
    )
    rules = (
        alt.Chart(links)
        .mark_rule(color="#777777")
        .encode(
            x=alt.X("x:Q", axis=None, scale=alt.Scale(domain=[-0.1, 6.6])),
            x2="x1:Q",
            y=y,
            y2="y1:Q",
        )
    )
    return (
        (rules + rect + text)
        .properties(width=640, height=600, title="CONSORT flow of the experiment")
        .configure_view(stroke=None)
    )


def timeline_chart(timing: pd.DataFrame, lottery_date, months_before: int, follow_up_months: int,
                   experiment_months: int = 24):  # fmt: skip
    """Timeline: registry window, the two years of the experiment, and when each wave was answered."""

    start = pd.Timestamp(lottery_date)
    spans = pd.DataFrame([
        dict(track="Benefit records (registry)", start=start - pd.DateOffset(months=months_before),
             end=start + pd.DateOffset(months=follow_up_months), what="monthly benefit status, everyone"),
        dict(track="Experiment", start=start, end=start + pd.DateOffset(months=experiment_months),
             what="three arms, from the lottery on"),
    ])  # fmt: skip
    waves = timing.assign(
        track="Questionnaires",
        label=timing["wave"].map(wave_label),
    )
    order = ["Benefit records (registry)", "Experiment", "Questionnaires"]
    y = alt.Y("track:N", sort=order, title=None)
    bars = alt.Chart(spans).mark_bar(height=18, color="#9ecae1").encode(
        x=alt.X("start:T", title="Date"), x2="end:T", y=y,
        tooltip=[alt.Tooltip("track:N"), alt.Tooltip("start:T", format="%b %Y"),
                 alt.Tooltip("end:T", format="%b %Y"), alt.Tooltip("what:N", title="covers")],
    )  # fmt: skip
    spread = (
        alt.Chart(waves)
        .mark_rule(strokeWidth=3, color=GROUP_COLOURS["participants"])
        .encode(x="first:T", x2="last:T", y=y)
    )
    points = alt.Chart(waves).mark_point(filled=True, size=120, color=GROUP_COLOURS["participants"]).encode(
        x="median:T", y=y,
        tooltip=[alt.Tooltip("label:N", title="wave"), alt.Tooltip("median:T", title="median response", format="%d %b %Y"),
                 alt.Tooltip("first:T", format="%d %b %Y"), alt.Tooltip("last:T", format="%d %b %Y"),
                 alt.Tooltip("n:Q", title="questionnaires")],
    )  # fmt: skip
    labels = points.mark_text(dy=-14, fontSize=11).encode(text="label:N")
    return (bars + spread + points + labels).properties(
        width=600,
        height=150,
        title="When the data were collected",
        padding={"right": 50, "left": 5},
    )
