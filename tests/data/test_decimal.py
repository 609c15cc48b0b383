"""Decimal marks and other benign format changes never change a value.

Every accepted way of writing a table as CSV (separator, decimal point or comma, thousands
grouping, encoding, quoting, line ends, Dutch names and codes) must load to frames *equal* to the
canonical ones: values are compared after loading, not only validated. A file whose decimal mark
cannot be told is refused with a message naming the file, column, rows and values and how to
resolve it (``data.decimal`` / ``trustexp validate --decimal``).
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_params
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rawfiles import CsvVariant, format_number, write_csv, write_variants

from trustexp.cli import main as cli_main
from trustexp.data import codebook
from trustexp.data.cohort import Cohort, read_cohort
from trustexp.data.load import load_raw, prepare
from trustexp.data.synthetic import generate
from trustexp.errors import InvalidData, InvalidParameters

SEPARATORS = (",", ";", "\t", "|")
MARKS = (".", ",")

_BASE = generate(
    make_params(
        seed=11,
        cohort={
            "n_participants": 30,
            "n_non_participants": 30,
            "months_before": 1,
            "follow_up_months": 6,
        },
    )
)


def _copy(cohort: Cohort) -> Cohort:
    return Cohort(**{t: cohort.table(t).copy() for t in codebook.TABLES}, source="raw")


def assert_equal_cohorts(expected: Cohort, loaded: Cohort) -> None:
    """The five tables are equal: same columns, dtypes and exactly the same values."""
    for table in codebook.TABLES:
        pd.testing.assert_frame_equal(
            loaded.table(table).reset_index(drop=True),
            expected.table(table).reset_index(drop=True),
            check_exact=True,
            obj=table,
        )


def _everywhere(variant: CsvVariant) -> dict[str, CsvVariant]:
    return dict.fromkeys(codebook.TABLES, variant)


# --------------------------------------------------------------------- every separator x mark


@pytest.mark.parametrize("decimal", MARKS, ids=["point", "comma"])
@pytest.mark.parametrize("sep", SEPARATORS, ids=["comma-sep", "semicolon", "tab", "pipe"])
def test_every_separator_and_decimal_mark_loads_the_same_values(sep, decimal, tmp_path):
    """The ×100 bug: ';' with a decimal point was read as a decimal comma (1234.5 -> 123450)."""
    folder = write_variants(_BASE, tmp_path / "raw", _everywhere(CsvVariant(sep, decimal)))
    loaded = load_raw(folder)
    assert_equal_cohorts(_BASE, loaded)
    amounts = _BASE.spending["amount_eur"].to_numpy()
    assert np.array_equal(loaded.spending["amount_eur"].to_numpy(), amounts)


def test_semicolon_file_with_decimal_point_keeps_spending_amounts(tmp_path):
    """What many Dutch exports write: ';' between columns, yet a decimal point.

    Only the spending file is written so: no range check catches amounts multiplied by 100,
    so the file loads; the values must still be the written ones.
    """
    variant = CsvVariant(sep=";", decimal=".", dutch=True, encoding="cp1252")
    variants = _everywhere(CsvVariant())
    variants["spending"] = variant
    folder = write_variants(_BASE, tmp_path / "raw", variants)
    text = (folder / "spending.csv").read_text(encoding="cp1252")
    first = format_number(_BASE.spending["amount_eur"].iloc[0], variant)
    assert "." in first and f";{first}" in text  # the file really holds '1234.56'-style amounts
    loaded = load_raw(folder)
    assert loaded.spending["amount_eur"].iloc[0] == _BASE.spending["amount_eur"].iloc[0]
    assert loaded.spending["amount_eur"].sum() == pytest.approx(_BASE.spending["amount_eur"].sum())


# --------------------------------------------------------------------- every accepted variant

_VARIANTS = st.builds(
    CsvVariant,
    sep=st.sampled_from(SEPARATORS),
    decimal=st.sampled_from(MARKS),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    floats=st.sampled_from(["repr", "fixed2"]),
    thousands=st.booleans(),
    dutch=st.booleans(),
    ints_as_floats=st.booleans(),
    newline=st.sampled_from(["\n", "\r\n"]),
)


@st.composite
def cohorts(draw) -> Cohort:
    """The base cohort with drawn spending amounts (cents up to the 1,000,000 cap) and scores."""
    cohort = _copy(_BASE)
    n = len(cohort.spending)
    cents = draw(
        st.lists(
            st.one_of(st.integers(0, 100_000_000), st.sampled_from([0, 100_000, 123_400, 99])),
            min_size=n,
            max_size=n,
        )
    )
    cohort.spending["amount_eur"] = np.array(cents, dtype="int64") / 100
    answered = cohort.survey["mental_health"].notna().to_numpy()
    k = int(answered.sum())
    mhi = draw(st.lists(st.integers(0, 25), min_size=k, max_size=k))
    values = cohort.survey["mental_health"].to_numpy(copy=True)
    values[answered] = np.array(mhi, dtype=float) * 4.0
    cohort.survey["mental_health"] = values
    return cohort


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cohort=cohorts(), variants=st.fixed_dictionaries(dict.fromkeys(codebook.TABLES, _VARIANTS)))
def test_every_accepted_variant_loads_to_the_canonical_frames(tmp_path_factory, cohort, variants):
    folder = write_variants(cohort, tmp_path_factory.mktemp("raw"), variants)
    assert_equal_cohorts(cohort, load_raw(folder))


def test_the_dutch_writer_of_the_other_tests_loads_exactly(tmp_path):
    """``write_csv(dutch=True)``: ';', decimal comma with two decimals, cp1252, Dutch codes."""
    assert_equal_cohorts(_BASE, load_raw(write_csv(_BASE, tmp_path / "raw", dutch=True)))


# --------------------------------------------------------------------- ambiguous and mixed files


def _ambiguous_spending(folder: Path, mark: str) -> Path:
    """Spending amounts in whole euros, as a spreadsheet may export them, with row 1 grouped.

    With ``mark`` ',' row 1 reads '1.250' (1250 in a decimal-comma file, 1.25 with a decimal
    point); with '.' it reads '1,250'. No other number in the file tells the mark.
    """
    write_variants(_BASE, folder, _everywhere(CsvVariant(sep=";", decimal=".")))
    path = folder / "spending.csv"
    df = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    whole = _BASE.spending["amount_eur"].round(0).clip(upper=999).astype(int).astype(str)
    df["amount_eur"] = whole.to_numpy()
    df.loc[0, "amount_eur"] = "1.250" if mark == "," else "1,250"
    df.to_csv(path, sep=";", index=False)
    return folder


@pytest.mark.parametrize("mark", MARKS, ids=["point", "comma"])
def test_a_file_whose_decimal_mark_cannot_be_told_is_refused_with_a_remedy(mark, tmp_path):
    folder = _ambiguous_spending(tmp_path / "raw", mark)
    with pytest.raises(InvalidData) as info:
        load_raw(folder)
    message = str(info.value)
    shown = "1.250" if mark == "," else "1,250"
    for part in (
        "spending.csv",
        "'amount_eur'",
        "cannot tell the decimal mark",
        "rows 1",
        repr(shown),
        "data.decimal: {spending: ','}",
        "--decimal spending=,",
    ):
        assert part in message, f"{part!r} not in:\n{message}"


@pytest.mark.parametrize("mark", MARKS, ids=["point", "comma"])
def test_an_explicit_decimal_mark_per_table_resolves_the_ambiguity(mark, tmp_path):
    folder = _ambiguous_spending(tmp_path / "raw", mark)
    other = "," if mark == "." else "."
    assert load_raw(folder, decimal={"spending": mark}).spending["amount_eur"].iloc[0] == 1250.0
    # the same cell read with the other mark: the user's call, not the loader's
    assert load_raw(folder, decimal={"spending": other}).spending["amount_eur"].iloc[0] == 1.25


@pytest.mark.parametrize("mark", MARKS, ids=["point", "comma"])
def test_one_explicit_mark_for_all_files(mark, tmp_path):
    variant = CsvVariant(sep=";", decimal=mark, thousands=True)
    folder = write_variants(_BASE, tmp_path / "raw", _everywhere(variant))
    assert_equal_cohorts(_BASE, load_raw(folder, decimal=mark))


def test_an_unknown_table_in_the_decimal_option_is_refused(tmp_path):
    folder = write_variants(_BASE, tmp_path / "raw", _everywhere(CsvVariant()))
    with pytest.raises(InvalidParameters, match="unknown table.*spendings"):
        load_raw(folder, decimal={"spendings": ","})


def test_an_ambiguous_column_is_decided_by_the_rest_of_the_file(tmp_path):
    """One unambiguous number ('2,5') in the file settles '1.250' as 1250."""
    folder = _ambiguous_spending(tmp_path / "raw", ",")
    path = folder / "spending.csv"
    lines = path.read_text().splitlines()
    col = lines[0].split(";").index("amount_eur")
    cells = lines[2].split(";")
    cells[col] = "2,5"
    lines[2] = ";".join(cells)
    path.write_text("\n".join(lines) + "\n")
    loaded = load_raw(folder)
    assert loaded.spending["amount_eur"].iloc[0] == 1250.0
    assert loaded.spending["amount_eur"].iloc[1] == 2.5


def test_a_file_mixing_decimal_marks_is_refused(tmp_path):
    folder = write_variants(_BASE, tmp_path / "raw", _everywhere(CsvVariant(sep=";")))
    path = folder / "survey.csv"
    df = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    rows = [i for i, v in enumerate(df["mental_health"]) if v][:2]
    df.loc[rows[1], "mental_health"] = df.loc[rows[1], "mental_health"].replace(".", ",")
    df.to_csv(path, sep=";", index=False)
    with pytest.raises(InvalidData) as info:
        load_raw(folder)
    message = str(info.value)
    for part in (
        "survey.csv",
        "'mental_health'",
        "decimal comma",
        "decimal point",
        f"rows {rows[1] + 1}",
    ):
        assert part in message, f"{part!r} not in:\n{message}"


def test_an_explicit_mark_refuses_numbers_written_with_the_other(tmp_path):
    folder = write_variants(_BASE, tmp_path / "raw", _everywhere(CsvVariant(sep=";", decimal=",")))
    with pytest.raises(InvalidData) as info:
        load_raw(folder, decimal=".")
    message = str(info.value)
    assert "survey.csv: column 'mental_health'" in message
    assert "decimal comma" in message and "data.decimal" in message


# --------------------------------------------------------------------- the option and the flag


def test_parameter_set_decimal_option_is_validated_and_reaches_the_loader(tmp_path):
    for bad in (";", {"spendings": ","}, {"spending": "comma"}):
        with pytest.raises(InvalidParameters, match="data.decimal"):
            make_params(data={"source": "raw", "decimal": bad})
    _ambiguous_spending(tmp_path / "raw", ",")
    with pytest.raises(InvalidData, match="cannot tell the decimal mark"):
        prepare(make_params(data={"source": "raw", "raw_dir": "raw"}), tmp_path)
    params = make_params(data={"source": "raw", "raw_dir": "raw", "decimal": {"spending": ","}})
    dest = prepare(params, tmp_path)
    assert read_cohort(dest).spending["amount_eur"].iloc[0] == 1250.0
    # another option re-reads the same files: the cohort is keyed by it
    again = make_params(data={"source": "raw", "raw_dir": "raw", "decimal": {"spending": "."}})
    assert read_cohort(prepare(again, tmp_path)).spending["amount_eur"].iloc[0] == 1.25


def test_validate_command_takes_a_decimal_flag(tmp_path, capsys):
    folder = _ambiguous_spending(tmp_path / "raw", ",")
    assert cli_main(["validate", str(folder), "--decimal", "spending=,"]) == 0
    assert "all five tables are valid" in capsys.readouterr().out
    assert cli_main(["validate", str(folder)]) == 2
    assert "--decimal" in capsys.readouterr().err
    everywhere = write_variants(_BASE, tmp_path / "comma", _everywhere(CsvVariant(decimal=",")))
    assert cli_main(["validate", str(everywhere), "--decimal", ","]) == 0
    assert cli_main(["validate", str(everywhere), "--decimal", "."]) == 2
    assert "data.decimal says this file uses a decimal point" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli_main(["validate", str(folder), "--decimal", ";"])


def test_variant_writer_really_varies_the_bytes(tmp_path):
    """Guard for the tests above: the variants differ in what they write."""
    a = write_variants(_BASE, tmp_path / "a", _everywhere(CsvVariant()))
    b = write_variants(
        _BASE,
        tmp_path / "b",
        _everywhere(replace(CsvVariant(), sep=";", decimal=",", thousands=True, dutch=True)),
    )
    text_a = (a / "spending.csv").read_text()
    text_b = (b / "spending.csv").read_text()
    assert text_a != text_b and ";" in text_b and "," in text_b.splitlines()[1]
