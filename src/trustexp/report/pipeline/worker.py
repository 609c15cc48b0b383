"""The worker: execute one chapter notebook with papermill and describe what happened.

A worker is a process of its own per chapter (its own working directory, environment, log and
kernel), started one of two ways by the scheduler:

- **warm** (default where ``os.fork`` exists): forked from the preloaded interpreter of
  ``trustexp.report.pipeline.warm``, which imported pandas, statsmodels, pingouin, altair,
  vl-convert, papermill, ipykernel and ``trustexp`` once per run. Before papermill starts, the
  worker forks once more: that child waits, then becomes the chapter's IPython kernel
  (``ipykernel``'s own ``IPKernelApp`` on the connection file papermill's kernel manager wrote),
  so the kernel starts with every heavy import already done. ``ForkKernelManager`` is the only
  change to papermill's run: it hands the launch command to that child instead of starting a
  fresh interpreter; cells are sent, executed and recorded by papermill and nbclient as usual.
- **cold**: ``python -m trustexp.report.pipeline.worker JOB.json`` — a fresh interpreter whose
  papermill starts a fresh kernel (the pre-warm behaviour, used where fork is unavailable and as
  the fallback when a warm kernel fails to start).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from queue import Empty
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
from traitlets import DottedObjectName, Type

from trustexp.report.pipeline.job import Job

KERNEL_NAME = "python3"
ENGINE_NAME = "trustexp"


# --------------------------------------------------------------------------- papermill engine


class _SaveAtEnd(NotebookExecutionManager):
    """papermill's execution record, written to the output path only when execution ends."""

    def save(self, **kwargs: Any) -> None:
        # papermill calls this before and after every cell (and on autosave); ``end_time`` is
        # set by ``notebook_complete`` just before its final save, which also runs after a
        # dead kernel (its ``finally``), with the running cell marked
        if self.end_time is not None:
            super().save(**kwargs)


class SaveAtEndEngine(NBClientEngine):
    """papermill's nbclient engine, writing the executed notebook once, when execution ends.

    papermill serialises and validates the whole notebook before and after every cell (markdown
    cells too) so that someone watching the output file sees progress: 0.4-1.5 s of a chapter's
    CPU with its charts' PNGs, and nobody watches a chapter's temporary file. Everything else is
    papermill's: cells run, outputs and error markers are recorded as before, and the final write
    still happens when a cell raises or the kernel dies, so ``_running_cell`` finds the cell.
    ``execute_notebook`` is papermill's ``Engine.execute_notebook`` with the manager class swapped
    (papermill has no hook for it).
    """

    @classmethod
    def execute_notebook(  # type: ignore[override]
        cls,
        nb: Any,
        kernel_name: str,
        output_path: str | None = None,
        progress_bar: bool = True,
        log_output: bool = False,
        autosave_cell_every: int = 30,
        **kwargs: Any,
    ) -> Any:
        nb_man = _SaveAtEnd(
            nb,
            output_path=output_path,
            progress_bar=progress_bar,
            log_output=log_output,
            autosave_cell_every=autosave_cell_every,
        )
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
        return nb_man.nb


papermill_engines.register(ENGINE_NAME, SaveAtEndEngine)


# --------------------------------------------------------------------------- warm kernels


class _ForkedProcess:
    """The ``subprocess.Popen`` surface jupyter_client's provisioner uses, for a forked child."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def _reap(self, flags: int) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, flags)
            except ChildProcessError:
                self.returncode = -1
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def poll(self) -> int | None:
        return self._reap(os.WNOHANG)

    def wait(self, timeout: float | None = None) -> int | None:
        return self._reap(0)

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


_preforked: tuple[int, int] | None = None  # (pid, write end of its launch pipe)


def prefork_kernel() -> None:
    """Fork the child that will become this chapter's kernel; it waits for its launch command.

    Called in a (single-threaded) worker before papermill starts, so the kernel inherits the
    preloaded libraries and none of papermill's event loop or ZeroMQ sockets.
    """
    global _preforked
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the kernel-to-be
        os.close(write_end)
        code = 1
        try:
            os.setsid()  # its own process group, like jupyter_client's launcher gives a kernel
            chunks = []
            while chunk := os.read(read_end, 65536):
                chunks.append(chunk)
            os.close(read_end)
            if chunks:
                _become_kernel(json.loads(b"".join(chunks)))
                code = 0
        except BaseException:  # noqa: BLE001 - report and leave without running parent code
            import traceback

            traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
                try:
                    stream.flush()
                except Exception:  # noqa: BLE001
                    pass
            os._exit(code)
    os.close(read_end)
    _preforked = (pid, write_end)


def _become_kernel(launch: dict[str, Any]) -> None:
    """Start ``ipykernel`` in this process as ``python -m ipykernel_launcher ARGS`` would."""
    cmd = list(launch["cmd"])
    if "ipykernel_launcher" not in cmd:
        raise RuntimeError(f"not an ipykernel launch command: {cmd}")
    args = cmd[cmd.index("ipykernel_launcher") + 1 :]
    cwd = launch.get("cwd") or os.getcwd()
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(launch["env"])
    import ipykernel_launcher
    from ipykernel import kernelapp

    sys.argv = [ipykernel_launcher.__file__, *args]
    sys.path[0] = str(Path(cwd).resolve())
    kernelapp.IPKernelApp.launch_instance(argv=args)


def _discard_preforked() -> None:
    """Let an unused kernel-to-be exit (it reads end-of-file) and reap it."""
    global _preforked
    if _preforked is not None:
        pid, write_end = _preforked
        _preforked = None
        os.close(write_end)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


class PromptClient(AsyncKernelClient):
    """jupyter_client's kernel client, ready as soon as the kernel answers on both channels.

    jupyter_client's ``wait_for_ready`` ends by reading the IOPub channel until it has been quiet
    for 0.2 s - a fixed 0.2 s of every chapter's start with nothing running (3 s over the
    book's chapters on one core). The messages it drains answer the ``kernel_info`` request;
    nbclient ignores IOPub messages that answer a request other than the cell it runs, so they
    need not be drained first. Otherwise the same steps: ``kernel_info`` until the reply comes on
    the shell channel with IOPub connected, failing when the kernel dies or the time is up.
    """

    async def _prompt_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply":
                    try:  # IOPub connected: the kernel's status for the request arrives
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

    wait_for_ready = _prompt_wait_for_ready  # type: ignore[assignment]


class ForkKernelManager(AsyncKernelManager):
    """papermill's kernel manager, launching the kernel in the pre-forked child (if there is one).

    Everything else — connection file, ports, heartbeat, shutdown, the provisioner's signals —
    is jupyter_client's; only the process start differs (``os.fork`` instead of ``Popen``), and
    its client (``PromptClient``) does not wait for IOPub to fall quiet before the first cell.
    """

    client_class = DottedObjectName("trustexp.report.pipeline.worker.PromptClient")
    client_factory = Type(PromptClient, klass=AsyncKernelClient)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        global _preforked
        if _preforked is None or self.provisioner is None:
            await super()._async_launch_kernel(kernel_cmd, **kw)
            return
        pid, write_end = _preforked
        _preforked = None
        env = dict(kw.get("env") or os.environ)
        cwd = str(kw.get("cwd") or os.getcwd())
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(json.dumps({"cmd": kernel_cmd, "env": env, "cwd": cwd}).encode())
        provisioner = self.provisioner
        provisioner.process = _ForkedProcess(pid)  # type: ignore[attr-defined]
        provisioner.pid = pid  # type: ignore[attr-defined]
        provisioner.pgid = pid  # type: ignore[attr-defined]
        provisioner.cwd = cwd  # type: ignore[attr-defined]
        self._reconcile_connection_info(provisioner.connection_info)


# --------------------------------------------------------------------------- execution


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


def code_cell_number(path: Path, cell_index: int) -> tuple[int | None, str]:
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
    last_started = None
    for index, cell in enumerate(nb.cells):
        pm = cell.get("metadata", {}).get("papermill", {})
        if pm.get("exception") is True or pm.get("status") == "running":
            return code_cell_number(path, index)
        if pm.get("start_time"):
            last_started = index
    # papermill marks the cell it was in "completed" even when the kernel died during it
    if last_started is not None and nb.cells[last_started].get("cell_type") == "code":
        return code_cell_number(path, last_started)
    return None, ""


def execute(job: Job, warm: bool = False) -> dict[str, Any]:
    """Run one notebook with papermill in this process; retry kernel start-up once (cold).

    The process's environment, stdout and stderr are the job's (set by whoever started it), so
    kernel noise goes to the chapter's log. With ``warm``, the first attempt uses the pre-forked
    kernel (``prefork_kernel``); a retry always starts a fresh one.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    os.environ.update(job.env)
    for key in ("IPYTHONDIR", "JUPYTER_RUNTIME_DIR", "MPLCONFIGDIR"):
        Path(job.env[key]).mkdir(parents=True, exist_ok=True)
    output = Path(job.output)
    start = time.perf_counter()
    for attempt in (1, 2):
        # a retry, and a cold run, use papermill's own kernel manager (a fresh interpreter)
        manager = ForkKernelManager if warm and attempt == 1 else AsyncKernelManager
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
                kernel_manager_class=manager,
                engine_name=ENGINE_NAME,
                shutdown_kernel="immediate",
            )
            return {"status": "ok", "seconds": time.perf_counter() - start}
        except PapermillExecutionError as err:
            cell, first = code_cell_number(output, err.cell_index)
            return _failed(start, cell, first, f"{err.ename}: {err.evalue}")
        except Exception as err:  # kernel start-up or a dead kernel
            if attempt == 1 and not _started(output):
                print(f"[trustexp] kernel start-up failed ({err!r}); retrying once", flush=True)
                _discard_preforked()
                continue
            cell, first = _running_cell(output)
            return _failed(start, cell, first, f"{type(err).__name__}: {err}")
        finally:
            _discard_preforked()
    raise AssertionError("unreachable")


def _failed(start: float, cell, first, error: str) -> dict:
    """The outcome of a failed execution: the cell (number and first line) and the error."""
    return {"status": "failed", "seconds": time.perf_counter() - start, "cell": cell,
            "cell_source": first, "error": error}  # fmt: skip


def run_job_file(job_file: str | Path, warm: bool = False) -> int:
    """Read a job, execute it, write the outcome as JSON next to it; the process's exit code."""
    job = Job.read(job_file)
    if warm:
        prefork_kernel()
    outcome = execute(job, warm=warm)
    Path(job.result_file).write_text(json.dumps(outcome), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_job_file(sys.argv[1]))
