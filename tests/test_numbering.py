"""Numbered figures and tables: the mark a chapter puts on an output, and the chapter's rules.

The book's extension reads the mark with ``numbering.MARK``; the built book is checked in ``tests/test_reader_edition.py``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustexp import numbering
from trustexp.chapter import Chapter
from trustexp.config import load_params

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("kind", "name"),
    [("figure", "tab-x"), ("table", "fig-x"), ("figure", "fig-"), ("figure", "fig-Outflow"),
     ("figure", "fig-a_b"), ("figure", "fig--a"), ("figure", "figure-a"), ("chart", "fig-a")],
)  # fmt: skip
def test_bad_names_are_refused_with_an_example(kind, name):
    with pytest.raises(ValueError, match="fig-|tab-|kind"):
        numbering.check_name(kind, name)


def test_a_caption_is_required():
    with pytest.raises(ValueError, match="caption is required"):
        numbering.mark("table", "tab-a", "  ", "<table></table>")


@given(
    kind=st.sampled_from(sorted(numbering.KINDS)),
    words=st.lists(st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True), min_size=1, max_size=4),
    caption=st.text(min_size=1).filter(lambda s: s.strip()),
    inner=st.text(),
)
def test_the_mark_round_trips_name_kind_caption_and_content(kind, words, caption, inner):
    import html

    name = numbering.KINDS[kind] + "-" + "-".join(words)
    m = numbering.MARK.match(numbering.mark(kind, name, caption, inner))
    assert m is not None
    assert (m["kind"], m["name"], m["inner"]) == (kind, name, inner)
    assert html.unescape(m["caption"]) == caption.strip()
    assert '"' not in m["caption"]


def _chapter() -> Chapter:
    return Chapter("outflow", load_params(ROOT / "params" / "oss.yml"), ROOT)


def test_a_table_needs_a_name_and_a_name_is_used_once(monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr("trustexp.chapter.display", lambda obj: shown.append(obj.data))
    ch = _chapter()
    frame = pd.DataFrame({"group": ["a"], "share": [0.5]})
    with pytest.raises(TypeError):
        ch.table(frame, caption="Shares")  # type: ignore[call-arg]
    ch.table(frame, caption="Shares & counts", name="tab-shares")
    m = numbering.MARK.match(shown[0])
    assert (m["kind"], m["name"], m["caption"]) == ("table", "tab-shares", "Shares &amp; counts")
    assert "<caption>Shares &amp; counts</caption>" in m["inner"]
    with pytest.raises(ValueError, match="used twice"):
        ch.table(frame, caption="Again", name="tab-shares")
    with pytest.raises(ValueError, match="tab-"):
        ch.table(frame, caption="Shares", name="fig-shares")
