"""The seed search: reproducible, and measuring what the written cohort shows."""

from __future__ import annotations

import pytest

from trustexp.cli import main
from trustexp.config import load_params
from trustexp.data.cohort import read_cohort
from trustexp.data.load import prepare
from trustexp.data.outcomes import cohort_outflow_flags
from trustexp.report.calibration import SEED_SEARCH
from trustexp.seeds import search_summary, seed_gaps, seed_search

CHOSEN = SEED_SEARCH["chosen"]


def test_seed_gaps_equal_the_gaps_of_the_written_cohort(tmp_path):
    """The search's arrays and the cohort the book reads (registry months, outflow flags) agree."""
    params = load_params()
    cohort = read_cohort(prepare(params, root=tmp_path), load_registry=True)
    flags = cohort_outflow_flags(cohort, params.analysis.outflow_window_months)
    pop = cohort.population.merge(flags, on="person_id")
    arms = cohort.participants[["person_id", "arm"]]
    pop = pop.merge(arms, on="person_id", how="left")
    base = pop.loc[pop["arm"].isna(), "outflow_full"].mean()
    by_arm = pop.dropna(subset=["arm"]).groupby("arm", observed=True)["outflow_full"].mean()
    gaps = seed_gaps(params)
    for arm, share in by_arm.items():
        assert gaps[arm] == pytest.approx(100 * (share - base), abs=1e-9), arm


def test_the_chosen_seed_lands_and_its_neighbours_are_counted():
    params = load_params()
    found = seed_search(params, CHOSEN - 1, CHOSEN + 1)
    assert list(found["seed"]) == [CHOSEN - 1, CHOSEN, CHOSEN + 1]
    summary = search_summary(found, CHOSEN)
    assert summary["n_seeds"] == 3 and summary["chosen_in_range"] and summary["chosen_lands"]
    assert summary["n_landed"] == int(found["lands"].sum())
    outside = search_summary(found, CHOSEN + 10)
    assert not outside["chosen_in_range"] and not outside["chosen_lands"]


def test_trustexp_seeds_prints_the_count(capsys):
    assert main(["seeds", "--first", str(CHOSEN), "--last", str(CHOSEN)]) == 0
    out = capsys.readouterr().out
    assert f"1 of 1 seeds ({CHOSEN} to {CHOSEN}) land" in out
    assert f"seed {CHOSEN} lands" in out
