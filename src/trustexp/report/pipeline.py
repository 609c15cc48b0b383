"""Execute the chapter notebooks with papermill: in dependency order, in parallel, cached, atomic.

``run_chapters`` is what ``trustexp run`` calls. Each chapter runs in its own process (and so its
own kernel and working directory), at most ``jobs`` at once, once every chapter it depends on has
succeeded. A chapter is keyed by a hash of its source notebook, the parameter values, the input
data manifest, the library code and its dependencies' keys; an unchanged chapter whose outputs are
still in place is not executed again.

An executed notebook is written to a temporary file in the cache folder, post-processed
(``trustexp.report.notebooks.clean_executed``) and only then moved into the output folder, so the
last good chapter is never half-overwritten. A failing chapter keeps its executed notebook under
``.trustexp-cache/<set>/failed/``; chapters that need it are skipped, independent ones still run.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from trustexp.errors import ChapterFailed, TrustexpError
from trustexp.report.chapters import CHAPTERS, ChapterSpec

Status = Literal["ok", "cached", "failed", "skipped"]

KEY_RECIPE = 1
CACHE_DIRNAME = ".trustexp-cache"
KERNEL_NAME = "python3"
CODE_SUFFIXES = (".py", ".yml")


# --------------------------------------------------------------------------- inputs and keys


@dataclass(frozen=True)
class ParamSet:
    """What the pipeline needs from a parameter set: its name, a digest and its folders."""

    name: str
    digest: str
    cohort_dir: Path
    results_dir: Path

    @classmethod
    def load(cls, params_file: str | Path, root: Path = Path(".")) -> ParamSet:
        """Validate ``params_file`` (relative paths are relative to ``root``) with ``load_params``."""
        from trustexp.config import load_params

        path = Path(params_file)
        params = load_params(path if path.is_absolute() else root / path)
        return cls(params.name, params.digest(), params.cohort_dir(root), params.results_dir(root))

    @property
    def manifest(self) -> Path:
        """The cohort manifest whose bytes stand for the input data in cache keys."""
        return self.cohort_dir / "manifest.json"


def default_out_dir(root: Path, name: str) -> Path:
    """``book/chapters`` for the default (oss) set, ``book/_build/<name>/chapters`` otherwise."""
    return (
        root / "book" / "chapters"
        if name == "oss"
        else root / "book" / "_build" / name / "chapters"
    )


def default_code_dir() -> Path:
    """The folder of the ``trustexp`` package the kernels import (``src/trustexp``)."""
    import trustexp

    return Path(trustexp.__file__).resolve().parent


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def code_digest(code_dir: Path) -> str:
    """sha256 over every ``*.py`` / ``*.yml`` under ``code_dir``: relative path and bytes, sorted."""
    h = hashlib.sha256()
    files = sorted(
        p
        for p in code_dir.rglob("*")
        if p.suffix in CODE_SUFFIXES and p.is_file() and "__pycache__" not in p.parts
    )
    for path in files:
        rel = path.relative_to(code_dir).as_posix().encode()
        data = path.read_bytes()
        h.update(len(rel).to_bytes(8, "big") + rel + len(data).to_bytes(8, "big") + data)
    return h.hexdigest()


def chapter_keys(
    chapters: Sequence[ChapterSpec],
    *,
    notebooks_dir: Path,
    params_file: str,
    param_set: ParamSet,
    code_dir: Path,
) -> dict[str, dict[str, Any]]:
    """Cache key of every chapter with the parts it was made from: ``{chapter: {"key", "parts"}}``.

    key = sha256 of canonical JSON of: recipe version, sha256 of the source notebook bytes, the
    ``params_file`` string passed to the notebook, the parameter digest, sha256 of the cohort
    manifest (``None`` when missing), the library-code digest and ``{dep: key}`` of its deps.
    """
    manifest = param_set.manifest
    data = _sha256(manifest.read_bytes()) if manifest.is_file() else None
    code = code_digest(code_dir)
    keys: dict[str, dict[str, Any]] = {}
    for spec in _topological(chapters):
        parts = {
            "recipe": KEY_RECIPE,
            "notebook": _sha256((notebooks_dir / spec.notebook).read_bytes()),
            "params_file": str(params_file),
            "params": param_set.digest,
            "data": data,
            "code": code,
            "deps": {dep: keys[dep]["key"] for dep in spec.deps},
        }
        blob = json.dumps(parts, sort_keys=True, separators=(",", ":")).encode()
        keys[spec.key] = {"key": _sha256(blob), "parts": parts}
    return keys


def _topological(chapters: Sequence[ChapterSpec]) -> list[ChapterSpec]:
    """Chapters in an order where each comes after its deps; refuse unknown deps and cycles."""
    by_key: dict[str, ChapterSpec] = {}
    for spec in chapters:
        if spec.key in by_key:
            raise TrustexpError(f"chapter key {spec.key!r} is declared twice")
        by_key[spec.key] = spec
    for spec in chapters:
        unknown = [d for d in spec.deps if d not in by_key]
        if unknown:
            raise TrustexpError(
                f"chapter {spec.key!r} depends on unknown chapter(s) {', '.join(unknown)}; "
                f"known: {', '.join(by_key)}"
            )
    order: list[ChapterSpec] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(key: str, path: tuple[str, ...]) -> None:
        if state.get(key) == 2:
            return
        if state.get(key) == 1:
            raise TrustexpError(f"chapter dependencies form a cycle: {' -> '.join((*path, key))}")
        state[key] = 1
        for dep in by_key[key].deps:
            visit(dep, (*path, key))
        state[key] = 2
        order.append(by_key[key])

    for spec in chapters:
        visit(spec.key, ())
    return order


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
        kept = _display_path(first.kept, self.root) if first.kept else "(no notebook was written)"
        raise ChapterFailed(first.chapter, first.cell, error, kept)


def _display_path(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- worker process


@dataclass(frozen=True)
class _Job:
    """Everything a worker process needs to execute one chapter (picklable)."""

    chapter: str
    source: str
    output: str
    params_file: str
    cwd: str
    env: dict[str, str]
    log_file: str
    result_file: str
    start_timeout: float


def _started(path: Path) -> bool:
    """Whether any code cell of a (partly) executed notebook ran."""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:
        return False
    return any(
        c.get("execution_count") is not None or c.get("outputs")
        for c in nb.cells
        if c.get("cell_type") == "code"
    )


def _code_cell_number(path: Path, cell_index: int) -> tuple[int | None, str]:
    """1-based number among the source's code cells of executed cell ``cell_index``, and its first line.

    ``cell_index`` counts all cells of the executed notebook before papermill inserted its error
    markers; the injected parameters cell is not counted (number 0 if it is the one that failed).
    """
    import nbformat

    from trustexp.report.notebooks import ERROR_MARKER_TAG, INJECTED_TAG

    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if ERROR_MARKER_TAG not in c.get("metadata", {}).get("tags", [])]
    if not 0 <= cell_index < len(cells):
        return None, ""
    number = 0
    for cell in cells[: cell_index + 1]:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("cell_type") == "code" and INJECTED_TAG not in tags:
            number += 1
    target = cells[cell_index]
    if INJECTED_TAG in target.get("metadata", {}).get("tags", []):
        return 0, "(injected parameters)"
    first = next((ln.strip() for ln in target.get("source", "").splitlines() if ln.strip()), "")
    return number, first


def _running_cell(path: Path) -> tuple[int | None, str]:
    """Code-cell number of the cell that was running when a kernel died, if papermill marked one."""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:
        return None, ""
    for index, cell in enumerate(nb.cells):
        pm = cell.get("metadata", {}).get("papermill", {})
        if pm.get("exception") is True or pm.get("status") == "running":
            return _code_cell_number(path, index)
    return None, ""


def _execute(job: _Job) -> dict[str, Any]:
    """Run one notebook with papermill in this process; retry kernel start-up once.

    Called in a worker process of its own (``python -m trustexp.report.pipeline JOB.json``) whose
    environment, stdout and stderr the parent has set, so kernel noise goes to the chapter's log.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    for key in ("IPYTHONDIR", "JUPYTER_RUNTIME_DIR", "MPLCONFIGDIR"):
        Path(job.env[key]).mkdir(parents=True, exist_ok=True)
    output = Path(job.output)
    start = time.perf_counter()
    for attempt in (1, 2):
        try:
            papermill.execute_notebook(
                job.source,
                job.output,
                parameters={"params_file": job.params_file},
                kernel_name=KERNEL_NAME,
                cwd=job.cwd,
                progress_bar=False,
                log_output=False,
                start_timeout=job.start_timeout,
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
            return {"status": "ok", "seconds": time.perf_counter() - start}
        except PapermillExecutionError as err:
            cell, first = _code_cell_number(output, err.cell_index)
            return {
                "status": "failed",
                "seconds": time.perf_counter() - start,
                "cell": cell,
                "cell_source": first,
                "error": f"{err.ename}: {err.evalue}",
            }
        except Exception as err:  # kernel start-up or a dead kernel
            if attempt == 1 and not _started(output):
                print(f"[trustexp] kernel start-up failed ({err!r}); retrying once", flush=True)
                continue
            cell, first = _running_cell(output)
            return {
                "status": "failed",
                "seconds": time.perf_counter() - start,
                "cell": cell,
                "cell_source": first,
                "error": f"{type(err).__name__}: {err}",
            }
    raise AssertionError("unreachable")


def _worker_main(job_file: str) -> int:
    """Entry point of a worker process: read the job, execute, write the outcome as JSON."""
    job = _Job(**json.loads(Path(job_file).read_text(encoding="utf-8")))
    outcome = _execute(job)
    Path(job.result_file).write_text(json.dumps(outcome), encoding="utf-8")
    return 0


def _run_worker(job: _Job, job_file: Path) -> dict[str, Any]:
    """Start a worker process for ``job`` and wait for its outcome (called from a thread)."""
    job_file.write_text(json.dumps(asdict(job)), encoding="utf-8")
    env = {**os.environ, **job.env}
    start = time.perf_counter()
    with open(job.log_file, "wb") as log:
        proc = subprocess.run(
            [sys.executable, "-m", "trustexp.report.pipeline", str(job_file)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            check=False,
        )
    result = Path(job.result_file)
    if result.is_file():
        return json.loads(result.read_text(encoding="utf-8"))
    return {
        "status": "failed",
        "seconds": time.perf_counter() - start,
        "error": f"worker process exited with code {proc.returncode} (log: {job.log_file})",
    }


# --------------------------------------------------------------------------- cache records


def _file_digest(path: Path) -> str | None:
    return _sha256(path.read_bytes()) if path.is_file() else None


def _is_cached(record_file: Path, key: str, out_file: Path, results_file: Path) -> bool:
    """Same key as the last successful run, and what that run produced is still in place."""
    try:
        record = json.loads(record_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if record.get("key") != key or _file_digest(out_file) != record.get("output_sha256"):
        return False
    return not record.get("results") or results_file.is_file()


def _move_into(src: Path, dst: Path) -> None:
    """``os.replace`` src onto dst; across file systems copy to a hidden temp beside dst first."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, dst)
        return
    except OSError as err:
        if err.errno != 18:  # EXDEV: cross-device link
            raise
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    src.unlink(missing_ok=True)


# --------------------------------------------------------------------------- the run


@dataclass
class _Run:
    """State of one ``run_chapters`` call (kept out of module globals)."""

    root: Path
    params_file: str
    param_set: ParamSet
    notebooks_dir: Path
    out_dir: Path
    cache_dir: Path
    keys: dict[str, dict[str, Any]]
    log: Callable[[str], None]
    width: int
    start_timeout: float
    results: dict[str, ChapterResult] = field(default_factory=dict)

    def record_file(self, spec: ChapterSpec) -> Path:
        return self.cache_dir / f"{spec.key}.json"

    def results_file(self, spec: ChapterSpec) -> Path:
        return self.param_set.results_dir / f"{spec.key}.parquet"

    def done(self, result: ChapterResult) -> None:
        self.results[result.chapter] = result
        self.log(result.line(self.width))

    def previous_results(self, spec: ChapterSpec) -> Path:
        return self.cache_dir / "tmp" / f"{spec.key}.previous.parquet"

    def job(self, spec: ChapterSpec) -> _Job:
        tmp_dir = self.cache_dir / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        # The chapter writes its results afresh: set the old file aside so that rows it no longer
        # writes do not linger in the store; it comes back if the chapter fails.
        if self.results_file(spec).is_file():
            os.replace(self.results_file(spec), self.previous_results(spec))
        fd, tmp = tempfile.mkstemp(prefix=f"{spec.key}.", suffix=".ipynb", dir=tmp_dir)
        os.close(fd)
        env_dir = self.cache_dir / "env"
        env = {
            "MPLCONFIGDIR": str(env_dir / "matplotlib"),
            "IPYTHONDIR": str(env_dir / spec.key / "ipython"),
            "JUPYTER_RUNTIME_DIR": str(env_dir / spec.key / "runtime"),
            "PYTHONHASHSEED": "0",
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
        log_dir = self.cache_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        log_file = log_dir / f"{spec.key}.log"
        return _Job(
            chapter=spec.key,
            source=str((self.notebooks_dir / spec.notebook).resolve()),
            output=tmp,
            params_file=self.params_file,
            cwd=str(self.root.resolve()),
            env=env,
            log_file=str(log_file),
            result_file=tmp[: -len(".ipynb")] + ".result.json",
            start_timeout=self.start_timeout,
        )

    def finish(self, spec: ChapterSpec, job: _Job, outcome: dict[str, Any]) -> None:
        """Post-process and install a successful chapter, or keep a failed one's notebook."""
        tmp = Path(job.output)
        try:
            if outcome["status"] == "ok":
                self._install(spec, tmp, float(outcome.get("seconds", 0.0)))
            else:
                self._keep_failed(spec, tmp, outcome)
        finally:
            tmp.unlink(missing_ok=True)

    def _install(self, spec: ChapterSpec, tmp: Path, seconds: float) -> None:
        import nbformat

        from trustexp.report.notebooks import clean_executed, notebook_bytes, write_atomic

        key = self.keys[spec.key]["key"]
        out_file = self.out_dir / spec.notebook
        try:
            nb = nbformat.read(tmp, as_version=4)
            tmp.write_bytes(notebook_bytes(clean_executed(nb, self.root)))
            _move_into(tmp, out_file)
        except Exception as err:
            self._restore_results(spec)
            error = f"post-processing failed: {type(err).__name__}: {err}"
            self.done(ChapterResult(spec.key, spec.notebook, "failed", seconds, key, error=error))
            return
        record = {
            "chapter": spec.key,
            "key": key,
            "parts": self.keys[spec.key]["parts"],
            "notebook": spec.notebook,
            "output_sha256": _file_digest(out_file),
            "results": self.results_file(spec).is_file(),
            "seconds": round(seconds, 3),
        }
        blob = (json.dumps(record, indent=1, sort_keys=True) + "\n").encode()
        write_atomic(blob, self.record_file(spec))
        self.previous_results(spec).unlink(missing_ok=True)
        (self.cache_dir / "failed" / spec.notebook).unlink(missing_ok=True)
        self.done(ChapterResult(spec.key, spec.notebook, "ok", seconds, key))

    def _restore_results(self, spec: ChapterSpec) -> None:
        if self.previous_results(spec).is_file():
            os.replace(self.previous_results(spec), self.results_file(spec))

    def _keep_failed(self, spec: ChapterSpec, tmp: Path, outcome: dict[str, Any]) -> None:
        self._restore_results(spec)
        kept: Path | None = None
        if tmp.is_file() and tmp.stat().st_size > 0:
            kept = self.cache_dir / "failed" / spec.notebook
            _move_into(tmp, kept)
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


def run_chapters(
    params_file: str | Path,
    *,
    root: Path = Path("."),
    chapters: Sequence[ChapterSpec] = CHAPTERS,
    notebooks_dir: Path | None = None,
    out_dir: Path | None = None,
    jobs: int | None = None,
    force: bool = False,
    log: Callable[[str], None] = print,
    param_set: ParamSet | None = None,
    code_dir: Path | None = None,
    start_timeout: float = 60.0,
) -> RunReport:
    """Execute the chapter notebooks for one parameter set; return what happened to each.

    ``params_file`` is passed, as given, to every notebook as the papermill parameter
    ``params_file``; notebooks run with ``root`` as working directory. ``param_set`` defaults to
    ``ParamSet.load(params_file, root)``; ``code_dir`` (the library code in the cache key) to the
    installed ``trustexp`` package. Never raises for a failing chapter: check ``report.ok`` or
    call ``report.raise_for_failure()``.
    """
    started = time.perf_counter()
    root = Path(root)
    params_file = str(params_file)
    jobs = (os.cpu_count() or 1) if jobs is None else jobs
    if jobs < 1:
        raise TrustexpError(f"jobs must be at least 1, got {jobs}")
    param_set = param_set or ParamSet.load(params_file, root)
    notebooks_dir = notebooks_dir if notebooks_dir is not None else root / "notebooks"
    out_dir = out_dir if out_dir is not None else default_out_dir(root, param_set.name)
    cache_dir = root / CACHE_DIRNAME / param_set.name
    order = _topological(chapters)
    missing = [s.notebook for s in order if not (notebooks_dir / s.notebook).is_file()]
    if missing:
        raise TrustexpError(
            f"chapter notebook(s) not found in {notebooks_dir}: {', '.join(missing)}"
        )
    notes: list[str] = []
    if not param_set.manifest.is_file():
        notes.append(
            f"  note: no input-data manifest at {_display_path(param_set.manifest, root)}; "
            "input data are not part of the cache keys"
        )
    for note in notes:
        log(note)
    keys = chapter_keys(
        order,
        notebooks_dir=notebooks_dir,
        params_file=params_file,
        param_set=param_set,
        code_dir=code_dir if code_dir is not None else default_code_dir(),
    )
    cache_dir.mkdir(parents=True, exist_ok=True)
    run = _Run(
        root=root,
        params_file=params_file,
        param_set=param_set,
        notebooks_dir=notebooks_dir,
        out_dir=out_dir,
        cache_dir=cache_dir,
        keys=keys,
        log=log,
        width=max((len(s.notebook) for s in order), default=0),
        start_timeout=start_timeout,
    )
    _schedule(run, order, jobs, force)
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


def _schedule(run: _Run, order: list[ChapterSpec], jobs: int, force: bool) -> None:
    """Start every chapter whose deps succeeded (at most ``jobs`` at once) until all are done."""
    pending = list(order)
    running: dict[cf.Future[dict[str, Any]], tuple[ChapterSpec, _Job]] = {}
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
                finally:
                    _remove_job_files(job)
                run.finish(spec, job, outcome)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for _spec, job in running.values():
            _remove_job_files(job)
            Path(job.output).unlink(missing_ok=True)


def _remove_job_files(job: _Job) -> None:
    Path(job.result_file).unlink(missing_ok=True)
    Path(job.output[: -len(".ipynb")] + ".job.json").unlink(missing_ok=True)


def _start_ready(
    run: _Run,
    pending: list[ChapterSpec],
    running: dict[cf.Future[dict[str, Any]], tuple[ChapterSpec, _Job]],
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
            key = run.keys[spec.key]["key"]
            if bad:
                pending.remove(spec)
                reason = ", ".join(f"{d} {states[d]}" for d in bad)
                run.done(
                    ChapterResult(
                        spec.key, spec.notebook, "skipped", key=key, error=f"needs {reason}"
                    )
                )
                changed = True
                continue
            if len(states) < len(spec.deps):
                continue
            if not force and _is_cached(
                run.record_file(spec), key, run.out_dir / spec.notebook, run.results_file(spec)
            ):
                pending.remove(spec)
                run.done(ChapterResult(spec.key, spec.notebook, "cached", key=key))
                changed = True
                continue
            if len(running) < jobs:
                pending.remove(spec)
                job = run.job(spec)
                job_file = Path(job.output[: -len(".ipynb")] + ".job.json")
                running[pool.submit(_run_worker, job, job_file)] = (spec, job)


if __name__ == "__main__":
    raise SystemExit(_worker_main(sys.argv[1]))
