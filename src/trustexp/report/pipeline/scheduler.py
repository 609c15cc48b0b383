"""The scheduler: which chapter runs when, and what becomes of its executed notebook.

Chapters start once every chapter they depend on has succeeded, at most ``jobs`` at once, the
longest remaining path first (by each chapter's time in its last run), so that the slowest chain
is never left for the end. An unchanged chapter whose outputs are still in place is settled as
cached without starting anything. A chapter's executed notebook is written to a temporary file in
the cache folder, post-processed (``notebooks.clean_executed``) and only then moved into the
output folder, so the last good chapter is never half-overwritten. A failing chapter keeps its
executed notebook under ``<cache>/failed/``; chapters that need it are skipped, independent ones
still run.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from trustexp.errors import ChapterFailed, TrustexpError
from trustexp.files import move_atomic, sha256_bytes, sha256_file_or_none
from trustexp.params_reads import ENV_VAR as READS_ENV_VAR
from trustexp.params_reads import read_paths
from trustexp.report.contents import ChapterSpec
from trustexp.report.pipeline import keys as K
from trustexp.report.pipeline.job import Job

if TYPE_CHECKING:
    from trustexp.report.pipeline.warm import Zygote

Status = Literal["ok", "cached", "failed", "skipped"]
Executor = Literal["warm", "cold"]

COMMON_ENV = {"PYTHONHASHSEED": "0", "JUPYTER_PLATFORM_DIRS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}  # fmt: skip
"""Environment of every worker and kernel (the preloaded interpreter is started with it too)."""

BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def chapter_env() -> dict[str, str]:
    """``COMMON_ENV`` and one BLAS thread per chapter, unless the environment sets a count.

    The pipeline keeps every core busy with chapters (and the robustness chapter's simulation
    workers); BLAS threads on top of them only contend: the outflow chapter used 8.7 s of CPU
    for 6.2 s with a BLAS thread per core, and the chapter beside it waited. The numbers do not
    depend on it (``tests/test_determinism.py`` compares one thread with one per core).
    """
    return {**COMMON_ENV, **{k: "1" for k in BLAS_THREADS if k not in os.environ}}


def default_executor() -> Executor:
    """``warm`` where processes can be forked (Linux and other POSIX), else ``cold``."""
    return "warm" if hasattr(os, "fork") and sys.platform != "darwin" else "cold"


# --------------------------------------------------------------------------- report


@dataclass
class ChapterResult:
    """Outcome of one chapter in a run."""

    chapter: str
    notebook: str
    status: Status
    seconds: float = 0.0
    key: str = ""
    cell: int | None = None
    cell_source: str = ""
    error: str = ""
    kept: Path | None = None

    def line(self, width: int = 0) -> str:
        """The progress line printed when the chapter finishes."""
        name = self.notebook.ljust(width)
        if self.status == "ok":
            return f"  ran     {name}  {self.seconds:.1f} s"
        if self.status == "cached":
            return f"  cached  {name}"
        if self.status == "skipped":
            return f"  skipped {name}  {self.error}"
        where = f"cell {self.cell}" if self.cell is not None else "kernel"
        src = f" ({self.cell_source})" if self.cell_source else ""
        return f"  FAILED  {name}  {where}{src}: {self.error}"


@dataclass
class RunReport:
    """Outcome of a run: ``chapters`` maps each chapter key to its result, in chapter order."""

    chapters: dict[str, ChapterResult]
    seconds: float
    out_dir: Path
    cache_dir: Path
    root: Path = Path(".")
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no chapter failed or was skipped."""
        return all(c.status in ("ok", "cached") for c in self.chapters.values())

    @property
    def failed(self) -> list[ChapterResult]:
        """Chapters that raised (not those skipped because of them)."""
        return [c for c in self.chapters.values() if c.status == "failed"]

    def count(self, status: Status) -> int:
        """Number of chapters with this status."""
        return sum(c.status == status for c in self.chapters.values())

    def summary(self) -> str:
        """The final total line."""
        counts = ", ".join(
            f"{self.count(s)} {label}"
            for s, label in (
                ("ok", "ran"),
                ("cached", "cached"),
                ("failed", "failed"),
                ("skipped", "skipped"),
            )
        )
        return f"  {len(self.chapters)} chapters in {self.seconds:.1f} s: {counts}"

    def raise_for_failure(self) -> None:
        """Raise ``ChapterFailed`` for the first failed chapter (naming the others) if any failed."""
        failed = self.failed
        if not failed:
            return
        first = failed[0]
        error = first.error
        if first.cell_source:
            error += f"\n  cell {first.cell} starts with: {first.cell_source}"
        others = [c.chapter for c in failed[1:]]
        skipped = [c.chapter for c in self.chapters.values() if c.status == "skipped"]
        if others:
            error += f"\n  also failed: {', '.join(others)}"
        if skipped:
            error += f"\n  not run because a dependency failed: {', '.join(skipped)}"
        kept = display_path(first.kept, self.root) if first.kept else "(no notebook was written)"
        raise ChapterFailed(first.chapter, first.cell, error, kept)


def display_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when it is inside it."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- one run


@dataclass
class Run:
    """State of one ``run_chapters`` call (kept out of module globals)."""

    root: Path
    params_file: str
    param_set: K.ParamSet
    notebooks_dir: Path
    out_dir: Path
    cache_dir: Path
    inputs: K.KeyInputs
    reads: dict[str, list[str] | None]
    log: Callable[[str], None]
    width: int
    start_timeout: float
    executor: Executor
    zygote: Any = None
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    results: dict[str, ChapterResult] = field(default_factory=dict)

    def record_file(self, spec: ChapterSpec) -> Path:
        return K.record_file(self.cache_dir, spec.key)

    def results_file(self, spec: ChapterSpec) -> Path:
        return self.param_set.results_dir / f"{spec.key}.parquet"

    def previous_results(self, spec: ChapterSpec) -> Path:
        return self.cache_dir / "tmp" / f"{spec.key}.previous.parquet"

    def reads_file(self, job: Job) -> Path:
        return Path(job.output[: -len(".ipynb")] + ".reads")

    def key_of(self, spec: ChapterSpec, reads: list[str] | None) -> dict[str, Any]:
        """The key of ``spec`` with these parameter reads (its deps' keys are final by now)."""
        notebook = sha256_bytes((self.notebooks_dir / spec.notebook).read_bytes())
        deps = {dep: self.results[dep].key for dep in spec.deps}
        return self.inputs.key(spec, notebook, deps, reads)

    def done(self, result: ChapterResult) -> None:
        self.results[result.chapter] = result
        self.log(result.line(self.width))

    def job(self, spec: ChapterSpec) -> Job:
        tmp_dir = self.cache_dir / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        # The chapter writes its results afresh: set the old file aside so that rows it no longer
        # writes do not linger in the store; it comes back if the chapter fails.
        if self.results_file(spec).is_file():
            os.replace(self.results_file(spec), self.previous_results(spec))
        fd, tmp = tempfile.mkstemp(prefix=f"{spec.key}.", suffix=".ipynb", dir=tmp_dir)
        os.close(fd)
        env_dir = self.cache_dir / "env"
        stem = tmp[: -len(".ipynb")]
        env = {
            **chapter_env(),
            "MPLCONFIGDIR": str(env_dir / "matplotlib"),
            "IPYTHONDIR": str(env_dir / spec.key / "ipython"),
            "JUPYTER_RUNTIME_DIR": str(env_dir / spec.key / "runtime"),
            READS_ENV_VAR: stem + ".reads",
        }
        log_dir = self.cache_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        return Job(
            chapter=spec.key,
            source=str((self.notebooks_dir / spec.notebook).resolve()),
            output=tmp,
            params_file=self.params_file,
            cwd=str(self.root.resolve()),
            env=env,
            log_file=str(log_dir / f"{spec.key}.log"),
            result_file=stem + ".result.json",
            start_timeout=self.start_timeout,
        )

    def execute(self, job: Job) -> dict[str, Any]:
        """Run ``job`` in a worker process (forked warm, or a fresh interpreter); its outcome."""
        job_file = job.write()
        start = time.perf_counter()
        if self.executor == "warm":
            code = self.zygote.run(job_file, Path(job.log_file))
        else:
            with open(job.log_file, "wb") as log:
                code = subprocess.run(
                    [sys.executable, "-m", "trustexp.report.pipeline.worker", str(job_file)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, **job.env},
                    check=False,
                ).returncode
        result = Path(job.result_file)
        if result.is_file():
            return json.loads(result.read_text(encoding="utf-8"))
        return {
            "status": "failed",
            "seconds": time.perf_counter() - start,
            "error": f"worker process exited with code {code} (log: {job.log_file})",
        }

    def finish(self, spec: ChapterSpec, job: Job, outcome: dict[str, Any]) -> None:
        """Post-process and install a successful chapter, or keep a failed one's notebook."""
        tmp = Path(job.output)
        try:
            if outcome["status"] == "ok":
                reads = read_paths(self.reads_file(job))
                self._install(spec, tmp, float(outcome.get("seconds", 0.0)), reads)
            else:
                self._keep_failed(spec, tmp, outcome)
        finally:
            tmp.unlink(missing_ok=True)
            remove_job_files(job)

    def _install(
        self, spec: ChapterSpec, tmp: Path, seconds: float, reads: list[str] | None
    ) -> None:
        import nbformat

        from trustexp.report import notebooks as nbtools

        key = self.key_of(spec, reads)  # keyed on what it read this time
        out_file = self.out_dir / spec.notebook
        try:
            nb = nbformat.read(tmp, as_version=4)
            tmp.write_bytes(nbtools.notebook_bytes(nbtools.clean_executed(nb, self.root)))
            move_atomic(tmp, out_file)
        except Exception as err:
            self._restore_results(spec)
            error = f"post-processing failed: {type(err).__name__}: {err}"
            old = self.keys[spec.key]["key"]
            self.done(ChapterResult(spec.key, spec.notebook, "failed", seconds, old, error=error))
            return
        record = {
            "chapter": spec.key,
            "key": key["key"],
            "parts": key["parts"],
            "params_read": reads,
            "notebook": spec.notebook,
            "output_sha256": sha256_file_or_none(out_file),
            "results": self.results_file(spec).is_file(),
            "seconds": round(seconds, 3),
        }
        K.write_record(self.record_file(spec), record)
        self.keys[spec.key] = key
        self.previous_results(spec).unlink(missing_ok=True)
        (self.cache_dir / "failed" / spec.notebook).unlink(missing_ok=True)
        self.done(ChapterResult(spec.key, spec.notebook, "ok", seconds, key["key"]))

    def _restore_results(self, spec: ChapterSpec) -> None:
        if self.previous_results(spec).is_file():
            os.replace(self.previous_results(spec), self.results_file(spec))

    def _keep_failed(self, spec: ChapterSpec, tmp: Path, outcome: dict[str, Any]) -> None:
        self._restore_results(spec)
        kept: Path | None = None
        if tmp.is_file() and tmp.stat().st_size > 0:
            kept = self.cache_dir / "failed" / spec.notebook
            move_atomic(tmp, kept)
        self.done(
            ChapterResult(
                spec.key,
                spec.notebook,
                "failed",
                float(outcome.get("seconds", 0.0)),
                self.keys[spec.key]["key"],
                cell=outcome.get("cell"),
                cell_source=outcome.get("cell_source", ""),
                error=outcome.get("error", ""),
                kept=kept,
            )
        )


def remove_job_files(job: Job) -> None:
    """The job's hand-over files (job, result, reads) once the scheduler has read them."""
    stem = job.output[: -len(".ipynb")]
    for suffix in (".result.json", ".job.json", ".reads"):
        Path(stem + suffix).unlink(missing_ok=True)


def priorities(order: list[ChapterSpec], cache_dir: Path) -> dict[str, float]:
    """Longest path (in last-run seconds; the chapter's ``cost`` when it has not run here) from
    each chapter to the end."""
    seconds = {}
    for spec in order:
        value = K.load_record(K.record_file(cache_dir, spec.key)).get("seconds")
        seconds[spec.key] = float(value) if isinstance(value, int | float) else spec.cost
    dependents: dict[str, list[str]] = {s.key: [] for s in order}
    for spec in order:
        for dep in spec.deps:
            dependents[dep].append(spec.key)
    longest: dict[str, float] = {}
    for spec in reversed(order):
        after = max((longest[d] for d in dependents[spec.key]), default=0.0)
        longest[spec.key] = seconds[spec.key] + after
    return longest


def schedule(run: Run, order: list[ChapterSpec], jobs: int, force: bool) -> None:
    """Start every chapter whose deps succeeded (at most ``jobs`` at once) until all are done."""
    first = priorities(order, run.cache_dir)
    pending = sorted(order, key=lambda s: -first[s.key])
    running: dict[cf.Future[dict[str, Any]], tuple[ChapterSpec, Job]] = {}
    # Threads only wait: each chapter executes in a worker process (and kernel) of its own.
    pool = cf.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="trustexp-chapter")
    try:
        while pending or running:
            _start_ready(run, pending, running, pool, jobs, force)
            if not running:
                if pending:  # cannot happen with a valid DAG; guard against a busy loop
                    raise TrustexpError(
                        f"no chapter can start: {', '.join(s.key for s in pending)}"
                    )
                break
            done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
            for future in done:
                spec, job = running.pop(future)
                try:
                    outcome = future.result()
                except Exception as err:  # the worker could not be started
                    outcome = {"status": "failed", "error": f"worker: {type(err).__name__}: {err}"}
                run.finish(spec, job, outcome)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for _spec, job in running.values():
            remove_job_files(job)
            Path(job.output).unlink(missing_ok=True)


def _start_ready(
    run: Run,
    pending: list[ChapterSpec],
    running: dict[cf.Future[dict[str, Any]], tuple[ChapterSpec, Job]],
    pool: cf.ThreadPoolExecutor,
    jobs: int,
    force: bool,
) -> None:
    """Settle skipped and cached chapters, and submit runnable ones while slots are free."""
    changed = True
    while changed:
        changed = False
        for spec in list(pending):
            states = {dep: run.results[dep].status for dep in spec.deps if dep in run.results}
            bad = [dep for dep, s in states.items() if s in ("failed", "skipped")]
            if bad:
                pending.remove(spec)
                reason = ", ".join(f"{d} {states[d]}" for d in bad)
                run.done(ChapterResult(spec.key, spec.notebook, "skipped", error=f"needs {reason}"))
                changed = True
                continue
            if len(states) < len(spec.deps):
                continue
            run.keys[spec.key] = key = run.key_of(spec, run.reads.get(spec.key))
            record = K.load_record(run.record_file(spec))
            out_file = run.out_dir / spec.notebook
            if not force and K.is_cached(record, key["key"], out_file, run.results_file(spec)):
                pending.remove(spec)
                run.done(ChapterResult(spec.key, spec.notebook, "cached", key=key["key"]))
                changed = True
                continue
            if len(running) < jobs:
                pending.remove(spec)
                job = run.job(spec)
                running[pool.submit(run.execute, job)] = (spec, job)


def preloaded_interpreter(root: Path, cache_dir: Path) -> Zygote:
    """The warm executor's preloaded interpreter for chapters run in ``root`` (started on first
    use or by ``Zygote.start``)."""
    from trustexp.report.pipeline.warm import Zygote

    (cache_dir / "logs").mkdir(parents=True, exist_ok=True)
    return Zygote(
        {**chapter_env(), "MPLCONFIGDIR": str(cache_dir / "env" / "matplotlib")},
        root.resolve(),
        cache_dir / "logs" / "_preloaded.log",
    )


def start_preloading(
    params_file: str | Path, root: Path = Path("."), executor: Executor | None = None
) -> Zygote | None:
    """Start importing what the chapters need now, for a ``run_chapters`` that follows other
    work (``trustexp all`` makes the data meanwhile: the two use both cores), when a chapter
    has never run here (a fresh clone: every chapter will run); else ``None``, as with the cold
    executor, and the run starts its interpreter when a chapter needs one (a no-op build starts
    none). The caller passes it to ``run_chapters`` or closes it; closed unused, it is stopped
    without waiting for the imports.
    """
    from trustexp.layout import Layout
    from trustexp.report.contents import CHAPTERS

    if (executor or default_executor()) != "warm":
        return None
    param_set = K.ParamSet.load(str(params_file), root)
    cache_dir = Layout(root, param_set.name).cache_dir
    if all(K.record_file(cache_dir, spec.key).is_file() for spec in CHAPTERS):
        return None
    zygote = preloaded_interpreter(root, cache_dir)
    zygote.start()
    return zygote


def run_chapters(
    params_file: str | Path,
    *,
    root: Path = Path("."),
    chapters: Sequence[ChapterSpec] | None = None,
    notebooks_dir: Path | None = None,
    out_dir: Path | None = None,
    jobs: int | None = None,
    force: bool = False,
    log: Callable[[str], None] = print,
    param_set: K.ParamSet | None = None,
    code_dir: Path | None = None,
    start_timeout: float = 60.0,
    executor: Executor | None = None,
    zygote: Zygote | None = None,
) -> RunReport:
    """Execute the chapter notebooks for one parameter set; return what happened to each.

    ``params_file`` is passed, as given, to every notebook as the papermill parameter
    ``params_file``; notebooks run with ``root`` as working directory. ``param_set`` defaults to
    ``ParamSet.load(params_file, root)``; ``code_dir`` (the library code in the cache key) to the
    installed ``trustexp`` package; ``executor`` to ``default_executor()``. ``zygote``: the
    preloaded interpreter of ``start_preloading`` (the run uses it and closes it); by default the
    run makes its own. Never raises for a failing chapter: check ``report.ok`` or call
    ``report.raise_for_failure()``.
    """
    from trustexp.layout import Layout
    from trustexp.report.contents import CHAPTERS

    started = time.perf_counter()
    root = Path(root)
    chapters = CHAPTERS if chapters is None else chapters
    params_file = str(params_file)
    jobs = (os.cpu_count() or 1) if jobs is None else jobs
    if jobs < 1:
        raise TrustexpError(f"jobs must be at least 1, got {jobs}")
    param_set = param_set or K.ParamSet.load(params_file, root)
    layout = Layout(root, param_set.name)
    notebooks_dir = notebooks_dir if notebooks_dir is not None else layout.notebooks_dir
    out_dir = out_dir if out_dir is not None else layout.chapters_dir
    cache_dir = layout.cache_dir
    order = K.topological(chapters)
    missing = [s.notebook for s in order if not (notebooks_dir / s.notebook).is_file()]
    if missing:
        raise TrustexpError(
            f"chapter notebook(s) not found in {notebooks_dir}: {', '.join(missing)}"
        )
    notes: list[str] = []
    if not param_set.manifest.is_file():
        notes.append(
            f"  note: no input-data manifest at {display_path(param_set.manifest, root)}; "
            "input data are not part of the cache keys"
        )
    for note in notes:
        log(note)
    inputs = K.KeyInputs.gather(
        params_file, param_set, code_dir if code_dir is not None else K.default_code_dir()
    )
    cache_dir.mkdir(parents=True, exist_ok=True)
    executor = executor or default_executor()
    if executor == "warm":
        zygote = zygote or preloaded_interpreter(root, cache_dir)
    elif zygote is not None:
        zygote.close()
        zygote = None
    run = Run(
        root=root,
        params_file=params_file,
        param_set=param_set,
        notebooks_dir=notebooks_dir,
        out_dir=out_dir,
        cache_dir=cache_dir,
        inputs=inputs,
        reads=K.previous_reads(cache_dir, order),
        log=log,
        width=max((len(s.notebook) for s in order), default=0),
        start_timeout=start_timeout,
        executor=executor,
        zygote=zygote,
    )
    try:
        schedule(run, order, jobs, force)
    finally:
        if zygote is not None:
            zygote.close()
    report = RunReport(
        chapters={s.key: run.results[s.key] for s in chapters},
        seconds=time.perf_counter() - started,
        out_dir=out_dir,
        cache_dir=cache_dir,
        root=root,
        notes=notes,
    )
    log(report.summary())
    return report
