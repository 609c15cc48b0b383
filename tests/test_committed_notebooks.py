"""What reviewers read on GitHub: clean source notebooks and the committed executed chapters.

``notebooks/`` holds sources without outputs and one ``parameters`` cell. ``book/chapters/`` holds
the executed notebooks of the default (Oss) run, committed like Quarto's freeze: every chart has a
static PNG beside its interactive HTML, chart element ids derive from the chart, no machine path
or papermill timing is left, the injected parameters cell is hidden, and the file is exactly what
the pipeline's post-processing writes. ``make test`` then checks with ``git diff`` that the
committed files equal this build's; ``test_committed_notebooks_match_the_current_sources`` says
which chapter is stale before that.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from trustexp.charts import chart_id
from trustexp.report import audit
from trustexp.report.contents import CHAPTERS
from trustexp.report.notebooks import (
    INJECTED_CELL_ID,
    INJECTED_TAG,
    PARAMETERS_TAG,
    REMOVE_TAG,
    check_clean_source,
    clean_executed,
    notebook_bytes,
)

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "notebooks"
EXECUTED = ROOT / "book" / "chapters"
DEFAULT_PARAMS = "params/oss.yml"
CI = os.environ.get("CI", "").lower() == "true"
MACHINE_PATH = re.compile(
    r"(?<![\w.])(?:/work/|/tmp/|/root/|/home/|/Users/|/private/var/|/var/folders/|[A-Za-z]:\\\\Users\\\\)"
)
VOLATILE = {
    "start_time",
    "end_time",
    "duration",
    "exception",
    "status",
    "input_path",
    "output_path",
}
KEYS = [c.key for c in CHAPTERS]


def _executed(spec) -> nbformat.NotebookNode:
    path = EXECUTED / spec.notebook
    if not path.is_file():
        pytest.fail(
            f"{path.relative_to(ROOT)} is missing: run `make book` and commit book/chapters"
        )
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("spec", CHAPTERS, ids=KEYS)
def test_source_notebook_is_clean_with_only_the_params_file_parameter(spec):
    path = SOURCES / spec.notebook
    assert check_clean_source(path) == []
    nb = nbformat.read(path, as_version=4)
    params = [c for c in nb.cells if PARAMETERS_TAG in c.metadata.get("tags", [])]
    assert params[0].source.strip() == f'params_file = "{DEFAULT_PARAMS}"', params[0].source


def test_committed_chapters_are_exactly_the_chapter_list():
    committed = {p.name for p in EXECUTED.glob("*.ipynb")}
    expected = {c.notebook for c in CHAPTERS}
    assert not expected - committed, (
        f"missing in book/chapters (run make book): {expected - committed}"
    )
    assert not committed - expected, f"stale files in book/chapters: {committed - expected}"


@pytest.mark.parametrize("spec", CHAPTERS, ids=KEYS)
def test_every_chart_has_a_static_image_and_an_id_derived_from_its_spec(spec):
    nb = _executed(spec)
    problems = []
    for index, cell in enumerate(nb.cells, start=1):
        outputs = cell.get("outputs", [])
        for k, out in enumerate(outputs):
            html = "".join(out.get("data", {}).get("text/html", ""))
            if "altair-viz-" in html:
                problems.append(
                    f"cell {index}: a random altair-viz id (display charts with ch.show)"
                )
            ids = re.findall(r'<div id="(trustexp-chart-[0-9a-f]+-(\d+))"', html)
            if not ids:
                continue
            previous = outputs[k - 1].get("data", {}) if k else {}
            if "image/png" not in previous:
                problems.append(f"cell {index} output {k + 1}: chart without a PNG before it")
            for (element, seq), spec_ in zip(ids, audit.chart_specs(html), strict=False):
                if chart_id(spec_, int(seq)) != element:
                    problems.append(
                        f"cell {index}: chart id {element} is not derived from its spec"
                    )
    assert not problems, f"{spec.notebook}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("spec", CHAPTERS, ids=KEYS)
def test_no_machine_path_timing_error_or_visible_parameters(spec):
    nb = _executed(spec)
    problems = []
    pm = nb.metadata.get("papermill", {})
    if VOLATILE & set(pm):
        problems.append(f"notebook metadata keeps papermill {sorted(VOLATILE & set(pm))}")
    if pm.get("parameters") != {"params_file": DEFAULT_PARAMS}:
        problems.append(f"executed with parameters {pm.get('parameters')}, not the default set")
    for index, cell in enumerate(nb.cells, start=1):
        meta = cell.get("metadata", {})
        if "execution" in meta or VOLATILE & set(meta.get("papermill", {})):
            problems.append(f"cell {index}: timing metadata left in")
        tags = meta.get("tags", [])
        if INJECTED_TAG in tags and (REMOVE_TAG not in tags or cell.get("id") != INJECTED_CELL_ID):
            problems.append(f"cell {index}: injected parameters not tagged {REMOVE_TAG!r}")
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"cell {index}: error output {out.get('ename')}")
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                problems.append(
                    f"cell {index}: stderr output {''.join(out.get('text', ''))[:100]!r}"
                )
            data = {m: v for m, v in out.get("data", {}).items() if not m.startswith("image/png")}
            text = json.dumps([data, out.get("text", ""), out.get("metadata", {})])
            if m := MACHINE_PATH.search(text):
                start = max(0, m.start() - 40)
                problems.append(
                    f"cell {index}: machine path in output: ...{text[start : m.end() + 40]}..."
                )
    if m := MACHINE_PATH.search(json.dumps(nb.metadata)):
        problems.append(f"machine path in notebook metadata: {m.group(0)}")
    assert not problems, f"{spec.notebook}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("spec", CHAPTERS, ids=KEYS)
def test_committed_notebook_is_in_post_processed_form(spec):
    path = EXECUTED / spec.notebook
    nb = _executed(spec)
    assert notebook_bytes(clean_executed(nb)) == path.read_bytes(), (
        f"{spec.notebook} is not what the pipeline writes (edited by hand or not post-processed)"
    )


def test_committed_notebooks_match_the_current_sources():
    """The run that wrote each committed notebook had today's notebook, parameters, data and code."""
    from trustexp.report.pipeline import (
        CACHE_DIRNAME,
        ParamSet,
        chapter_keys,
        default_code_dir,
    )

    cache = ROOT / CACHE_DIRNAME / "oss"
    if not cache.is_dir():
        message = f"no pipeline cache at {cache}: run `make book` first"
        pytest.fail(message) if CI else pytest.skip(message)
    param_set = ParamSet.load(DEFAULT_PARAMS, ROOT)
    keys = chapter_keys(
        CHAPTERS,
        notebooks_dir=SOURCES,
        params_file=DEFAULT_PARAMS,
        param_set=param_set,
        code_dir=default_code_dir(),
    )
    stale = []
    for spec in CHAPTERS:
        record_file = cache / f"{spec.key}.json"
        record = json.loads(record_file.read_text()) if record_file.is_file() else {}
        changed = [
            part
            for part, value in keys[spec.key]["parts"].items()
            if record.get("parts", {}).get(part) != value
        ]
        out = EXECUTED / spec.notebook
        digest = hashlib.sha256(out.read_bytes()).hexdigest() if out.is_file() else None
        if changed or record.get("output_sha256") != digest:
            why = (
                f"changed since it ran: {', '.join(changed)}"
                if changed
                else "file differs from the run"
            )
            stale.append(f"{spec.notebook} ({why})")
    assert not stale, (
        "stale executed chapters (run `make book` and commit book/chapters): " + "; ".join(stale)
    )
