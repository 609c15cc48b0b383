"""Disclosure control over the whole book: no small count, no person id, no row-level record.

Scans every executed chapter (outputs: tables, chart data, texts, glued values) and the results
store, of the default (Oss) run in ``book/chapters`` and ``results/oss``, and of the small-cohort
run of the ``e2e`` group, where small cells really occur. Rules: ``trustexp.report.audit``.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from trustexp.config import load_params
from trustexp.report import audit
from trustexp.report.contents import CHAPTERS
from trustexp.report.pipeline import default_out_dir

ROOT = Path(__file__).resolve().parents[1]
CI = os.environ.get("CI", "").lower() == "true"
KEYS = [c.key for c in CHAPTERS]


def scan_chapter(notebook: Path, threshold: int) -> list[audit.Finding]:
    nb = nbformat.read(notebook, as_version=4)
    name = notebook.name
    return audit.scan_notebook_for_small_counts(
        nb, threshold, name
    ) + audit.scan_notebook_for_personal_data(nb, name)


def scan_results(folder: Path, threshold: int) -> list[audit.Finding]:
    findings: list[audit.Finding] = []
    for store in sorted(folder.glob("*.parquet")):
        findings += audit.scan_store(pd.read_parquet(store), threshold, store.name)
    return findings


def _report(findings: list[audit.Finding]) -> str:
    return "\n  ".join(str(f) for f in findings[:40]) + (
        f"\n  ... and {len(findings) - 40} more" if len(findings) > 40 else ""
    )


def _need(path: Path) -> None:
    if not path.exists():
        message = f"{path.relative_to(ROOT)} missing: run `make book` first"
        pytest.fail(message) if CI else pytest.skip(message)


def test_default_threshold_is_ten():
    assert load_params(ROOT / "params/oss.yml").analysis.disclosure_threshold == 10


@pytest.mark.parametrize("spec", CHAPTERS, ids=KEYS)
def test_default_book_chapter_shows_no_small_count_or_personal_data(spec):
    threshold = load_params(ROOT / "params/oss.yml").analysis.disclosure_threshold
    notebook = ROOT / "book" / "chapters" / spec.notebook
    _need(notebook)
    findings = scan_chapter(notebook, threshold)
    assert not findings, f"{spec.notebook}:\n  {_report(findings)}"


def test_default_results_store_has_no_small_count_or_person_id():
    params = load_params(ROOT / "params/oss.yml")
    folder = params.results_dir(ROOT)
    _need(folder)
    findings = scan_results(folder, params.analysis.disclosure_threshold)
    assert not findings, _report(findings)


@pytest.mark.e2e
@pytest.mark.xdist_group("e2e")
def test_small_cohort_book_shows_no_small_count_or_personal_data(small_book_session):
    root = small_book_session[0]
    params = load_params(root / "params/small.yml")
    threshold = params.analysis.disclosure_threshold
    findings: list[audit.Finding] = []
    for spec in CHAPTERS:
        findings += scan_chapter(default_out_dir(root, params.name) / spec.notebook, threshold)
    findings += scan_results(params.results_dir(root), threshold)
    assert not findings, "small-cohort run (120 participants):\n  " + _report(findings)
