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


# --------------------------------------------------------------------------- folded labels


def test_leading_label_columns_fold_into_one_so_the_first_number_follows_the_label():
    from trustexp.chapter import fold_labels, label_columns, label_markup

    frame = pd.DataFrame({
        "outcome": ["Self-rated health", "Self-rated health"],
        "contrast": ["Self-direction vs regular", None],
        "method": ["ANCOVA", "ANCOVA"],
        "estimate [95% CI]": ["+0.27 [-0.14, 0.67]", "< 10"],
        "note": ["long words here", "more"],
        "n": [112, 98],
    })  # fmt: skip
    assert label_columns(frame) == 3
    folded = fold_labels(frame)
    assert list(folded.columns) == ["outcome / contrast / method", "estimate [95% CI]", "note", "n"]
    html = label_markup(folded.to_html(index=False))
    cells = lxml.html.fromstring(html).xpath("//tbody/tr/td[1]")
    parts = [[s.text for s in c.xpath('./span[@class="trustexp-parts"]/span')] for c in cells]
    assert parts == [["Self-rated health", "Self-direction vs regular", "ANCOVA"],
                     ["Self-rated health", "ANCOVA"]]  # fmt: skip


def test_tables_of_text_and_single_label_tables_are_left_alone():
    from trustexp.chapter import fold_labels, label_columns

    text = pd.DataFrame({"arm": ["a", "b"], "description": ["x", "y"], "source": ["k", "l"]})
    assert label_columns(text) == 0
    assert fold_labels(text) is text
    one = pd.DataFrame({"group": ["a"], "share": ["23.0%"], "n": [100]})
    assert label_columns(one) == 1
    assert fold_labels(one) is one
    flags = pd.DataFrame({"ok": [True, False], "label": ["a", "b"], "p": [0.1, 0.2]})
    assert label_columns(flags) == 2  # a column of yes/no flags is not a number


@given(
    st.integers(0, 3),
    st.lists(st.text(alphabet="abcxyz", min_size=1, max_size=8), min_size=1, max_size=5),
)
def test_folding_keeps_every_label_part_in_order_and_every_number(k, labels):
    from trustexp.chapter import LABEL_BREAK, LABEL_CLOSE, LABEL_OPEN, fold_labels

    frame = pd.DataFrame({f"label{i}": [f"{w}{i}" for w in labels] for i in range(k)})
    frame["estimate"] = [f"{j}.5" for j in range(len(labels))]
    frame["n"] = list(range(len(labels)))
    folded = fold_labels(frame)
    assert folded[["estimate", "n"]].equals(frame[["estimate", "n"]])
    if k >= 2:
        for j, cell in enumerate(folded.iloc[:, 0]):
            assert cell.startswith(LABEL_OPEN) and cell.endswith(LABEL_CLOSE)
            assert cell[1:-1].split(LABEL_BREAK) == [f"{labels[j]}{i}" for i in range(k)]
    else:
        assert folded is frame
