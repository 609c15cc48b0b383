"""Chapter 1 (design): the CONSORT table."""

from __future__ import annotations

from conftest import tiny_trial

from trustexp.chapters import design as show
from trustexp.stats import design
from trustexp.vocab import STAGES


def test_consort_table_has_one_row_per_stage_and_a_column_per_arm():
    population, participants, survey = tiny_trial()
    table = show.consort_table(design.consort_counts(population, participants, survey))
    assert len(table) == len(STAGES)
    assert table.iloc[0, 1:].tolist() == [2, 2, 2]
