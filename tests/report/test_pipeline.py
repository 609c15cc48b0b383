"""The chapter pipeline: cache keys, dependency order, parallelism, failure isolation, atomicity.

Every test executes tiny notebooks (made here with nbformat) with papermill in a tmp project;
each notebook appends its name to ``runs.log`` in the working directory, so a test can see
exactly which chapters executed.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from trustexp.errors import ChapterFailed, TrustexpError
from trustexp.report import notebooks as nbtools
from trustexp.report.chapters import ChapterSpec
from trustexp.report.pipeline import (
    ParamSet,
    RunReport,
    chapter_keys,
    default_out_dir,
    run_chapters,
)

PARAMS_FILE = "params/t.yml"


def write_notebook(path: Path, *cells: str) -> None:
    """A source notebook: a title, the ``parameters`` cell, then ``cells`` as code cells."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('params_file = "params/default.yml"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# A chapter"), params]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def counting(name: str, *more: str) -> tuple[str, ...]:
    """Cells of a chapter that records that it ran, then runs ``more``."""
    return (f"open('runs.log', 'a').write('{name}\\n')", *more)


class Project:
    """A throw-away project folder with notebooks, a code folder, a manifest and a parameter set."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.notebooks = root / "notebooks"
        self.code = root / "code"
        (self.code / "sub").mkdir(parents=True)
        (self.code / "mod.py").write_text("X = 1\n")
        (self.code / "sub" / "defaults.yml").write_text("a: 1\n")
        self.param_set = ParamSet("t", "digest-1", root / "cohort", root / "results" / "t")
        self.param_set.cohort_dir.mkdir()
        self.param_set.manifest.write_text('{"population": "aaa"}\n')
        self.lines: list[str] = []

    def run(self, chapters: list[ChapterSpec], **kwargs: object) -> RunReport:
        self.lines.clear()
        kwargs.setdefault("jobs", 2)
        return run_chapters(
            PARAMS_FILE,
            root=self.root,
            chapters=chapters,
            param_set=kwargs.pop("param_set", self.param_set),  # type: ignore[arg-type]
            code_dir=self.code,
            log=self.lines.append,
            **kwargs,  # type: ignore[arg-type]
        )

    def runs(self) -> list[str]:
        log = self.root / "runs.log"
        return log.read_text().split() if log.exists() else []

    @property
    def out_dir(self) -> Path:
        return default_out_dir(self.root, self.param_set.name)

    @property
    def cache_dir(self) -> Path:
        return self.root / ".trustexp-cache" / self.param_set.name


def statuses(report: RunReport) -> dict[str, str]:
    return {key: c.status for key, c in report.chapters.items()}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def test_unchanged_chapter_is_cached_until_an_output_disappears(project: Project) -> None:
    results = "import pathlib; p = pathlib.Path('results/t'); p.mkdir(parents=True, exist_ok=True)"
    write_notebook(
        project.notebooks / "01_a.ipynb",
        *counting("a", results, "(p / 'a.parquet').write_bytes(b'x')"),
    )
    chapters = [ChapterSpec("a", "01_a.ipynb", "A")]

    first = project.run(chapters)
    assert statuses(first) == {"a": "ok"} and first.ok
    assert any(line.startswith("  ran     01_a.ipynb") for line in project.lines)

    second = project.run(chapters)
    assert statuses(second) == {"a": "cached"}
    assert "  cached  01_a.ipynb" in project.lines
    assert "0 ran, 1 cached" in project.lines[-1]
    assert project.runs() == ["a"]

    (project.param_set.results_dir / "a.parquet").unlink()  # produced last time: needed again
    assert statuses(project.run(chapters)) == {"a": "ok"}
    (project.out_dir / "01_a.ipynb").unlink()
    assert statuses(project.run(chapters)) == {"a": "ok"}
    assert project.runs() == ["a", "a", "a"]
    assert statuses(project.run(chapters, force=True)) == {"a": "ok"}


def _change_notebook(p: Project) -> None:
    write_notebook(p.notebooks / "01_a.ipynb", *counting("a", "y = 2"))


def _change_params(p: Project) -> ParamSet:
    return ParamSet("t", "digest-2", p.param_set.cohort_dir, p.param_set.results_dir)


def _change_manifest(p: Project) -> None:
    p.param_set.manifest.write_text('{"population": "bbb"}\n')


def _change_code(p: Project) -> None:
    (p.code / "sub" / "defaults.yml").write_text("a: 2\n")


@pytest.mark.parametrize(
    "change",
    [_change_notebook, _change_params, _change_manifest, _change_code],
    ids=lambda f: f.__name__,
)
def test_changed_input_reruns_the_chapter(project: Project, change) -> None:
    write_notebook(project.notebooks / "01_a.ipynb", *counting("a"))
    chapters = [ChapterSpec("a", "01_a.ipynb", "A")]
    assert statuses(project.run(chapters)) == {"a": "ok"}
    new_params = change(project)
    kwargs = {"param_set": new_params} if new_params else {}
    assert statuses(project.run(chapters, **kwargs)) == {"a": "ok"}
    assert project.runs() == ["a", "a"]


def test_library_code_cache_ignores_bytecode(project: Project) -> None:
    spec = [ChapterSpec("a", "01_a.ipynb", "A")]
    write_notebook(project.notebooks / "01_a.ipynb", "x = 1")

    def key() -> str:
        return chapter_keys(
            spec,
            notebooks_dir=project.notebooks,
            params_file=PARAMS_FILE,
            param_set=project.param_set,
            code_dir=project.code,
        )["a"]["key"]

    before = key()
    (project.code / "__pycache__").mkdir()
    (project.code / "__pycache__" / "mod.cpython-311.py").write_text("junk")
    assert key() == before
    (project.code / "new.py").write_text("")
    assert key() != before


def test_dependency_runs_first_and_its_new_key_reruns_dependents(project: Project) -> None:
    write_notebook(
        project.notebooks / "a.ipynb",
        *counting("a", "import time; time.sleep(0.5)", "open('from_a.txt', 'w').write('42')"),
    )
    write_notebook(
        project.notebooks / "b.ipynb",
        *counting("b", "assert open('from_a.txt').read() == '42'"),
    )
    write_notebook(project.notebooks / "c.ipynb", *counting("c"))
    # b listed first: the pipeline must still wait for a
    chapters = [
        ChapterSpec("b", "b.ipynb", "B", deps=("a",)),
        ChapterSpec("a", "a.ipynb", "A"),
        ChapterSpec("c", "c.ipynb", "C"),
    ]
    first = project.run(chapters)
    assert statuses(first) == {"b": "ok", "a": "ok", "c": "ok"}
    assert project.runs().index("a") < project.runs().index("b")

    write_notebook(
        project.notebooks / "a.ipynb",
        *counting("a", "open('from_a.txt', 'w').write('42')", "# changed"),
    )
    second = project.run(chapters)
    assert statuses(second) == {"b": "ok", "a": "ok", "c": "cached"}
    keys = {k: c.key for k, c in second.chapters.items()}
    assert keys["b"] != {k: c.key for k, c in first.chapters.items()}["b"]


def test_independent_chapters_run_in_parallel(project: Project) -> None:
    stamp = (
        "import time, pathlib; pathlib.Path('times').mkdir(exist_ok=True)\n"
        "start = time.time(); time.sleep(1.5)\n"
        "pathlib.Path('times', NAME).write_text(f'{start} {time.time()}')"
    )
    for name in ("p", "q"):
        write_notebook(project.notebooks / f"{name}.ipynb", f"NAME = {name!r}", stamp)
    chapters = [ChapterSpec("p", "p.ipynb", "P"), ChapterSpec("q", "q.ipynb", "Q")]
    assert project.run(chapters, jobs=2).ok
    spans = [tuple(map(float, (project.root / "times" / n).read_text().split())) for n in "pq"]
    starts, ends = [s for s, _ in spans], [e for _, e in spans]
    assert max(starts) < min(ends), f"chapters did not overlap: {spans}"


def test_failing_chapter_is_isolated_and_reported(project: Project) -> None:
    write_notebook(project.notebooks / "a.ipynb", *counting("a"))
    write_notebook(project.notebooks / "f.ipynb", *counting("f"), "x = 1")
    write_notebook(project.notebooks / "d.ipynb", *counting("d"))
    chapters = [
        ChapterSpec("a", "a.ipynb", "A"),
        ChapterSpec("f", "f.ipynb", "F"),
        ChapterSpec("d", "d.ipynb", "D", deps=("f",)),
    ]
    assert project.run(chapters).ok
    good = (project.out_dir / "f.ipynb").read_bytes()
    record = json.loads((project.cache_dir / "f.json").read_text())

    (project.code / "mod.py").write_text("X = 2\n")  # every key changes, so a must run again
    write_notebook(
        project.notebooks / "f.ipynb",
        *counting("f"),
        "x = 1",
        "values = [1, 2]\nraise ValueError(f'bad values {values}')",
        "print('never reached')",
    )
    report = project.run(chapters)

    assert statuses(report) == {"a": "ok", "f": "failed", "d": "skipped"}
    assert not report.ok
    failed = report.failed[0]
    assert failed.cell == 4  # the parameters cell is code cell 1
    assert failed.cell_source == "values = [1, 2]"
    assert failed.error == "ValueError: bad values [1, 2]"
    assert any(
        line.startswith("  FAILED  f.ipynb  cell 4") and "ValueError: bad values" in line
        for line in project.lines
    )
    assert (project.out_dir / "f.ipynb").read_bytes() == good
    assert json.loads((project.cache_dir / "f.json").read_text())["key"] == record["key"]
    kept = nbformat.read(project.cache_dir / "failed" / "f.ipynb", as_version=4)
    errors = [
        o
        for c in kept.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert [e.ename for e in errors] == ["ValueError"]
    assert project.runs().count("d") == 1  # only the first run

    with pytest.raises(ChapterFailed) as info:
        report.raise_for_failure()
    assert info.value.chapter == "f" and info.value.cell == 4
    assert "values = [1, 2]" in str(info.value)
    assert "not run because a dependency failed: d" in str(info.value)
    assert info.value.notebook == str(Path(".trustexp-cache/t/failed/f.ipynb"))


def test_crash_while_post_processing_leaves_the_book_alone(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_notebook(project.notebooks / "a.ipynb", *counting("a"))
    chapters = [ChapterSpec("a", "a.ipynb", "A")]
    assert project.run(chapters).ok
    good = (project.out_dir / "a.ipynb").read_bytes()
    record = (project.cache_dir / "a.json").read_bytes()

    def crash(nb: nbformat.NotebookNode, root: object = None) -> nbformat.NotebookNode:
        raise OSError("disk full")

    monkeypatch.setattr(nbtools, "clean_executed", crash)
    write_notebook(project.notebooks / "a.ipynb", *counting("a"), "y = 1")
    report = project.run(chapters)

    assert statuses(report) == {"a": "failed"}
    assert "post-processing failed: OSError: disk full" in report.chapters["a"].error
    assert (project.out_dir / "a.ipynb").read_bytes() == good
    assert sorted(p.name for p in project.out_dir.iterdir()) == ["a.ipynb"]
    assert list((project.cache_dir / "tmp").iterdir()) == []
    assert (project.cache_dir / "a.json").read_bytes() == record


def test_executed_notebooks_are_clean_and_byte_stable(project: Project) -> None:
    write_notebook(
        project.notebooks / "a.ipynb",
        "import os; print(os.getcwd() + '/data/x.csv')",
        "import time; time.sleep(0.2); {'a': 1}",
    )
    chapters = [ChapterSpec("a", "a.ipynb", "A")]
    assert project.run(chapters).ok
    first = (project.out_dir / "a.ipynb").read_bytes()
    assert project.run(chapters, force=True).ok
    second = (project.out_dir / "a.ipynb").read_bytes()
    assert first == second
    assert first.endswith(b"}\n")

    text = first.decode()
    for volatile in (
        "start_time",
        "end_time",
        "duration",
        "input_path",
        "output_path",
        '"execution"',
    ):
        assert volatile not in text
    assert str(project.root) not in text
    nb = nbformat.reads(text, as_version=4)
    assert nb.metadata.papermill.parameters == {"params_file": PARAMS_FILE}
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "remove-cell" in injected[0].metadata.tags
    assert nb.cells[3].outputs[0].text == "./data/x.csv\n"


def test_missing_manifest_is_reported_and_bad_dags_refused(project: Project) -> None:
    project.param_set.manifest.unlink()
    write_notebook(project.notebooks / "a.ipynb", "x = 1")
    chapters = [
        ChapterSpec("a", "a.ipynb", "A", deps=("b",)),
        ChapterSpec("b", "a.ipynb", "B", ("a",)),
    ]
    with pytest.raises(TrustexpError, match="cycle"):
        project.run(chapters)
    with pytest.raises(TrustexpError, match="unknown chapter"):
        project.run([ChapterSpec("a", "a.ipynb", "A", deps=("zz",))])
    with pytest.raises(TrustexpError, match="not found"):
        project.run([ChapterSpec("a", "nope.ipynb", "A")])
    keys = chapter_keys(
        [ChapterSpec("a", "a.ipynb", "A")],
        notebooks_dir=project.notebooks,
        params_file=PARAMS_FILE,
        param_set=project.param_set,
        code_dir=project.code,
    )
    assert keys["a"]["parts"]["data"] is None


def test_default_out_dir_depends_on_the_set() -> None:
    assert default_out_dir(Path("r"), "oss") == Path("r/book/chapters")
    assert default_out_dir(Path("r"), "tilburg") == Path("r/book/_build/tilburg/chapters")


def test_param_set_load_uses_the_validated_parameters(tmp_path: Path) -> None:
    config = pytest.importorskip("trustexp.config", exc_type=ImportError)
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "t.yml").write_text("name: t\nmunicipality: Test\nseed: 1\n")
    ps = ParamSet.load("params/t.yml", tmp_path)
    params = config.load_params(tmp_path / "params" / "t.yml")
    assert ps == ParamSet(
        "t", params.digest(), params.cohort_dir(tmp_path), params.results_dir(tmp_path)
    )


def test_rerun_replaces_the_results_file_and_a_failure_restores_it(project: Project) -> None:
    results = project.param_set.results_dir / "a.parquet"
    results.parent.mkdir(parents=True)
    results.write_bytes(b"rows the chapter no longer writes")
    spec = ChapterSpec("a", "a.ipynb", "A")
    write_notebook(project.notebooks / "a.ipynb", *counting("a"))
    assert project.run([spec]).ok
    assert not results.exists(), "a chapter that writes no results must not keep stale ones"

    results.write_bytes(b"last good rows")
    write_notebook(project.notebooks / "a.ipynb", *counting("a", "raise RuntimeError('boom')"))
    assert not project.run([spec], force=True).ok
    assert results.read_bytes() == b"last good rows"
