"""One Altair theme, one colour per group, and the one helper that displays a chart.

``show(chart)`` emits two outputs: a static PNG (rendered offline by vl-convert) that GitHub's
notebook view shows, and an HTML snippet that draws the interactive chart with the Vega scripts the
book serves itself (``book/_vendor``). The book's configuration drops the PNG for the HTML builder,
so readers see the interactive chart and reviewers the image. Altair has no renderer that stores both
and its own HTML loads Vega from a CDN, hence this small hand-written renderer. The element id is a
hash of the spec, so re-executing a chapter produces identical bytes.

The same bytes on another machine: every float of a spec is rounded to ``SIGNIFICANT_DIGITS``
before it is serialised (``chart_spec``), so the last bits of a BLAS-backed fit, which vary with the
CPU and the BLAS threading, never reach a notebook; and PNGs are drawn with ``PNG_FONT``, DejaVu
Sans from the pinned matplotlib package renamed so that no installed system font can stand in for it
(``font_directory``). Neither is offered by Altair or vl-convert, hence written here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import tempfile
from importlib.resources import files as package_files
from pathlib import Path
from typing import Any

import altair as alt
import vl_convert as vlc
from fontTools.ttLib import TTFont
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
# PNGs use PNG_FONT only (registered with vl-convert); browsers drawing the interactive chart do
# not know it and take the next family they have.
PNG_FONT = "trustexp Sans"
FONT = f"{PNG_FONT}, DejaVu Sans, Helvetica, Arial, sans-serif"
_FONT_FACES = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique.ttf",
    "DejaVuSans-BoldOblique.ttf",
)
THEME = "trustexp"
PNG_SCALE = 1.0
# Six significant digits, as printf's %g: the book shows at most four (a CI such as 12.34 pp), a
# chart's axis resolves about three (a pixel in 500), and last-bit noise (~1e-16 relative) crosses
# a rounding boundary of the sixth digit about once in 1e10 values. Whole digits are never dropped
# (a count or an amount of 12,345,678.9 keeps 12345679).
SIGNIFICANT_DIGITS = 6


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


def round_floats(value: Any, digits: int = SIGNIFICANT_DIGITS) -> Any:
    """``value`` (JSON-like) with every float rounded to ``digits`` significant digits, or to a
    whole number when it has more whole digits than that.

    >>> round_floats({"a": [0.3215438302287378, 2, "x"], "b": 1234567.891})
    {'a': [0.321544, 2, 'x'], 'b': 1234568.0}
    """
    if isinstance(value, float):
        if not math.isfinite(value):
            return value
        whole = math.floor(math.log10(abs(value))) + 1 if value else 1
        return float(f"{value:.{max(digits, whole)}g}")
    if isinstance(value, dict):
        return {k: round_floats(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [round_floats(v, digits) for v in value]
    return value


def _rename(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, dict):
        return {k: _rename(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename(v, names) for v in value]
    return value


def chart_spec(chart) -> dict[str, Any]:
    """The Vega-Lite spec of a chart with the project theme applied and its floats rounded.

    Altair names each inline dataset after a hash of its unrounded values; the datasets are
    renamed after their rounded values, so the name does not carry the last bits either.
    """
    enable_theme()
    spec = round_floats(chart.to_dict())
    datasets = spec.get("datasets") or {}
    names = {
        old: "data-" + hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:32]
        for old, values in datasets.items()
    }
    if not names:
        return spec
    spec = _rename(spec, names)  # the references to each dataset
    spec["datasets"] = {names[old]: values for old, values in datasets.items()}
    return spec


def font_directory() -> Path:
    """A folder holding DejaVu Sans from the pinned matplotlib package, renamed ``PNG_FONT``.

    The family is renamed because a system may install its own DejaVu Sans (another build, other
    glyph outlines) and vl-convert would prefer it; no system has a ``trustexp Sans``. The folder
    is named after a hash of the sources, written once per machine, atomically per file.
    """
    source = package_files("matplotlib") / "mpl-data" / "fonts" / "ttf"
    blobs = {name: (source / name).read_bytes() for name in _FONT_FACES}
    digest = hashlib.sha256(PNG_FONT.encode())
    for name in _FONT_FACES:
        digest.update(blobs[name])
    folder = Path(tempfile.gettempdir()) / f"trustexp-fonts-{digest.hexdigest()[:16]}"
    folder.mkdir(parents=True, exist_ok=True)
    for name in _FONT_FACES:
        target = folder / name.replace("DejaVuSans", "TrustexpSans")
        if target.is_file():
            continue
        font = TTFont(source / name)
        table = font["name"]
        style = table.getDebugName(2) or "Regular"
        for record in list(table.names):
            if record.nameID in (1, 16):
                record.string = PNG_FONT
            elif record.nameID == 4:
                record.string = PNG_FONT if style == "Book" else f"{PNG_FONT} {style}"
            elif record.nameID == 6:
                record.string = f"{PNG_FONT.replace(' ', '')}-{style}"
        partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        font.save(partial)
        os.replace(partial, target)
    return folder


_REGISTERED: list[Path] = []


def register_png_font() -> Path:
    """Register ``font_directory()`` with vl-convert once per process; return the folder."""
    import vl_convert as vlc

    if not _REGISTERED:
        folder = font_directory()
        vlc.register_font_directory(str(folder))
        _REGISTERED.append(folder)
    return _REGISTERED[0]


def to_png(chart, scale: float = PNG_SCALE) -> bytes:
    """Render a chart to PNG bytes with vl-convert and the project's font (no browser, no network)."""

    register_png_font()
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
