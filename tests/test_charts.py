import re
from pathlib import Path

import altair as alt
import pandas as pd

from trustexp import charts

ROOT = Path(__file__).resolve().parents[1]


def _chart(y=(3, 4)):
    return alt.Chart(pd.DataFrame({"a": ["x", "y"], "b": list(y)})).mark_bar().encode(x="a", y="b")


def test_chart_html_is_deterministic_and_loads_nothing_from_a_cdn():
    html1, html2 = charts.to_html(_chart(), 1), charts.to_html(_chart(), 1)
    assert html1 == html2
    assert (
        "jsdelivr" not in html1 and "src=" not in html1
    )  # no script or data fetched from elsewhere
    assert '"url"' not in html1  # data are inline
    assert charts.to_html(_chart((3, 5)), 1) != html1


def test_png_is_a_real_image_and_stable():
    png = charts.to_png(_chart())
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png == charts.to_png(_chart())


def test_vendored_vega_scripts_match_altair_and_the_book_config():
    vendor = {p.name for p in (ROOT / "book/_vendor").glob("*.js")}
    assert f"vega-lite@{alt.VEGALITE_VERSION}.min.js" in vendor
    assert any(n.startswith(f"vega@{alt.VEGA_VERSION}") for n in vendor)
    assert any(n.startswith(f"vega-embed@{alt.VEGAEMBED_VERSION}") for n in vendor)
    config = (ROOT / "_config.yml").read_text()
    listed = re.findall(r"- (vega[\w@.-]+\.js)", config)
    assert sorted(listed) == sorted(vendor)
    assert (ROOT / "book/_vendor/licenses").is_dir()


def test_theme_gives_each_group_its_fixed_colour():
    scale = charts.group_scale(["regulier", "eigen_regie"])
    assert scale.range == [charts.GROUP_COLOURS["regulier"], charts.GROUP_COLOURS["eigen_regie"]]
    assert scale.domain == [charts.group_label("regulier"), charts.group_label("eigen_regie")]
