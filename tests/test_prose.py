"""Honest prose: no result number typed into a chapter's markdown or a page of the book.

Every percentage, percentage-point difference, p-value, CI, effect size or data count in prose
must be glued from the computation (``ch.glue``), so that prose and results cannot disagree.
Scans the source notebooks of ``CHAPTERS`` (markdown cells and prose strings in code cells, such
as callout lines) and every hand-written page in ``_toc.yml``. Rules and the
``<!-- not-a-result: ... -->`` declaration for method constants: ``trustexp.report.audit``.
"""

from __future__ import annotations

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
