"""Charts of chapter 1: the CONSORT flow diagram and the timeline of the experiment."""

from __future__ import annotations

import altair as alt
import pandas as pd

from trustexp.charts import GROUP_COLOURS, INK, PHONE_COLUMN_PX, REFERENCE_INK, wrap_px
from trustexp.disclosure import suppressed_label
from trustexp.vocab import group_label, wave_label

# The diagram is laid out on a 6 x 7 grid drawn to the width of its column: three arm columns at
# x = 1, 3, 5, rows 0-6 top to bottom. Box text is wrapped to fit each box on a phone (the
# narrowest column), at 12 px; on wider columns the boxes grow and the text stays.
_X_DOMAIN = [0.0, 6.0]
_Y_DOMAIN = [6.5, -0.5]
_ARM_X = {"eigen_regie": 1.0, "intensief": 3.0, "regulier": 5.0}
_ARM_W = 1.9
_TOP_X, _TOP_W = 1.8, 3.5  # the enrolment boxes (left) ...
_OUT_X, _OUT_W = 4.8, 2.3  # ... and the comparison group's (right)
_HALF_H = 0.36
_HEIGHT = 620
_FONT_SIZE, _LINE_HEIGHT = 12, 14
_STAGE_ROWS = [  # (stage, row, text template)
    ("allocated", 2, "Allocated\nn = {n}"),
    ("wave_0", 3, "Questionnaire\nat the start\nn = {n}"),
    ("wave_1", 4, "After one year\nn = {n} (lost {lost})"),
    ("wave_2", 5, "After two years\nn = {n} (lost {lost})"),
    ("analysed", 6, "Analysed:\nregistry {reg}\nquestionnaire {srv}"),
]


def _show(n: int, threshold: int) -> str:
    return suppressed_label(threshold) if 0 < n < threshold else f"{n:,}"


def _fit_lines(text: str, width: float) -> list[str]:
    """The lines of a box's text, wrapped to the box's inner width on a phone's column."""
    px_per_unit = (PHONE_COLUMN_PX - 10) / (_X_DOMAIN[1] - _X_DOMAIN[0])
    return wrap_px(text, _FONT_SIZE, width * px_per_unit - 8)


def consort_boxes(counts: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Boxes of the CONSORT diagram: centre, size, text and colour key, counts disclosure-checked."""
    n = {(r.stage, r.group): int(r.n) for r in counts.itertuples()}
    boxes = [
        dict(x=_TOP_X, row=0, w=_TOP_W, text=f"On social assistance\nat the index date\nn = {_show(n[('assessed', 'all')], threshold)}", group="all"),
        dict(x=_TOP_X, row=1, w=_TOP_W, text=f"Volunteered and randomised\nby lottery\nn = {_show(n[('randomised', 'all')], threshold)}", group="all"),
        dict(x=_OUT_X, row=0.5, w=_OUT_W, text=f"Did not take part\n(comparison group)\nn = {_show(n[('not_enrolled', 'all')], threshold)}", group="non_participants"),
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
            boxes.append(dict(x=x, row=row, w=_ARM_W, text=text, group=arm))
    out = pd.DataFrame(boxes)
    out["x0"], out["x1"] = out["x"] - out["w"] / 2, out["x"] + out["w"] / 2
    out["y0"], out["y1"] = out["row"] - _HALF_H, out["row"] + _HALF_H
    out["lines"] = [_fit_lines(t, w) for t, w in zip(out["text"], out["w"], strict=True)]
    # Vega sets the first line of a text at its y: move each text up by half of its extra lines
    px_per_row = _HEIGHT / (_Y_DOMAIN[0] - _Y_DOMAIN[1])
    out["text_y"] = out["row"] - (out["lines"].str.len() - 1) * _LINE_HEIGHT / 2 / px_per_row
    out["text"] = out["text"].str.replace("\n", " ")
    out["colour"] = out["group"].map({**GROUP_COLOURS, "all": INK})
    return out


def consort_chart(counts: pd.DataFrame, threshold: int):
    """The CONSORT 2010 flow diagram (enrolment, allocation, follow-up, analysis) as an Altair chart."""

    boxes = consort_boxes(counts, threshold)
    top, branch = _TOP_X, 1.5  # the enrolment boxes' centre; the row where the arms branch off
    arrows = [dict(x=top, y0=_HALF_H, x1=top, y1=1 - _HALF_H),  # assessed -> randomised
              dict(x=top, y0=0.5, x1=_OUT_X - _OUT_W / 2, y1=0.5),  # -> did not take part
              dict(x=top, y0=1 + _HALF_H, x1=top, y1=branch),
              dict(x=min(_ARM_X.values()), y0=branch, x1=max(_ARM_X.values()), y1=branch)]  # fmt: skip
    arrows += [dict(x=x, y0=branch, x1=x, y1=2 - _HALF_H) for x in _ARM_X.values()]
    arrows += [
        dict(x=x, y0=r + _HALF_H, x1=x, y1=r + 1 - _HALF_H)
        for x in _ARM_X.values()
        for r in range(2, 6)
    ]
    links = pd.DataFrame(arrows)
    x_scale, y_scale = alt.Scale(domain=_X_DOMAIN), alt.Scale(domain=_Y_DOMAIN)
    x = alt.X("x0:Q", axis=None, scale=x_scale)
    y = alt.Y("y0:Q", axis=None, scale=y_scale)
    rect = alt.Chart(boxes).mark_rect(fill="white", strokeWidth=1.5, cornerRadius=4).encode(
        x=x, x2="x1:Q", y=y, y2="y1:Q",
        stroke=alt.Color("colour:N", scale=None),
        tooltip=[alt.Tooltip("text:N", title="box")],
    )  # fmt: skip
    text = (
        alt.Chart(boxes)
        .mark_text(fontSize=_FONT_SIZE, lineHeight=_LINE_HEIGHT, baseline="middle")
        .encode(
            x=alt.X("x:Q", axis=None, scale=x_scale),
            y=alt.Y("text_y:Q", axis=None, scale=y_scale),
            text="lines",
        )
    )
    rules = (
        alt.Chart(links)
        .mark_rule(color=REFERENCE_INK, aria=False)
        .encode(x=alt.X("x:Q", axis=None, scale=x_scale), x2="x1:Q", y=y, y2="y1:Q")
    )
    return (
        (rules + rect + text)
        .properties(height=_HEIGHT, title="CONSORT flow of the experiment")
        .configure_view(stroke=None)
    )


def timeline_chart(timing: pd.DataFrame, lottery_date, months_before: int, follow_up_months: int,
                   experiment_months: int = 24):  # fmt: skip
    """Timeline: registry window, the two years of the experiment, and when each wave was answered.

    One row each: a bar for the registry window and the experiment; for each questionnaire a line
    from the first to the last answer with a dot at the median date.
    """

    start = pd.Timestamp(lottery_date)
    spans = pd.DataFrame([
        dict(track="Benefit records (registry)", start=start - pd.DateOffset(months=months_before),
             end=start + pd.DateOffset(months=follow_up_months), what="monthly benefit status, everyone"),
        dict(track="Experiment", start=start, end=start + pd.DateOffset(months=experiment_months),
             what="three arms, from the lottery on"),
    ])  # fmt: skip
    waves = timing.assign(
        label=timing["wave"].map(wave_label),
        track=timing["wave"].map(lambda w: f"Questionnaire: {wave_label(w)[0].lower()}{wave_label(w)[1:]}"),
    )  # fmt: skip
    order = [*spans["track"], *waves.sort_values("wave")["track"]]
    y = alt.Y("track:N", sort=order, title=None)
    bars = alt.Chart(spans).mark_bar(height=14, color=INK).encode(
        x=alt.X("start:T", title="Date", axis=alt.Axis(format="%Y", tickCount="year")), x2="end:T", y=y,
        tooltip=[alt.Tooltip("track:N"), alt.Tooltip("start:T", format="%b %Y"),
                 alt.Tooltip("end:T", format="%b %Y"), alt.Tooltip("what:N", title="covers")],
    )  # fmt: skip
    tip = [alt.Tooltip("label:N", title="questionnaire"),
           alt.Tooltip("median:T", title="median response", format="%d %b %Y"),
           alt.Tooltip("first:T", format="%d %b %Y"), alt.Tooltip("last:T", format="%d %b %Y"),
           alt.Tooltip("n:Q", title="questionnaires")]  # fmt: skip
    spread = (
        alt.Chart(waves)
        .mark_rule(strokeWidth=3, color=INK)
        .encode(x="first:T", x2="last:T", y=y, tooltip=tip)
    )
    points = (
        alt.Chart(waves)
        .mark_point(filled=True, size=110, color=INK, opacity=1)
        .encode(x="median:T", y=y, tooltip=tip)
    )
    return (bars + spread + points).properties(
        height=alt.Step(34), title="When the data were collected"
    )
