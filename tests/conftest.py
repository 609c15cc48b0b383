"""Shared, generic fixtures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import settings

from trustexp.config import Params, params_from_dict
from trustexp.stats.balance import BASELINE_ITEMS
from trustexp.stats.resources import person_spending

# Property tests are judged on what they find, not on how fast a loaded machine runs them:
# hypothesis deadlines would be timed tests (and flaky on a busy 2-core runner).
settings.register_profile("trustexp", deadline=None)
settings.load_profile("trustexp")


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


def rated_survey(rows):
    """rows: (person, wave, respondent, ladder, wellbeing, progress, completed)."""
    frame = pd.DataFrame(
        rows,
        columns=["person_id", "wave", "respondent", "ladder", "wellbeing", "progress", "completed"],
    )
    frame["rater_id"] = np.where(frame["respondent"] == "consultant", "C01", None)
    for col in ("ladder", "wellbeing", "progress"):
        frame[col] = frame[col].astype("Int64")
    return frame


# --------------------------------------------------------------------------- spending (resources)

SPENDING_PARTICIPANTS = pd.DataFrame(
    {
        "person_id": ["A", "B", "C", "D"],
        "arm": ["eigen_regie", "eigen_regie", "regulier", "regulier"],
    }
)


SPENDING = pd.DataFrame(
    {
        "person_id": ["A", "A", "A", "C", "Z"],
        "year": [2017, 2018, 2018, 2017, 2017],
        "instrument": ["training", "training", "travel", "reintegration_trajectory", "travel"],
        "amount_eur": [100.0, 50.0, 10.0, 1000.0, 999.0],
    }
)


def spending_outflow_case():
    """200 participants (two arms) with spending and outflow flags, and 1,000 non-participants."""
    parts = pd.DataFrame({"person_id": [f"P{i}" for i in range(200)],
                          "arm": ["eigen_regie"] * 100 + ["regulier"] * 100})  # fmt: skip
    spend = pd.DataFrame({"person_id": parts["person_id"], "year": 2017, "instrument": "training",
                          "amount_eur": [600.0] * 100 + [300.0] * 100})  # fmt: skip
    flags = pd.DataFrame({"person_id": parts["person_id"],
                          "outflow_full": [True] * 30 + [False] * 70 + [True] * 20 + [False] * 80})  # fmt: skip
    non = pd.DataFrame({"outflow_full": [True] * 100 + [False] * 900})
    return person_spending(spend, parts, ["training"]), flags, non


# --------------------------------------------------------------------------- survival (outflow)


def survival_frame(seed: int = 2, n: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(["eigen_regie", "intensief", "regulier", "non_participants"], n)
    rate = np.where(group == "non_participants", 0.03, np.where(group == "intensief", 0.07, 0.05))
    t = np.ceil(rng.exponential(1 / rate))
    time = np.minimum(t, 24).astype(float)
    event_any = (t <= 24).astype(int)
    full = event_any * (rng.random(n) < 0.5)
    return pd.DataFrame(
        {
            "group": group,
            "participant": (group != "non_participants").astype(int),
            "time": time,
            "event_any": event_any,
            "event_full": full,
            "age": rng.integers(18, 67, n).astype(float),
            "sex": rng.choice(["female", "male"], n),
            "household": rng.choice(["single", "single_parent", "couple", "couple_children"], n),
            "migration_background": rng.integers(0, 2, n),
            "benefit_years": rng.gamma(2, 1.5, n),
        }
    )


# --------------------------------------------------------------------------- a tiny trial (design, balance, response)


def tiny_trial():
    """Six participants (two per arm), two non-participants, questionnaires with gaps."""
    participants = pd.DataFrame({
        "person_id": [f"P{i}" for i in range(6)],
        "arm": ["eigen_regie", "eigen_regie", "intensief", "intensief", "regulier", "regulier"],
        "education": ["low", "high", "mid", "low", "mid", "high"],
    })  # fmt: skip
    population = pd.DataFrame({
        "person_id": [f"P{i}" for i in range(8)],
        "participant": [True] * 6 + [False] * 2,
        "age": [30, 40, 50, 35, 45, 55, 60, 62],
        "sex": ["male", "female"] * 4,
        "household": ["single", "couple", "single_parent", "couple_children"] * 2,
        "migration_background": [True, False, True, False, False, False, True, True],
        "benefit_months": [12, 24, 36, 48, 60, 72, 120, 144],
    })  # fmt: skip
    done = {  # (person, wave) -> completed own questionnaire
        ("P0", 0): True, ("P0", 1): True, ("P0", 2): True,
        ("P1", 0): True, ("P1", 1): False, ("P1", 2): False,
        ("P2", 0): True, ("P2", 1): True, ("P2", 2): True,
        ("P3", 0): False, ("P3", 1): False, ("P3", 2): True,
        ("P4", 0): True, ("P4", 1): True, ("P4", 2): False,
        ("P5", 0): True, ("P5", 1): True, ("P5", 2): True,
    }  # fmt: skip
    rows = [
        dict(
            person_id=p,
            wave=w,
            respondent="participant",
            completed=c,
            wellbeing=(6 + w if c else None),
        )
        for (p, w), c in done.items()
    ]
    survey = pd.DataFrame(rows)
    for col in BASELINE_ITEMS:
        if col not in survey:
            survey[col] = np.where(survey["completed"], 3.0, np.nan)
    return population, participants, survey
