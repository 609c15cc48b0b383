"""A preloaded interpreter that forks one worker per chapter, so the heavy imports are paid once.

``Zygote`` (used by the scheduler) starts ``python -m trustexp.report.pipeline.warm``, which
imports ``PRELOAD`` and every ``trustexp`` module, then reads job-file names from its stdin, one a
line. For each it forks a worker (``worker.run_job_file(..., warm=True)``: its own log, working
directory, environment and pre-forked kernel) and, when the worker exits, writes
``<job number> <exit code>`` to its stdout. The preloaded process never runs chapter code, so a
chapter that crashes, calls ``os._exit`` or is killed takes down only its own worker and kernel.

Fork safety: the server imports libraries but starts no threads of its own (no DuckDB connection,
no BLAS call, no event loop); ``threads_after_preload`` reports what the imports started (checked
by a test). Written by hand because no kept library forks warm Jupyter kernels.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import select
import subprocess
import sys
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import IO

PRELOAD = (
    "numpy", "pandas", "scipy.stats", "statsmodels.api", "statsmodels.formula.api", "pingouin",
    "altair", "vl_convert", "duckdb", "pyarrow.parquet", "pandera.pandas", "lifelines", "yaml",
    "pydantic", "nbformat", "nbclient", "papermill", "jupyter_client", "IPython",
    "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel_launcher", "myst_nb",
)  # fmt: skip
"""Third-party modules the chapters import (whatever fails to import is left to the chapter)."""


def preload() -> list[str]:
    """Import ``PRELOAD`` and every ``trustexp`` module; return the names that failed."""
    import trustexp

    failed = []
    names = list(PRELOAD)
    names += [
        m.name
        for m in pkgutil.walk_packages(trustexp.__path__, "trustexp.")
        if not m.name.endswith("__main__")
    ]
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a chapter that needs it will say so itself
            failed.append(name)
    return failed


def warm_caches() -> None:
    """Fill what every worker would otherwise build again: nbformat's compiled notebook schemas.

    A notebook is validated when papermill reads and writes it and each output when nbclient
    records it; the schema is compiled on first use (about 0.1 s), in every forked worker unless
    the preloaded interpreter did it once. Starts no threads.
    """
    import nbformat
    from nbformat import v4

    cell = v4.new_code_cell("x = 1", execution_count=1)
    cell.outputs = [
        v4.output_from_msg({"msg_type": "display_data", "header": {"msg_type": "display_data"},
                            "content": {"data": {"text/plain": "1"}, "metadata": {}}}),
        v4.new_output("stream", name="stdout", text="1"),
    ]  # fmt: skip
    nb = v4.new_notebook(cells=[v4.new_markdown_cell("# x"), cell])
    nbformat.reads(nbformat.writes(nb), as_version=4)


def threads_after_preload() -> int:
    """Operating-system threads of this process (``/proc/self/task``), or Python's count."""
    task = Path("/proc/self/task")
    return len(list(task.iterdir())) if task.is_dir() else threading.active_count()


def _child(job_file: str, log_file: str) -> None:
    """In the forked worker: stdin from /dev/null, stdout/stderr to the chapter's log, run."""
    from trustexp.report.pipeline.worker import run_job_file

    code = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        log = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(null)
        os.close(log)
        code = run_job_file(job_file, warm=True)
    except BaseException:  # noqa: BLE001 - the scheduler sees no result file and says so
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code)


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> int:
    """The server loop: fork a worker per ``<number> <job file> <log file>`` line; report exits."""
    failed = preload()
    warm_caches()
    stdout.write(f"ready {threads_after_preload()} {','.join(failed) or '-'}\n".encode())
    stdout.flush()
    running: dict[int, str] = {}
    buffer = b""
    open_input = True
    while open_input or running:
        if open_input:
            ready, _, _ = select.select([stdin], [], [], 0.05)
            if ready:
                chunk = os.read(stdin.fileno(), 65536)
                if not chunk:
                    open_input = False
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    number, job_file, log_file = line.decode().split("\t")
                    sys.stdout.flush()
                    sys.stderr.flush()
                    pid = os.fork()
                    if pid == 0:
                        _child(job_file, log_file)
                    running[pid] = number
        else:
            select.select([], [], [], 0.05)
        while running:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            number = running.pop(pid, None)
            if number is not None:
                stdout.write(f"{number} {os.waitstatus_to_exitcode(status)}\n".encode())
                stdout.flush()
    return 0


class Zygote:
    """The scheduler's handle on the preloaded interpreter (started on first use)."""

    def __init__(self, env: dict[str, str], cwd: Path, log_file: Path) -> None:
        self._env = env
        self._cwd = cwd
        self._log_file = log_file
        self._proc: subprocess.Popen[bytes] | None = None
        self._futures: dict[str, Future[int]] = {}
        self._lock = threading.Lock()
        self._count = 0
        self.ready = threading.Event()
        self.threads: int | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        log = open(self._log_file, "wb")  # noqa: SIM115 - the server writes to it until it exits
        proc = subprocess.Popen(
            [sys.executable, "-m", "trustexp.report.pipeline.warm"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            env={**os.environ, **self._env},
            cwd=self._cwd,
        )
        log.close()
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()
        return proc

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            words = raw.decode().split()
            if words and words[0] == "ready":
                self.threads = int(words[1])
                self.ready.set()
                continue
            number, code = words
            with self._lock:
                future = self._futures.pop(number, None)
            if future is not None:
                future.set_result(int(code))
        with self._lock:  # the server is gone: whatever still runs has failed
            pending, self._futures = self._futures, {}
        for future in pending.values():
            future.set_exception(RuntimeError("the preloaded interpreter exited unexpectedly"))

    def start(self) -> None:
        """Start the server now (it preloads while the caller does other work)."""
        with self._lock:
            if self._proc is None:
                self._proc = self._start()

    def run(self, job_file: Path, log_file: Path) -> int:
        """Fork a worker for ``job_file`` and wait for it; its exit code."""
        future: Future[int] = Future()
        with self._lock:
            if self._proc is None:
                self._proc = self._start()
            self._count += 1
            number = str(self._count)
            self._futures[number] = future
            assert self._proc.stdin is not None
            self._proc.stdin.write(f"{number}\t{job_file}\t{log_file}\n".encode())
            self._proc.stdin.flush()
        return future.result()

    def close(self) -> None:
        """Let the server finish its workers and exit; one that ran none is stopped at once
        (it may still be importing: nothing to wait for)."""
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is not None:
            assert proc.stdin is not None
            if self._count == 0:
                proc.kill()
            proc.stdin.close()
            proc.wait()


if __name__ == "__main__":
    raise SystemExit(serve(sys.stdin.buffer, sys.stdout.buffer))
