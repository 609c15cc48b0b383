"""One Altair theme, one colour per group, and the one helper that displays a chart.

``show(chart)`` emits two outputs: a static PNG (rendered offline by vl-convert) that GitHub's
notebook view shows, and an HTML snippet that draws the interactive chart with the Vega scripts the
book serves itself (``book/_vendor``). The book's configuration drops the PNG for the HTML builder,
so readers see the interactive chart and reviewers the image. Altair has no renderer that stores both
and its own HTML loads Vega from a CDN, hence this small hand-written renderer. The element id is a
hash of the spec, so re-executing a chapter produces identical bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import altair as alt
import vl_convert as vlc
from IPython.display import display

from trustexp.vocab import GROUPS, group_label

# Okabe–Ito palette: distinguishable under the common colour-vision deficiencies.
GROUP_COLOURS = {
    "eigen_regie": "#E69F00",
    "intensief": "#0072B2",
    "regulier": "#009E73",
    "non_participants": "#7F7F7F",
    "participants": "#CC79A7",
}
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
THEME = "trustexp"
PNG_SCALE = 1.0


def group_scale(keys: tuple[str, ...] | list[str] | None = None):
    """An ``alt.Scale`` mapping group *labels* to the book's fixed colours."""

    keys = list(keys or GROUPS)
    return alt.Scale(domain=[group_label(k) for k in keys], range=[GROUP_COLOURS[k] for k in keys])


def _theme() -> dict[str, Any]:
    return {
        "config": {
            "font": FONT,
            "view": {"continuousWidth": 520, "continuousHeight": 300, "stroke": None},
            "axis": {
                "labelFontSize": 12,
                "titleFontSize": 13,
                "grid": True,
                "gridColor": "#e6e6e6",
            },
            "legend": {"labelFontSize": 12, "titleFontSize": 13, "orient": "bottom"},
            "title": {"fontSize": 15, "anchor": "start", "subtitleFontSize": 12},
            "range": {"category": [GROUP_COLOURS[k] for k in GROUPS]},
            "background": "white",
        }
    }


def enable_theme() -> None:
    """Register and enable the project theme (idempotent)."""

    if THEME not in alt.theme.names():
        alt.theme.register(THEME, enable=False)(lambda: alt.theme.ThemeConfig(_theme()))
    alt.theme.enable(THEME)


def chart_spec(chart) -> dict[str, Any]:
    """The Vega-Lite spec of a chart with the project theme applied."""
    enable_theme()
    return chart.to_dict()


def to_png(chart, scale: float = PNG_SCALE) -> bytes:
    """Render a chart to PNG bytes with vl-convert (no browser, no network)."""

    return vlc.vegalite_to_png(json.dumps(chart_spec(chart)), scale=scale)


def chart_id(spec: dict[str, Any], seq: int = 0) -> str:
    """A deterministic element id derived from the spec (and its position on the page)."""
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
    return f"trustexp-chart-{digest}-{seq}"


def to_html(chart, seq: int = 0) -> str:
    """An HTML snippet that draws the chart with the book's locally served Vega-Embed."""
    spec = chart_spec(chart)
    div = chart_id(spec, seq)
    payload = json.dumps(spec, sort_keys=True).replace("</", "<\\/")
    return (
        f'<div id="{div}" class="trustexp-chart"></div>\n'
        '<script type="text/javascript">\n'
        "(function () {\n"
        f'  var el = document.getElementById("{div}");\n'
        '  if (typeof vegaEmbed === "undefined") {\n'
        '    el.innerHTML = \'<p class="trustexp-chart-error">The interactive chart needs the '
        "Vega scripts served with this book; they did not load.</p>';\n"
        "    return;\n"
        "  }\n"
        f'  vegaEmbed(el, {payload}, {{"actions": false, "renderer": "svg"}})\n'
        "    .catch(function (err) { el.innerHTML = '<p class=\"trustexp-chart-error\">Chart error: ' + err.message + '</p>'; console.error(err); });\n"
        "})();\n"
        "</script>"
    )


class ChartDisplay:
    """Displays charts for one notebook, numbering them so identical specs get distinct ids."""

    def __init__(self) -> None:
        self._seq = 0

    def show(self, chart, alt_text: str = "") -> None:
        """Display the chart as a static PNG (for GitHub) and as an interactive HTML chart."""

        self._seq += 1
        png = base64.b64encode(to_png(chart)).decode()
        meta = {"image/png": {"alt": alt_text}} if alt_text else {}
        display({"image/png": png}, raw=True, metadata=meta)
        display({"text/html": to_html(chart, self._seq)}, raw=True)
