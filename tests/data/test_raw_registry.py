"""The streamed raw registry (DuckDB, ``raw_registry``) gives what the pandas loader gives.

Same canonical registry after reading the Parquet back (rows, order, values, dtypes), in every CSV
dialect the loader accepts; the same messages (file, column, data rows, rule, values) for broken
files; nothing written when a file is refused.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_params
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rawfiles import CsvVariant, write_csv, write_csv_variant

from trustexp.data import codebook, raw_registry
from trustexp.data.cohort import read_cohort, write_cohort
from trustexp.data.load import load_raw, prepare, read_table, validate_dir
from trustexp.data.synthetic import generate
from trustexp.errors import InvalidData

# the pandas loader cannot run its cross-table rules on a registry without usable months or
# persons and says so; the streamed checks run them (and find nothing more to report)
NOT_CHECKED = "cross-table rules not checked until the errors above are fixed"
_SIZE = {"n_participants": 30, "n_non_participants": 30, "months_before": 1, "follow_up_months": 6}


@pytest.fixture(scope="module")
def tiny():
    """A very small valid cohort (30 participants, 30 non-participants, 8 registry months)."""
    return generate(make_params(seed=3, cohort=_SIZE))


@pytest.fixture(scope="module")
def dutch():
    return generate(make_params(seed=3, municipality="Súdwest-Fryslân", cohort=_SIZE))


@pytest.fixture
def small_parts(monkeypatch):
    """Parts of 100 rows in batches of 37: several parts, batches across part boundaries."""
    monkeypatch.setattr(raw_registry, "ROWS_PER_PART", 100)
    monkeypatch.setattr(raw_registry, "BATCH_ROWS", 37)


def _prepare(folder: Path, root: Path) -> Path:
    params = make_params(data={"source": "raw", "raw_dir": str(folder)})
    return prepare(params, root)


def _both(folder: Path, tmp: Path) -> tuple[pd.DataFrame, pd.DataFrame, Path]:
    """The registry written by the pandas path and by ``prepare`` (streamed), read back."""
    old = write_cohort(load_raw(folder), tmp / "old")
    new = _prepare(folder, tmp / "new")
    return (
        read_cohort(old, load_registry=True).registry,
        read_cohort(new, load_registry=True).registry,
        new,
    )


def _parts(folder: Path) -> pd.DataFrame:
    files = sorted((folder / "registry").glob("*.parquet"))
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def test_streamed_registry_equals_the_pandas_one_canonical_csv(tiny, tmp_path, small_parts):
    folder = write_csv(tiny, tmp_path / "raw")
    old, new, dest = _both(folder, tmp_path)
    pd.testing.assert_frame_equal(old, new)
    pd.testing.assert_frame_equal(new, codebook.coerce_canonical("registry", tiny.registry))
    # read back without the canonical cast too: the parts carry the canonical types themselves
    raw = _parts(dest)
    assert [str(t) for t in raw.dtypes] == ["string", "datetime64[ns]", "bool", "category"]
    pd.testing.assert_frame_equal(raw, new, check_categorical=False)
    n = len(tiny.registry)
    assert len(list((dest / "registry").glob("part-*.parquet"))) == -(-n // 100)


def test_streamed_registry_equals_the_pandas_one_dutch_export(dutch, tmp_path):
    """';', cp1252, decimal comma in the other tables, Dutch column names, codes 1/2/3, ja/nee and
    dd-mm-yyyy months."""
    folder = write_csv(dutch, tmp_path / "raw", dutch=True)
    head = (folder / "registry.csv").read_bytes().splitlines()[0]
    assert head == b"persoonsnummer;maand;bijstand;uitstroomreden"
    old, new, _ = _both(folder, tmp_path)
    pd.testing.assert_frame_equal(old, new)
    pd.testing.assert_frame_equal(new, codebook.coerce_canonical("registry", dutch.registry))


VARIANTS = {
    "semicolon, decimal comma, crlf, all quoted": CsvVariant(
        sep=";", decimal=",", quoting=csv.QUOTE_ALL, newline="\r\n"
    ),
    "tab, dutch codes, cp1252": CsvVariant(sep="\t", dutch=True, encoding="cp1252"),
    "pipe, utf-8 with BOM": CsvVariant(sep="|", encoding="utf-8-sig"),
    "comma, dutch, cr only": CsvVariant(dutch=True, newline="\r"),
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_streamed_registry_equals_the_pandas_one_in_every_dialect(name, tiny, tmp_path):
    folder = write_csv(tiny, tmp_path / "raw")
    write_csv_variant("registry", tiny.registry, folder / "registry.csv", VARIANTS[name])
    old, new, _ = _both(folder, tmp_path)
    pd.testing.assert_frame_equal(old, new)


def test_blank_lines_and_padded_cells_read_as_pandas_reads_them(tiny, tmp_path):
    folder = write_csv(tiny, tmp_path / "raw")
    path = folder / "registry.csv"
    lines = path.read_text().splitlines()
    lines[3] = ",".join(" " + c + "\u00a0 " for c in lines[3].split(","))
    lines = ["", "  ", *lines[:5], "", "   ", *lines[5:]]
    path.write_text("\n".join(lines) + "\n")
    old, new, _ = _both(folder, tmp_path)
    pd.testing.assert_frame_equal(old, new)


def test_validate_dir_streams_the_registry_and_counts_its_rows(tiny, tmp_path):
    folder = write_csv(tiny, tmp_path / "raw")
    assert f"registry {len(tiny.registry):,} rows" in validate_dir(folder)


# --- refusals: the pandas path's messages, and nothing written --------------------------------


def _edit(folder: Path, fn) -> None:
    path = folder / "registry.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    fn(df).to_csv(path, index=False)


def _set(row: int, column: str, value: str):
    """Set data row ``row`` (1-based, as in the messages) of a column."""

    def fn(df):
        df.loc[row - 1, column] = value
        return df

    return fn


def _both_set(*changes):
    def fn(df):
        for change in changes:
            df = change(df)
        return df

    return fn


CORRUPTIONS = {
    "unparseable date": _set(3, "month", "april"),
    "unparseable dates in later parts": _both_set(
        _set(250, "month", "13-13-2017"), _set(401, "month", "x")
    ),
    "bad yes/no": _set(4, "on_benefit", "misschien"),
    "unknown exit code": _set(4, "exit_reason", "pensioen"),
    "missing required column": lambda df: df.drop(columns="on_benefit"),
    "missing person column": lambda df: df.drop(columns="person_id"),
    "two columns for one": lambda df: df.assign(maand=df["month"]),
    "empty yes/no": _set(3, "on_benefit", ""),
    "empty person": _set(3, "person_id", ""),
    "empty month": _set(3, "month", ""),
    "duplicate month": lambda df: pd.concat([df.iloc[:3], df.iloc[2:3], df.iloc[3:]]),
    "duplicate month hiding a gap": lambda df: df.assign(
        month=[df["month"][1] if i == 2 else m for i, m in enumerate(df["month"])]
    ),
    "person not in population": _set(3, "person_id", "P9999999"),
    "gaps": lambda df: df.drop(index=[2, 40, 41, 300]),
    "exit while on benefit": _both_set(_set(1, "on_benefit", "True"), _set(1, "exit_reason", "3")),
    "every month unreadable": lambda df: df.assign(month=[f"x{i % 7}" for i in range(len(df))]),
    "two unreadable months of one person": _both_set(_set(3, "month", "x"), _set(4, "month", "x")),
}


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_broken_registry_is_refused_in_the_pandas_paths_words(name, tiny, tmp_path, small_parts):
    folder = write_csv(tiny, tmp_path / "raw")
    _edit(folder, CORRUPTIONS[name])
    with pytest.raises(InvalidData) as old:
        load_raw(folder)
    with pytest.raises(InvalidData) as new:
        _prepare(folder, tmp_path / "root")
    expected = [v for v in old.value.violations if not v.startswith(NOT_CHECKED)]
    assert new.value.violations == expected
    assert all(v.startswith("registry.csv: ") for v in expected)
    # nothing written: no cohort folder, no temporary folder left beside it
    leftovers = list((tmp_path / "root").rglob("*"))
    assert all(p.is_dir() and not p.name.startswith(".") for p in leftovers), leftovers
    assert not any((p / "manifest.json").exists() for p in leftovers), leftovers


def test_row_numbers_across_parts_name_the_csv_rows(tiny, tmp_path, small_parts):
    folder = write_csv(tiny, tmp_path / "raw")
    _edit(folder, _both_set(_set(237, "person_id", "PX"), _set(301, "exit_reason", "9")))
    with pytest.raises(InvalidData) as info:
        _prepare(folder, tmp_path / "root")
    text = str(info.value)
    assert (
        "registry.csv: column 'exit_reason': unknown level (allowed: work_full, work_part, other, "
        "or their codes in the codebook); rows 301; values seen: '9'"
    ) in text
    assert (
        "registry.csv: column 'person_id': registry person not in population; rows 237; "
        "values seen: 'PX'"
    ) in text


def test_a_failed_prepare_keeps_the_previous_cohort(tiny, tmp_path):
    folder = write_csv(tiny, tmp_path / "raw")
    dest = _prepare(folder, tmp_path / "root")
    before = {p.relative_to(dest): p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    _edit(folder, _set(5, "month", "gisteren"))
    with pytest.raises(InvalidData, match=r"registry.csv: column 'month': not a date .*rows 5"):
        _prepare(folder, tmp_path / "root")
    after = {p.relative_to(dest): p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    assert before == after
    assert sorted(p.name for p in dest.parent.iterdir()) == [dest.name]


def test_unreadable_files_are_refused_as_the_pandas_path_refuses_them(tiny, tmp_path):
    folder = write_csv(tiny, tmp_path / "raw")
    path = folder / "registry.csv"
    good = path.read_bytes()
    cases = {
        "blank": b"  \n\n",
        "header only": good.splitlines(keepends=True)[0],
        "one column": good.replace(b",", b":"),
        "not cp1252": good + b"P0000001,2017-04-01,\x81,\n",
    }
    for name, data in cases.items():
        path.write_bytes(data)
        with pytest.raises(InvalidData) as old:
            load_raw(folder)
        with pytest.raises(InvalidData) as new:
            _prepare(folder, tmp_path / name)
        reg = [v for v in old.value.violations if v.startswith("registry.csv")]
        assert reg, name
        assert [v for v in new.value.violations if v.startswith("registry.csv")] == reg, name
        assert not list((tmp_path / name).rglob("*.parquet")), name


def test_more_cells_than_the_header_is_refused_with_the_line(tiny, tmp_path):
    folder = write_csv(tiny, tmp_path / "raw")
    path = folder / "registry.csv"
    lines = path.read_text().splitlines()
    lines[6] += ",extra"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InvalidData, match=r"registry.csv: cannot be read as CSV \(.*Line: 7"):
        _prepare(folder, tmp_path / "root")


# --- property: any small CSV reads the same both ways ------------------------------------------

_MONTHS = ["2017-04-01", "01-05-2017", "2017/06/01", "2017-07", "201708", "09/2017", "1 april"]
_BOOLS = ["True", "false", "ja", "NEE", "1", "0", "misschien"]
_EXITS = ["", "work_full", "2", "Overig", "werk  deeltijd", "pensioen"]
_IDS = ["P1", "P2", " P3", "P4 ", ""]
_HEADERS = [  # column names (aliases, any case) and which cell of a row goes in each column
    (["person_id", "month", "on_benefit", "exit_reason"], [0, 1, 2, 3]),
    (["Persoonsnummer", "MAAND", "bijstand", "uitstroomreden"], [0, 1, 2, 3]),
    (["month", "uitkering", "reden_uitstroom", "klantnummer"], [1, 2, 3, 0]),
]


def _cell(options: list[str]):
    pad = st.sampled_from(["", " ", "\u00a0"])
    return st.tuples(pad, st.sampled_from(options), pad).map("".join)


_ROW = st.tuples(_cell(_IDS), _cell(_MONTHS), _cell(_BOOLS), _cell(_EXITS))


def _normal(frame: pd.DataFrame) -> list[list]:
    return [
        [None if pd.isna(v) else v for v in frame[col].astype(object).tolist()]
        for col in codebook.columns("registry")
    ]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(_ROW, min_size=1, max_size=12),
    sep=st.sampled_from([",", ";", "\t", "|"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    header=st.sampled_from(_HEADERS),
)
def test_any_small_csv_reads_the_same_streamed_and_in_pandas(tmp_path, rows, sep, quoting, header):
    names, order = header
    folder = tmp_path / "prop"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    path = folder / "registry.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=sep, quoting=quoting)
        writer.writerow(names)
        for row in rows:
            writer.writerow([row[i] for i in order])
    old_problems: list[str] = []
    old = read_table("registry", path, old_problems)
    new_problems: list[str] = []
    streamed = raw_registry.stream_registry_csv(path, folder / "out" / "registry", new_problems)
    assert new_problems == old_problems
    assert (old is None) == (streamed is None)
    if old is not None and streamed is not None:
        assert streamed.rows == len(old)
        assert _normal(_parts(folder / "out")) == _normal(old)


def test_a_file_of_many_scan_chunks_keeps_its_order_and_row_numbers(tmp_path, monkeypatch):
    """450,000 rows (11 MB: DuckDB scans more than 8 MB in parallel chunks) in parts of
    100,000: the parts hold the rows in file order, and cells broken far into the file are
    reported at their rows, as pandas reports them."""
    monkeypatch.setattr(raw_registry, "ROWS_PER_PART", 100_000)
    people, months = 15_000, 30
    ids = [f"P{i:07d}" for i in range(1, people + 1)]
    month = pd.date_range("2015-01-01", periods=months, freq="MS").strftime("%d-%m-%Y").tolist()
    frame = pd.DataFrame(
        {
            "persoonsnummer": [p for p in ids for _ in range(months)],
            "maand": month * people,
            "bijstand": ["ja", "nee", "ja"] * (people * months // 3),
            "uitstroomreden": (["", "", "1", "", "2", "overig"] * (people * months // 6)),
        }
    )
    frame.loc[123_456, "maand"] = "31-02-2016"
    frame.loc[299_990, "bijstand"] = "soms"
    frame.loc[200_001, "uitstroomreden"] = "7"
    path = tmp_path / "registry.csv"
    frame.to_csv(path, sep=";", index=False)
    assert path.stat().st_size > 10 * 2**20
    old_problems: list[str] = []
    old = read_table("registry", path, old_problems)
    new_problems: list[str] = []
    streamed = raw_registry.stream_registry_csv(path, tmp_path / "out" / "registry", new_problems)
    assert new_problems == old_problems
    assert [p.split("; rows ")[1].split(";")[0] for p in new_problems] == [
        "123457",
        "299991",
        "200002",
    ]
    assert streamed is not None and len(streamed.parts) == 5
    assert _normal(_parts(tmp_path / "out")) == _normal(old)


def test_streamed_parts_are_byte_identical_across_runs(tiny, tmp_path, small_parts):
    """The manifest hashes the parts, and chapters are cached on it: same files, same bytes."""
    folder = write_csv(tiny, tmp_path / "raw")
    one, two = _prepare(folder, tmp_path / "one"), _prepare(folder, tmp_path / "two")
    files = sorted(p.relative_to(one) for p in (one / "registry").glob("*.parquet"))
    assert len(files) > 1
    assert all((one / f).read_bytes() == (two / f).read_bytes() for f in files)
    assert (one / "manifest.json").read_text() == (two / "manifest.json").read_text()
