"""End to end: real notebooks on a small synthetic cohort, executed by the pipeline, built into HTML."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from trustexp.report.chapters import CHAPTERS

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


@pytest.fixture(scope="module")
def small_book(tmp_path_factory):
    """A scratch project root with the book sources and a small parameter set, built once."""
    from trustexp.config import load_params
    from trustexp.data.load import prepare
    from trustexp.report.build import build_book
    from trustexp.report.pipeline import run_chapters

    root = tmp_path_factory.mktemp("project")
    shutil.copytree(
        ROOT / "book",
        root / "book",
        ignore=shutil.ignore_patterns("_build", "chapters", "generated"),
    )
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    for f in ("_config.yml", "_toc.yml"):
        shutil.copy(ROOT / f, root / f)
    raw = yaml.safe_load((ROOT / "params/oss.yml").read_text())
    raw["name"] = "small"
    raw["cohort"]["n_participants"] = 120
    raw["cohort"]["n_non_participants"] = 400
    raw["analysis"]["n_permutations"] = 200
    raw["analysis"]["n_simulations"] = 10
    raw["analysis"]["n_bootstrap"] = 200
    (root / "params").mkdir()
    (root / "params/small.yml").write_text(yaml.safe_dump(raw, sort_keys=False))
    params = load_params(root / "params/small.yml")
    prepare(params, root=root)
    lines: list[str] = []
    report = run_chapters(
        "params/small.yml", root=root, jobs=2, log=lines.append, code_dir=ROOT / "src/trustexp"
    )
    report.raise_for_failure()
    out = build_book("params/small.yml", root, log=lines.append)
    return root, out, lines


def test_every_chapter_executes_and_the_book_builds(small_book):
    root, out, _ = small_book
    assert (out / "index.html").is_file()
    for spec in CHAPTERS:
        page = out / "chapters" / (Path(spec.notebook).stem + ".html")
        assert page.is_file(), f"no page for {spec.notebook}"
        html = page.read_text(encoding="utf-8")
        assert "trustexp-chart" in html or spec.key in {"summary"}, (
            f"{spec.notebook} shows no chart"
        )
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
    report = run_chapters(
        "params/small.yml", root=root, jobs=2, log=lines.append, code_dir=ROOT / "src/trustexp"
    )
    assert report.ok
    assert {r.status for r in report.chapters.values()} == {"cached"}
