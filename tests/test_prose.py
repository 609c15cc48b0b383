"""Honest prose: no result number typed into a chapter's markdown or a page of the book.

Every percentage, percentage-point difference, p-value, CI, effect size or data count in prose
must be glued from the computation (``ch.glue``), so that prose and results cannot disagree.
Scans the source notebooks of ``CHAPTERS`` (markdown cells and prose strings in code cells, such
as callout lines) and every hand-written page in ``_toc.yml``. Rules and the
``<!-- not-a-result: ... -->`` declaration for method constants: ``trustexp.report.audit``.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

from trustexp.report import audit
from trustexp.report.contents import CHAPTERS

ROOT = Path(__file__).resolve().parents[1]


def toc_pages() -> list[str]:
    """Hand-written pages of the table of contents (chapters and generated pages excluded)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return [f for f in files if not f.startswith(("chapters/", "generated/"))]


PAGES = toc_pages()


@pytest.mark.parametrize("spec", CHAPTERS, ids=[c.key for c in CHAPTERS])
def test_chapter_prose_has_no_typed_result_numbers(spec):
    path = ROOT / "notebooks" / spec.notebook
    findings = audit.typed_numbers_in_notebook(nbformat.read(path, as_version=4), spec.notebook)
    assert not findings, "glue these (ch.glue) or declare a method constant:\n  " + "\n  ".join(
        map(str, findings)
    )


@pytest.mark.parametrize("page", PAGES)
def test_page_has_no_typed_result_numbers(page):
    path = next(
        (
            ROOT / "book" / f"{page}{ext}"
            for ext in (".md", ".ipynb")
            if (ROOT / "book" / f"{page}{ext}").is_file()
        ),
        None,
    )
    assert path is not None, f"page {page} of _toc.yml not found in book/"
    if path.suffix == ".ipynb":
        findings = audit.typed_numbers_in_notebook(nbformat.read(path, as_version=4), path.name)
    else:
        findings = audit.typed_numbers_in_page(path.read_text(encoding="utf-8"), f"book/{page}.md")
    assert not findings, "glue these or declare a method constant:\n  " + "\n  ".join(
        map(str, findings)
    )


@pytest.mark.parametrize("spec", CHAPTERS, ids=[c.key for c in CHAPTERS])
def test_chapter_prose_has_no_typed_verdicts(spec):
    path = ROOT / "notebooks" / spec.notebook
    findings = audit.typed_verdicts_in_notebook(nbformat.read(path, as_version=4), spec.notebook)
    assert not findings, (
        "glue these directions and verdicts (trustexp.verdicts) or declare why they are not a "
        "judgement of these data (<!-- not-a-verdict: words — reason -->):\n  "
        + "\n  ".join(map(str, findings))
    )


@pytest.mark.parametrize("page", PAGES)
def test_page_has_no_typed_verdicts(page):
    path = ROOT / "book" / f"{page}.md"
    if not path.is_file():
        pytest.skip(f"{page} is not a markdown page")
    findings = audit.typed_verdicts_in_page(path.read_text(encoding="utf-8"), f"book/{page}.md")
    assert not findings, "glue these or declare them:\n  " + "\n  ".join(map(str, findings))


@pytest.mark.parametrize(
    "text",
    [
        "The three groups did about equally well.",
        "Volunteers left benefit more often whichever way of working the lottery gave them.",
        "Wellbeing rose in all arms.",
        "Deelnemers stroomden vaker uit dan niet-deelnemers.",
        "There was no clear difference between the arms.",
    ],
)
def test_a_typed_verdict_is_rejected(text):
    assert audit.typed_verdicts_in_markdown(text), text


def test_glued_and_declared_verdicts_pass():
    assert not audit.typed_verdicts_in_markdown("Self-direction {glue:text}`verdict_er` outflow.")
    declared = "<!-- not-a-verdict: rose — a published finding -->\nPublished: wellbeing rose."
    assert not audit.typed_verdicts_in_markdown(declared)
    # a declaration covers its exact words only
    assert [t.text for t in audit.typed_verdicts_in_markdown(declared + " It fell.")] == ["fell"]


SOURCE_GLUES = ("these_data", "These_data", "data_note", "head_source")
"""Glued texts that say where the numbers come from (``chapter.source_texts``, the summaries)."""


@pytest.mark.parametrize("spec", CHAPTERS, ids=[c.key for c in CHAPTERS])
def test_in_short_box_says_where_the_numbers_come_from(spec):
    """Each chapter's first admonition (its "In short" box) glues the data source, never types it."""
    nb = nbformat.read(ROOT / "notebooks" / spec.notebook, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    box = re.search(r":::\{admonition\}[^\n]*\n(.*?)\n:::", text, re.S)
    assert box, f"{spec.notebook}: no admonition box"
    glued = re.findall(r"\{glue:text\}`([A-Za-z_]+)", box.group(1))
    assert set(glued) & set(SOURCE_GLUES), f"{spec.notebook}: In short box glues {glued}"
    assert not re.search(r"synthe(tic|tisch)", box.group(1), re.I), (
        f"{spec.notebook}: synthetic typed in the In short box (glue these_data / data_note)"
    )
