"""Chart bytes that do not depend on the machine: rounded specs, and PNGs in the project's font.

The PNG tests render in fresh processes, because vl-convert reads the system fonts once per
process. A machine's fonts are simulated with ``FONTCONFIG_FILE`` (which vl-convert's font
database honours): a folder with no fonts at all, and one whose only "DejaVu Sans" is really
DejaVu Serif, as a machine with another build of a same-named font would be. A control render with
the old theme (plain "DejaVu Sans" from the system) shows each simulated machine really changes
what the system offers, so the equalities below can fail.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from importlib import resources
from pathlib import Path

import altair as alt
import pandas as pd
import pytest
from fontTools.ttLib import TTFont
from hypothesis import given
from hypothesis import strategies as st

from trustexp import charts

ALT = "Forest plot of two estimates with their confidence intervals"

_RENDER = textwrap.dedent(
    """
    import hashlib, json, sys
    import altair as alt
    import pandas as pd
    import vl_convert as vlc
    from trustexp import charts

    frame = pd.DataFrame({"arm": ["Self-direction", "Intensive support", "Regular service"],
                          "share": [0.2312, 0.1845, 0.1502]})
    chart = (alt.Chart(frame).mark_bar()
             .encode(x=alt.X("arm:N", title="Group"), y=alt.Y("share:Q", title="Outflow (share)"))
             .properties(title="Outflow to work, 24 months"))
    if sys.argv[1] == "project":
        png = charts.to_png(chart, "Bars: outflow to work after 24 months per arm")
    else:  # the theme as it was: the system's "DejaVu Sans", no font of the project's own
        spec = chart.to_dict()
        spec.setdefault("config", {})["font"] = "DejaVu Sans, Helvetica, Arial, sans-serif"
        png = vlc.vegalite_to_png(json.dumps(spec))
    print(hashlib.sha256(png).hexdigest())
    """
)


def _fontconfig(tmp_path: Path, fonts: dict[str, Path]) -> Path:
    """A fontconfig file whose only font folder holds ``fonts`` (file name -> source font)."""
    folder = tmp_path / "system-fonts"
    folder.mkdir()
    for name, source in fonts.items():
        font = TTFont(source)
        for record in font["name"].names:
            if record.nameID in (1, 16):
                record.string = "DejaVu Sans"  # an impostor: DejaVu Serif under the sans name
        font.save(folder / name)
    conf = tmp_path / "fonts.conf"
    conf.write_text(f"<?xml version='1.0'?>\n<fontconfig><dir>{folder}</dir></fontconfig>\n")
    return conf


def _render(mode: str, fontconfig: Path | None, tmp_path: Path) -> str:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path)}
    if fontconfig is not None:
        env["FONTCONFIG_FILE"] = str(fontconfig)
    done = subprocess.run(
        [sys.executable, "-c", _RENDER, mode],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def machines(tmp_path_factory) -> dict[str, Path | None]:
    """Simulated font sets: this machine's, none at all, and an impostor 'DejaVu Sans'."""
    tmp = tmp_path_factory.mktemp("fonts")
    ttf = Path(str(resources.files("matplotlib") / "mpl-data" / "fonts" / "ttf"))
    (tmp / "none").mkdir()
    (tmp / "impostor").mkdir()
    return {
        "this machine": None,
        "no system fonts": _fontconfig(tmp / "none", {}),
        "impostor DejaVu Sans": _fontconfig(
            tmp / "impostor",
            {"Sans.ttf": ttf / "DejaVuSerif.ttf", "Sans-Bold.ttf": ttf / "DejaVuSerif-Bold.ttf"},
        ),
    }


def test_png_uses_the_project_font_whatever_fonts_the_system_has(machines, tmp_path):
    project = {name: _render("project", conf, tmp_path) for name, conf in machines.items()}
    old = {name: _render("system", conf, tmp_path) for name, conf in machines.items()}
    # control: the simulated machines really offer other fonts (the old theme changes with them)
    assert len(set(old.values())) == 3, old
    # the project's rendering does not change with them
    assert len(set(project.values())) == 1, project


def test_the_png_font_is_the_pinned_dejavu_sans_renamed():
    folder = charts.font_directory()
    regular = TTFont(folder / "TrustexpSans.ttf")
    bold = TTFont(folder / "TrustexpSans-Bold.ttf")
    assert regular["name"].getDebugName(1) == charts.PNG_FONT
    assert bold["name"].getDebugName(1) == charts.PNG_FONT
    source = TTFont(resources.files("matplotlib") / "mpl-data/fonts/ttf/DejaVuSans.ttf")
    for glyph in ("a", "R", "eight", "percent"):
        ours = regular["glyf"][glyph].getCoordinates(regular["glyf"])[0]
        theirs = source["glyf"][glyph].getCoordinates(source["glyf"])[0]
        assert list(ours) == list(theirs), glyph
    assert charts.FONT.split(",")[0] == charts.PNG_FONT  # the theme's first choice


# --------------------------------------------------------------------- rounded specs


def _estimates(noise: float = 0.0) -> alt.Chart:
    """A forest-plot-like chart of estimates as a fit returns them (full precision)."""
    frame = pd.DataFrame(
        {
            "contrast": ["eigen_regie vs regulier", "intensief vs regulier"],
            "estimate": [0.1 + 0.2, 0.3215438302287378],
            "ci_low": [-0.08172639847261, 0.15843723004],
            "ci_high": [0.6817263984726, 0.4846504303],
        }
    )
    num = ["estimate", "ci_low", "ci_high"]
    frame[num] = frame[num] * (1 + noise)
    base = alt.Chart(frame).encode(y="contrast:N")
    return base.mark_rule().encode(x="ci_low:Q", x2="ci_high:Q") + base.mark_point().encode(
        x="estimate:Q", tooltip=["estimate:Q"]
    )


def test_last_bit_noise_changes_no_spec_html_or_png():
    """What another CPU or BLAS threading does to a fit: a relative change of ~1e-15."""
    a, b = _estimates(), _estimates(noise=3e-15)
    assert a.to_dict() != b.to_dict()  # Altair alone would carry the noise into the notebook
    assert charts.chart_spec(a) == charts.chart_spec(b)
    assert charts.to_html(a, ALT, 1) == charts.to_html(b, ALT, 1)
    assert charts.to_png(a, ALT) == charts.to_png(b, ALT)


def test_spec_floats_have_six_significant_digits_and_datasets_are_renamed():
    spec = charts.chart_spec(_estimates())
    (name, rows), *_ = spec["datasets"].items()
    assert rows[0]["estimate"] == 0.3 and rows[1]["estimate"] == 0.321544
    assert rows[0]["ci_low"] == -0.0817264
    assert json.dumps(spec).count(name) == 2  # the dataset and the one reference to it
    assert name not in json.dumps(_estimates().to_dict())


@given(st.floats(allow_nan=False, allow_infinity=False, max_value=1e6, min_value=-1e6))
def test_round_floats_keeps_six_significant_digits(x):
    r = charts.round_floats(x)
    if abs(x) < 999_999.5:  # below a million (after rounding): six significant digits
        assert r == float(f"{x:.5e}")  # independent: six digits in scientific notation
    if abs(x) > 1e-300:  # normal floats: the rounding error is half a unit of the 6th digit
        assert abs(r - x) <= 5e-6 * abs(x) * (1 + 1e-9)


@given(
    st.floats(min_value=999_999.5, max_value=1e300)
    | st.floats(min_value=-1e300, max_value=-999_999.5)
)
def test_round_floats_keeps_every_whole_digit_of_large_numbers(x):
    assert charts.round_floats(x) == float(round(x))  # independent: Python's round-half-even


def test_round_floats_leaves_everything_but_floats_alone():
    value = {"n": 279, "ok": True, "label": "0.123456789", "none": None, "v": [1.0, math.inf]}
    assert charts.round_floats(value) == value
