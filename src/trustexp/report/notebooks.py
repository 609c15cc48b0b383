"""Post-processing of notebooks: byte-stable executed chapters and clean source notebooks.

Papermill and nbclient write run-specific values into an executed notebook (start and end times,
durations, exception flags, its own input and output paths, per-cell timing, a random id for the
cell it injects). ``clean_executed`` removes them so that two runs on the same inputs give the same
bytes, tags the injected cell ``remove-cell`` (Jupyter Book hides it; the parameter values are shown
in the provenance appendix) and replaces the absolute path of the project root in outputs by ``.``.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path
from typing import Any

import nbformat

from trustexp.files import write_atomic

INJECTED_TAG = "injected-parameters"
PARAMETERS_TAG = "parameters"
REMOVE_TAG = "remove-cell"
INJECTED_CELL_ID = "injected-parameters"
ERROR_MARKER_TAG = "papermill-error-cell-tag"

_VOLATILE_PAPERMILL_KEYS = (
    "start_time",
    "end_time",
    "duration",
    "exception",
    "status",
    "input_path",
    "output_path",
)
_KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _drop_volatile_papermill(meta: Any) -> None:
    pm = meta.get("papermill")
    if pm is None:
        return
    for key in _VOLATILE_PAPERMILL_KEYS:
        pm.pop(key, None)
    if not pm:
        del meta["papermill"]


def _path_pattern(root: Path) -> re.Pattern[str] | None:
    """Match the absolute root path (as given and resolved) not followed by more name characters."""
    forms = {str(root.absolute()), str(root.resolve())}
    forms = {f.rstrip("/\\") for f in forms if len(f.rstrip("/\\")) > 1}
    if not forms:
        return None
    alts = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?:{alts})(?![\w.\-])")


def _sub_all(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(".", value)
    if isinstance(value, list):
        return [_sub_all(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _sub_all(v, pattern) for k, v in value.items()}
    return value


def _strip_paths(output: dict[str, Any], pattern: re.Pattern[str]) -> dict[str, Any]:
    """Replace the root path in an output's text, data and traceback (not in binary images)."""
    for key, value in output.items():
        if key == "data":
            output[key] = {
                mime: v
                if mime.startswith("image/") and mime != "image/svg+xml"
                else _sub_all(v, pattern)
                for mime, v in value.items()
            }
        elif key != "metadata":
            output[key] = _sub_all(value, pattern)
    return output


def _stable_id(index: int, source: str) -> str:
    return hashlib.sha1(f"{index}:{source}".encode()).hexdigest()[:12]


def clean_executed(
    nb: nbformat.NotebookNode, root: Path | str | None = None
) -> nbformat.NotebookNode:
    """Make an executed notebook byte-stable and book-ready (in place; also returned).

    Removes papermill's times, durations, exception flags and paths (keeps ``parameters``),
    nbclient's per-cell ``execution`` timing, tags the injected cell ``remove-cell`` with a fixed
    id, sets a fixed kernelspec and ``language_info.version`` to major.minor, and replaces the
    absolute ``root`` path in outputs by ``.``. Cell and output order is kept.
    """
    _drop_volatile_papermill(nb.metadata)
    nb.metadata["kernelspec"] = nbformat.from_dict(dict(_KERNELSPEC))
    info = nb.metadata.get("language_info")
    if info and isinstance(info.get("version"), str):
        info["version"] = ".".join(info["version"].split(".")[:2])
    pattern = _path_pattern(Path(root)) if root is not None else None
    for index, cell in enumerate(nb.cells):
        # nbformat gives cells without an id a random one on read: derive it from the cell instead.
        cell["id"] = _stable_id(index, cell.get("source", ""))
        meta = cell.setdefault("metadata", nbformat.NotebookNode())
        _drop_volatile_papermill(meta)
        meta.pop("execution", None)
        tags = _tags(cell)
        if PARAMETERS_TAG in tags and REMOVE_TAG not in tags:
            # readers see the parameter values once, in the provenance appendix
            tags.append(REMOVE_TAG)
            meta["tags"] = tags
        if INJECTED_TAG in tags:
            if REMOVE_TAG not in tags:
                tags.append(REMOVE_TAG)
            meta["tags"] = tags
            cell["id"] = INJECTED_CELL_ID
        if pattern is not None and cell.get("cell_type") == "code":
            cell["outputs"] = [
                nbformat.from_dict(_strip_paths(dict(out), pattern))
                for out in cell.get("outputs", [])
            ]
    return nb


def notebook_bytes(nb: nbformat.NotebookNode) -> bytes:
    """Serialise as nbformat does (indent 1, sorted keys), ending in one newline."""
    text = nbformat.writes(nb, version=nbformat.NO_CONVERT)
    if not text.endswith("\n"):
        text += "\n"
    return text.encode("utf-8")


def clean_executed_file(path: Path | str, root: Path | str | None = None) -> None:
    """Post-process an executed notebook file in place (see ``clean_executed``)."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    write_atomic(notebook_bytes(clean_executed(nb, root)), path)


def check_clean_source(path: Path | str) -> list[str]:
    """Problems that keep a source notebook from being committed; empty when it is clean.

    A clean source has no outputs, no execution counts, no papermill leftovers and exactly one
    cell tagged ``parameters``.
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    problems: list[str] = []
    n_params = 0
    code_no = 0
    for cell in nb.cells:
        tags = _tags(cell)
        if PARAMETERS_TAG in tags:
            n_params += 1
        if cell.get("cell_type") != "code":
            continue
        code_no += 1
        if cell.get("outputs"):
            problems.append(f"{path}: code cell {code_no} has outputs")
        if cell.get("execution_count") is not None:
            problems.append(f"{path}: code cell {code_no} has an execution count")
        if INJECTED_TAG in tags:
            problems.append(f"{path}: code cell {code_no} is a papermill injected-parameters cell")
    if "papermill" in nb.metadata:
        problems.append(f"{path}: notebook metadata holds papermill run data")
    if n_params == 0:
        problems.append(f"{path}: no cell is tagged 'parameters'")
    elif n_params > 1:
        problems.append(
            f"{path}: {n_params} cells are tagged 'parameters' (papermill uses the first)"
        )
    return problems


def strip_outputs(path: Path | str) -> bool:
    """Turn a notebook back into a clean source in place; return whether the file changed.

    Clears outputs and execution counts, drops papermill's injected cell, error markers and
    metadata, and nbclient's timing.
    """
    path = Path(path)
    before = path.read_bytes()
    nb = nbformat.reads(before.decode("utf-8"), as_version=4)
    nb.metadata.pop("papermill", None)
    kept = []
    for cell in nb.cells:
        tags = _tags(cell)
        if INJECTED_TAG in tags or ERROR_MARKER_TAG in tags:
            continue
        meta = cell.setdefault("metadata", nbformat.NotebookNode())
        meta.pop("papermill", None)
        meta.pop("execution", None)
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        kept.append(cell)
    nb.cells = kept
    after = notebook_bytes(nb)
    if after == before:
        return False
    write_atomic(after, path)
    return True


def main(argv: list[str] | None = None) -> int:
    """``python -m trustexp.report.notebooks strip|check FILE...``: strip or check sources."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or args[0] not in {"strip", "check"}:
        print("usage: python -m trustexp.report.notebooks strip|check NOTEBOOK...", file=sys.stderr)
        return 2
    status = 0
    for name in args[1:]:
        if args[0] == "strip":
            if strip_outputs(name):
                print(f"stripped {name}")
        else:
            for problem in check_clean_source(name):
                print(problem)
                status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
