"""Determinism: the same seed gives the same results; another seed gives other results.

Runs every chapter of ``CHAPTERS`` on a small cohort in a fresh project root (the ``e2e`` group's
shared small book is the first run; the other seed runs three independent chapters) and compares the results stores, the glued values and the
executed notebooks. Two runs in different folders must produce identical bytes, which is what lets
``make book`` reproduce the committed ``book/chapters`` exactly.

Another machine may sum in another order: a run of the chapters that fit models with a BLAS thread
per core (``OPENBLAS_NUM_THREADS`` and friends set to the core count; the shared run uses the
pipeline's default, one BLAS thread per chapter) must still give byte-identical executed
notebooks, because chart specs carry rounded numbers and glued values are formatted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml
from conftest import make_small_project

from trustexp.report.contents import CHAPTERS

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
# The other-seed run is limited to the first three chapters that read no other chapter's results:
# enough to show that the seed reaches the results, at a fraction of a full run's time.
OTHER_SEED = tuple([c for c in CHAPTERS if not c.deps][:3])
# Chapters whose numbers come from BLAS-backed fits (OLS/ANCOVA, GLM, mixed models), cheap enough.
BLAS_CHAPTERS = tuple(c for c in CHAPTERS if c.key in ("balance", "outflow", "wellbeing"))
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def glued_values(nb: nbformat.NotebookNode) -> dict[str, str]:
    """``{glue name: text}`` of an executed notebook (myst-nb stores them as papermill records)."""
    values: dict[str, str] = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is None:
                continue
            data = out.get("data", {})
            values[name] = next(
                (str(v) for k, v in data.items() if k.startswith("application/papermill.record")),
                "",
            )
    return values


def run_state(root: Path, name: str = "small", chapters=CHAPTERS) -> dict[str, dict]:
    """Results stores, glued values and executed notebook bytes of a run, per chapter."""
    from trustexp.config import load_params
    from trustexp.report.pipeline import default_out_dir

    params = load_params(root / "params" / f"{name}.yml")
    out = default_out_dir(root, name)
    state: dict[str, dict] = {"stores": {}, "glued": {}, "notebooks": {}}
    for spec in chapters:
        store = params.results_dir(root) / f"{spec.key}.parquet"
        if store.is_file():
            state["stores"][spec.key] = pd.read_parquet(store)
        data = (out / spec.notebook).read_bytes()
        state["notebooks"][spec.key] = data
        state["glued"][spec.key] = glued_values(nbformat.reads(data.decode(), as_version=4))
    return state


@pytest.fixture(scope="session")
def first(small_book_session):
    return run_state(small_book_session[0])


@pytest.fixture(scope="session")
def same_seed(tmp_path_factory):
    root, _, _ = make_small_project(tmp_path_factory.mktemp("same-seed"), build=False)
    return run_state(root)


@pytest.fixture(scope="session")
def other_seed(tmp_path_factory, small_book_session):
    seed = yaml.safe_load((small_book_session[0] / "params/small.yml").read_text())["seed"]
    root, _, _ = make_small_project(
        tmp_path_factory.mktemp("other-seed"), seed=seed + 1, build=False, chapters=OTHER_SEED
    )
    return run_state(root, chapters=OTHER_SEED)


def blas_threads(env: dict[str, str]) -> list[int]:
    """The BLAS thread counts numpy would use in a process with ``env`` (threadpoolctl)."""
    code = "import json, numpy, threadpoolctl; print(json.dumps([i['num_threads'] for i in threadpoolctl.threadpool_info() if i['user_api'] == 'blas']))"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


CORES = os.cpu_count() or 1


@pytest.fixture(scope="session")
def threaded_blas(tmp_path_factory):
    """The BLAS chapters run again with a BLAS thread per core (the pipeline passes a count the
    environment sets to the chapters' kernels instead of its default of one)."""
    saved = {k: os.environ.get(k) for k in BLAS_THREADS}
    os.environ.update(dict.fromkeys(BLAS_THREADS, str(CORES)))
    try:
        assert blas_threads(dict(os.environ)) == [CORES]
        root, _, _ = make_small_project(
            tmp_path_factory.mktemp("blas-threads"), build=False, chapters=BLAS_CHAPTERS
        )
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return run_state(root, chapters=BLAS_CHAPTERS)


def _first_difference(a: bytes, b: bytes) -> str:
    la, lb = a.decode().splitlines(), b.decode().splitlines()
    for i, (x, y) in enumerate(zip(la, lb, strict=False), start=1):
        if x != y:
            return f"line {i}:\n    first run:  {x[:200]}\n    second run: {y[:200]}"
    return f"lengths differ ({len(la)} vs {len(lb)} lines)"


def test_same_seed_gives_identical_results_stores(first, same_seed):
    assert set(first["stores"]) == set(same_seed["stores"])
    for key, frame in first["stores"].items():
        pd.testing.assert_frame_equal(frame, same_seed["stores"][key], check_exact=True, obj=key)


def test_same_seed_gives_identical_glued_values(first, same_seed):
    for key, glued in first["glued"].items():
        other = same_seed["glued"][key]
        changed = {k: (v, other.get(k)) for k, v in glued.items() if other.get(k) != v}
        assert not changed and set(glued) == set(other), f"chapter {key}: {changed}"


def test_same_seed_in_another_folder_gives_byte_identical_notebooks(first, same_seed):
    for key, data in first["notebooks"].items():
        other = same_seed["notebooks"][key]
        assert data == other, f"chapter {key} differs at {_first_difference(data, other)}"


def test_another_seed_gives_other_results_and_glued_values(first, other_seed):
    same_store = [
        key
        for key, frame in first["stores"].items()
        if key in other_seed["stores"] and frame.equals(other_seed["stores"][key])
    ]
    assert not same_store, f"results store unchanged by a new seed: {same_store}"
    all_first = {(k, n): v for k, g in first["glued"].items() for n, v in g.items()}
    all_other = {(k, n): v for k, g in other_seed["glued"].items() for n, v in g.items()}
    assert {k for k in all_other} <= all_first.keys()
    all_first = {k: v for k, v in all_first.items() if k in all_other}
    assert all_first != all_other, "no glued value changed with a new seed"


def test_chapters_get_one_blas_thread_unless_the_environment_sets_a_count(monkeypatch):
    from trustexp.report.pipeline.scheduler import chapter_env

    for name in BLAS_THREADS:
        monkeypatch.delenv(name, raising=False)
    env = chapter_env()
    assert {k: env[k] for k in BLAS_THREADS} == dict.fromkeys(BLAS_THREADS, "1")
    assert blas_threads({**os.environ, **env}) == [1]
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    assert "OPENBLAS_NUM_THREADS" not in chapter_env()


def test_blas_threading_changes_no_notebook_byte(first, threaded_blas):
    if CORES < 2:
        pytest.skip("one core: a BLAS thread per core is the default of one")
    for spec in BLAS_CHAPTERS:
        data, other = first["notebooks"][spec.key], threaded_blas["notebooks"][spec.key]
        assert data == other, f"chapter {spec.key} differs at {_first_difference(data, other)}"
    for key, frame in threaded_blas["stores"].items():
        pd.testing.assert_frame_equal(frame, first["stores"][key], check_exact=False, obj=key)
