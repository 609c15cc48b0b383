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
    truth: str | None = None,
    participants: int = 120,
    non_participants: int = 400,
    consultants: int | None = None,
):
    """A scratch project root with the book sources and a small parameter set, run (and built).

    Copies ``book/`` (without builds and executed chapters), ``notebooks/``, ``_config.yml`` and
    ``_toc.yml`` into ``root``, writes ``params/<name>.yml`` (the Oss set with 120 participants,
    400 non-participants, few permutations/simulations/bootstraps; ``seed`` overrides the seed),
    makes the cohort, runs ``chapters`` (default: every chapter of ``CHAPTERS``) and, with
    ``build``, builds the HTML. ``truth`` names a truth of ``params/truths/`` (``config.load_truth``)
    that replaces the parameter set's; ``participants``/``non_participants`` set the cohort size and
    ``consultants`` the truth's number of consultants.
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
        # the named truths the robustness chapter simulates under (config.TRUTHS_DIR)
        shutil.copytree(project / "params" / "truths", root / "params" / "truths")
    raw = yaml.safe_load((project / "params/oss.yml").read_text())
    raw["name"] = name
    if seed is not None:
        raw["seed"] = seed
    raw["cohort"]["n_participants"] = participants
    raw["cohort"]["n_non_participants"] = non_participants
    if truth is not None:
        from trustexp.config import load_truth, params_from_dict

        base = params_from_dict(raw, "<test>")
        raw["truth"] = load_truth(base, truth, project / "params" / "truths").model_dump(
            mode="json"
        )
    if consultants is not None:
        raw.setdefault("truth", {}).setdefault("consultants", {})["n_consultants"] = consultants
    raw["analysis"]["n_permutations"] = 200
    raw["analysis"]["n_simulations"] = 10
    raw["analysis"]["n_simulations_inference"] = 10
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


# --------------------------------------------------------------------------- a results store (summaries)


def answers_store() -> pd.DataFrame:
    """A hand-made results store with every row the answers, summaries and conclusions read.

    Outflow (pp, adjusted lottery contrasts): self-direction a clear gain, +8.0 [2.0, 14.0];
    intensive support too imprecise, +1.7 [-5.04, 9.0]; taking part (ATT) a clear gain,
    +9.25 [4.5, 14.0]. Wellbeing (points): self-direction within the 0.5 margin, +0.10
    [-0.20, 0.40]; intensive support a clear gain, +0.60 [0.10, 1.10]. Difficulty making ends
    meet (lower is better): intensive support -0.50 [-0.90, -0.10], a clear gain.
    """
    adj, anc, att = (
        "difference (covariate-adjusted)",
        "ANCOVA (baseline score)",
        "ATT (doubly robust)",
    )
    r = store_row
    rows = [
        r("outflow_full", "eigen_regie vs regulier", adj, 8.0, 2.0, 14.0, 0.01, 200, "pp"),
        r("outflow_full", "eigen_regie vs regulier", "difference (unadjusted)", 30.0, 20.0, 40.0, 0.001, 200, "pp"),
        r("outflow_full", "intensief vs regulier", adj, 1.7, -5.04, 9.0, 0.6, 200, "pp"),
        r("outflow_full", "participants vs non_participants", att, 9.25, 4.5, 14.0, 0.001, 2200, "pp"),
        r("outflow_full", "participants vs non_participants", "risk difference", 12.0, 8.0, 16.0, 0.001, 2200, "pp"),
        r("outflow_full", "eigen_regie vs regulier", "MDE registry", 16.5, None, None, None, 200, "pp"),
        r("outflow_full", "intensief vs regulier", "MDE registry", 16.9, None, None, None, 200, "pp"),
        r("wellbeing", "eigen_regie vs regulier", anc, 0.1, -0.2, 0.4, 0.5, 120),
        r("wellbeing", "intensief vs regulier", anc, 0.6, 0.1, 1.1, 0.02, 118),
        r("wellbeing", "eigen_regie vs regulier", "MDE wave 2", 0.85, None, None, None, 120),
        r("ladder_self", "eigen_regie vs regulier", anc, 0.2, -0.1, 0.5, 0.2, 110),
        r("ladder_self", "intensief vs regulier", anc, -0.1, -0.4, 0.2, 0.5, 110),
        r("financial_strain", "intensief vs regulier", anc, -0.5, -0.9, -0.1, 0.01, 118),
        r("health", "eigen_regie vs regulier", anc, 0.1, -0.3, 0.5, 0.6, 118),
        r("outflow_full", "participants level", "share (Wilson)", 0.2234, 0.18, 0.27, None, 300, "share"),
        r("outflow_full", "non_participants level", "share (Wilson)", 0.1066, 0.09, 0.12, None, 1234, "share"),
        *[r("outflow_full", f"{a} level", "share (Wilson)", 0.22, 0.1, 0.3, None, 100, "share")
          for a in ("eigen_regie", "intensief", "regulier")],
        *[r("response", f"{a} level", "share returned wave 2 (Wilson)", s, None, None, None, 100, "share")
          for a, s in (("eigen_regie", 0.5), ("intensief", 0.6), ("regulier", 0.7))],
        r("wellbeing", "eigen_regie wave 2 vs wave 0", "mean change", 0.5, 0.1, 0.9, 0.01, 60),
        r("wellbeing", "intensief wave 2 vs wave 0", "mean change", -0.25, -0.6, 0.1, 0.2, 60),
        r("outflow_full", "eigen_regie vs regulier", f"{adj} (adjusted)", 8.0, 2.0, 14.0, 0.02, 200, "pp"),
        r("outflow_full", "intensief vs regulier", f"{adj} (adjusted)", 1.7, -5.04, 9.0, 0.6, 200, "pp"),
        r("wellbeing", "intensief vs regulier", f"{anc} (adjusted)", 0.6, 0.1, 1.1, 0.04, 118),
        r("wellbeing", "consultant vs participant", "paired mean difference", 1.2, 0.8, 1.6, 0.001, 90),
        r("spending", "participants level", "spending per participant", 1591.4, 1500, 1700, None, 300, "eur"),
        r("spending", "participants vs non_participants",
          "cost per extra exit (ATT, both groups' costs, consultant time)", 27000.4, 15000, 60000, None, 2200, "eur"),
        r("outflow_full", "eigen_regie vs regulier", "simulation coverage: x [CR2], truth default", 0.935, 0.92,
          0.95, 0.3, 1000, "share"),
        r("wellbeing", "eigen_regie vs regulier", "simulation coverage: y [CR2], truth null", 0.96, 0.94,
          0.97, 0.6, 1000, "share"),
    ]  # fmt: skip
    return pd.DataFrame(rows)
