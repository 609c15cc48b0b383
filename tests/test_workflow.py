"""The GitHub workflow: actionlint passes, and a policy actionlint does not check holds.

Policy (each rule says why): no sudo (sudo's PATH can pick the system Python, which
``requires-python`` refuses, and leaves a root-owned workspace); read-only permissions except on
the deploy job, which alone gets ``pages: write`` and ``id-token: write``, runs only on a push to
main and runs no repository code; concurrency per ref (a pull request can never cancel main's
deploy); a pinned runner image; actions at or above their current major versions (older ones run
on a Node runtime GitHub removes); setup-python with a pip cache keyed on the lock.

The rules are also run on the workflow as it was before (``_PREVIOUS``): each problem it had must
be reported, so the checks are shown able to fail.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = Path(sys.executable).with_name("actionlint")
# Current major versions (checked 2026-11: checkout v6 and setup-python v6 run on Node 24;
# upload-pages-artifact v5 uses upload-artifact v7; deploy-pages v5 runs on Node 24).
MIN_MAJOR = {
    "actions/checkout": 6,
    "actions/setup-python": 6,
    "actions/upload-pages-artifact": 5,
    "actions/deploy-pages": 5,
}
DEPLOY_ONLY = {"pages", "id-token"}
PUSH_TO_MAIN = ("github.event_name == 'push'", "github.ref == 'refs/heads/main'")

_PREVIOUS = """\
name: book
on:
  push:
    branches: [main]
  pull_request:
  workflow_dispatch:
permissions:
  contents: read
  pages: write
  id-token: write
concurrency:
  group: pages
  cancel-in-progress: false
jobs:
  test-and-build:
    runs-on: ubuntu-latest
    timeout-minutes: 45
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: make test (installs, builds the default book, runs every test)
        env:
          CI: "true"
        run: sudo --preserve-env=CI,PATH,pythonLocation,LD_LIBRARY_PATH make test
      - uses: actions/upload-pages-artifact@v3
        with:
          path: book/_build/html
  deploy:
    if: github.ref == 'refs/heads/main'
    needs: test-and-build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""


def _steps(job: dict) -> list[dict]:
    return list(job.get("steps") or [])


def _runs_repository_code(job: dict) -> bool:
    return any(
        "run" in s or str(s.get("uses", "")).startswith("actions/checkout") for s in _steps(job)
    )


def _writes(perms: Any) -> set[str]:
    if perms in ("write-all",):
        return {"*"}
    if isinstance(perms, dict):
        return {k for k, v in perms.items() if v == "write"}
    return set()


def policy_problems(doc: dict) -> list[str]:
    """Every broken rule of the workflow ``doc`` (parsed YAML), one line each."""
    problems: list[str] = []
    jobs: dict[str, dict] = doc.get("jobs") or {}
    top = doc.get("permissions")
    if top is None:
        problems.append("permissions: not set at the top (the default token may write)")
    elif _writes(top):
        problems.append(f"permissions: the workflow grants {sorted(_writes(top))} to every job")
    conc = doc.get("concurrency") or {}
    group = str(conc.get("group", "")) if isinstance(conc, dict) else str(conc)
    if "github.ref" not in group:
        problems.append(f"concurrency: group {group!r} is not per ref")
    if (conc.get("cancel-in-progress") if isinstance(conc, dict) else None) is True:
        problems.append("concurrency: cancel-in-progress is true for every ref, main included")
    for name, job in jobs.items():
        where = f"jobs.{name}"
        runs_on = str(job.get("runs-on", ""))
        if not re.fullmatch(r"ubuntu-\d{2}\.\d{2}", runs_on):
            problems.append(f"{where}.runs-on: {runs_on!r} is not a pinned Ubuntu image")
        for step in _steps(job):
            if re.search(r"\bsudo\b", str(step.get("run", ""))):
                problems.append(f"{where}: a step runs sudo: {step['run']!r}")
            uses = str(step.get("uses", ""))
            if uses:
                action, _, ref = uses.partition("@")
                major = re.fullmatch(r"v(\d+)(\.\d+)*", ref)
                if not (major or re.fullmatch(r"[0-9a-f]{40}", ref)):
                    problems.append(f"{where}: {uses} is not pinned to a version")
                elif major and int(major.group(1)) < MIN_MAJOR.get(action, 0):
                    problems.append(f"{where}: {uses} is older than {action}@v{MIN_MAJOR[action]}")
            if uses.startswith("actions/setup-python"):
                with_ = step.get("with") or {}
                if with_.get("cache") != "pip" or "requirements.lock" not in str(
                    with_.get("cache-dependency-path", "")
                ):
                    problems.append(f"{where}: setup-python has no pip cache keyed on the lock")
        granted = _writes(job.get("permissions", top))
        deploys = any(
            str(s.get("uses", "")).startswith("actions/deploy-pages") for s in _steps(job)
        )
        if granted & (DEPLOY_ONLY | {"*"}) and not deploys:
            problems.append(f"{where}: gets {sorted(granted)} but does not deploy")
        if granted and _runs_repository_code(job):
            problems.append(
                f"{where}: runs repository code with write permissions {sorted(granted)}"
            )
        if deploys:
            if not DEPLOY_ONLY <= granted:
                problems.append(f"{where}: the deploy job lacks pages/id-token write")
            condition = str(job.get("if", ""))
            if not all(part in condition for part in PUSH_TO_MAIN):
                problems.append(f"{where}.if: {condition!r} does not limit it to a push to main")
    return problems


def _load(text: str) -> dict:
    doc = yaml.safe_load(text)
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return doc


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_passes_actionlint(path):
    assert ACTIONLINT.is_file(), f"actionlint missing at {ACTIONLINT}: make install (test extra)"
    done = subprocess.run(
        [str(ACTIONLINT), "-shellcheck=", "-pyflakes=", "-no-color", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_refuses_the_previous_workflow(tmp_path):
    """The old file ran actions on the Node 20 runtime that GitHub removes."""
    old = tmp_path / ".github" / "workflows" / "book.yml"
    old.parent.mkdir(parents=True)
    old.write_text(_PREVIOUS)
    done = subprocess.run(
        [str(ACTIONLINT), "-shellcheck=", "-pyflakes=", "-no-color", str(old)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 1 and "actions/checkout@v4" in done.stdout, done.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_follows_the_policy(path):
    assert policy_problems(_load(path.read_text())) == []


def test_policy_reports_every_problem_of_the_previous_workflow():
    problems = "\n".join(policy_problems(_load(_PREVIOUS)))
    for expected in (
        "permissions: the workflow grants ['id-token', 'pages'] to every job",
        "concurrency: group 'pages' is not per ref",
        "jobs.test-and-build.runs-on: 'ubuntu-latest' is not a pinned Ubuntu image",
        "jobs.deploy.runs-on: 'ubuntu-latest'",
        "jobs.test-and-build: a step runs sudo",
        "jobs.test-and-build: actions/checkout@v4 is older than actions/checkout@v6",
        "jobs.test-and-build: actions/setup-python@v5 is older",
        "jobs.test-and-build: actions/upload-pages-artifact@v3 is older",
        "jobs.deploy: actions/deploy-pages@v4 is older",
        "jobs.test-and-build: setup-python has no pip cache keyed on the lock",
        "jobs.test-and-build: gets ['id-token', 'pages'] but does not deploy",
        "jobs.test-and-build: runs repository code with write permissions",
        "jobs.deploy.if: \"github.ref == 'refs/heads/main'\" does not limit it to a push to main",
    ):
        assert expected in problems, f"{expected!r} not in:\n{problems}"


def test_workflow_tests_with_the_readme_command_and_the_project_python():
    doc = _load((ROOT / ".github/workflows/book.yml").read_text())
    job = doc["jobs"]["test-and-build"]
    runs = [s["run"].strip() for s in _steps(job) if "run" in s]
    assert runs == ["make test"]
    assert str(job.get("env", {}).get("CI")) == "true"
    setup = next(s for s in _steps(job) if str(s.get("uses", "")).startswith("actions/setup-py"))
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert f">={setup['with']['python-version']}" in requires
