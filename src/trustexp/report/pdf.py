"""The whole book as one PDF, printed from its HTML by headless Chromium: no TeX, nothing downloaded.

Jupyter Book builds the book once more with Sphinx's ``singlehtml`` builder (every page in one
HTML file, same configuration, warnings as errors); that page is served on 127.0.0.1, opened
offline in Debian's Chromium (the browser the tests use), its charts are drawn, and Chromium
prints it as a tagged PDF (headings, alt text, reading order) with an outline of the headings.
The PDF lands beside ``index.html`` as ``PDF_NAME``, linked from the first page and the header.

Without a Chromium the step is skipped with a message; with ``CI=true`` that is an error.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pikepdf

from trustexp.errors import TrustexpError
from trustexp.report.browser import chromium, find_chromium, offline_page, serve, wait_for_charts

PDF_NAME = "trustexp-book.pdf"
# Printed page: A4 with room for a running page number.
PAGE = {
    "format": "A4",
    "margin": {"top": "16mm", "bottom": "18mm", "left": "14mm", "right": "14mm"},
}
FOOTER = (
    '<div style="width:100%;font-size:8px;color:#444;text-align:center;">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


class PdfFailed(TrustexpError):
    """The PDF of the book could not be made (build, browser or printing failed)."""


def start_singlehtml(src: Path, config: Path, toc: Path, work: Path) -> subprocess.Popen:
    """Start building the one-page HTML of the book into ``work`` (a scratch folder); it runs
    beside the HTML build, which reads the same sources, so the two use both cores."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    cmd = [
        str(Path(sys.executable).with_name("jupyter-book")), "build", str(src),
        "--config", str(config), "--toc", str(toc), "--path-output", str(work),
        "--builder", "custom", "--custom-builder", "singlehtml", "-W", "--keep-going", "-q",
    ]  # fmt: skip
    with open(work / "build.log", "w", encoding="utf-8") as log:  # a file: no pipe to fill up
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True)


def _singlehtml(work: Path, proc: subprocess.Popen) -> Path:
    """Wait for the one-page HTML that ``proc`` builds into ``work``; return its folder."""
    code = proc.wait()
    out = work / "_build" / "singlehtml"
    if code != 0 or not (out / "index.html").is_file():
        log = work / "build.log"
        lines = log.read_text(encoding="utf-8").splitlines() if log.is_file() else []
        problems = [ln for ln in lines if "WARNING" in ln or "ERROR" in ln or "Error" in ln]
        raise PdfFailed(
            "the one-page HTML for the PDF failed:\n" + "\n".join((problems or lines)[-30:])
        )
    return out


def _root_page(folder: Path) -> str:
    """The file of the one-page book (``index.html`` only redirects to the root document)."""
    pages = [
        p
        for p in folder.glob("*.html")
        if p.name not in {"index.html", "genindex.html", "search.html"}
    ]
    if len(pages) != 1:
        raise PdfFailed(f"expected one page in {folder}, found {sorted(p.name for p in pages)}")
    return pages[0].name


_HEADINGS_JS = """() => [...document.querySelectorAll('h1, h2, h3, h4, h5, h6, [role=heading]')]
    .filter(h => h.getClientRects().length)
    .map(h => { const c = h.cloneNode(true); c.querySelectorAll('.headerlink').forEach(a => a.remove());
                return c.textContent.replace(/\\s+/g, ' ').trim(); })"""


def _squash(text: str) -> str:
    return re.sub(r"\W+", "", text).lower()


def fix_outline(pdf: pikepdf.Pdf, headings: list[str]) -> int:
    """Give the outline entries the exact texts of the headings they point to; return how many.

    Chromium builds the outline from the headings but garbles a heading that wraps over two
    lines ("Balance at the startBalance at the start", missing spaces). Entries and visible
    headings come in the same order; each entry is replaced only when it still contains its
    heading's text (letters and digits compared), so a mismatch leaves the outline as printed.
    """
    with pdf.open_outline() as outline:
        items = []

        def walk(entries) -> None:
            for item in entries:
                items.append(item)
                walk(item.children)

        walk(outline.root)
        if len(items) != len(headings):
            return 0
        pairs = list(zip(items, headings, strict=True))
        if not all(_squash(h.split(" ", 1)[-1])[:12] in _squash(i.title) for i, h in pairs):
            return 0
        changed = 0
        for item, heading in pairs:
            if item.title != heading:
                item.title = heading
                changed += 1
        return changed


def print_pdf(folder: Path, page_file: str, target: Path, executable: Path) -> list[str]:
    """Print ``folder/page_file`` to ``target`` with Chromium; return charts that were not drawn."""
    with serve(folder) as srv, chromium(executable) as context:
        page, foreign = offline_page(context, srv.url)
        page.goto(srv.url + page_file, wait_until="load")
        page.wait_for_load_state("networkidle")
        wait_for_charts(page, timeout_ms=120_000)
        undrawn = page.evaluate(
            """() => [...document.querySelectorAll('.trustexp-chart, .vega-embed')]
                 .filter(el => !el.querySelector('svg, canvas')).map(el => el.id || el.className)"""
        )
        if foreign:
            raise PdfFailed(f"the book asked for files from other hosts: {foreign[:5]}")
        page.emulate_media(media="print")
        headings = page.evaluate(_HEADINGS_JS)
        page.pdf(
            path=str(target),
            outline=True,
            tagged=True,
            print_background=True,
            display_header_footer=True,
            header_template="<span></span>",
            footer_template=FOOTER,
            **PAGE,
        )
    with pikepdf.open(target, allow_overwriting_input=True) as pdf:
        if fix_outline(pdf, headings):
            pdf.save(target)
    return undrawn


def make_pdf(
    src: Path,
    config: Path,
    toc: Path,
    html: Path,
    work: Path,
    log: Callable[[str], None] = print,
    started: subprocess.Popen | None = None,
) -> Path | None:
    """Build the book's PDF into ``html / PDF_NAME``; return its path (None when skipped).

    ``src``, ``config`` and ``toc`` are the Jupyter Book inputs of the HTML build; ``work`` is a
    scratch folder (removed afterwards); ``started``: the one-page HTML build already running
    there (``start_singlehtml``). The PDF is written to a temporary name first and moved into
    place only when complete.
    """
    exe, _tried = find_chromium()
    if exe is None:
        if started is not None:
            started.kill()
            started.wait()
        shutil.rmtree(work, ignore_errors=True)
        message = (
            "no Chromium found: the PDF of the book was not made "
            "(install Debian's chromium, `make browser-deps`, or set TRUSTEXP_CHROMIUM)"
        )
        if os.environ.get("CI", "").lower() == "true":
            raise PdfFailed(message + " (CI=true: the PDF is required)")
        log(f"  {message}")
        return None
    start = time.perf_counter()
    try:
        folder = _singlehtml(work, started or start_singlehtml(src, config, toc, work))
    except PdfFailed:
        shutil.rmtree(work, ignore_errors=True)
        raise
    target = html / PDF_NAME
    partial = html / f".{PDF_NAME}.partial"
    try:
        undrawn = print_pdf(folder, _root_page(folder), partial, exe)
        if undrawn:
            raise PdfFailed(f"charts not drawn in the PDF: {undrawn[:5]}")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    log(f"  made the PDF of the book in {time.perf_counter() - start:.1f} s ({PDF_NAME})")
    return target
