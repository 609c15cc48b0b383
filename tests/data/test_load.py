"""Raw files: round trips through CSV (also Dutch exports), Parquet and SPSS, and refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_params
from rawfiles import assert_same_cohort, write_csv, write_parquet, write_sav

from trustexp.data.cohort import read_cohort
from trustexp.data.load import load_raw, prepare, validate_dir
from trustexp.data.synthetic import generate
from trustexp.errors import InvalidData


@pytest.fixture(scope="module")
def tiny():
    """A very small valid cohort (12 participants, 6 non-participants, 6 registry months)."""
    return generate(
        make_params(
            seed=3,
            cohort={
                "n_participants": 30,
                "n_non_participants": 30,
                "months_before": 1,
                "follow_up_months": 6,
            },
        )
    )


@pytest.fixture
def csv_dir(tiny, tmp_path) -> Path:
    return write_csv(tiny, tmp_path / "raw")


def test_csv_round_trip(tiny, csv_dir):
    assert_same_cohort(tiny, load_raw(csv_dir))


def test_dutch_spreadsheet_export_round_trip(tiny, tmp_path):
    """';' separator, decimal comma, cp1252, Dutch column names and codes (1/2/3, ja/nee, dd-mm-yyyy)."""
    cohort = generate(
        make_params(
            seed=3,
            municipality="Súdwest-Fryslân",
            cohort={
                "n_participants": 30,
                "n_non_participants": 30,
                "months_before": 1,
                "follow_up_months": 6,
            },
        )
    )
    folder = write_csv(cohort, tmp_path / "raw", dutch=True)
    head = (folder / "participants.csv").read_bytes().splitlines()[0]
    assert b"persoonsnummer;gemeente;groep" in head
    loaded = load_raw(folder)
    assert loaded.participants["municipality"].iloc[0] == "Súdwest-Fryslân"
    assert_same_cohort(cohort, loaded)


def test_utf8_bom_csv_is_read(tiny, csv_dir):
    path = csv_dir / "participants.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert_same_cohort(tiny, load_raw(csv_dir))


def test_parquet_round_trip(tiny, tmp_path):
    assert_same_cohort(tiny, load_raw(write_parquet(tiny, tmp_path / "raw")))


def test_sav_round_trip_with_value_labels(tiny, tmp_path):
    folder = write_sav(tiny, tmp_path / "raw")
    assert_same_cohort(tiny, load_raw(folder))


def test_validate_dir_summarises_a_valid_folder(csv_dir):
    assert "all five tables are valid" in validate_dir(csv_dir)


def test_prepare_raw_writes_canonical_parquet_and_is_a_no_op_when_unchanged(
    tiny, csv_dir, tmp_path
):
    root = tmp_path
    params = make_params(data={"source": "raw", "raw_dir": "raw"})
    dest = prepare(params, root)
    assert_same_cohort(tiny, read_cohort(dest))
    stamp = (dest / "manifest.json").stat().st_mtime_ns
    prepare(params, root)
    assert (dest / "manifest.json").stat().st_mtime_ns == stamp


# --- corruptions: each refused with a precise message ----------------------------------------


def _edit(folder: Path, table: str, fn) -> None:
    path = folder / f"{table}.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df = fn(df)
    df.to_csv(path, index=False)


def _set(table: str, row: int, column: str, value: str):
    """Set data row ``row`` (1-based, as in the messages) of a column."""

    def fn(df):
        df.loc[row - 1, column] = value
        return df

    return table, fn


def _first_row(df: pd.DataFrame, **eq) -> int:
    mask = pd.Series(True, index=df.index)
    for k, v in eq.items():
        mask &= df[k] == v
    return int(mask.to_numpy().nonzero()[0][0]) + 1


def _consultant_row_of_other_client(folder: Path) -> tuple[int, str]:
    s = pd.read_csv(folder / "survey.csv", dtype=str, keep_default_na=False)
    p = pd.read_csv(folder / "participants.csv", dtype=str, keep_default_na=False)
    row = _first_row(s, respondent="consultant")
    own = p.set_index("person_id").loc[s.loc[row - 1, "person_id"], "consultant_id"]
    other = sorted(set(p["consultant_id"]) - {own})[0]
    return row, other


CORRUPTIONS = {
    "duplicate person id": (
        _set("population", 2, "person_id", "P0000001"),
        ["population.csv", "'person_id'", "duplicate key", "rows 1, 2", "'P0000001'"],
    ),
    "misspelled arm": (
        _set("participants", 3, "arm", "eigen_regi"),
        ["participants.csv", "'arm'", "unknown level", "rows 3", "'eigen_regi'"],
    ),
    "wave 3": (
        _set("survey", 4, "wave", "3"),
        ["survey.csv", "'wave'", "must be between 0 and 2", "rows 4", "values seen: 3"],
    ),
    "out-of-range score": (
        _set("survey", 1, "wellbeing", "11"),
        ["survey.csv", "'wellbeing'", "must be between 0 and 10", "rows 1", "values seen: 11"],
    ),
    "text in a numeric column": (
        _set("population", 5, "age", "veertig"),
        ["population.csv", "'age'", "text in a numeric column", "rows 5", "'veertig'"],
    ),
    "fraction in an integer column": (
        _set("population", 6, "benefit_months", "12.5"),
        ["population.csv", "'benefit_months'", "must be a whole number", "rows 6", "12.5"],
    ),
    "missing required column": (
        ("population", lambda df: df.drop(columns="household")),
        ["population.csv", "'household'", "required column is missing", "columns seen: person_id"],
    ),
    "survey person not in participants": (
        _set("survey", 2, "person_id", "P9999999"),
        ["survey.csv", "'person_id'", "survey person not in participants", "rows 2", "'P9999999'"],
    ),
    "spending person not in population": (
        _set("spending", 2, "person_id", "P9999999"),
        [
            "spending.csv",
            "'person_id'",
            "spending person not in population",
            "rows 2",
            "'P9999999'",
        ],
    ),
    "negative spending": (
        _set("spending", 1, "amount_eur", "-10.5"),
        ["spending.csv", "'amount_eur'", "must be between 0 and", "rows 1", "-10.5"],
    ),
    "bad boolean": (
        _set("population", 1, "participant", "misschien"),
        ["population.csv", "'participant'", "must be true/false", "rows 1", "'misschien'"],
    ),
    "not a date": (
        _set("participants", 1, "lottery_date", "1 april"),
        ["participants.csv", "'lottery_date'", "not a date", "rows 1", "'1 april'"],
    ),
    "empty cell in a required column": (
        _set("population", 3, "sex", ""),
        ["population.csv", "'sex'", "must not be empty", "rows 3"],
    ),
    "exit reason while on benefit": (
        (
            "registry",
            lambda df: df.assign(exit_reason=["other"] + list(df["exit_reason"].iloc[1:])).assign(
                on_benefit=["True"] + list(df["on_benefit"].iloc[1:])
            ),
        ),
        ["registry.csv", "'exit_reason'", "exit reason in a month on benefit", "rows 1", "'other'"],
    ),
    "answers on a non-response row": (
        None,
        ["survey.csv", "'completed'", "completed = false but the row has answers"],
    ),
}


def _apply(name: str, folder: Path) -> list[str]:
    change, expected = CORRUPTIONS[name]
    if name == "answers on a non-response row":
        s = pd.read_csv(folder / "survey.csv", dtype=str, keep_default_na=False)
        row = _first_row(s, completed="False", respondent="participant")
        _edit(folder, "survey", _set("survey", row, "wellbeing", "5")[1])
        return [*expected, f"rows {row}"]
    table, fn = change
    _edit(folder, table, fn)
    return expected


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_corruption_is_refused_with_a_precise_message(name, csv_dir):
    expected = _apply(name, csv_dir)
    with pytest.raises(InvalidData) as info:
        load_raw(csv_dir)
    message = str(info.value)
    for part in expected:
        assert part in message, f"{part!r} not in:\n{message}"


def test_spending_of_a_non_participant_in_the_population_is_accepted(tiny, csv_dir):
    population = pd.read_csv(csv_dir / "population.csv", dtype=str, keep_default_na=False)
    spending = pd.read_csv(csv_dir / "spending.csv", dtype=str, keep_default_na=False)
    non_ids = population.loc[population["participant"] == "False", "person_id"]
    non = non_ids[~non_ids.isin(spending["person_id"])].iloc[0]  # had no payments before
    _edit(csv_dir, "spending", _set("spending", 1, "person_id", non)[1])
    loaded = load_raw(csv_dir)
    assert non in set(loaded.spending["person_id"].astype(str))


def test_lottery_date_after_survey_date_is_refused(csv_dir):
    s = pd.read_csv(csv_dir / "survey.csv", dtype=str, keep_default_na=False)
    row = _first_row(s, completed="True", wave="0")
    _edit(csv_dir, "survey", _set("survey", row, "response_date", "2016-01-05")[1])
    with pytest.raises(
        InvalidData,
        match=rf"survey.csv: column 'response_date': response before the lottery date; rows {row}; values seen: '2016-01-05 before lottery 2017-04-01'",
    ):
        load_raw(csv_dir)


def test_consultant_rating_someone_elses_client_is_refused(csv_dir):
    row, other = _consultant_row_of_other_client(csv_dir)
    _edit(csv_dir, "survey", _set("survey", row, "rater_id", other)[1])
    with pytest.raises(
        InvalidData,
        match=rf"survey.csv: column 'rater_id': a consultant rated someone else's client; rows {row}; values seen: '{other} rated",
    ):
        load_raw(csv_dir)


def test_registry_months_not_contiguous_is_refused(csv_dir):
    _edit(csv_dir, "registry", lambda df: df.drop(index=2).reset_index(drop=True))
    with pytest.raises(
        InvalidData,
        match=r"registry.csv: column 'month': months not contiguous per person \(a month is missing\); rows 3; values seen: 'P0000001: 2017-04 -> 2017-06'",
    ):
        load_raw(csv_dir)


def test_empty_file_is_refused(csv_dir):
    (csv_dir / "spending.csv").write_bytes(b"")
    with pytest.raises(InvalidData, match=r"spending.csv: the file is empty"):
        load_raw(csv_dir)


def test_header_only_file_is_refused(csv_dir):
    path = csv_dir / "spending.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")
    with pytest.raises(InvalidData, match=r"spending.csv: the file has a header but no data rows"):
        load_raw(csv_dir)


def test_wrong_delimiter_is_refused(csv_dir):
    path = csv_dir / "population.csv"
    path.write_text(path.read_text().replace(",", ":"))
    with pytest.raises(
        InvalidData, match=r"population.csv: only one column found .*wrong delimiter"
    ):
        load_raw(csv_dir)


def test_missing_file_is_refused(csv_dir):
    (csv_dir / "registry.csv").unlink()
    with pytest.raises(
        InvalidData,
        match=r"registry.\*: file missing; expected one of registry.csv, registry.parquet, registry.sav",
    ):
        load_raw(csv_dir)


def test_every_violation_is_listed_not_only_the_first(csv_dir):
    for name in ("misspelled arm", "wave 3", "negative spending", "duplicate person id"):
        _apply(name, csv_dir)
    with pytest.raises(InvalidData) as info:
        load_raw(csv_dir)
    assert len(info.value.violations) >= 4


def test_values_shown_are_capped_with_a_count_of_the_rest(csv_dir):
    _edit(csv_dir, "survey", lambda df: df.assign(wave="7"))
    with pytest.raises(InvalidData, match=r"rows 1, 2, 3, 4, 5 \(and \d+ more\)"):
        load_raw(csv_dir)


def test_failed_raw_prepare_leaves_the_previous_cohort_untouched(tiny, csv_dir, tmp_path):
    params = make_params(data={"source": "raw", "raw_dir": "raw"})
    dest = prepare(params, tmp_path)
    before = {p.relative_to(dest): p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    _apply("wave 3", csv_dir)
    with pytest.raises(InvalidData):
        prepare(params, tmp_path)
    after = {p.relative_to(dest): p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    assert before == after
    assert sorted(p.name for p in dest.parent.iterdir()) == [dest.name]  # no temporary folders left


def test_failed_first_prepare_writes_nothing(csv_dir, tmp_path):
    shutil.copytree(csv_dir, tmp_path / "other")
    _apply("misspelled arm", tmp_path / "other")
    params = make_params(data={"source": "raw", "raw_dir": "other"})
    with pytest.raises(InvalidData):
        prepare(params, tmp_path)
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data" / "cohort").iterdir())
