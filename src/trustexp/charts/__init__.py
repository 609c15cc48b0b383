"""One Altair theme, one colour per group, and the one helper that displays a chart.

``ChartDisplay.show(chart, alt_text)`` emits two outputs: a static PNG (rendered offline by
vl-convert) that GitHub's notebook view shows, and an HTML snippet that draws the interactive chart
with the Vega scripts the book serves itself (``book/_vendor``). The book's configuration drops the
PNG for the HTML builder, so readers see the interactive chart and reviewers the image. Altair has
no renderer that stores both and its own HTML loads Vega from a CDN, hence this small hand-written
renderer. The element id is a hash of the spec, so re-executing a chapter produces identical bytes.

What a reader meets, set once here for every chart (``page_spec``):

- **It fits the column**, at a desktop's 688 px and a phone's 358 px. A single or layered view is
  drawn ``width: "container"`` with ``autosize: fit-x`` (Vega-Lite's own mechanism). Vega-Lite
  offers that for nothing else, so a stacked or faceted chart is drawn at its designed width and,
  when its column is narrower, the snippet's ``fit`` script lowers the width signals of its panels
  until it fits (hand-written: no Vega or Vega-Lite option does it). The PNG has no container: it
  is drawn ``COLUMN_PX`` wide. Long titles are wrapped to the phone's column (measured in the
  book's font), long category labels by a Vega expression (``WRAP_LABELS``).
- **It has a name**: the alt text becomes the spec's ``description``, which Vega puts on the
  chart's container as its ``aria-label`` (and the PNG's ``alt``). Marks that draw no data (a line
  at zero) are hidden from screen readers; the rest keep Vega-Lite's generated descriptions.
- **One colour, one meaning**: ``GROUP_COLOURS`` for the groups and nothing else (each at least
  3:1 against white, WCAG 1.4.11); ``LADDER_COLOURS`` for the rungs of the participation ladder;
  other categories are told apart by shape or dash in ``INK``; legend symbols are opaque.
- **Where the data come from**: ``set_data_note(text)`` ends every chart's subtitle with ``text``
  (e.g. "Synthetic data"); no note by default.

The same bytes on another machine: every float of a spec is rounded to ``SIGNIFICANT_DIGITS``
before it is serialised (``chart_spec``), so the last bits of a BLAS-backed fit, which vary with the
CPU and the BLAS threading, never reach a notebook; and PNGs are drawn with ``PNG_FONT``, DejaVu
Sans from the pinned matplotlib package renamed so that no installed system font can stand in for it
(``font_directory``). Neither is offered by Altair or vl-convert, hence written here.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import math
import os
import tempfile
from functools import cache
from importlib.resources import files as package_files
from pathlib import Path
from typing import Any, Literal

import altair as alt
import vl_convert as vlc
from fontTools.ttLib import TTFont
from IPython.display import display

from trustexp import numbering
from trustexp.vocab import GROUPS, group_label

# Okabe–Ito hues, distinguishable under the common colour-vision deficiencies; the orange is a
# darker shade of Okabe–Ito's #E69F00 (2.25:1 on white) so that every group colour reaches the 3:1
# WCAG 1.4.11 asks of graphics. A group colour marks that group (or a contrast of that group with
# another) and nothing else.
GROUP_COLOURS = {
    "eigen_regie": "#C17D00",
    "intensief": "#0072B2",
    "regulier": "#009E73",
    "non_participants": "#7F7F7F",
    "participants": "#CC79A7",
}
LADDER_COLOURS = ("#928FC3", "#7B74B5", "#6950A3", "#582F93", "#3F007D", "#25004A")
"""Rungs 1-6 of the participation ladder: light to dark purple (a hue no group has)."""
INK = "#333333"
"""Marks whose categories are told apart by shape or dash, not colour (e.g. before/after)."""
REFERENCE_INK = "#555555"
"""Reference lines (zero, thresholds): dashed, not a category."""
BAND_GREY = "#DDDDDD"
"""Reference bands (a margin, a published range): light, behind the data."""

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

COLUMN_PX = 688
"""Width of the book's text column on a desktop (CSS px): the PNG's width, the widest a chart is."""
PHONE_COLUMN_PX = 358
"""Width of the text column on a 390 px phone: titles are wrapped to fit it."""
TITLE_PX = 340
"""Longest line of a chart title or subtitle (px, in the book's font)."""
AXIS_TITLE_PX = 250
"""Longest line of an axis or legend title (px): fits beside the category labels on a phone."""
MIN_PANEL_PX = 120
"""Narrowest a panel of a stacked or faceted chart is made to fit a narrow column."""
NARROW_PX = 520
"""Below this container width, legends are one column and category labels wrap shorter."""
TITLE_SIZE, SUBTITLE_SIZE, AXIS_TITLE_SIZE, LABEL_SIZE = 15, 12, 13, 12

_NARROW = f"(containerSize()[0] || {COLUMN_PX}) < {NARROW_PX}"


def wrap_expr(narrow_chars: int, wide_chars: int, text: str = "datum.label") -> str:
    """A Vega expression wrapping ``text`` (an expression, by default ``datum.label``) at spaces
    into lines of at most ``narrow_chars`` characters in a container narrower than ``NARROW_PX``,
    else ``wide_chars``.

    For ``labelExpr`` of axes, legends and facet headers (the PNG has no container: wide). Vega
    expressions have no loops: one global regular expression does the greedy wrap, marking line
    ends with ``|`` (no backslash or newline, which Vega-Lite unescapes in some places).
    """
    width = f"({_NARROW} ? {narrow_chars} : {wide_chars})"
    return (
        f"split(replace(replace({text}, regexp('(.{{1,' + "
        + width
        + " + '})( +|$)', 'g'), '$1|'), regexp('[|]+$'), ''), '|')"
    )


WRAP_LABELS = wrap_expr(22, 34)
"""Category labels of a discrete y axis."""
WRAP_TICKS = wrap_expr(10, 18)
"""Category labels of a discrete x axis (side by side: short lines)."""
WRAP_LEGEND = wrap_expr(24, 40)
"""Legend labels (set on every legend by ``page_spec``)."""
WRAP_HEADER = wrap_expr(28, 70)
"""Facet row headers (bold, above each panel)."""
_LEGEND_CHANNELS = ("color", "fill", "stroke", "shape", "strokeDash", "size", "opacity")

GENERIC_ALT_TEXTS = frozenset(
    {"", "chart", "figure", "graph", "image", "plot", "vega visualization", "visualization"}
)
"""Accessible names that say nothing about the chart; ``show`` refuses them."""
MIN_ALT_TEXT = 20


def group_scale(keys: tuple[str, ...] | list[str] | None = None):
    """An ``alt.Scale`` mapping group *labels* to the book's fixed colours."""

    keys = list(keys or GROUPS)
    return alt.Scale(domain=[group_label(k) for k in keys], range=[GROUP_COLOURS[k] for k in keys])


def panel_title(text: str) -> alt.Title:
    """The title of one panel of a stacked chart: smaller than the chart's own title."""
    return alt.Title(text, fontSize=AXIS_TITLE_SIZE, anchor="start")


def _theme() -> dict[str, Any]:
    return {
        "config": {
            "font": FONT,
            "view": {"continuousWidth": 520, "continuousHeight": 300, "stroke": None},
            "axis": {
                "labelFontSize": LABEL_SIZE,
                "titleFontSize": AXIS_TITLE_SIZE,
                "grid": True,
                "gridColor": "#e6e6e6",
            },
            # an x title ends at the plot's right edge: Vega's fit-x does not make room for a
            # centred title that overhangs the plot
            "axisX": {"titleAnchor": "end", "titleAlign": "right"},
            "axisYDiscrete": {"labelExpr": WRAP_LABELS, "labelLimit": 300},
            "axisXDiscrete": {"labelExpr": WRAP_TICKS, "labelAngle": 0, "labelLimit": 300},
            "legend": {
                "labelFontSize": LABEL_SIZE,
                "titleFontSize": AXIS_TITLE_SIZE,
                "orient": "bottom",
                "symbolOpacity": 1,
                "labelLimit": 300,
                # one column on a phone, two otherwise; several legends one below the other
                "columns": {"expr": f"{_NARROW} ? 1 : 2"},
                "layout": {"expr": "{bottom: {direction: 'vertical', anchor: 'start'}}"},
            },
            "header": {"labelFontSize": LABEL_SIZE, "titleFontSize": AXIS_TITLE_SIZE},
            "headerRow": {
                "labelAngle": 0,
                "labelOrient": "top",
                "labelAnchor": "start",
                "labelAlign": "left",
                "labelFontWeight": "bold",
                "labelExpr": WRAP_HEADER,
            },
            "title": {"fontSize": TITLE_SIZE, "anchor": "start", "subtitleFontSize": SUBTITLE_SIZE},
            "text": {"fontSize": LABEL_SIZE},  # text marks: no smaller than the labels
            # a nominal colour without a scale of its own never borrows the group colours
            "range": {"category": list(LADDER_COLOURS)},
            "background": "white",
        }
    }


def enable_theme() -> None:
    """Register and enable the project theme (idempotent)."""

    if THEME not in alt.theme.names():
        alt.theme.register(THEME, enable=False)(lambda: alt.theme.ThemeConfig(_theme()))
    alt.theme.enable(THEME)


# --------------------------------------------------------------------------- the data note

_DATA_NOTE: list[str] = []


def set_data_note(text: str | None) -> None:
    """End every chart's subtitle with ``text`` from now on (``None`` or ``""``: no note).

    Set once per chapter (``trustexp.chapter.open``), e.g. ``"Synthetic data"`` when the book runs
    on the synthetic cohort.
    """
    _DATA_NOTE.clear()
    if text:
        _DATA_NOTE.append(str(text).strip())


def data_note() -> str | None:
    """The note ``set_data_note`` set, or ``None``."""
    return _DATA_NOTE[0] if _DATA_NOTE else None


# --------------------------------------------------------------------------- text in the book's font


@cache
def _advances(bold: bool) -> tuple[dict[int, int], int]:
    """Advance widths (font units) per code point of the PNG font, and units per em."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    font = TTFont(package_files("matplotlib") / "mpl-data" / "fonts" / "ttf" / name)
    hmtx = font["hmtx"]
    widths = {cp: hmtx[glyph][0] for cp, glyph in font.getBestCmap().items()}
    return widths, font["head"].unitsPerEm


def text_px(text: str, size: float, bold: bool = False) -> float:
    """Width of ``text`` in CSS px at font ``size`` in the book's font (DejaVu Sans, no kerning).

    Browsers without DejaVu Sans fall back to Helvetica or Arial, which are narrower.
    """
    widths, em = _advances(bold)
    fallback = widths.get(ord("M"), em)
    return sum(widths.get(ord(ch), fallback) for ch in text) * size / em


def wrap_px(text: str, size: float, max_px: float, bold: bool = False) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``max_px`` (a longer word keeps its line).

    >>> wrap_px("Share leaving social assistance within the follow-up window", 12, 200)
    ['Share leaving social assistance', 'within the follow-up window']
    """
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if line and text_px(candidate, size, bold) > max_px:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def _wrapped(value: Any, size: float, max_px: float, bold: bool) -> Any:
    """A title value (a string or a list of lines) wrapped; a single line stays a string."""
    if isinstance(value, str):
        lines = wrap_px(value, size, max_px, bold)
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        lines = [line for v in value for line in wrap_px(v, size, max_px, bold)]
    else:
        return value  # an expression or null: left alone
    return lines[0] if len(lines) == 1 else lines


# --------------------------------------------------------------------------- specs

Target = Literal["html", "png"]
_VIEW_KEYS = {"mark", "layer", "facet", "concat", "hconcat", "vconcat", "repeat", "spec"}
_FACET_CHANNELS = {"row", "column", "facet"}


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


def check_alt_text(alt_text: str) -> str:
    """``alt_text`` stripped, or ``ValueError`` when it is missing or says nothing about the chart."""
    text = " ".join(str(alt_text or "").split())
    if text.lower().rstrip(".") in GENERIC_ALT_TEXTS or len(text) < MIN_ALT_TEXT:
        raise ValueError(
            f"alt text {alt_text!r} does not describe the chart: say what it shows in a sentence "
            f"of at least {MIN_ALT_TEXT} characters (it is the chart's name for screen readers)"
        )
    return text


def is_single_view(spec: dict[str, Any]) -> bool:
    """True for a single or layered view: the only kind Vega-Lite can size to its container."""
    if not ({"mark", "layer"} & set(spec)) or {"facet", "repeat"} & set(spec):
        return False
    return not (_FACET_CHANNELS & set(spec.get("encoding") or {}))


def _drop_widths(spec: dict[str, Any]) -> None:
    spec.pop("width", None)
    for child in spec.get("layer", []):
        _drop_widths(child)


def _has_field(encoding: dict[str, Any]) -> bool:
    for channel, definition in encoding.items():
        defs = definition if isinstance(definition, list) else [definition]
        if channel != "tooltip" and any(isinstance(d, dict) and "field" in d for d in defs):
            return True
    return False


def _hide_decoration(spec: dict[str, Any], inherited: bool = False) -> None:
    """Marks that draw no data (no field of their own or of the layer above): ``aria: false``.

    Vega otherwise gives such a mark (a line at zero) an image role with no name, which
    screen readers announce as an unlabelled graphic (axe: ``svg-img-alt``).
    """
    fields = inherited or _has_field(spec.get("encoding") or {})
    if "mark" in spec and not fields:
        mark = spec["mark"] if isinstance(spec["mark"], dict) else {"type": spec["mark"]}
        if "description" not in mark:
            spec["mark"] = {**mark, "aria": False}
    for key in ("layer", "concat", "hconcat", "vconcat"):
        for child in spec.get(key, []):
            _hide_decoration(child, fields and key == "layer")
    if isinstance(spec.get("spec"), dict):
        _hide_decoration(spec["spec"], False)


def _wrap_legend_labels(spec: Any) -> None:
    """Give every legend (of a channel that has a field) the ``WRAP_LEGEND`` label expression."""
    if isinstance(spec, list):
        for item in spec:
            _wrap_legend_labels(item)
        return
    if not isinstance(spec, dict):
        return
    for channel, definition in (spec.get("encoding") or {}).items():
        if channel in _LEGEND_CHANNELS and isinstance(definition, dict) and "field" in definition:
            legend = definition.get("legend", {})
            if legend is not None and "labelExpr" not in legend:
                definition["legend"] = {**legend, "labelExpr": WRAP_LEGEND}
    for key in ("layer", "concat", "hconcat", "vconcat", "spec"):
        if key in spec:
            _wrap_legend_labels(spec[key])


def _wrap_titles(value: Any, key: str | None = None) -> Any:
    """Wrap every title in a spec to the phone's column (``config``, tooltips and data untouched)."""
    if isinstance(value, list):
        return [_wrap_titles(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    view = bool(_VIEW_KEYS & set(value))
    for k, v in value.items():
        if k in ("config", "datasets", "data", "tooltip", "transform", "params"):
            out[k] = v
        elif k == "title" and view:
            if isinstance(v, dict):
                t = dict(v)
                if "text" in t:
                    t["text"] = _wrapped(t["text"], TITLE_SIZE, TITLE_PX, True)
                if "subtitle" in t:
                    t["subtitle"] = _wrapped(t["subtitle"], SUBTITLE_SIZE, TITLE_PX, False)
                out[k] = t
            else:
                out[k] = _wrapped(v, TITLE_SIZE, TITLE_PX, True)
        elif k == "title":
            out[k] = _wrapped(v, AXIS_TITLE_SIZE, AXIS_TITLE_PX, True)
        else:
            out[k] = _wrap_titles(v, k)
    return out


def _add_note(spec: dict[str, Any], note: str) -> None:
    """End the top-level subtitle with ``note`` (a title with only a subtitle when there is none)."""
    title = spec.get("title")
    if title is None:
        spec["title"] = {"text": "", "subtitle": note}
        return
    title = dict(title) if isinstance(title, dict) else {"text": title}
    sub = title.get("subtitle")
    lines = [] if sub is None else ([sub] if isinstance(sub, str) else list(sub))
    title["subtitle"] = [*lines, note]
    spec["title"] = title


def page_spec(chart, alt_text: str, target: Target = "html") -> dict[str, Any]:
    """The spec as the book draws it: named, fitted to the column, titles wrapped, data note added.

    ``chart``: an Altair chart, or its ``chart_spec`` (left unchanged) when the caller needs the
    spec for more than one target (Altair's ``to_dict`` validates the whole spec: the costly part).

    ``target="html"``: single and layered views take the container's width; ``"png"``: they are
    ``COLUMN_PX`` wide. Stacked and faceted charts keep their designed width (the HTML snippet
    narrows them in a narrow column).
    """
    spec = copy.deepcopy(chart if isinstance(chart, dict) else chart_spec(chart))
    spec["description"] = check_alt_text(alt_text)
    note = data_note()
    if note:
        _add_note(spec, note)
    spec = _wrap_titles(spec)
    _wrap_legend_labels(spec)
    _hide_decoration(spec)
    if is_single_view(spec):
        _drop_widths(spec)
        spec["width"] = "container" if target == "html" else COLUMN_PX
        spec["autosize"] = {"type": "fit-x", "contains": "padding"}
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

    if not _REGISTERED:
        folder = font_directory()
        vlc.register_font_directory(str(folder))
        _REGISTERED.append(folder)
    return _REGISTERED[0]


def to_png(chart, alt_text: str, scale: float = PNG_SCALE) -> bytes:
    """Render a chart (or its ``chart_spec``) to PNG bytes with vl-convert and the project's font
    (no browser, no network)."""

    register_png_font()
    return vlc.vegalite_to_png(json.dumps(page_spec(chart, alt_text, "png")), scale=scale)


def chart_id(spec: dict[str, Any], seq: int = 0) -> str:
    """A deterministic element id derived from the spec (and its position on the page)."""
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
    return f"trustexp-chart-{digest}-{seq}"


# Narrows a stacked or faceted chart to its container: the width signals Vega-Lite made of the
# panels' fixed widths are lowered by what the drawing overhangs, a few rounds (a centred title
# overhangs by half of what it gains), never below MIN_PANEL_PX; again when the container resizes.
# Then marks the container ``data-trustexp-fitted`` (with the width it was fitted to), which the
# browser tests wait for.
_FIT_JS = (
    "  function fit(res) {\n"
    "    var view = res.view, sigs = (res.vgSpec.signals || []).filter(function (s) {\n"
    "      return /(^|_)width$/.test(s.name) && typeof s.value === 'number' && !s.update && !s.on;\n"
    "    });\n"
    "    if (typeof res.vgSpec.width === 'number') sigs.push({name: 'width', value: res.vgSpec.width});\n"
    "    var done = function () { el.setAttribute('data-trustexp-fitted', el.clientWidth); };\n"
    "    if (!sigs.length) return done();\n"
    "    var drawn = function () { var g = el.querySelector('svg'); return g ? g.width.baseVal.value : 0; };\n"
    "    var round = function (i) {\n"
    "      var over = drawn() - el.clientWidth;\n"
    "      if (over <= 0.5 || i > 5) return done();\n"
    "      sigs.forEach(function (s) {\n"
    f"        view.signal(s.name, Math.max({MIN_PANEL_PX}, view.signal(s.name) - over));\n"
    "      });\n"
    "      return view.resize().runAsync().then(function () { return round(i + 1); });\n"
    "    };\n"
    "    var last = -1, refit = function () {\n"
    "      if (el.clientWidth === last) return;\n"
    "      last = el.clientWidth;\n"
    "      sigs.forEach(function (s) { view.signal(s.name, s.value); });\n"
    "      view.resize().runAsync().then(function () { return round(0); });\n"
    "    };\n"
    "    refit();\n"
    "    if (window.ResizeObserver) new ResizeObserver(refit).observe(el);\n"
    "  }\n"
)


def to_html(chart, alt_text: str, seq: int = 0) -> str:
    """An HTML snippet that draws the chart (or its ``chart_spec``) with the book's locally served
    Vega-Embed."""
    spec = page_spec(chart, alt_text, "html")
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
        f"{_FIT_JS}"
        f'  vegaEmbed(el, {payload}, {{"actions": false, "renderer": "svg"}})\n'
        "    .then(fit)\n"
        "    .catch(function (err) { el.innerHTML = '<p class=\"trustexp-chart-error\">Chart error: ' + err.message + '</p>'; console.error(err); });\n"
        "})();\n"
        "</script>"
    )


class ChartDisplay:
    """Displays charts for one notebook, numbering them so identical specs get distinct ids."""

    def __init__(self) -> None:
        self._seq = 0

    def show(
        self, chart, alt_text: str, name: str | None = None, caption: str | None = None
    ) -> None:
        """Display the chart as a static PNG (for GitHub) and as an interactive HTML chart.

        ``alt_text`` (required: a sentence saying what the chart shows) is the chart's accessible
        name in the book and the PNG's alt text. With ``name`` (``fig-...``) the book numbers the
        chart as a figure with ``caption`` (default: the alt text) below it
        (``trustexp.numbering``).
        """

        text = check_alt_text(alt_text)
        self._seq += 1
        spec = chart_spec(chart)  # once for both targets
        png = base64.b64encode(to_png(spec, text)).decode()
        display({"image/png": png}, raw=True, metadata={"image/png": {"alt": text}})
        markup = to_html(spec, text, self._seq)
        if name is not None:
            markup = numbering.mark("figure", name, caption or text, markup)
        display({"text/html": markup}, raw=True)
