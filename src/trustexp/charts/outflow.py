"""Charts of chapter 4 (outflow to work): shares, contrasts, survival curves, balance, event study.

Groups are drawn in the book's fixed colours with plain-word labels; every estimate carries its
95% CI (bars or bands) and tooltips give the exact numbers. Points resting on fewer people than
the disclosure threshold are left out, and small counts in tooltips are shown as ``< threshold``.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from trustexp.charts import BAND_GREY, GROUP_COLOURS, INK, REFERENCE_INK
from trustexp.disclosure import count_text
from trustexp.fmt import ci, pct, pp, pval
from trustexp.vocab import ALL_GROUPS, OUTFLOW_OUTCOMES, covariate_label, group_label, outcome_label

_ORDER = ALL_GROUPS


def _colour(keys):

    keys = [k for k in _ORDER if k in set(keys)]
    return alt.Color(
        "label:N",
        title="Group",
        scale=alt.Scale(
            domain=[group_label(k) for k in keys], range=[GROUP_COLOURS[k] for k in keys]
        ),
        sort=[group_label(k) for k in keys],
    )


def _disclosable(frame: pd.DataFrame, cols: list[str], threshold: int) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index)
    for c in cols:
        keep &= ~frame[c].between(1, threshold - 1)
    return frame[keep]


def _share_frame(shares: pd.DataFrame, threshold: int) -> pd.DataFrame:
    s = shares.copy()
    s["non_events"] = s["n"] - s["events"]
    s = _disclosable(s, ["n", "events", "non_events"], threshold).copy()
    s["label"] = s["group"].map(group_label)
    s["pct"], s["lo"], s["hi"] = 100 * s["share"], 100 * s["ci_low"], 100 * s["ci_high"]
    s["share_text"] = s["share"].map(pct)
    s["ci_text"] = [ci(a, b, scale="pct") for a, b in zip(s["ci_low"], s["ci_high"], strict=True)]
    s["n_text"] = [count_text(int(v), threshold) for v in s["n"]]
    return s


def shares_chart(shares: pd.DataFrame, threshold: int):
    """Share leaving benefit per group and outcome (dots) with Wilson 95% CIs (bars).

    ``shares``: ``group_shares`` rows with an ``outcome`` column.
    """

    s = _share_frame(shares, threshold)
    s["outcome_label"] = s["outcome"].map(outcome_label)
    y = alt.Y("label:N", title=None, sort=[group_label(k) for k in _ORDER])
    tip = [
        alt.Tooltip("label:N", title="group"),
        alt.Tooltip("outcome_label:N", title="outcome"),
        alt.Tooltip("share_text:N", title="share"),
        alt.Tooltip("ci_text:N", title="95% CI (Wilson)"),
        alt.Tooltip("n_text:N", title="people"),
    ]
    base = alt.Chart(s).encode(y=y, color=_colour(s["group"]), tooltip=tip)
    bars = base.mark_rule(strokeWidth=2.5).encode(
        x=alt.X("lo:Q", title="Share within the follow-up window (%)"), x2="hi:Q"
    )
    dots = base.mark_point(filled=True, size=90).encode(x="pct:Q")
    return (
        alt.layer(bars, dots)
        .properties(width=480, height=alt.Step(22))
        .facet(
            row=alt.Row(
                "outcome_label:N", title=None, sort=[outcome_label(o) for o in OUTFLOW_OUTCOMES]
            )
        )
        .properties(title="Share leaving social assistance within the follow-up window, 95% CI")
    )


def contrasts_chart(rows: pd.DataFrame, published: tuple[float, float] | None = None):
    """Forest plot of risk differences (pp) with 95% CIs; the published range as a grey band.

    ``rows``: results-store rows on the ``pp`` scale for one outcome.
    """

    r = rows.copy()
    group = r["contrast"].str.split(" vs ").str[0]
    r["label"] = group.map(group_label)
    r["against"] = (
        r["contrast"]
        .str.split(" vs ")
        .str[1]
        .map({"regulier": "vs regular service", "non_participants": "vs non-participants"})
    )
    r["row"] = r["label"] + " " + r["against"]
    r["est_text"] = r["estimate"].map(lambda v: pp(v, signed=True))
    r["ci_text"] = [ci(a, b, scale="pp") for a, b in zip(r["ci_low"], r["ci_high"], strict=True)]
    r["p_text"] = r["p"].map(pval)
    order = list(dict.fromkeys(r["row"]))
    tip = [
        alt.Tooltip("row:N", title="contrast"),
        alt.Tooltip("method:N"),
        alt.Tooltip("est_text:N", title="difference"),
        alt.Tooltip("ci_text:N", title="95% CI (pp)"),
        alt.Tooltip("p_text:N", title="p"),
    ]
    y = alt.Y("row:N", title=None, sort=order, axis=alt.Axis(labelLimit=360))
    yo = alt.YOffset("method:N", title="method")
    shape = alt.Shape("method:N", title="Method")
    colour = _colour(group).legend(None)
    base = alt.Chart(r).encode(y=y, yOffset=yo, color=colour, tooltip=tip)
    bars = base.mark_rule(strokeWidth=2).encode(
        x=alt.X(
            "ci_low:Q", title="Difference in share leaving for full-time work (percentage points)"
        ),
        x2="ci_high:Q",
    )
    dots = base.mark_point(filled=True, size=70).encode(x="estimate:Q", shape=shape)
    zero = (
        alt.Chart(pd.DataFrame({"x": [0.0]}))
        .mark_rule(color=REFERENCE_INK, strokeDash=[3, 3], aria=False)
        .encode(x="x:Q")
    )
    layers = [zero, bars, dots]
    if published is not None:
        band = pd.DataFrame(
            {"lo": [published[0]], "hi": [published[1]], "what": ["published range (Oss)"]}
        )
        layers.insert(
            0,
            alt.Chart(band)
            .mark_rect(color=BAND_GREY)
            .encode(x="lo:Q", x2="hi:Q", tooltip=[alt.Tooltip("what:N", title=""), "lo:Q", "hi:Q"]),
        )
    return (
        alt.layer(*layers)
        .properties(height=alt.Step(16), title="Differences in outflow to full-time work, 95% CI")
        .resolve_scale(color="independent")
    )


def km_chart(km: pd.DataFrame, threshold: int, window_months: int):
    """Kaplan-Meier cumulative outflow per group: step lines with 95% CI bands."""

    k = km.copy()
    sizes = k.groupby("group")["at_risk"].max()
    k = k[k["group"].map(sizes) >= threshold].copy()
    k["label"] = k["group"].map(group_label)
    k["pct"], k["lo"], k["hi"] = 100 * k["cum_outflow"], 100 * k["ci_low"], 100 * k["ci_high"]
    k["pct_text"] = k["cum_outflow"].map(pct)
    k["ci_text"] = [ci(a, b, scale="pct") for a, b in zip(k["ci_low"], k["ci_high"], strict=True)]
    k["risk_text"] = [count_text(int(v), threshold) for v in k["at_risk"].fillna(0)]
    x = alt.X(
        "time:Q", title="Months since the index date", scale=alt.Scale(domain=[0, window_months])
    )
    tip = [
        alt.Tooltip("label:N", title="group"),
        alt.Tooltip("time:Q", title="month"),
        alt.Tooltip("pct_text:N", title="left benefit"),
        alt.Tooltip("ci_text:N", title="95% CI"),
        alt.Tooltip("risk_text:N", title="still on benefit (at risk)"),
    ]
    colour = _colour(k["group"]).legend(symbolType="stroke", symbolStrokeWidth=3, symbolOpacity=1)
    band = (
        alt.Chart(k)
        .mark_area(interpolate="step-after", opacity=0.18)
        .encode(x=x, y="lo:Q", y2="hi:Q", color=colour)
    )
    line = (
        alt.Chart(k)
        .mark_line(interpolate="step-after", strokeWidth=2)
        .encode(x=x, y=alt.Y("pct:Q", title="Left social assistance (%, cumulative)"), color=colour)
    )
    pts = (
        alt.Chart(k)
        .mark_point(size=25, filled=True, opacity=0.6)
        .encode(x=x, y="pct:Q", color=colour, tooltip=tip)
    )
    return alt.layer(band, line, pts).properties(
        title="Time to leaving social assistance (Kaplan-Meier), 95% CI bands"
    )


def duration_chart(by_class: pd.DataFrame, threshold: int):
    """Outflow share per benefit-duration class, all participants and non-participants, Wilson 95% CIs.

    (Per arm the cells are mostly below the disclosure threshold; the table shows them.)
    """

    s = _share_frame(
        by_class[by_class["group"].isin(["participants", "non_participants"])], threshold
    )
    classes = list(dict.fromkeys(by_class["duration_class"].astype(str)))
    s["duration_class"] = s["duration_class"].astype(str)
    tip = [
        alt.Tooltip("duration_class:N", title="on benefit at the index date"),
        alt.Tooltip("label:N", title="group"),
        alt.Tooltip("share_text:N", title="share"),
        alt.Tooltip("ci_text:N", title="95% CI (Wilson)"),
        alt.Tooltip("n_text:N", title="people"),
    ]
    x = alt.X(
        "duration_class:N",
        title="Time on benefit at the index date",
        sort=classes,
        axis=alt.Axis(labelAngle=0),
    )
    xo = alt.XOffset("label:N", sort=[group_label(k) for k in _ORDER])
    base = alt.Chart(s).encode(x=x, xOffset=xo, color=_colour(s["group"]), tooltip=tip)
    bars = base.mark_rule(strokeWidth=2).encode(
        y=alt.Y("lo:Q", title="Left for full-time work within the window (%)"), y2="hi:Q"
    )
    dots = base.mark_point(filled=True, size=60).encode(y="pct:Q")
    return alt.layer(bars, dots).properties(
        width=alt.Step(40), title="Outflow to full-time work by time on benefit, 95% CI"
    )


def balance_chart(balance: pd.DataFrame):
    """Standardised mean differences before and after propensity weighting (a 'love plot')."""

    balance = balance.assign(label=balance["covariate"].map(covariate_label))
    b = balance.melt(
        id_vars=["label"], value_vars=["smd_before", "smd_after"], var_name="when", value_name="smd"
    )
    b["when"] = b["when"].map({"smd_before": "before weighting", "smd_after": "after weighting"})
    b["smd_text"] = b["smd"].map(lambda v: f"{v:+.2f}")
    y = alt.Y("label:N", title=None, sort=list(balance["label"]), axis=alt.Axis(labelLimit=320))
    rules = pd.DataFrame({"x": [-0.1, 0.1]})
    guide = (
        alt.Chart(rules)
        .mark_rule(color=REFERENCE_INK, strokeDash=[4, 3], aria=False)
        .encode(x="x:Q")
    )
    when = ["before weighting", "after weighting"]
    pts = (
        alt.Chart(b)
        .mark_point(size=70, strokeWidth=1.5, opacity=1)
        .encode(
            x=alt.X(
                "smd:Q", title="Standardised mean difference (participants minus non-participants)"
            ),
            y=y,
            shape=alt.Shape(
                "when:N", title=None, scale=alt.Scale(domain=when, range=["circle", "square"])
            ),
            fill=alt.Fill("when:N", title=None, scale=alt.Scale(domain=when, range=["white", INK])),
            stroke=alt.value(INK),
            tooltip=[
                alt.Tooltip("label:N", title="covariate"),
                alt.Tooltip("when:N"),
                alt.Tooltip("smd_text:N", title="SMD"),
            ],  # fmt: skip
        )
    )
    return alt.layer(guide, pts).properties(
        height=alt.Step(30),
        title="Covariate balance before and after reweighting (dashed: |SMD| = 0.1)",
    )


def event_study_chart(es: pd.DataFrame, reference_k: int = -1):
    """Monthly gap in benefit receipt (participants minus non-participants) with a 95% CI band."""

    e = es.copy()
    e["gap_text"] = e["gap"].map(lambda v: pp(v, signed=True))
    e["ci_text"] = [ci(a, b, scale="pp") for a, b in zip(e["ci_low"], e["ci_high"], strict=True)]
    e["share_p"] = e["share_participants"].map(pct)
    e["share_n"] = e["share_non_participants"].map(pct)
    x = alt.X(
        "k:Q",
        title="Months relative to the index date (0 = lottery)",
        scale=alt.Scale(domain=[int(e["k"].min()), int(e["k"].max())], nice=False),
    )
    colour = GROUP_COLOURS["participants"]
    band = (
        alt.Chart(e).mark_area(opacity=0.2, color=colour).encode(x=x, y="ci_low:Q", y2="ci_high:Q")
    )
    line = (
        alt.Chart(e)
        .mark_line(color=colour, point=alt.OverlayMarkDef(color=colour))
        .encode(
            x=x,
            y=alt.Y("gap:Q", title=f"Gap since month {reference_k} (percentage points)"),
            tooltip=[
                alt.Tooltip("k:Q", title="month"),
                alt.Tooltip("gap_text:N", title="gap"),
                alt.Tooltip("ci_text:N", title="95% CI (pp)"),
                alt.Tooltip("share_p:N", title="on benefit: participants"),
                alt.Tooltip("share_n:N", title="on benefit: non-participants"),
            ],
        )
    )
    zero_y = (
        alt.Chart(pd.DataFrame({"y": [0.0]}))
        .mark_rule(color=REFERENCE_INK, aria=False)
        .encode(y="y:Q")
    )
    zero_x = (
        alt.Chart(pd.DataFrame({"x": [0.0]}))
        .mark_rule(color=REFERENCE_INK, strokeDash=[4, 3], aria=False)
        .encode(x="x:Q")
    )
    return alt.layer(band, zero_y, zero_x, line).properties(
        title=alt.Title(
            "Event study: gap in benefit receipt, 95% CI",
            subtitle="participants minus non-participants, change since the month before the lottery",
        )
    )
