"""The synthetic cohort: deterministic per seed, canonical, valid, calibrated in shape."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import make_params

from trustexp.data import codebook
from trustexp.data.outcomes import outflow_flags, outflow_flags_sql
from trustexp.data.schema import validate_cohort
from trustexp.data.synthetic import generate, write_synthetic


def test_same_seed_gives_identical_frames(small_params):
    a, b = generate(small_params), generate(small_params)
    for table in codebook.TABLES:
        pd.testing.assert_frame_equal(a.table(table), b.table(table))


def test_other_seed_gives_different_frames(small_params):
    a = generate(small_params)
    b = generate(make_params(seed=8))
    assert not a.participants["arm"].equals(b.participants["arm"])
    assert not a.registry["on_benefit"].equals(b.registry["on_benefit"])


def test_tables_have_canonical_columns_and_dtypes(small_params):
    cohort = generate(small_params)
    for table in codebook.TABLES:
        frame = cohort.table(table)
        assert list(frame.columns) == list(codebook.columns(table))
        for col in frame.columns:
            assert frame[col].dtype == codebook.pandas_dtype(table, col), (table, col)
    validate_cohort(cohort)


def test_lottery_gives_equal_as_possible_arms():
    cohort = generate(make_params(cohort={"n_participants": 61, "n_non_participants": 30}))
    counts = cohort.participants["arm"].value_counts()
    assert counts.max() - counts.min() <= 1 and counts.sum() == 61


def test_survey_has_a_row_per_person_wave_and_respondent_with_nulls_for_non_response(small_params):
    cohort = generate(small_params)
    s = cohort.survey
    assert len(s) == 60 * 3 * 2
    missing = s[~s["completed"]]
    assert (
        len(missing) > 0
        and missing["wellbeing"].isna().all()
        and missing["response_date"].isna().all()
    )
    resp = s[s["respondent"] == "participant"].groupby("wave")["completed"].mean()
    assert resp[0] > resp[2]
    cons = s[s["respondent"] == "consultant"]
    own = cons["person_id"].map(cohort.participants.set_index("person_id")["consultant_id"])
    assert (cons["rater_id"] == own).all()


def test_registry_is_contiguous_and_exit_rows_are_off_benefit(small_params):
    cohort = generate(small_params)
    reg = cohort.registry
    per_person = reg.groupby("person_id", observed=True).size()
    assert (per_person == 3 + 24 + 1).all()
    exits = reg[reg["exit_reason"].notna()]
    assert not exits["on_benefit"].any()
    assert exits.groupby("person_id").size().max() == 1
    index = reg[reg["month"] == "2017-04-01"]
    assert index["on_benefit"].all()  # everyone is on benefit at the index date


def test_most_spending_is_not_on_reintegration_trajectories():
    cohort = generate(make_params(cohort={"n_participants": 300, "n_non_participants": 30}))
    by = cohort.spending.groupby("instrument", observed=True)["amount_eur"].sum()
    assert by["reintegration_trajectory"] / by.sum() < 0.3
    assert (cohort.spending["amount_eur"] >= 0).all()


def test_non_participants_are_older_with_longer_benefit_durations():
    cohort = generate(make_params(cohort={"n_participants": 600, "n_non_participants": 1200}))
    pop = cohort.population
    g = pop.groupby("participant")[["age", "benefit_months"]].median()
    assert g.loc[False, "age"] > g.loc[True, "age"]
    assert g.loc[False, "benefit_months"] > g.loc[True, "benefit_months"]


def test_national_scale_streams_registry_to_parquet_files_and_matches_in_memory(tmp_path):
    params = make_params(
        cohort={
            "n_participants": 60,
            "comparison": "national",
            "national_people": 1500,
            "national_months": 24,
            "months_before": 3,
        }
    )
    folder = write_synthetic(params, tmp_path / "nat")
    from trustexp.data.cohort import read_cohort

    on_disk = read_cohort(folder, load_registry=False)
    assert on_disk.registry.empty and on_disk.registry_on_disk
    assert len(on_disk.population) == 60 + 1500
    in_memory = generate(params)
    assert len(in_memory.registry) == (60 + 1500) * 24
    sql = outflow_flags_sql(on_disk.registry_path, on_disk.population, 12)
    mem = outflow_flags(in_memory.population, in_memory.registry, 12)
    pd.testing.assert_frame_equal(sql, mem, check_dtype=False)
    validate_cohort(on_disk)


@pytest.mark.parametrize("window", [6, 24])
def test_outflow_flags_count_exits_after_the_index_month_within_the_window(window):
    pop = pd.DataFrame(
        {"person_id": ["a", "b", "c"], "index_date": pd.to_datetime(["2017-04-01"] * 3)}
    )
    reg = pd.DataFrame(
        {
            "person_id": ["a", "b", "c"],
            "month": pd.to_datetime(["2017-05-01", "2017-11-01", "2017-04-01"]),
            "exit_reason": ["work_full", "work_part", "work_full"],
        }
    )
    flags = outflow_flags(pop, reg, window).set_index("person_id")
    assert flags.loc["a", "outflow_full"] and not flags.loc["c", "outflow_any"]
    assert flags.loc["b", "outflow_any"] == (window >= 7) and not flags.loc["b", "outflow_full"]


def test_on_disk_registry_with_a_missing_month_is_refused_naming_the_file(tmp_path):
    import pyarrow.parquet as pq

    from trustexp.data.cohort import read_cohort
    from trustexp.errors import InvalidData

    params = make_params(
        cohort={
            "n_participants": 30,
            "comparison": "national",
            "national_people": 1000,
            "national_months": 12,
            "months_before": 1,
        }
    )
    folder = write_synthetic(params, tmp_path / "nat")
    part = folder / "registry" / "part-00001.parquet"
    table = pq.read_table(part)
    pq.write_table(table.take([i for i in range(table.num_rows) if i != 3]), part)
    cohort = read_cohort(folder, load_registry=False)
    with pytest.raises(
        InvalidData, match=r"part-00001.parquet: column 'month': months not contiguous per person"
    ):
        validate_cohort(cohort)
