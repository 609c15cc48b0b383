"""Build raw-data folders from a cohort, in the formats a municipality might deliver."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from trustexp.data import codebook
from trustexp.data.cohort import Cohort


def _first_alias(table: str, column: str) -> str:
    aliases = codebook.column_spec(table, column).get("aliases", [])
    return str(aliases[0]) if aliases else column


def _level_code(table: str, column: str) -> dict:
    spec = codebook.column_spec(table, column)
    return {k: str(v["codes"][0]) for k, v in spec["levels"].items()}


def plain_frames(cohort: Cohort) -> dict[str, pd.DataFrame]:
    """Canonical frames with object-typed cells, ready to be written as text."""
    return {t: cohort.table(t).copy() for t in codebook.TABLES}


def write_csv(cohort: Cohort, folder: Path, dutch: bool = False) -> Path:
    """Canonical CSV (``,``, UTF-8) or a Dutch export (``;``, decimal comma, cp1252, Dutch names/codes)."""
    folder.mkdir(parents=True, exist_ok=True)
    for table in codebook.TABLES:
        df = cohort.table(table).copy()
        if dutch:
            for col, spec in codebook.columns(table).items():
                kind = spec["type"]
                if kind == "category":
                    df[col] = df[col].astype(object).map(_level_code(table, col))
                elif kind == "bool":
                    df[col] = df[col].astype(object).map({True: "ja", False: "nee"})
                elif kind in ("date", "month"):
                    df[col] = pd.to_datetime(df[col]).dt.strftime("%d-%m-%Y")
                elif kind == "float":
                    df[col] = df[col].map(
                        lambda v: "" if pd.isna(v) else f"{v:.2f}".replace(".", ",")
                    )
            df = df.rename(columns={c: _first_alias(table, c) for c in df.columns})
            df.to_csv(folder / f"{table}.csv", sep=";", index=False, encoding="cp1252")
        else:
            df.to_csv(folder / f"{table}.csv", index=False, date_format="%Y-%m-%d")
    return folder


@dataclass(frozen=True)
class CsvVariant:
    """One way a spreadsheet or statistics package may write a table as CSV.

    Every variant holds the same values: loading any of them must give the canonical frames.
    ``floats``: ``repr`` (shortest round-trip digits, ``76.0``) or ``fixed2`` (``76.00``; only for
    values with at most two decimals). ``thousands`` groups numbers of 1000 and more with the
    other mark (``1.234,5`` / ``1,234.5``). ``dutch``: Dutch column names, numeric codes, ja/nee
    and dd-mm-yyyy dates. ``ints_as_floats`` writes whole numbers as ``3.0`` (SPSS exports).
    """

    sep: str = ","
    decimal: str = "."
    encoding: str = "utf-8"
    quoting: int = csv.QUOTE_MINIMAL
    floats: str = "repr"
    thousands: bool = False
    dutch: bool = False
    ints_as_floats: bool = False
    newline: str = "\n"


def _group(whole: str, variant: CsvVariant) -> str:
    if not variant.thousands:
        return whole
    return f"{int(whole):,}".replace(",", "," if variant.decimal == "." else ".")


def format_number(value: float, variant: CsvVariant) -> str:
    """A number as a CSV cell of ``variant`` (empty for NA)."""
    if pd.isna(value):
        return ""
    text = repr(float(value)) if variant.floats == "repr" else f"{float(value):.2f}"
    sign = "-" if text.startswith("-") else ""
    whole, _, frac = text.lstrip("-").partition(".")
    assert whole.isdigit() and frac.isdigit(), text  # no exponent at these sizes
    return sign + _group(whole, variant) + variant.decimal + frac


def _whole(value, variant: CsvVariant) -> str:
    """A whole number as a cell (grouped when the variant groups thousands)."""
    return "" if pd.isna(value) else _group(str(int(value)), variant)


def _cells(table: str, df: pd.DataFrame, variant: CsvVariant) -> pd.DataFrame:
    """The table as text cells written the way ``variant`` says."""
    out = {}
    for col, spec in codebook.columns(table).items():
        kind, values = spec["type"], df[col]
        if kind == "float" or (kind == "int" and variant.ints_as_floats):
            out[col] = [format_number(v, variant) for v in values]
        elif kind == "int":
            out[col] = [_whole(v, variant) for v in values]
        elif kind == "bool":
            words = {True: "ja", False: "nee"} if variant.dutch else {True: "True", False: "False"}
            out[col] = ["" if pd.isna(v) else words[bool(v)] for v in values]
        elif kind in ("date", "month"):
            fmt = "%d-%m-%Y" if variant.dutch else "%Y-%m-%d"
            out[col] = pd.to_datetime(values).dt.strftime(fmt).fillna("").tolist()
        elif kind == "category" and variant.dutch:
            codes = _level_code(table, col)
            out[col] = ["" if pd.isna(v) else codes[v] for v in values.astype(object)]
        else:
            out[col] = ["" if pd.isna(v) else str(v) for v in values.astype(object)]
    cells = pd.DataFrame(out, columns=list(codebook.columns(table)))
    if variant.dutch:
        cells = cells.rename(columns={c: _first_alias(table, c) for c in cells.columns})
    return cells


def write_csv_variant(table: str, frame: pd.DataFrame, path: Path, variant: CsvVariant) -> Path:
    """Write one canonical table as a CSV file in ``variant``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = _cells(table, frame, variant).to_csv(
        sep=variant.sep, index=False, quoting=variant.quoting, lineterminator=variant.newline
    )
    path.write_bytes(text.encode(variant.encoding))
    return path


def write_variants(cohort: Cohort, folder: Path, variants: dict[str, CsvVariant]) -> Path:
    """One CSV file per table, each written in its own variant."""
    for table in codebook.TABLES:
        write_csv_variant(table, cohort.table(table), folder / f"{table}.csv", variants[table])
    return folder


def write_parquet(cohort: Cohort, folder: Path) -> Path:
    """One Parquet file per table, canonical names."""
    folder.mkdir(parents=True, exist_ok=True)
    for table in codebook.TABLES:
        cohort.table(table).to_parquet(folder / f"{table}.parquet", index=False)
    return folder


def write_sav(cohort: Cohort, folder: Path) -> Path:
    """SPSS files with Dutch names, numeric codes and value labels (pyreadstat.write_sav)."""
    import pyreadstat

    folder.mkdir(parents=True, exist_ok=True)
    for table in codebook.TABLES:
        df = cohort.table(table).copy()
        value_labels = {}
        for col, spec in codebook.columns(table).items():
            kind = spec["type"]
            if kind == "category":
                levels = codebook.levels(table, col)
                codes = {lvl: float(i + 1) for i, lvl in enumerate(levels)}
                df[col] = df[col].astype(object).map(codes).astype(float)
                value_labels[_first_alias(table, col)] = {
                    float(i + 1): spec["levels"][lvl]["nl"] for i, lvl in enumerate(levels)
                }
            elif kind == "bool":
                df[col] = df[col].astype("float64")
            elif kind in ("int", "float"):
                df[col] = df[col].astype("float64")
            elif kind in ("id", "string"):
                df[col] = df[col].astype(object).where(df[col].notna(), "")
            elif kind in ("date", "month"):
                df[col] = pd.to_datetime(df[col])
        df = df.rename(columns={c: _first_alias(table, c) for c in df.columns})
        pyreadstat.write_sav(df, str(folder / f"{table}.sav"), variable_value_labels=value_labels)
    return folder


def assert_same_cohort(a: Cohort, b: Cohort) -> None:
    """The five tables are equal (values and dtypes), floats to 2 decimals."""
    for table in codebook.TABLES:
        x, y = a.table(table), b.table(table)
        assert list(x.columns) == list(y.columns), table
        for col in x.columns:
            if x[col].dtype == "float64":
                np.testing.assert_allclose(
                    x[col].to_numpy(), y[col].to_numpy(), atol=0.006, err_msg=f"{table}.{col}"
                )
            else:
                pd.testing.assert_series_equal(
                    x[col], y[col], check_names=False, obj=f"{table}.{col}"
                )
