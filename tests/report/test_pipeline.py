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
from trustexp.report.contents import ChapterSpec
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


# --------------------------------------------------------------------------- environment (issue 15)


def _fake_distribution(site: Path, version: str) -> None:
    """An installed distribution as importlib.metadata sees it: a ``.dist-info`` folder."""
    for old in site.glob("trustexp_fake_pin-*.dist-info"):
        for f in old.iterdir():
            f.unlink()
        old.rmdir()
    info = site / f"trustexp_fake_pin-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: trustexp-fake-pin\nVersion: {version}\n"
    )


def test_a_changed_installed_version_reruns_and_an_unchanged_one_does_not(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    _fake_distribution(site, "1.0")
    monkeypatch.syspath_prepend(str(site))
    write_notebook(project.notebooks / "a.ipynb", *counting("a"))
    chapters = [ChapterSpec("a", "a.ipynb", "A")]

    assert statuses(project.run(chapters)) == {"a": "ok"}
    assert statuses(project.run(chapters)) == {"a": "cached"}  # same environment
    _fake_distribution(site, "1.1")  # as after `pip install trustexp-fake-pin==1.1`
    assert statuses(project.run(chapters)) == {"a": "ok"}
    assert statuses(project.run(chapters)) == {"a": "cached"}
    assert project.runs() == ["a", "a"]


def test_environment_lists_installed_distributions_with_versions() -> None:
    from importlib import metadata

    from trustexp.report.pipeline import installed_packages

    listed = installed_packages()
    assert listed == sorted(listed)
    assert f"pandas=={metadata.version('pandas')}" in listed
    assert not any(p.startswith("pip==") for p in listed)


# --------------------------------------------------------------------------- parameter reads


def test_a_changed_parameter_reruns_only_the_chapters_that_read_it(project: Project) -> None:
    params = project.root / "params" / "t.yml"
    params.parent.mkdir()

    def write_params(alpha: float, permutations: int) -> ParamSet:
        params.write_text(
            "name: t\nmunicipality: Test\nseed: 1\n"
            f"analysis: {{alpha: {alpha}, n_permutations: {permutations}}}\n"
        )
        return ParamSet.load(PARAMS_FILE, project.root)

    opening = "from trustexp import chapter\nch = chapter.open('{}', params_file)"
    write_notebook(
        project.notebooks / "a.ipynb",
        *counting("a", opening.format("a"), "print(ch.params.analysis.alpha)"),
    )
    write_notebook(
        project.notebooks / "b.ipynb",
        *counting("b", opening.format("b"), "print(ch.params.analysis.n_permutations)"),
    )
    write_notebook(project.notebooks / "c.ipynb", *counting("c"))  # opens no Chapter
    chapters = [ChapterSpec(k, f"{k}.ipynb", k.upper()) for k in "abc"]

    first = project.run(chapters, param_set=write_params(0.05, 1000))
    assert statuses(first) == {"a": "ok", "b": "ok", "c": "ok"}
    record = json.loads((project.cache_dir / "a.json").read_text())
    assert record["params_read"] == ["analysis.alpha", "analysis.disclosure_threshold"] or (
        "analysis.alpha" in record["params_read"]
        and "analysis.n_permutations" not in record["params_read"]
    )
    assert json.loads((project.cache_dir / "c.json").read_text())["params_read"] is None

    # the record's key is the one the next run computes: nothing re-runs
    same = project.run(chapters, param_set=write_params(0.05, 1000))
    assert statuses(same) == {"a": "cached", "b": "cached", "c": "cached"}

    more = project.run(chapters, param_set=write_params(0.05, 2000))
    assert statuses(more) == {"a": "cached", "b": "ok", "c": "ok"}  # c: reads unknown
    other = project.run(chapters, param_set=write_params(0.10, 2000))
    assert statuses(other) == {"a": "ok", "b": "cached", "c": "ok"}
    assert sorted(project.runs()) == ["a", "a", "b", "b", "c", "c", "c"]
    keys = chapter_keys(
        chapters,
        notebooks_dir=project.notebooks,
        params_file=PARAMS_FILE,
        param_set=ParamSet.load(PARAMS_FILE, project.root),
        code_dir=project.code,
    )
    assert {k: v["key"] for k, v in keys.items()} == {k: c.key for k, c in other.chapters.items()}


# --------------------------------------------------------------------------- warm and cold workers


def test_warm_and_cold_workers_write_identical_notebooks(project: Project) -> None:
    write_notebook(
        project.notebooks / "a.ipynb",
        "import sys, warnings\nprint(sys.argv[0].endswith('ipykernel_launcher.py'))",
        "import pandas as pd\npd.DataFrame({'x': [1.5, 2.25]})",
        "print(sorted({'b', 'a', 'c'}), hash('trustexp'))",
        "import os\nprint(os.environ['PYTHONHASHSEED'], os.getcwd() == str(__import__('pathlib').Path('.').resolve()))",
    )
    chapters = [ChapterSpec("a", "a.ipynb", "A")]
    assert project.run(chapters, executor="cold").ok
    cold = (project.out_dir / "a.ipynb").read_bytes()
    assert project.run(chapters, executor="warm", force=True).ok
    warm = (project.out_dir / "a.ipynb").read_bytes()
    assert warm == cold
    assert "True\\n" in warm.decode()


@pytest.mark.parametrize("executor", ["warm", "cold"])
def test_a_chapter_that_kills_its_kernel_or_worker_is_isolated(
    project: Project, executor: str
) -> None:
    write_notebook(project.notebooks / "ok.ipynb", *counting("ok", "import time; time.sleep(1)"))
    write_notebook(project.notebooks / "dies.ipynb", "x = 1", "import os\nos._exit(3)")
    write_notebook(project.notebooks / "exits.ipynb", "import sys\nsys.exit(4)")
    chapters = [
        ChapterSpec("dies", "dies.ipynb", "D"),
        ChapterSpec("exits", "exits.ipynb", "E"),
        ChapterSpec("ok", "ok.ipynb", "O"),
    ]
    report = project.run(chapters, executor=executor)
    assert statuses(report) == {"dies": "failed", "exits": "failed", "ok": "ok"}
    dies = report.chapters["dies"]
    assert dies.cell == 3 and dies.cell_source == "import os", dies
    assert "DeadKernelError" in dies.error
    exits = report.chapters["exits"]
    assert exits.cell == 2 and exits.error == "SystemExit: 4"
    assert project.runs() == ["ok"]


def test_the_preloaded_interpreter_starts_no_python_threads() -> None:
    import subprocess
    import sys

    code = (
        "import threading\n"
        "from trustexp.report.pipeline.warm import preload\n"
        "failed = preload()\n"
        "print(threading.active_count(), ','.join(failed) or '-')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["1", "-"], out


def test_a_fresh_clone_starts_the_longest_chain_first(tmp_path: Path) -> None:
    from trustexp.report.contents import CHAPTERS, chapter
    from trustexp.report.pipeline.keys import record_file, topological, write_record
    from trustexp.report.pipeline.scheduler import priorities

    order = topological(CHAPTERS)
    first = priorities(order, tmp_path)  # nothing timed yet: each chapter's ``cost``
    robustness = chapter("robustness")
    assert first["robustness"] == robustness.cost + max(
        first[c.key] for c in CHAPTERS if "robustness" in c.deps
    )
    roots = sorted((s for s in order if not s.deps), key=lambda s: -first[s.key])
    assert {roots[0].key, roots[1].key} <= set(robustness.deps)  # the chain into robustness
    write_record(record_file(tmp_path, "design"), {"seconds": 100.0})
    assert priorities(order, tmp_path)["design"] == 100.0 + max(
        (first[c.key] for c in CHAPTERS if "design" in c.deps), default=0.0
    )


def test_a_preloaded_interpreter_closed_unused_is_stopped_not_awaited(tmp_path: Path) -> None:
    import signal

    from trustexp.report.pipeline.scheduler import preloaded_interpreter

    zygote = preloaded_interpreter(tmp_path, tmp_path / "cache")
    zygote.start()
    proc = zygote._proc
    zygote.close()  # before its imports are done: killed, not waited for
    assert proc is not None and proc.returncode == -signal.SIGKILL
    zygote.close()  # twice is harmless


def test_preloading_starts_early_only_when_a_chapter_has_never_run(tmp_path: Path) -> None:
    import shutil

    from trustexp.layout import Layout
    from trustexp.report.contents import CHAPTERS
    from trustexp.report.pipeline.keys import record_file, write_record
    from trustexp.report.pipeline.scheduler import start_preloading

    repo = Path(__file__).resolve().parents[2]
    shutil.copytree(repo / "params", tmp_path / "params")
    assert start_preloading("params/oss.yml", tmp_path, "cold") is None
    zygote = start_preloading("params/oss.yml", tmp_path, "warm")  # a fresh clone
    assert zygote is not None
    zygote.close()
    cache = Layout(tmp_path, "oss").cache_dir
    for spec in CHAPTERS:
        write_record(record_file(cache, spec.key), {"seconds": 1.0})
    assert start_preloading("params/oss.yml", tmp_path, "warm") is None  # run it lazily
