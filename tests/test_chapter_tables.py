"""Chapter tables: prose columns are marked so that they wrap; numbers and labels are not."""

from __future__ import annotations

from io import StringIO

import lxml.html
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from trustexp.chapter import TEXT_CELL_CHARS, mark_text_columns, text_columns

LONG = "x" * (TEXT_CELL_CHARS + 1)


def _classes(html: str) -> list[list[str]]:
    table = lxml.html.fromstring(html)
    return [[c.get("class") or "" for c in tr] for tr in table.iter("tr")]


def test_only_long_text_columns_after_the_first_are_marked():
    frame = pd.DataFrame({
        "label": [LONG, "b"], "estimate": [1.5, 2.5], "verdict": ["short", LONG],
        "ci": ["[1.0, 2.0]", "[0.5, 3.0]"], "note": [None, LONG],
    })  # fmt: skip
    assert text_columns(frame) == [2, 4]
    rows = _classes(mark_text_columns(frame.to_html(index=False), text_columns(frame)))
    for row in rows:
        assert [c == "trustexp-text" for c in row] == [False, False, True, False, True], row


@given(st.lists(st.integers(min_value=0, max_value=4), unique=True), st.integers(1, 4))
def test_marking_keeps_every_cell_and_marks_exactly_the_positions(positions, n_rows):
    frame = pd.DataFrame({f"c{i}": [f"v{i}"] * n_rows for i in range(5)})
    html = mark_text_columns(frame.to_html(index=False), positions)
    assert pd.read_html(StringIO(html))[0].equals(frame)
    for row in _classes(html):
        assert {i for i, c in enumerate(row) if c == "trustexp-text"} == set(positions)
