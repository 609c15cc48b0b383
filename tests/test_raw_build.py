"""A book built on real files says so and carries no synthetic wording (issue 13).

The small synthetic cohort is written out as the CSV files a researcher would put in
``data/raw/``; a parameter set with ``data.source: raw`` reads them back, runs every chapter and
builds the HTML. Every page's banner then says "Real data" and no chapter page, table, chart
or "In short" box says "synthetic" (or the Dutch "synthetisch").
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import make_small_project

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("raw")]

SYNTHETIC_WORDS = re.compile(r"synthe(tic|tisch)", re.I)


@pytest.fixture(scope="module")
def raw_book(tmp_path_factory):
    from trustexp.config import load_params
    from trustexp.data.codebook import TABLES
    from trustexp.data.cohort import read_cohort
    from trustexp.data.load import prepare
    from trustexp.report.build import build_book
    from trustexp.report.pipeline import run_chapters

    root, _, _ = make_small_project(tmp_path_factory.mktemp("raw"), build=False, chapters=())
    cohort = read_cohort(root / "data/cohort/small", load_registry=True)
    raw_dir = root / "data" / "raw"
    raw_dir.mkdir(parents=True)
    for table in TABLES:
        cohort.table(table).to_csv(raw_dir / f"{table}.csv", index=False, date_format="%Y-%m-%d")
    params = yaml.safe_load((root / "params/small.yml").read_text())
    params["name"] = "real"
    params["data"] = {"source": "raw", "raw_dir": "data/raw"}
    (root / "params/real.yml").write_text(yaml.safe_dump(params, sort_keys=False))
    prepare(load_params(root / "params/real.yml"), root=root)
    project = Path(__file__).resolve().parents[1]
    run_chapters(
        "params/real.yml", root=root, jobs=2, log=lambda _m: None, code_dir=project / "src/trustexp"
    ).raise_for_failure()
    return build_book("params/real.yml", root, log=lambda _m: None)


def _visible(page: Path) -> str:
    """The page's text without scripts' source, styles, code (the chapters' hidden input cells, in
    ``<pre>``) and tags: what a reader reads."""
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"<(script|style|pre)\b.*?</\1>", " ", text, flags=re.S)
    return re.sub(r"<[^>]+>", " ", text)


def test_a_raw_build_says_real_data_on_every_page_and_never_synthetic(raw_book):
    from trustexp.report.contents import CHAPTERS

    pages = [raw_book / "intro.html"] + [
        raw_book / "chapters" / f"{Path(c.notebook).stem}.html" for c in CHAPTERS
    ]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        banner = re.search(r'<aside class="bd-header-announcement"[^>]*>(.*?)</aside>', text, re.S)
        assert banner, f"{page.name}: no data banner"
        assert re.search(r"Real data\.|Echte gegevens\.", banner.group(1)), banner.group(1)
        found = SYNTHETIC_WORDS.findall(_visible(page))
        assert not found, f"{page.name} says {found[:3]} in a build on real files"
    # charts carry the data source in their specs (subtitle); none may say synthetic
    for page in pages[1:]:
        specs = re.findall(r"<script[^>]*>(.*?)</script>", page.read_text(encoding="utf-8"), re.S)
        for spec in specs:
            assert not re.search(r"Synthetic data|Synthetische gegevens", spec), page.name
