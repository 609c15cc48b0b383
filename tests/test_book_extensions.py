"""The book's own Sphinx extensions in a real Jupyter Book build.

``trustexp.report.build.preview`` builds the committed executed chapters with the hand-written
pages, the project's configuration and warnings as errors, from a scratch copy of the project in
which the tests add citations, plain source keys and a Dutch page.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from trustexp.report.build import BuildFailed, preview

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book" / "chapters").glob("*.ipynb"))

pytestmark = [pytest.mark.e2e]


def _scratch(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(
        ROOT / "book",
        root / "book",
        ignore=shutil.ignore_patterns("_build", "chapters", "generated", "__pycache__"),
    )
    shutil.copytree(ROOT / "params", root / "params")
    shutil.copy(ROOT / "_config.yml", root / "_config.yml")
    shutil.copy(ROOT / "CITATION.cff", root / "CITATION.cff")
    return root


def _add(page: Path, text: str, front: str = "") -> None:
    page.write_text(front + page.read_text(encoding="utf-8") + "\n" + text + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = _scratch(tmp_path_factory.mktemp("ext"))
    _add(
        root / "book" / "intro.md",
        "Cited: {cite:p}`report_oss_312,info_note_2020`. Textual: {cite:t}`wageningen_abstract`.\n\n"
        "Written as keys: published 9 to 13 percentage points (info_note_2020, article_oss);"
        " press (press, bd_2020). Code stays: `report_oss`.",
    )
    _add(root / "book" / "glossary.md", "", front="---\nlanguage: nl\n---\n")
    return preview(CHAPTERS, tmp_path_factory.mktemp("out"), root)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def test_citations_read_as_labels_with_suffixes_and_link_to_their_entry(built):
    page = (built / "intro.html").read_text(encoding="utf-8")
    text = _text(page)
    assert "(Muffels et al., 2020a, section 3.1.2; Gemeente Oss, 2020)" in text
    assert "Muffels et al. (2020c)" in text
    assert 'href="references.html#ref-report-oss-312"' in page
    assert 'href="references.html#ref-wageningen-abstract"' in page


def test_source_keys_written_as_plain_text_become_citations(built):
    page = (built / "intro.html").read_text(encoding="utf-8")
    text = _text(page)
    assert "(Gemeente Oss, 2020; Gemeente Oss and Tilburg University, 2020)" in text
    assert "(press, Brabants Dagblad, 2020)" in text
    assert 'href="references.html#ref-bd-2020"' in page
    assert "info_note_2020, article_oss" not in text
    assert "<code" in page and "report_oss</span></code>" in page  # literals are left alone


def test_references_list_shows_the_same_labels_as_list_items(built):
    page = (built / "references.html").read_text(encoding="utf-8")
    assert 'id="ref-report-oss"' in page and 'id="ref-report-apeldoorn-312"' in page
    assert "Muffels et al., 2020d, section 3.1.2" in _text(page)
    assert 'role="doc-biblioentry"' not in page and 'role="listitem"' in page


def test_a_page_declares_its_own_language_and_carries_citation_metadata(built):
    glossary = (built / "glossary.html").read_text(encoding="utf-8")
    intro = (built / "intro.html").read_text(encoding="utf-8")
    assert re.search(r'<html[^>]* lang="nl"', glossary)
    assert re.search(r'<html[^>]* lang="en"', intro)
    assert '<meta name="citation_language" content="nl" />' in glossary
    assert '<meta name="citation_author" content="trustexp developers" />' in intro
    assert '<meta name="citation_pdf_url" content="trustexp-book.pdf" />' in intro


def test_an_unknown_source_key_fails_the_build_and_names_the_key(tmp_path):
    root = _scratch(tmp_path)
    _add(root / "book" / "intro.md", "See {cite:p}`no_such_source_2099`.")
    with pytest.raises(BuildFailed) as err:
        preview(CHAPTERS, tmp_path / "out", root)
    assert "no_such_source_2099" in str(err.value)
