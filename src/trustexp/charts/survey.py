"""Charts of the questionnaire chapters: trajectories per arm, ladder distributions, forest plots."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd

from trustexp.charts import (
    BAND_GREY,
    COLUMN_PX,
    LADDER_COLOURS,
    NARROW_PX,
    REFERENCE_INK,
    group_scale,
    panel_title,
    wrap_expr,
)
from trustexp.disclosure import suppressed_label
from trustexp.vocab import ARMS, WAVES, group_label, wave_label

_WAVE_ORDER = [wave_label(w) for w in WAVES]
_WAVE_NAMES = json.dumps(_WAVE_ORDER).replace('"', "'") + "[datum.value]"
"""A Vega expression: the label of the wave at a tick of the wave axis (waves are 0, 1, 2)."""


def _hide_small(frame: pd.DataFrame, threshold: int, cols: list[str]) -> pd.DataFrame:
    """Blank values computed on fewer than ``threshold`` people; show the n as ``< threshold``."""
    out = frame.copy()
    small = out["n"].between(1, threshold - 1)
    out.loc[small, cols] = float("nan")
    out["n_text"] = [suppressed_label(threshold) if s else f"{int(n):,}"
                     for n, s in zip(out["n"], small, strict=True)]  # fmt: skip
    return out


def trajectory_chart(
    traj: pd.DataFrame, title: str, unit: str, threshold: int = 10, domain: list[float] | None = None,
    width: int = 420, height: int = 260,
):  # fmt: skip
    """Mean per arm and wave with 95 % CI bars; the n behind each point in the tooltip.

    ``domain`` fixes the y axis (e.g. the same for several charts); by default it spans the CIs.
    Means of fewer than ``threshold`` people are not drawn.
    """

    data = _hide_small(traj, threshold, ["mean", "ci_low", "ci_high"]).dropna(subset=["mean"])
    data = data.assign(
        group=data["arm"].map(group_label),
        wave_label=data["wave"].map(wave_label),
        # offset arms a little along x so that CI bars do not overlap
        x=data["wave"]
        + data["arm"].map({"eigen_regie": -0.08, "intensief": 0.0, "regulier": 0.08}),
    )
    if domain is None and len(data):
        lo, hi = data["ci_low"].min(), data["ci_high"].max()
        pad = 0.05 * (hi - lo if hi > lo else 1.0)
        domain = [float(lo - pad), float(hi + pad)]
    y_scale = alt.Scale(domain=domain, zero=False, nice=False) if domain else alt.Scale(zero=False)
    colour = alt.Color("group:N", scale=group_scale(ARMS), title="Arm")
    x = alt.X("x:Q", title="Questionnaire wave",
              scale=alt.Scale(domain=[-0.3, 2.3]),
              axis=alt.Axis(values=list(WAVES), labelExpr=wrap_expr(10, 30, _WAVE_NAMES)))  # fmt: skip
    tooltip = [
        alt.Tooltip("group:N", title="arm"),
        alt.Tooltip("wave_label:N", title="wave"),
        alt.Tooltip("mean:Q", title=f"mean ({unit})", format=".2f"),
        alt.Tooltip("ci_low:Q", title="95% CI low", format=".2f"),
        alt.Tooltip("ci_high:Q", title="95% CI high", format=".2f"),
        alt.Tooltip("n_text:N", title="n (people answering)"),
    ]
    base = alt.Chart(data)
    lines = base.mark_line(strokeWidth=2).encode(
        x=x, y=alt.Y("mean:Q", scale=y_scale), color=colour
    )
    bars = base.mark_rule(strokeWidth=2).encode(
        x=x, y=alt.Y("ci_low:Q", scale=y_scale, title=f"Mean {unit} (95% CI)"), y2="ci_high:Q",
        color=colour, tooltip=tooltip,
    )  # fmt: skip
    points = base.mark_point(filled=True, size=70).encode(
        x=x, y=alt.Y("mean:Q", scale=y_scale, title=f"Mean {unit} (95% CI)"), color=colour,
        tooltip=tooltip,
    )  # fmt: skip
    return (lines + bars + points).properties(width=width, height=height, title=title)


def trajectory_panels(panels: list[tuple[pd.DataFrame, str, str]], threshold: int = 10):
    """Several trajectory charts (one per outcome: ``(trajectory, title, unit)``), stacked.

    One column, so that each panel keeps the column's width on a phone too.
    """

    charts = [trajectory_chart(t, title, unit, threshold, width=480, height=150)
              .properties(title=panel_title(title)) for t, title, unit in panels]  # fmt: skip
    return alt.vconcat(*charts).resolve_scale(y="independent")


def ladder_distribution(long: pd.DataFrame, threshold: int = 1) -> pd.DataFrame:
    """People per ladder band, arm and wave: ``arm, wave, band, first_rung, last_rung, n, total, share``.

    Disclosure control by pooling, not blanking: arm-waves rated for fewer than ``threshold`` people
    are left out, then the sparsest band is merged with its smaller neighbour until no arm-wave has
    a band of ``1 .. threshold-1`` people. The bands are the same for every bar, so colours compare.
    Hand-written because no library pools ordinal categories for disclosure control.
    """
    rung = long["value"].round().clip(1, 6).astype(int)
    table = pd.crosstab([long["arm"], long["wave"]], rung).reindex(
        columns=range(1, 7), fill_value=0
    )
    table = table[table.sum(axis=1) >= threshold]
    groups = [[r] for r in range(1, 7)]
    while len(groups) > 1 and len(table):
        cells = pd.DataFrame({i: table[g].sum(axis=1) for i, g in enumerate(groups)})
        small = ((cells > 0) & (cells < threshold)).any(axis=0)
        if not small.any():
            break
        totals = cells.sum(axis=0)
        j = int(totals[small].idxmin())
        if j == 0:
            k = 1
        elif j == len(groups) - 1:
            k = j - 1
        else:
            k = j - 1 if totals[j - 1] <= totals[j + 1] else j + 1
        lo, hi = sorted((j, k))
        groups[lo : hi + 1] = [groups[lo] + groups[hi]]
    rows = []
    for (arm, wave), counts in table.iterrows():
        total = int(counts.sum())
        for g in groups:
            n = int(counts[g].sum())
            rows.append(dict(arm=arm, wave=int(wave), first_rung=g[0], last_rung=g[-1], n=n,
                             total=total, share=n / total))  # fmt: skip
    return pd.DataFrame(
        rows, columns=["arm", "wave", "first_rung", "last_rung", "n", "total", "share"]
    )


def _band_label(first: int, last: int, rung_labels: dict[int, str]) -> str:
    if first == last:
        return f"{first} {rung_labels.get(first, '')}".strip()
    return f"{first}–{last} {rung_labels.get(first, '')} to {rung_labels.get(last, '').lower()}".strip()


def ladder_chart(dist: pd.DataFrame, rung_labels: dict[int, str]):
    """Stacked bars: distribution over the ladder bands per arm (rows) and wave (bars).

    ``dist`` comes from ``ladder_distribution`` (which applies disclosure control by pooling rungs).
    """

    data = dist.copy()
    data["band"] = [_band_label(f, last, rung_labels)
                    for f, last in zip(data["first_rung"], data["last_rung"], strict=True)]  # fmt: skip
    data["group"] = data["arm"].map(group_label)
    data["wave_label"] = data["wave"].map(wave_label)
    bands = data.drop_duplicates("band").sort_values("first_rung")
    order = list(bands["band"])
    colours = [LADDER_COLOURS[int(r) - 1] for r in bands["first_rung"]]
    narrow = f"(containerSize()[0] || {COLUMN_PX}) < {NARROW_PX}"
    return (
        alt.Chart(data)
        .mark_bar(stroke="white", strokeWidth=1)
        .encode(
            y=alt.Y("wave_label:N", sort=_WAVE_ORDER, title=None),
            x=alt.X(
                "share:Q",
                stack="normalize",
                title="Share of people rated (%)",
                axis=alt.Axis(format="%", values=[0, 0.25, 0.5, 0.75, 1]),
            ),
            color=alt.Color(
                "band:N",
                sort=order,
                title="Ladder rung",
                scale=alt.Scale(domain=order, range=colours),
                legend=alt.Legend(columns={"expr": f"{narrow} ? 1 : 2"}, labelLimit=300),
            ),
            order=alt.Order("first_rung:Q"),
            row=alt.Row("group:N", title=None, sort=[group_label(a) for a in ARMS]),
            tooltip=[
                alt.Tooltip("group:N", title="arm"),
                alt.Tooltip("wave_label:N", title="wave"),
                alt.Tooltip("band:N", title="rung"),
                alt.Tooltip("n:Q", title="people", format=","),
                alt.Tooltip("share:Q", title="share", format=".1%"),
                alt.Tooltip("total:Q", title="people rated", format=","),
            ],
        )  # fmt: skip
        .properties(
            width=480, height=alt.Step(24), title="Participation ladder as rated by the consultants"
        )  # fmt: skip
    )


def forest_chart(rows: pd.DataFrame, x_title: str, title: str, null: float = 0.0,
                 label_col: str = "label", band: float | None = None, level: str = "95%"):  # fmt: skip
    """Forest plot of arm-vs-control estimates with 95 % CIs, coloured by arm.

    ``rows`` needs ``label`` (what the row is, e.g. an outcome), ``contrast``, ``estimate``,
    ``ci_low``, ``ci_high``, ``p`` and ``n``. ``null`` draws the line of no effect (1 for ratios);
    ``band`` shades ``[null - band, null + band]`` (an equivalence margin); ``level`` names the CI.
    """

    data = rows.copy()
    data["arm"] = data["contrast"].str.split(" vs ").str[0]
    data["group"] = data["arm"].map(group_label)
    colour = alt.Color("group:N", scale=group_scale(ARMS[:2]), title="Arm vs regular service")
    y = alt.Y(
        f"{label_col}:N",
        title=None,
        sort=list(dict.fromkeys(data[label_col])),
        axis=alt.Axis(labelLimit=340),
    )
    y_off = alt.YOffset("group:N", sort=[group_label(a) for a in ARMS[:2]])
    tooltip = [alt.Tooltip(f"{label_col}:N", title="outcome"), alt.Tooltip("group:N", title="arm"),
               alt.Tooltip("estimate:Q", format=".2f"), alt.Tooltip("ci_low:Q", title=f"{level} CI low", format=".2f"),
               alt.Tooltip("ci_high:Q", title=f"{level} CI high", format=".2f"),
               alt.Tooltip("p:Q", format=".3f"), alt.Tooltip("n:Q", title="n (people)", format=",")]  # fmt: skip
    base = alt.Chart(data)
    bars = base.mark_rule(strokeWidth=2).encode(x=alt.X("ci_low:Q", title=x_title), x2="ci_high:Q",
                                                 y=y, yOffset=y_off, color=colour, tooltip=tooltip)  # fmt: skip
    points = base.mark_point(filled=True, size=60).encode(x="estimate:Q", y=y, yOffset=y_off,
                                                          color=colour, tooltip=tooltip)  # fmt: skip
    zero = (
        alt.Chart(pd.DataFrame({"x": [null]}))
        .mark_rule(color=REFERENCE_INK, strokeDash=[4, 3], aria=False)
        .encode(x="x:Q")
    )
    n_rows = data[label_col].nunique()
    layers = [zero, bars, points]
    if band is not None:
        shade = pd.DataFrame({"lo": [null - band], "hi": [null + band]})
        layers.insert(0, alt.Chart(shade).mark_rect(color=BAND_GREY).encode(
            x="lo:Q", x2="hi:Q", tooltip=[alt.Tooltip("hi:Q", title="equivalence margin", format=".2f")]))  # fmt: skip
    return alt.layer(*layers).properties(height=max(60, 42 * n_rows), title=title)
