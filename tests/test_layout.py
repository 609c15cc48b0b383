"""One owner of paths: ``trustexp.layout`` and ``Params.layout``."""

from __future__ import annotations

from pathlib import Path

import yaml

from trustexp.config import load_params
from trustexp.layout import DEFAULT_PARAMS, DEFAULT_SET, Layout, generated_paths

ROOT = Path(__file__).resolve().parents[1]


def test_the_default_set_is_the_one_in_the_default_file():
    assert DEFAULT_SET == DEFAULT_PARAMS.stem
    assert load_params(ROOT / DEFAULT_PARAMS).name == DEFAULT_SET
    assert yaml.safe_load((ROOT / DEFAULT_PARAMS).read_text())["name"] == DEFAULT_SET


def test_default_set_writes_the_committed_folders():
    lay = Layout(Path("r"), DEFAULT_SET)
    assert lay.is_default
    assert lay.chapters_dir == Path("r/book/chapters")
    assert lay.source_dir == Path("r/book")
    assert lay.html_dir == Path("r/book/_build/html")
    assert lay.cohort_dir == Path(f"r/data/cohort/{DEFAULT_SET}")
    assert lay.results_dir == Path(f"r/results/{DEFAULT_SET}")
    assert lay.cache_dir == Path(f"r/.trustexp-cache/{DEFAULT_SET}")


def test_another_set_stays_under_its_own_build_folder():
    lay = Layout(Path("r"), "tilburg")
    assert not lay.is_default
    for folder in (lay.chapters_dir, lay.source_dir, lay.html_dir, lay.generated_dir):
        assert folder.is_relative_to(Path("r/book/_build/tilburg")), folder
    assert lay.cohort_dir == Path("r/data/cohort/tilburg")
    assert lay.staging_dir.parent == Path("r/book/_build")
    # nothing of another set lands where the default set's committed files are
    assert not lay.chapters_dir.is_relative_to(Layout(Path("r"), DEFAULT_SET).chapters_dir)


def test_params_layout_and_folder_methods_agree(small_params):
    lay = small_params.layout("root")
    assert lay == Layout(Path("root"), small_params.name)
    assert small_params.cohort_dir("root") == lay.cohort_dir
    assert small_params.results_dir("root") == lay.results_dir


def test_clean_removes_every_generated_folder_and_nothing_committed():
    paths = generated_paths(Path("r"))
    lay = Layout(Path("r"), "x")
    for folder in (lay.build_dir, lay.cache_dir, lay.results_dir, lay.cohort_dir):
        assert any(folder.is_relative_to(p) for p in paths), folder
    committed = Layout(Path("r"), DEFAULT_SET).chapters_dir
    assert not any(committed.is_relative_to(p) for p in paths)
