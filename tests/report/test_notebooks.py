"""Notebook post-processing: volatile metadata out, injected cell hidden, paths relative, clean sources."""

from __future__ import annotations

from pathlib import Path

import nbformat

from trustexp.report.notebooks import (
    check_clean_source,
    clean_executed,
    clean_executed_file,
    notebook_bytes,
    strip_outputs,
)


def source_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('params_file = "params/oss.yml"', id="params")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title", id="title"), params]
    nb.cells.append(nbformat.v4.new_code_cell("print(1)", id="work"))
    return nb


def executed_like_papermill(
    root: Path, start: str = "2026-01-01T10:00:00"
) -> nbformat.NotebookNode:
    """What papermill + nbclient leave in a notebook (times, paths, random injected-cell id)."""
    nb = source_notebook()
    injected = nbformat.v4.new_code_cell('# Parameters\nparams_file = "params/t.yml"\n')
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(2, injected)
    timing = {
        "start_time": start,
        "end_time": start,
        "duration": 0.1,
        "exception": False,
        "status": "completed",
    }
    for n, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = n + 1
        cell.metadata["papermill"] = dict(timing)
        cell.metadata["execution"] = {"iopub.status.busy": start, "shell.execute_reply": start}
    nb.cells[3].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=f"read {root}/data/x.csv\n"),
        nbformat.v4.new_output(
            "display_data",
            data={
                "text/plain": f"'{root}'",
                "image/png": "iVBORw0KGgo=",
                "text/html": f"<b>{root}2</b>",
            },
        ),
        nbformat.v4.new_output(
            "error", ename="FileNotFoundError", evalue=f"{root}/y", traceback=[f"File {root}/a.py"]
        ),
    ]
    nb.metadata["papermill"] = {
        **timing,
        "input_path": f"{root}/notebooks/a.ipynb",
        "output_path": f"{root}/.trustexp-cache/t/tmp/a.x.ipynb",
        "parameters": {"params_file": "params/t.yml"},
        "environment_variables": {},
        "version": "2.7.0",
    }
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "venv", "language": "python"}
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    return nb


def test_clean_executed_drops_volatile_metadata_and_keeps_parameters(tmp_path: Path) -> None:
    nb = clean_executed(executed_like_papermill(tmp_path), tmp_path)
    assert nb.metadata.papermill == {
        "parameters": {"params_file": "params/t.yml"},
        "environment_variables": {},
        "version": "2.7.0",
    }
    for cell in nb.cells:
        assert "papermill" not in cell.metadata and "execution" not in cell.metadata
    assert nb.metadata.kernelspec.display_name == "Python 3 (ipykernel)"
    assert nb.metadata.language_info.version == "3.11"
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == [1, 2, 3]


def test_injected_cell_is_tagged_remove_cell_with_a_fixed_id(tmp_path: Path) -> None:
    one = clean_executed(executed_like_papermill(tmp_path), tmp_path)
    two = clean_executed(executed_like_papermill(tmp_path, start="2026-02-02T11:11:11"), tmp_path)
    assert one.cells[2].metadata.tags == ["injected-parameters", "remove-cell"]
    assert one.cells[1].metadata.tags == ["parameters", "remove-cell"]  # values shown in provenance
    assert notebook_bytes(one) == notebook_bytes(two)  # random id and times gone


def test_root_path_in_outputs_becomes_dot_but_images_and_longer_names_stay(tmp_path: Path) -> None:
    outputs = clean_executed(executed_like_papermill(tmp_path), tmp_path).cells[3].outputs
    assert outputs[0].text == "read ./data/x.csv\n"
    assert outputs[1].data["text/plain"] == "'.'"
    assert outputs[1].data["text/html"] == f"<b>{tmp_path}2</b>"  # a sibling folder, not root
    assert outputs[1].data["image/png"] == "iVBORw0KGgo="
    assert outputs[2].evalue == "./y" and outputs[2].traceback == ["File ./a.py"]


def test_clean_executed_file_writes_indent_1_with_trailing_newline(tmp_path: Path) -> None:
    path = tmp_path / "a.ipynb"
    nbformat.write(executed_like_papermill(tmp_path), path)
    clean_executed_file(path, tmp_path)
    data = path.read_bytes()
    assert data.endswith(b"}\n") and data.startswith(b'{\n "cells": [\n  {\n')
    assert str(tmp_path).encode() + b"/" not in data
    assert list(tmp_path.iterdir()) == [path]  # no temp file left


def test_check_clean_source_accepts_a_clean_notebook_and_names_problems(tmp_path: Path) -> None:
    clean = tmp_path / "clean.ipynb"
    nbformat.write(source_notebook(), clean)
    assert check_clean_source(clean) == []

    dirty = tmp_path / "dirty.ipynb"
    nbformat.write(executed_like_papermill(tmp_path), dirty)
    problems = "\n".join(check_clean_source(dirty))
    assert "code cell 3 has outputs" in problems
    assert "execution count" in problems
    assert "injected-parameters" in problems
    assert "papermill run data" in problems

    no_params = source_notebook()
    no_params.cells[1].metadata["tags"] = []
    path = tmp_path / "no_params.ipynb"
    nbformat.write(no_params, path)
    assert check_clean_source(path) == [f"{path}: no cell is tagged 'parameters'"]


def test_strip_outputs_turns_an_executed_notebook_back_into_its_source(tmp_path: Path) -> None:
    path = tmp_path / "a.ipynb"
    nbformat.write(executed_like_papermill(tmp_path), path)
    assert strip_outputs(path) is True
    assert check_clean_source(path) == []
    stripped = nbformat.read(path, as_version=4)
    assert [c.source for c in stripped.cells] == [c.source for c in source_notebook().cells]
    assert strip_outputs(path) is False  # already clean: file untouched
