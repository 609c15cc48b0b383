"""Every chart of the committed executed chapters, as GitHub and the book show it.

Reads ``book/chapters/*.ipynb`` (what ``make book`` writes and ``make test`` checks is current):
each chart's PNG fits the column and carries the alt text that names the interactive chart, and
across the whole book a group colour means that group and nothing else.
"""

from __future__ import annotations

import base64
import re
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from trustexp import charts
from trustexp.report.audit import chart_specs
from trustexp.report.contents import CHAPTERS
from trustexp.vocab import group_label

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ROOT / "book" / "chapters"
COLOUR_CHANNELS = {"color", "fill", "stroke"}
GROUP_OF_COLOUR = {c.upper(): k for k, c in charts.GROUP_COLOURS.items()}
HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")


def _charts(path: Path) -> Iterator[tuple[int, bytes, str, dict[str, Any]]]:
    """(cell number, PNG bytes, PNG alt text, HTML spec) of every chart in a notebook."""
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells, start=1):
        outputs = cell.get("outputs", [])
        for k, out in enumerate(outputs):
            specs = chart_specs("".join(out.get("data", {}).get("text/html", "")))
            if not specs:
                continue
            previous = outputs[k - 1] if k else {}
            png = base64.b64decode(previous.get("data", {}).get("image/png", ""))
            alt_text = previous.get("metadata", {}).get("image/png", {}).get("alt", "")
            yield index, png, alt_text, specs[0]


def _scales(spec: Any) -> Iterator[tuple[str, list, list]]:
    """(channel, domain, range) of every colour scale with explicit domain and range."""
    if isinstance(spec, list):
        for item in spec:
            yield from _scales(item)
    elif isinstance(spec, dict):
        for channel, definition in (spec.get("encoding") or {}).items():
            scale = definition.get("scale") if isinstance(definition, dict) else None
            if channel in COLOUR_CHANNELS and isinstance(scale, dict) and "scheme" in scale:
                yield channel, [f"(scheme {scale['scheme']})"], ["a Vega scheme"]
            elif channel in COLOUR_CHANNELS and isinstance(scale, dict) and "range" in scale:
                yield channel, list(scale.get("domain", [])), list(scale["range"])
        for key, value in spec.items():
            if key not in ("encoding", "datasets", "data", "config"):
                yield from _scales(value)


NOTEBOOKS = [EXECUTED / c.notebook for c in CHAPTERS]


def _executed(path: Path) -> Path:
    if not path.is_file():
        pytest.fail(
            f"{path.relative_to(ROOT)} is missing: run `make book` and commit book/chapters"
        )
    return path


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_chart_png_fits_the_column_and_is_named_like_its_interactive_chart(path):
    problems = []
    for cell, png, alt_text, spec in _charts(_executed(path)):
        width = struct.unpack(">I", png[16:20])[0] if png[:8] == b"\x89PNG\r\n\x1a\n" else 0
        if not 0 < width <= charts.COLUMN_PX:
            problems.append(f"cell {cell}: PNG {width} px wide (column: {charts.COLUMN_PX} px)")
        try:
            charts.check_alt_text(alt_text)
        except ValueError as err:
            problems.append(f"cell {cell}: PNG alt text: {err}")
        if spec.get("description") != alt_text:
            problems.append(
                f"cell {cell}: the chart is named {spec.get('description')!r}, its PNG {alt_text!r}"
            )
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


def test_a_group_colour_means_that_group_across_the_book():
    """Each colour scale of every chart: a group colour only for that group (or a contrast of it
    with another group), and no colour from outside the book's palettes."""
    labels = {k: group_label(k) for k in charts.GROUP_COLOURS}
    allowed = {c.upper() for c in (*charts.GROUP_COLOURS.values(), *charts.LADDER_COLOURS)}
    allowed |= {charts.INK.upper(), charts.REFERENCE_INK.upper(), charts.BAND_GREY.upper()}
    problems, seen = [], 0
    for path in NOTEBOOKS:
        for cell, _png, _alt, spec in _charts(_executed(path)):
            for channel, domain, colours in _scales(spec):
                for value, colour in zip(domain, colours, strict=False):
                    if colour == "a Vega scheme":
                        problems.append(
                            f"{path.stem} cell {cell} {channel}: {value}, not a book palette"
                        )
                        continue
                    if not isinstance(colour, str) or not HEX.match(colour):
                        continue
                    seen += 1
                    where = f"{path.stem} cell {cell} {channel} {value!r} -> {colour}"
                    group = GROUP_OF_COLOUR.get(colour.upper())
                    if colour.upper() not in allowed:
                        problems.append(f"{where}: not one of the book's colours")
                    elif group and not str(value).startswith(labels[group]):
                        problems.append(f"{where}: the colour of {labels[group]!r}")
                    elif not group and str(value) in labels.values():
                        problems.append(f"{where}: a group drawn in another colour")
    assert seen, "no colour scale found in the executed chapters"
    assert not problems, "\n  ".join(["colours with two meanings:", *problems])
