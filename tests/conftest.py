"""Shared, generic fixtures."""

from __future__ import annotations

import pytest

from trustexp.config import Params, params_from_dict


def make_params(**overrides) -> Params:
    """A small valid parameter set; ``overrides`` replace top-level keys (e.g. ``cohort={...}``)."""
    raw = {
        "name": "test",
        "municipality": "Oss",
        "seed": 7,
        "cohort": {
            "n_participants": 60,
            "n_non_participants": 90,
            "months_before": 3,
            "follow_up_months": 24,
        },
    }
    raw.update(overrides)
    return params_from_dict(raw, "<test>")


@pytest.fixture
def small_params() -> Params:
    """A small synthetic parameter set (60 participants, 90 non-participants)."""
    return make_params()


# --------------------------------------------------------------------------- small project (e2e)


def make_small_project(
    root,
    *,
    name: str = "small",
    seed: int | None = None,
    build: bool = True,
    jobs: int = 2,
    chapters=None,
):
    """A scratch project root with the book sources and a small parameter set, run (and built).

    Copies ``book/`` (without builds and executed chapters), ``notebooks/``, ``_config.yml`` and
    ``_toc.yml`` into ``root``, writes ``params/<name>.yml`` (the Oss set with 120 participants,
    400 non-participants, few permutations/simulations/bootstraps; ``seed`` overrides the seed),
    makes the cohort, runs ``chapters`` (default: every chapter of ``CHAPTERS``) and, with
    ``build``, builds the HTML.
    Returns ``(root, html_dir_or_None, log_lines)``.
    """
    import shutil
    from pathlib import Path

    import yaml

    from trustexp.config import load_params
    from trustexp.data.load import prepare
    from trustexp.report.build import build_book
    from trustexp.report.pipeline import run_chapters

    project = Path(__file__).resolve().parents[1]
    root = Path(root)
    if not (root / "book").exists():
        shutil.copytree(
            project / "book",
            root / "book",
            ignore=shutil.ignore_patterns("_build", "chapters", "generated"),
        )
        shutil.copytree(project / "notebooks", root / "notebooks")
        for f in ("_config.yml", "_toc.yml"):
            shutil.copy(project / f, root / f)
    raw = yaml.safe_load((project / "params/oss.yml").read_text())
    raw["name"] = name
    if seed is not None:
        raw["seed"] = seed
    raw["cohort"]["n_participants"] = 120
    raw["cohort"]["n_non_participants"] = 400
    raw["analysis"]["n_permutations"] = 200
    raw["analysis"]["n_simulations"] = 10
    raw["analysis"]["n_bootstrap"] = 200
    (root / "params").mkdir(exist_ok=True)
    params_file = f"params/{name}.yml"
    (root / params_file).write_text(yaml.safe_dump(raw, sort_keys=False))
    prepare(load_params(root / params_file), root=root)
    lines: list[str] = []
    from trustexp.report.contents import CHAPTERS

    report = run_chapters(
        params_file,
        root=root,
        jobs=jobs,
        log=lines.append,
        code_dir=project / "src/trustexp",
        chapters=CHAPTERS if chapters is None else tuple(chapters),
    )
    report.raise_for_failure()
    out = build_book(params_file, root, log=lines.append) if build else None
    return root, out, lines


@pytest.fixture(scope="session")
def small_book_session(tmp_path_factory):
    """``make_small_project`` built once per test process (share it via ``xdist_group("e2e")``)."""
    return make_small_project(tmp_path_factory.mktemp("project"))


def store_row(
    outcome, contrast, method, est, lo=None, hi=None, p=None, n=100, scale="points", chapter="x"
) -> dict:
    """One results-store row as a dict (for fixture stores built in tests)."""
    return dict(chapter=chapter, outcome=outcome, contrast=contrast, estimate=est, ci_low=lo,
                ci_high=hi, p=p, n=n, method=method, scale=scale)  # fmt: skip
