"""The chart helper: deterministic offline output, a name for every chart, fitted sizes, wrapped
text, decorative marks hidden from screen readers, the data note, and the colour rules."""

from __future__ import annotations

import json
import re
import struct
import textwrap
from importlib import resources
from pathlib import Path

import altair as alt
import pandas as pd
import pytest
import vl_convert as vlc
from hypothesis import given
from hypothesis import strategies as st
from PIL import ImageFont

from trustexp import charts
from trustexp.report.audit import chart_specs

ROOT = Path(__file__).resolve().parents[1]
ALT = "Bar chart of two made-up values, one per category"


def _chart(y=(3, 4)):
    return alt.Chart(pd.DataFrame({"a": ["x", "y"], "b": list(y)})).mark_bar().encode(x="a", y="b")


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (independent of any image library)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


@pytest.fixture
def note():
    """Set a data note for one test and always remove it afterwards."""
    yield charts.set_data_note
    charts.set_data_note(None)


# --------------------------------------------------------------------------- output


def test_chart_html_is_deterministic_and_loads_nothing_from_a_cdn():
    html1, html2 = charts.to_html(_chart(), ALT, 1), charts.to_html(_chart(), ALT, 1)
    assert html1 == html2
    assert (
        "jsdelivr" not in html1 and "src=" not in html1
    )  # no script or data fetched from elsewhere
    assert '"url"' not in html1  # data are inline
    assert charts.to_html(_chart((3, 5)), ALT, 1) != html1


def test_png_is_a_real_image_and_stable():
    png = charts.to_png(_chart(), ALT)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png == charts.to_png(_chart(), ALT)


def test_a_chart_spec_draws_what_its_chart_draws_and_is_left_unchanged():
    spec = charts.chart_spec(_chart())
    kept = json.dumps(spec, sort_keys=True)
    assert charts.to_png(spec, ALT) == charts.to_png(_chart(), ALT)
    assert charts.to_html(spec, ALT, 2) == charts.to_html(_chart(), ALT, 2)
    assert charts.page_spec(spec, ALT, "png") == charts.page_spec(_chart(), ALT, "png")
    assert json.dumps(spec, sort_keys=True) == kept


def test_vendored_vega_scripts_match_altair_and_the_book_config():
    vendor = {p.name for p in (ROOT / "book/_vendor").glob("*.js")}
    assert f"vega-lite@{alt.VEGALITE_VERSION}.min.js" in vendor
    assert any(n.startswith(f"vega@{alt.VEGA_VERSION}") for n in vendor)
    assert any(n.startswith(f"vega-embed@{alt.VEGAEMBED_VERSION}") for n in vendor)
    config = (ROOT / "_config.yml").read_text()
    listed = re.findall(r"- (vega[\w@.-]+\.js)", config)
    assert sorted(listed) == sorted(vendor)
    assert (ROOT / "book/_vendor/licenses").is_dir()


# --------------------------------------------------------------------------- a name for every chart


@pytest.mark.parametrize(
    "text", ["", "   ", "Chart", "Vega visualization", "figure.", "A bar chart", None]
)
def test_alt_text_that_says_nothing_is_refused(text):
    with pytest.raises(ValueError, match="does not describe the chart"):
        charts.check_alt_text(text)
    with pytest.raises(ValueError):
        charts.ChartDisplay().show(_chart(), text)


def test_alt_text_is_required():
    with pytest.raises(TypeError):
        charts.ChartDisplay().show(_chart())  # type: ignore[call-arg]


def test_alt_text_is_the_charts_description_in_the_html_and_the_pngs_alt(monkeypatch):
    shown = []
    monkeypatch.setattr(
        charts, "display", lambda data, raw, metadata=None: shown.append((data, metadata))
    )
    charts.ChartDisplay().show(_chart(), f"  {ALT}  ")
    (png, png_meta), (html, _) = shown
    assert png_meta == {"image/png": {"alt": ALT}}
    (spec,) = chart_specs(html["text/html"])
    assert spec["description"] == ALT  # Vega makes it the container's aria-label
    assert _png_size(__import__("base64").b64decode(png["image/png"]))[0] == charts.COLUMN_PX


def test_the_vendored_vega_names_the_chart_after_its_description():
    """Vega 6 puts the view's description on its container as ``aria-label`` (what axe reads)."""
    vega = next((ROOT / "book/_vendor").glob("vega@*.min.js")).read_text(encoding="utf-8")
    assert 'setAttribute("aria-label",e)' in vega
    assert 'description:"Vega visualization"' in vega  # the default every chart had before


def test_marks_that_draw_no_data_are_hidden_from_screen_readers():
    frame = pd.DataFrame({"g": ["a", "b"], "v": [1.0, -1.0]})
    zero = alt.Chart().mark_rule().encode(x=alt.datum(0))
    dots = alt.Chart().mark_point().encode(x="v:Q", y="g:N")
    spec = charts.page_spec(alt.layer(zero, dots, data=frame), ALT)
    assert spec["layer"][0]["mark"] == {"type": "rule", "aria": False}
    assert "aria" not in json.dumps(spec["layer"][1]["mark"])
    # inherited fields count: a child of a layer that encodes a field draws data
    base = alt.Chart(frame).encode(y="g:N")
    spec = charts.page_spec(base.mark_point().encode(x=alt.datum(1)) + base.mark_bar(), ALT)
    assert all("aria" not in json.dumps(layer["mark"]) for layer in spec["layer"])


# --------------------------------------------------------------------------- fit the column


def test_a_single_view_takes_its_containers_width_and_the_png_the_columns():
    html = charts.page_spec(_chart().properties(width=900), ALT, "html")
    png = charts.page_spec(_chart().properties(width=900), ALT, "png")
    assert html["width"] == "container" and png["width"] == charts.COLUMN_PX
    assert html["autosize"] == png["autosize"] == {"type": "fit-x", "contains": "padding"}
    wide = _chart() + _chart().properties(width=900)
    assert "width" not in charts.page_spec(wide, ALT)["layer"][1]
    assert _png_size(charts.to_png(wide, ALT))[0] == charts.COLUMN_PX


def test_stacked_and_faceted_charts_keep_their_design_width_and_the_html_fits_them():
    stacked = alt.vconcat(_chart().properties(width=300), _chart().properties(width=300))
    faceted = _chart().properties(width=300).facet(row="a:N")
    for chart in (stacked, faceted):
        assert not charts.is_single_view(chart.to_dict())
        spec = charts.page_spec(chart, ALT)
        assert "autosize" not in spec and spec.get("width") != "container"
    html = charts.to_html(stacked, ALT, 1)
    assert "function fit(res)" in html and ".then(fit)" in html
    assert f"Math.max({charts.MIN_PANEL_PX}" in html


def test_a_facet_encoding_is_not_a_single_view():
    assert not charts.is_single_view(_chart().encode(row="a:N").to_dict())
    assert charts.is_single_view((_chart() + _chart()).to_dict())


# --------------------------------------------------------------------------- text


def test_text_width_matches_freetypes_measure_of_the_same_font():
    font = resources.files("matplotlib") / "mpl-data/fonts/ttf/DejaVuSans-Bold.ttf"
    text = "Share leaving social assistance, 95% CI (pp)"
    freetype = ImageFont.truetype(str(font), 1000).getlength(text) / 1000 * 13
    assert charts.text_px(text, 13, bold=True) == pytest.approx(freetype, rel=0.01)


@given(
    st.lists(st.sampled_from(["a", "share", "of", "people", "outflow", "95%", "(pp)"]), max_size=30)
)
def test_wrapped_lines_fit_and_keep_every_word(words):
    text = " ".join(words)
    lines = charts.wrap_px(text, 12, 120)
    assert " ".join(lines).split() == text.split()
    assert all(charts.text_px(line, 12) <= 120 for line in lines)


def test_long_titles_are_wrapped_to_the_phones_column_but_tooltips_are_not():
    long = "A title that is much too long for a phone, said in many plain words " * 2
    chart = (
        _chart()
        .encode(x=alt.X("a:N", title=long), tooltip=[alt.Tooltip("b:Q", title=long)])
        .properties(title=alt.Title(long, subtitle=long))
    )
    spec = charts.page_spec(chart, ALT)
    title = spec["title"]
    assert all(charts.text_px(t, 15, True) <= charts.TITLE_PX for t in title["text"])
    assert all(charts.text_px(t, 12) <= charts.TITLE_PX for t in title["subtitle"])
    x = spec["encoding"]["x"]["title"]
    assert len(x) > 1 and all(charts.text_px(t, 13, True) <= charts.AXIS_TITLE_PX for t in x)
    assert spec["encoding"]["tooltip"][0]["title"] == long


def test_the_label_expression_wraps_like_a_greedy_word_wrap():
    """Drawn by Vega (vl-convert: no container, so the wide branch) against Python's textwrap."""
    labels = ["Outflow from benefit for any reason within two years", "Trust in other people"]
    chart = (
        alt.Chart(pd.DataFrame({"k": labels, "v": [1, 2]}))
        .mark_bar()
        .encode(y=alt.Y("k:N", sort=labels), x="v:Q")
    )
    charts.enable_theme()
    svg = vlc.vegalite_to_svg(json.dumps(charts.page_spec(chart, ALT, "png")))
    texts = re.findall(r'<text[^>]*role="graphics-symbol"[^>]*>|<text[^>]*>(.*?)</text>', svg)
    drawn = [re.findall(r"<tspan[^>]*>([^<]*)</tspan>", t) or [t] for t in texts if t]
    for label in labels:
        assert textwrap.wrap(label, 34) in drawn, (label, drawn)


def test_legend_labels_get_the_wrapping_expression():
    chart = _chart().encode(color="a:N", shape=alt.Shape("a:N", legend=None))
    enc = charts.page_spec(chart, ALT)["encoding"]
    assert enc["color"]["legend"]["labelExpr"] == charts.WRAP_LEGEND
    assert enc["shape"]["legend"] is None


# --------------------------------------------------------------------------- the data note


def test_no_data_note_by_default():
    charts.set_data_note(None)
    assert charts.data_note() is None
    assert "title" not in charts.page_spec(_chart(), ALT)


def test_the_data_note_ends_every_charts_subtitle(note):
    note("Synthetic data")
    plain = charts.page_spec(_chart(), ALT)
    assert plain["title"] == {"text": "", "subtitle": "Synthetic data"}
    titled = charts.page_spec(_chart().properties(title="Outflow"), ALT)
    assert titled["title"] == {"text": "Outflow", "subtitle": "Synthetic data"}
    sub = alt.Title("Outflow", subtitle=["Points: estimates", "lines: 95% CI"])
    stacked = charts.page_spec(alt.vconcat(_chart(), _chart()).properties(title=sub), ALT)
    assert stacked["title"]["subtitle"] == ["Points: estimates", "lines: 95% CI", "Synthetic data"]
    assert "Synthetic data" in json.dumps(charts.page_spec(_chart(), ALT, "png")["title"])
    note("")
    assert "title" not in charts.page_spec(_chart(), ALT)


# --------------------------------------------------------------------------- colours


def _luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour (computed here, independently)."""
    channels = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str = "#FFFFFF") -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_contrast_formula_gives_the_textbook_values():
    assert _contrast("#000000") == pytest.approx(21.0)
    assert _contrast("#FFFFFF") == pytest.approx(1.0)
    assert _contrast("#767676") == pytest.approx(4.54, abs=0.01)  # WebAIM's AA grey
    assert _contrast("#E69F00") == pytest.approx(2.25, abs=0.01)  # Okabe-Ito orange: too light


@pytest.mark.parametrize("group", sorted(charts.GROUP_COLOURS))
def test_every_group_colour_has_3_to_1_contrast_on_white(group):
    assert _contrast(charts.GROUP_COLOURS[group]) >= 3.0


def test_every_other_colour_that_carries_meaning_has_3_to_1_contrast_on_white():
    for colour in (*charts.LADDER_COLOURS, charts.INK, charts.REFERENCE_INK):
        assert _contrast(colour) >= 3.0, colour


def test_ladder_and_default_colours_never_reuse_a_group_colour():
    groups = {c.upper() for c in charts.GROUP_COLOURS.values()}
    assert not groups & {c.upper() for c in charts.LADDER_COLOURS}
    assert len(set(charts.LADDER_COLOURS)) == len(charts.LADDER_COLOURS)
    category = charts._theme()["config"]["range"]["category"]
    assert not groups & {c.upper() for c in category}


def test_legend_symbols_are_opaque():
    assert charts._theme()["config"]["legend"]["symbolOpacity"] == 1


def test_theme_gives_each_group_its_fixed_colour():
    scale = charts.group_scale(["regulier", "eigen_regie"])
    assert scale.range == [charts.GROUP_COLOURS["regulier"], charts.GROUP_COLOURS["eigen_regie"]]
    assert scale.domain == [charts.group_label("regulier"), charts.group_label("eigen_regie")]
