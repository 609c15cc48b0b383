"""Failure: a failing cell, a corrupted input or a broken page leaves the last good book in place.

Each test copies the ``e2e`` group's small built project, breaks one thing and runs what a user
runs (``trustexp all`` in that folder, or ``build_book``). The command must fail, say what failed
(chapter and cell, or file, column and value, or page) and leave the built HTML, the executed
chapters, the results store and the cohort exactly as they were.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from trustexp.report.contents import CHAPTERS

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
BROKEN = 'raise RuntimeError("deliberately broken by test_failure")'


def snapshot(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (relative path -> digest)."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def state(root: Path) -> dict[str, dict[str, str]]:
    """What must survive a failure: the built book, executed chapters, results and cohort."""
    return {
        "html": snapshot(root / "book/_build/small/html"),
        "chapters": snapshot(root / "book/_build/small/chapters"),
        "results": snapshot(root / "results/small"),
        "cohort": snapshot(root / "data/cohort/small"),
    }


@pytest.fixture
def project(small_book_session, tmp_path) -> Path:
    """A private copy of the small built project."""
    root = tmp_path / "project"
    shutil.copytree(small_book_session[0], root, symlinks=True)
    return root


def trustexp(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``trustexp`` command line in ``root`` as a user would."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for key, sub in (("MPLCONFIGDIR", "mpl"), ("IPYTHONDIR", "ipython")):
        env[key] = str(root / ".test-env" / sub)
    env["JUPYTER_RUNTIME_DIR"] = str(root / ".test-env" / "runtime")
    return subprocess.run(
        [sys.executable, "-m", "trustexp", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_failing_cell_names_chapter_and_cell_and_keeps_the_last_good_book(project):
    spec = CHAPTERS[0]
    source = project / "notebooks" / spec.notebook
    nb = nbformat.read(source, as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    at = code[1] + 1  # after the parameters cell and the setup cell
    nb.cells.insert(at, nbformat.v4.new_code_cell(BROKEN))
    nbformat.write(nb, source)
    expected_cell = sum(c.cell_type == "code" for c in nb.cells[: at + 1])
    before = state(project)

    proc = trustexp(project, "all", "--params", "params/small.yml")

    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert f"chapter {spec.key!r} failed in cell {expected_cell}" in proc.stderr, out
    assert "RuntimeError: deliberately broken by test_failure" in proc.stderr, out
    kept = Path(".trustexp-cache/small/failed") / spec.notebook
    assert str(kept) in proc.stderr, out
    assert f"FAILED  {spec.notebook}" in proc.stdout, out
    dependents = [c.key for c in CHAPTERS if spec.key in c.deps]
    if dependents:
        assert "not run because a dependency failed" in proc.stderr, out
    after = state(project)
    assert after["html"] == before["html"], "the built book changed after a failed run"
    assert after["chapters"][spec.notebook] == before["chapters"][spec.notebook]
    store = f"{spec.key}.parquet"
    assert after["results"].get(store) == before["results"].get(store)
    failed = nbformat.read(project / kept, as_version=4)
    errors = [o for c in failed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors and errors[0].evalue == "deliberately broken by test_failure"


def test_corrupted_input_file_is_refused_with_file_column_and_value(project):
    from trustexp.data.codebook import TABLES
    from trustexp.data.cohort import read_cohort

    cohort = read_cohort(project / "data/cohort/small", load_registry=True)
    raw = project / "data/raw_broken"
    raw.mkdir(parents=True)
    for table in TABLES:
        frame = cohort.table(table).copy()
        if table == "population":
            frame["age"] = frame["age"].astype(object)
            frame.loc[frame.index[4], "age"] = "veertig"
        frame.to_csv(raw / f"{table}.csv", index=False, date_format="%Y-%m-%d")
    params = yaml.safe_load((project / "params/small.yml").read_text())
    params["data"] = {"source": "raw", "raw_dir": "data/raw_broken"}
    (project / "params/small.yml").write_text(yaml.safe_dump(params, sort_keys=False))
    before = state(project)

    proc = trustexp(project, "all", "--params", "params/small.yml")

    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    for part in ("population.csv", "'age'", "'veertig'"):
        assert part in proc.stderr, out
    assert "Traceback" not in out
    assert state(project) == before, "a refused input changed the book, results or cohort"


def test_broken_page_fails_the_build_and_keeps_the_last_good_book(project):
    from trustexp.report.build import BuildFailed, build_book

    page = project / "book" / "intro.md"
    page.write_text(page.read_text() + "\nSee {doc}`no_such_page_for_test_failure`.\n")
    before = state(project)

    with pytest.raises(BuildFailed) as err:
        build_book("params/small.yml", project, force=True, log=lambda _: None)

    message = str(err.value)
    assert "previous book is left in place" in message
    assert "intro" in message and "no_such_page_for_test_failure" in message, message
    assert state(project) == before
