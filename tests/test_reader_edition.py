"""The reader's edition of the default book: the PDF, downloads, citation metadata, numbering.

Static checks of what ``make book`` built into ``book/_build/html`` (``make test`` builds it first):
the PDF of the whole book opens, is tagged, has an outline entry per chapter and no remote
references; every page links the PDF and carries citation metadata; each chapter offers its
executed notebook; the Dutch page is marked Dutch; chapters are numbered. Plus unit tests of the
pieces (outline repair, table wrapping, citation tags, the citation file).
Skipped, with the reason, when the book or its PDF is missing; with ``CI=true`` that fails.
"""

from __future__ import annotations

import html
import os
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import nbformat
import pikepdf
import pytest
import yaml

from trustexp.report.contents import CHAPTERS
from trustexp.report.pdf import PDF_NAME, fix_outline

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import trustexp_reader as tr  # noqa: E402 - the book's extension, importable from its folder

HTML = Path(os.environ.get("TRUSTEXP_BOOK_HTML", ROOT / "book" / "_build" / "html"))
PDF = HTML / PDF_NAME
CI = os.environ.get("CI", "").lower() == "true"
DUTCH = {"chapters/00_samenvatting.html", "chapters/13_conclusies.html"}
# Actions that make a PDF reach outside itself (other files, programs, forms, scripts).
REMOTE_ACTIONS = {"/GoToR", "/GoToE", "/Launch", "/ImportData", "/SubmitForm", "/JavaScript"}


def _unavailable(reason: str) -> None:
    if CI:
        pytest.fail(f"{reason} (CI=true: these checks may not be skipped)")
    pytest.skip(reason)


def _pages() -> list[Path]:
    if not (HTML / "index.html").is_file():
        return []
    return sorted(
        p
        for p in HTML.rglob("*.html")
        if not {"_static", "_sources", "_images"} & set(p.relative_to(HTML).parts)
        and p.name not in {"genindex.html", "search.html", "index.html"}
    )


PAGES = _pages()


@pytest.fixture(scope="module")
def pdf():
    if not PDF.is_file():
        _unavailable(f"no PDF at {PDF}: run `make book` with Chromium installed")
    with pikepdf.open(PDF) as doc:
        yield doc


def _outline(doc: pikepdf.Pdf) -> list[tuple[int, str]]:
    items: list[tuple[int, str]] = []
    with doc.open_outline() as outline:

        def walk(entries, depth: int) -> None:
            for item in entries:
                items.append((depth, item.title))
                walk(item.children, depth + 1)

        walk(outline.root, 0)
    return items


# --------------------------------------------------------------------------- the PDF


def test_pdf_is_tagged_has_a_language_and_many_pages(pdf):
    assert "/StructTreeRoot" in pdf.Root, "the PDF is not tagged (no structure tree)"
    assert bool(pdf.Root.MarkInfo.Marked)
    assert str(pdf.Root.get("/Lang", "")) == "en"
    assert len(pdf.pages) > 5 * len(CHAPTERS)


def test_pdf_outline_has_an_entry_per_chapter_and_appendix_page(pdf):
    titles = [t for _, t in _outline(pdf)]
    numbered = [c for c in CHAPTERS if not c.notebook.startswith("00_")]
    for i, spec in enumerate(numbered, start=1):
        assert f"{i}. {spec.title}" in titles, f"no outline entry '{i}. {spec.title}'"
    for spec in CHAPTERS:
        if spec.notebook.startswith("00_"):
            assert spec.title in titles, f"no outline entry for {spec.title!r}"
    for page in ("Methods", "Codebook", "References"):
        assert page in titles


def test_pdf_outline_titles_are_the_headings_not_garbled(pdf):
    for _, title in _outline(pdf):
        half = len(title) // 2
        assert not (len(title) > 8 and title[:half].strip() == title[half:].strip()), title
        assert not re.search(r"[a-z][A-Z][a-z]", title.replace("McF", "")), (
            f"glued words: {title!r}"
        )


def test_pdf_has_no_remote_references(pdf):
    problems = []
    for n, page in enumerate(pdf.pages, start=1):
        for annot in page.get("/Annots", []):
            action = annot.get("/A")
            if action is None:
                continue
            kind = str(action.get("/S"))
            if kind in REMOTE_ACTIONS:
                problems.append(f"page {n}: {kind} action")
            if kind == "/URI":
                uri = str(action.URI)
                parts = urlsplit(uri)
                if parts.scheme not in {"http", "https"} or parts.hostname in {
                    "127.0.0.1",
                    "localhost",
                }:
                    problems.append(f"page {n}: link to {uri}")
    assert not problems, "\n".join(problems[:20])


def test_every_page_links_the_pdf_and_the_first_page_says_so():
    if not PAGES:
        _unavailable(f"no built book at {HTML}: run `make book` first")
    intro = (HTML / "intro.html").read_text(encoding="utf-8")
    assert f'href="{PDF_NAME}"' in intro and "download the book as a PDF" in intro
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        links = re.findall(r'href="([^"]*' + re.escape(PDF_NAME) + ')"', text)
        assert links, f"{page.relative_to(HTML)} has no link to the PDF"
        for link in links:
            assert (page.parent / link).resolve() == PDF.resolve(), f"{page}: {link}"


# --------------------------------------------------------------------------- pages


def test_every_page_of_the_synthetic_book_says_so_in_its_banner():
    if not PAGES:
        _unavailable(f"no built book at {HTML}: run `make book` first")
    for page in PAGES:
        name = page.relative_to(HTML).as_posix()
        text = page.read_text(encoding="utf-8")
        found = re.search(r'<aside class="bd-header-announcement"[^>]*>(.*?)</aside>', text, re.S)
        assert found, f"{name}: no data banner"
        words = "Synthetische gegevens." if name in DUTCH else "Synthetic data."
        assert words in found.group(1), f"{name}: banner {found.group(1)[:120]!r}"
        link = re.search(r'href="([^"]+)"', found.group(1)).group(1)
        if name == "generated/calibration.html":
            assert link == "#", f"{name}: {link}"  # the calibration page links to itself
            continue
        target = (page.parent / link.split("#")[0]).resolve()
        assert target == (HTML / "generated" / "calibration.html").resolve(), f"{name}: {link}"


def test_banner_follows_the_data_source_and_a_raw_build_has_no_synthetic_wording(tmp_path):
    from trustexp.config import load_params
    from trustexp.report.pages import write_banner

    class App:
        srcdir = tmp_path

    synthetic = load_params(ROOT / "params" / "oss.yml")
    raw = synthetic.model_copy(update={"data": synthetic.data.model_copy(update={"source": "raw"})})
    assert tr.banner(App, "en", str) == "", "no banner file: no banner"
    for params, words, absent in ((synthetic, "Synthetic", "Real"), (raw, "Real", "ynthe")):
        write_banner(tmp_path / "generated", params)
        for lang in ("en", "nl", "fr"):
            text = tr.banner(App, lang, lambda page: f"../{page}.html")
            assert text and absent not in text, (params.data.source, lang, text)
            assert "{" not in text, text
        assert words in tr.banner(App, "en", str)
    assert "Echte gegevens" in tr.banner(App, "nl", str)


@pytest.mark.parametrize("spec", CHAPTERS, ids=[c.key for c in CHAPTERS])
def test_each_chapter_offers_its_executed_notebook(spec):
    page = HTML / "chapters" / f"{Path(spec.notebook).stem}.html"
    if not page.is_file():
        _unavailable(f"no built book at {HTML}: run `make book` first")
    links = re.findall(r'href="([^"]+\.ipynb)"', page.read_text(encoding="utf-8"))
    assert links, f"{page.name}: no .ipynb download"
    notebook = (page.parent / links[0]).resolve()
    assert notebook.is_file(), f"{page.name}: {links[0]} does not exist"
    nb = nbformat.read(notebook, as_version=4)
    assert any(cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), (
        f"{notebook.name} is not an executed notebook"
    )


def _meta(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in re.findall(r'<meta name="(citation_[a-z_]+)" content="([^"]*)"', text):
        found.setdefault(name, []).append(html.unescape(value))
    return found


def test_every_page_has_its_language_citation_metadata_and_light_mode():
    if not PAGES:
        _unavailable(f"no built book at {HTML}: run `make book` first")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    authors = [a.get("name") or f"{a['given-names']} {a['family-names']}" for a in cff["authors"]]
    for page in PAGES:
        name = page.relative_to(HTML).as_posix()
        text = page.read_text(encoding="utf-8")
        tag = re.search(r"<html[^>]*>", text).group(0)
        lang = re.search(r'lang="([^"]+)"', tag).group(1)
        assert lang == ("nl" if name in DUTCH else "en"), f"{name}: lang={lang!r}"
        assert 'data-theme="light"' in tag, f"{name}: not light-only: {tag}"
        meta = _meta(text)
        assert meta.get("citation_title", [""])[0], f"{name}: no citation_title"
        assert meta.get("citation_author") == authors, f"{name}: {meta.get('citation_author')}"
        assert meta.get("citation_language") == [lang], name
        assert re.fullmatch(r"\d{4}(/\d\d/\d\d)?", meta["citation_publication_date"][0]), name
        assert (page.parent / meta["citation_pdf_url"][0]).resolve() == PDF.resolve(), name


def test_report_chapters_are_numbered_and_summaries_are_not():
    if not PAGES:
        _unavailable(f"no built book at {HTML}: run `make book` first")
    numbered = [c for c in CHAPTERS if not c.notebook.startswith("00_")]
    for i, spec in enumerate(numbered, start=1):
        text = (HTML / "chapters" / f"{Path(spec.notebook).stem}.html").read_text(encoding="utf-8")
        h1 = re.search(
            r"<h1>([^<]*(?:<span[^>]*>[^<]*</span>)?[^<]*)<a class=\"headerlink\"", text
        ).group(1)
        assert re.sub(r"<[^>]+>", "", h1).startswith(f"{i}. "), f"{spec.notebook}: {h1[:80]}"
    summary = (HTML / "chapters" / "00_summary.html").read_text(encoding="utf-8")
    h1 = re.search(r"<h1>([^<]*(?:<span[^>]*>[^<]*</span>)?[^<]*)<a class=\"headerlink\"", summary)
    assert h1.group(1) == "Summary", h1.group(1)


def test_every_chart_and_table_is_numbered_captioned_and_referred_to_by_number():
    if not PAGES:
        _unavailable(f"no built book at {HTML}: run `make book` first")
    numbered = [c for c in CHAPTERS if not c.notebook.startswith("00_")]
    seen = 0
    for i, spec in enumerate(numbered, start=1):
        name = f"chapters/{Path(spec.notebook).stem}.html"
        doc = lxml.html.fromstring((HTML / name).read_bytes())
        words = tr.PREFIXES["nl" if name in DUTCH else "en"]
        outputs = doc.xpath(
            '//figure[contains(@class, "trustexp-figure")]'
            ' | //div[contains(@class, "trustexp-numbered-table")]'
        )
        charts = doc.xpath('//div[contains(@class, "trustexp-chart")]')
        tables = doc.xpath('//table[contains(@class, "trustexp-table")]')
        assert len(outputs) == len(charts) + len(tables), name
        counters = {"fig": 0, "tab": 0}
        for out in outputs:
            label = out.get("id")
            kind = label.split("-")[0]
            counters[kind] += 1
            number = f"{words['figure' if kind == 'fig' else 'table']} {i}.{counters[kind]}"
            caption = out.xpath('.//span[@class="caption-number"]')
            assert [c.text_content() for c in caption] == [f"{number}:"], (name, label)
            refs = {a.text_content() for a in doc.xpath(f'//a[@href="#{label}"]')}
            assert refs == {number}, f"{name}: {label} is not referred to as {number}: {refs}"
            seen += 1
    assert seen >= 60, seen


# --------------------------------------------------------------------------- pieces


def _pdf_with_outline(titles: list[str]) -> pikepdf.Pdf:
    doc = pikepdf.new()
    for _ in titles:
        doc.add_blank_page()
    with doc.open_outline() as outline:
        outline.root.extend(pikepdf.OutlineItem(t, i) for i, t in enumerate(titles))
    return doc


def test_fix_outline_restores_wrapped_headings_and_leaves_a_mismatch_alone():
    doc = _pdf_with_outline(
        [
            "3. 3. Balance at the startBalance at the start",
            "Robustness: how firm are themain results?",
        ]
    )
    headings = ["3. Balance at the start", "Robustness: how firm are the main results?"]
    assert fix_outline(doc, headings) == 2
    assert [t for _, t in _outline(doc)] == headings
    other = _pdf_with_outline(["Data", "Method"])
    assert fix_outline(other, ["Results", "Method"]) == 0  # not the same headings: untouched
    assert fix_outline(other, ["Data"]) == 0  # not as many headings as entries
    assert [t for _, t in _outline(other)] == ["Data", "Method"]


def test_wrap_tables_makes_each_project_table_a_named_scroll_region_once():
    markup = (
        '<table border="0" class="dataframe trustexp-table">\n<caption>Row: one arm '
        "&amp; its n</caption><tr><td>1</td></tr></table><table><tr><td>other</td></tr></table>"
    )
    wrapped = tr.wrap_tables(markup)
    assert wrapped.count('class="trustexp-table-wrap"') == 1
    assert 'role="region" tabindex="0" aria-label="Row: one arm &amp; its n"' in wrapped
    assert wrapped.endswith("</table></div><table><tr><td>other</td></tr></table>")
    assert tr.wrap_tables(wrapped) == wrapped


def test_a_table_caption_moves_above_the_table_numbered_and_names_it():
    inner = tr.wrap_tables(
        '<table border="0" class="dataframe trustexp-table">\n<caption>Shares &amp; counts'
        "</caption><tr><td>1</td></tr></table>"
    )
    out = tr.table_caption(inner, "Tabel 3.2", "tab-shares")
    assert out.startswith(
        '<p class="trustexp-table-caption" id="tab-shares-caption"><span class="caption-number">'
        "Tabel 3.2:</span> Shares &amp; counts</p>\n"
    )
    assert "<caption>" not in out
    assert '<table aria-labelledby="tab-shares-caption" border="0"' in out
    assert 'aria-label="Shares &amp; counts"' in out  # the scroll region keeps its name
    assert tr.table_caption("<table><tr><td>1</td></tr></table>", "Table 1.1", "t") == (
        "<table><tr><td>1</td></tr></table>"
    )


def test_citation_meta_tags_escape_values_and_name_the_book_of_a_chapter():
    cff = {"authors": [{"given-names": "Jane", "family-names": "Doe"}, {"name": "A & B team"}]}
    tags = tr.citation_meta(cff, "Outflow", "The book", "en", "../book.pdf", year="2026")
    assert '<meta name="citation_inbook_title" content="The book" />' in tags
    assert '<meta name="citation_author" content="Jane Doe" />' in tags
    assert '<meta name="citation_author" content="A &amp; B team" />' in tags
    assert '<meta name="citation_publication_date" content="2026" />' in tags
    root = tr.citation_meta(
        {"authors": [], "date-released": "2026-12-01"}, "The book", "The book", "nl", "x.pdf"
    )
    assert not any("citation_inbook_title" in t for t in root)
    assert '<meta name="citation_publication_date" content="2026/12/01" />' in root


# --------------------------------------------------------------------------- CITATION.cff


def test_citation_file_follows_the_citation_file_format():
    """A hand check of CFF 1.2.0's required keys and types (no validator package is pinned)."""
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title"):
        assert isinstance(cff[key], str) and cff[key].strip(), key
    assert cff["authors"], "authors may not be empty"
    for person in cff["authors"]:
        assert person.get("name") or person.get("family-names"), person
    allowed = {
        "abstract", "authors", "cff-version", "commit", "contact", "date-released", "doi",
        "identifiers", "keywords", "license", "license-url", "message", "preferred-citation",
        "references", "repository", "repository-artifact", "repository-code", "title", "type",
        "url", "version",
    }  # fmt: skip
    assert set(cff) <= allowed, f"keys CFF 1.2.0 does not define: {set(cff) - allowed}"
    assert cff.get("type", "software") in {"software", "dataset"}
    if "date-released" in cff:
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", str(cff["date-released"]))
    for ref in cff.get("references", []):
        assert ref["type"] and ref["title"] and ref["authors"], ref
    assert str(cff["version"]) == re.search(
        r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M
    ).group(1), "CITATION.cff and pyproject.toml disagree on the version"
