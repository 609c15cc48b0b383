"""End to end: real notebooks on a small synthetic cohort, executed by the pipeline, built into HTML."""

from __future__ import annotations

from pathlib import Path

import pytest

from trustexp.report.contents import CHAPTERS

ROOT = Path(__file__).resolve().parents[1]
CODE = ROOT / "src" / "trustexp"
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


@pytest.fixture(scope="module")
def small_book(small_book_session):
    """A scratch project root with the book sources and a small parameter set, built once.

    Defined in ``conftest.py`` (``make_small_project``) and shared, per test process, with the
    determinism, failure and disclosure tests of the same ``xdist_group``.
    """
    return small_book_session


def test_every_chapter_executes_and_the_book_builds(small_book):
    root, out, _ = small_book
    assert (out / "index.html").is_file()
    for spec in CHAPTERS:
        page = out / "chapters" / (Path(spec.notebook).stem + ".html")
        assert page.is_file(), f"no page for {spec.notebook}"
        html = page.read_text(encoding="utf-8")
        # the summaries and the conclusions point to the chapters' charts instead of drawing their own
        text_only = {"summary", "samenvatting", "conclusions", "conclusies"}
        assert "trustexp-chart" in html or spec.key in text_only, f"{spec.notebook} shows no chart"
        assert "Traceback" not in html
    assert (out / "generated/provenance.html").is_file()
    assert (out / "generated/codebook.html").is_file()


def test_injected_parameters_are_hidden_and_charts_are_local(small_book):
    root, out, _ = small_book
    html = (out / "chapters/01_design.html").read_text(encoding="utf-8")
    assert "injected-parameters" not in html and 'params_file = "params/small.yml"' not in html
    assert "cdn.jsdelivr" not in html
    assert "_static/vega-embed@" in html
    assert (out / "_static" / "vega@6.4.0.min.js").is_file()


def test_second_run_executes_nothing(small_book):
    from trustexp.report.pipeline import run_chapters

    root, _, _ = small_book
    lines: list[str] = []
    report = run_chapters("params/small.yml", root=root, jobs=2, log=lines.append, code_dir=CODE)
    assert report.ok
    assert {r.status for r in report.chapters.values()} == {"cached"}
