"""Load real files (CSV, Parquet, SPSS ``.sav``) onto the canonical tables; ``trustexp data``.

A raw folder holds one file per table named after it (``population.csv``, ``survey.sav``, ...).
Column names and codes are mapped through the codebook's aliases and level codes. Everything is
validated before anything is written; every problem becomes one line of ``InvalidData``.
Row numbers are data rows: 1 = the first row under the header (spreadsheet row 2).

Reading is the libraries' (pandas, pyarrow, pyreadstat); what is written here by hand is the
detection of Dutch spreadsheet exports (encoding, separator, decimal mark) and the per-cell
parsing that names the offending rows, which no library reports in that form.

The decimal mark of a CSV file is never guessed from its separator: each number is read both
ways (``read_numbers``), and a cell that reads only one way decides the file (``1234,5``,
``76.0``, ``1.234.567``). A cell that reads both ways with different values (``1.250``: 1250 with a
decimal comma, 1.25 with a decimal point) is resolved by the rest of the file; when nothing in
the file decides, the file is refused, naming the cells, until ``data.decimal`` (or
``trustexp validate --decimal``) says which mark it uses. pandas' ``read_csv(decimal=...,
thousands=...)`` needs the mark known in advance and accepts misplaced thousands separators,
so it cannot do this detection.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trustexp.data import codebook
from trustexp.data.cohort import (
    REGISTRY_DIR,
    Cohort,
    atomic_dir,
    code_digest,
    data_digest,
    read_manifest,
    sha256_file,
    write_cohort_into,
    write_manifest,
)
from trustexp.data.schema import ROW_CONVENTION, schema_violations, validate_cohort, violation
from trustexp.errors import InvalidData, InvalidParameters

if TYPE_CHECKING:
    from trustexp.config import Params

EXTENSIONS = (".csv", ".parquet", ".sav")
DECIMAL_OPTIONS = ("auto", ".", ",")
_MARK_NAMES = {".": "decimal point", ",": "decimal comma"}
_OTHER = {".": ",", ",": "."}
_REMEDY = (
    "say which mark the file uses: data.decimal: {{{table}: ','}} (or '.') in the parameter set, "
    "or trustexp validate --decimal {table}=, (or {table}=.)"
)
_SEPARATORS = (";", ",", "\t", "|")
_DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y-%m", "%Y%m", "%m/%Y")


def find_table_files(raw_dir: Path) -> tuple[dict[str, Path], list[str]]:
    """Locate one file per table in ``raw_dir``; report missing or ambiguous ones."""
    found, problems = {}, []
    entries = {p.name.lower(): p for p in raw_dir.iterdir()} if raw_dir.is_dir() else {}
    for table in codebook.TABLES:
        hits = [entries[f"{table}{ext}"] for ext in EXTENSIONS if f"{table}{ext}" in entries]
        if not hits:
            problems.append(
                f"{raw_dir / table}.*: file missing; expected one of "
                + ", ".join(f"{table}{e}" for e in EXTENSIONS)
            )
        elif len(hits) > 1:
            problems.append(
                f"{table}: more than one file ({', '.join(h.name for h in hits)}); keep one"
            )
        else:
            found[table] = hits[0]
    return found, problems


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def separator_of(header: str) -> str:
    """The column separator of a CSV file from its header line: the most frequent of
    ``; , tab |``, else a comma (the pandas loader and the streamed registry read alike)."""
    counts = {sep: header.count(sep) for sep in _SEPARATORS}
    return max(counts, key=lambda s: counts[s]) if any(counts.values()) else ","


def read_csv_text(path: Path) -> pd.DataFrame:
    """Read a CSV file as text cells, detecting encoding and separator (not the decimal mark)."""
    data = path.read_bytes()
    text = _decode(data)
    if not text.strip():
        raise InvalidData(f"{path.name}: the file is empty (no header, no rows)")
    sep = separator_of(text.lstrip().splitlines()[0])
    return pd.read_csv(
        io.StringIO(text),
        sep=sep,
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        skip_blank_lines=True,
        skipinitialspace=True,
    )


def _number_pattern(mark: str) -> re.Pattern[str]:
    """A number written with decimal ``mark``, thousands grouped (in threes) by the other mark."""
    m, g = re.escape(mark), re.escape(_OTHER[mark])
    whole = rf"(?:[1-9]\d{{0,2}}(?:{g}\d{{3}})+|\d+)"
    return re.compile(rf"[+-]?(?:{whole}(?:{m}\d*)?|{m}\d+)(?:[eE][+-]?\d+)?")


_PATTERNS = {mark: _number_pattern(mark) for mark in _MARK_NAMES}


def read_numbers(text: pd.Series, mark: str) -> pd.Series:
    """The cells of ``text`` read as numbers with decimal ``mark``; NaN where they are not.

    >>> read_numbers(pd.Series(["1.234,5", "76.0", "12"], dtype="string"), ",").tolist()
    [1234.5, nan, 12.0]
    """
    text = text.astype("string")
    ok = text.str.fullmatch(_PATTERNS[mark]).fillna(False).astype(bool)
    plain = text.str.replace(_OTHER[mark], "", regex=False)
    if mark == ",":
        plain = plain.str.replace(",", ".", regex=False)
    return pd.to_numeric(plain.where(ok), errors="coerce").astype("float64")


def decimal_mark(
    table: str, file: str, columns: dict[str, pd.Series], problems: list[str]
) -> tuple[str, dict[str, pd.Series]]:
    """Tell the decimal mark of one CSV file from the text of its numeric columns.

    Returns the mark and, per column, the cells already reported (to be read as empty): the
    cells of a file that mixes both marks, or those whose value depends on a mark nothing in the
    file decides. Cells that read the same either way (``12``) decide nothing and need nothing.
    """
    only: dict[str, dict[str, pd.Series]] = {m: {} for m in _MARK_NAMES}
    ambiguous: dict[str, pd.Series] = {}
    for name, text in columns.items():
        point, comma = read_numbers(text, "."), read_numbers(text, ",")
        only["."][name] = point.notna() & comma.isna()
        only[","][name] = comma.notna() & point.isna()
        ambiguous[name] = point.notna() & comma.notna() & (point != comma)
    seen = {m: [n for n, mask in only[m].items() if mask.any()] for m in _MARK_NAMES}
    if seen["."] and seen[","]:
        where = {
            m: ", ".join(repr(n) for n in seen[m]) for m in _MARK_NAMES
        }  # e.g. "'mental_health', 'self_reliance'"
        for mark in _MARK_NAMES:
            other = _OTHER[mark]
            for name in seen[mark]:
                mask = only[mark][name]
                problems.append(
                    violation(
                        file,
                        name,
                        _rows_of(mask),
                        f"written with a {_MARK_NAMES[mark]}, while column(s) {where[other]} of "
                        f"this file use a {_MARK_NAMES[other]}; one file must use one decimal mark",
                        columns[name][mask],
                    )
                )
        return ".", {n: only["."][n] | only[","][n] for n in columns}
    if seen["."] or seen[","]:
        return ("." if seen["."] else ","), {}
    for name, mask in ambiguous.items():
        if mask.any():
            first = columns[name][mask].iloc[0]
            as_point = read_numbers(pd.Series([first]), ".").iloc[0]
            as_comma = read_numbers(pd.Series([first]), ",").iloc[0]
            problems.append(
                violation(
                    file,
                    name,
                    _rows_of(mask),
                    f"cannot tell the decimal mark: {first!r} is {as_point:.15g} with a "
                    f"decimal point and {as_comma:.15g} with a decimal comma, and no other "
                    f"number in this file decides it; {_REMEDY.format(table=table)}",
                    columns[name][mask],
                )
            )
    return ".", ambiguous


def _read_file(table: str, path: Path) -> tuple[pd.DataFrame, str | None, dict[str, dict]]:
    """(frame, decimal mark or None when it is to be detected, SPSS value labels)."""
    ext = path.suffix.lower()
    if ext == ".csv":
        return read_csv_text(path), None, {}
    if path.stat().st_size == 0:
        raise InvalidData(f"{path.name}: the file is empty (0 bytes)")
    if ext == ".parquet":
        try:
            return pd.read_parquet(path), ".", {}
        except Exception as err:  # pyarrow raises several types for broken files
            raise InvalidData(f"{path.name}: not a readable Parquet file ({err})") from None
    import pyreadstat

    try:
        frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    except Exception as err:  # pyreadstat.ReadstatError and friends
        raise InvalidData(f"{path.name}: not a readable SPSS .sav file ({err})") from None
    return frame, ".", dict(meta.variable_value_labels or {})


def column_mapping(table: str, names: list[str], file: str, problems: list[str]) -> dict[str, str]:
    """Map a file's column names onto canonical ones (codebook aliases, any case, BOM and blanks
    stripped); names not in the codebook are ignored; two names for one column are a problem."""
    aliases = codebook.aliases(table)
    mapping: dict[str, str] = {}
    seen: dict[str, str] = {}
    for col in names:
        key = str(col).strip().lstrip("\ufeff").lower()
        canon = aliases.get(key)
        if canon is None:
            continue
        if canon in seen:
            problems.append(
                violation(
                    file,
                    canon,
                    [],
                    f"two columns map onto {canon!r}: {seen[canon]!r} and {col!r}; keep one",
                )
            )
            continue
        seen[canon] = str(col)
        mapping[col] = canon
    return mapping


def _rename(table: str, frame: pd.DataFrame, file: str, problems: list[str]) -> pd.DataFrame:
    mapping = column_mapping(table, list(frame.columns), file, problems)
    return frame[list(mapping)].rename(columns=mapping)


def missing_column(file: str, name: str, seen: list[str]) -> str:
    """The message for a required column that is not in the file."""
    return violation(
        file,
        name,
        [],
        f"required column is missing (columns seen: {', '.join(map(str, seen))})",
    )


def _text(series: pd.Series) -> pd.Series:
    """Cells as stripped strings; empty -> NA; whole floats (1.0 from SPSS) -> '1'."""

    def one(v: Any) -> Any:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT:
            return pd.NA
        if isinstance(v, float | np.floating) and float(v).is_integer():
            return str(int(v))
        s = str(v).strip()
        return s if s else pd.NA

    return series.map(one).astype("string")


def _rows_of(mask: pd.Series) -> list[int]:
    return [int(i) + 1 for i in np.flatnonzero(mask.to_numpy(dtype=bool))]


def _parse_dates(series: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        return pd.to_datetime(series).astype("datetime64[ns]")
    text = _text(series)
    out = pd.to_datetime(text, format="ISO8601", errors="coerce")
    for fmt in _DATE_FORMATS:
        todo = out.isna() & text.notna()
        if not todo.any():
            break
        out = out.where(~todo, pd.to_datetime(text.where(todo), format=fmt, errors="coerce"))
    return out.astype("datetime64[ns]")


Failure = tuple[pd.Series, str, pd.Series]
"""One broken rule of a column: (mask of the offending cells, rule, the values to show)."""


def _parse_column(
    table: str,
    name: str,
    raw: pd.Series,
    labels: dict,
    file: str,
    problems: list[str],
    mark: str = ".",
    chosen: bool = False,
) -> pd.Series:
    """Parse one column to its codebook type; append a violation per broken rule.

    ``mark`` is the file's decimal mark; ``chosen`` says it was set by ``data.decimal`` (then a
    number written with the other mark gets its own message) rather than told from the file.
    """
    parsed, failures = parse_cells(table, name, raw, labels, mark, chosen)
    for mask, rule, values in failures:
        problems.append(violation(file, name, _rows_of(mask), rule, values))
    return parsed


def parse_cells(
    table: str,
    name: str,
    raw: pd.Series,
    labels: dict | None = None,
    mark: str = ".",
    chosen: bool = False,
) -> tuple[pd.Series, list[Failure]]:
    """Parse cells of one column to its codebook type: (parsed cells, broken rules in order).

    The one definition of a cell's meaning: the pandas loader applies it to a whole column, the
    streamed registry (``raw_registry``) to the distinct cells of a column.
    """
    failures: list[Failure] = []
    spec = codebook.column_spec(table, name)
    kind = spec["type"]
    if labels and kind in ("category", "bool"):
        raw = raw.map(
            lambda v: (
                labels.get(v, v)
                if v is not None and not (isinstance(v, float) and np.isnan(v))
                else v
            )
        )
    if kind in ("date", "month"):
        parsed = _parse_dates(raw)
        text = raw if pd.api.types.is_datetime64_any_dtype(raw) else _text(raw)
        bad = parsed.isna() & text.notna()
        if bad.any():
            failures.append(
                (bad, "not a date (use yyyy-mm-dd or dd-mm-yyyy)", text[bad].astype(str))
            )
        if kind == "month":
            parsed = parsed.dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]")
        return parsed, failures
    text = _text(raw)
    if kind in ("id", "string"):
        return text, failures
    if kind == "bool":
        codes = codebook.bool_codes()
        lowered = text.str.lower()
        mapped = lowered.map(lambda v: codes.get(v, pd.NA) if v is not pd.NA else pd.NA)
        bad = mapped.isna() & text.notna()
        if bad.any():
            failures.append((bad, "must be true/false (ja/nee, 1/0)", text[bad]))
        return mapped.astype("boolean"), failures
    if kind in ("int", "float"):
        num = read_numbers(text, mark)
        bad = num.isna() & text.notna()
        other = _OTHER[mark]
        wrong_mark = bad & read_numbers(text, other).notna() if chosen else bad & False
        text_cells = bad & ~wrong_mark
        if wrong_mark.any():
            failures.append(
                (
                    wrong_mark,
                    f"written with a {_MARK_NAMES[other]}, but data.decimal says this file "
                    f"uses a {_MARK_NAMES[mark]}",
                    text[wrong_mark],
                )
            )
        if text_cells.any():
            failures.append((text_cells, "text in a numeric column", text[text_cells]))
        if kind == "int":
            frac = num.notna() & (num != np.floor(num.fillna(0)))
            if frac.any():
                failures.append((frac, "must be a whole number", num[frac]))
                num = num.where(~frac)
            # a whole number beyond 2**53 has no exact float and overflows int64 near 2**63
            huge = num.notna() & (num.abs() > 2**53)
            if huge.any():
                failures.append((huge, "whole number out of range", num[huge]))
                num = num.where(~huge)
            return num.astype("Int64"), failures
        return num.astype("float64"), failures
    if kind == "category":
        codes = codebook.level_codes(table, name)
        lowered = text.str.lower().str.replace(r"\s+", " ", regex=True)
        mapped = lowered.map(lambda v: codes.get(v, pd.NA) if v is not pd.NA else pd.NA)
        bad = mapped.isna() & text.notna()
        if bad.any():
            allowed = ", ".join(map(str, codebook.levels(table, name)))
            failures.append(
                (
                    bad,
                    f"unknown level (allowed: {allowed}, or their codes in the codebook)",
                    text[bad],
                )
            )
        return mapped.astype(object), failures
    raise ValueError(f"unknown codebook type {kind!r}")


def _to_canonical(table: str, parsed: pd.DataFrame) -> pd.DataFrame:
    """Cast parsed columns to canonical dtypes where the values allow it (else keep them)."""
    out = {}
    for name in codebook.columns(table):
        col = parsed[name]
        try:
            out[name] = col.astype(codebook.pandas_dtype(table, name))
        except (TypeError, ValueError):
            out[name] = col  # e.g. empty cells in a non-nullable bool: pandera reports them
    return pd.DataFrame(out, index=pd.RangeIndex(len(parsed)))


def read_table(
    table: str, path: Path, problems: list[str], decimal: str = "auto"
) -> pd.DataFrame | None:
    """Read one raw file into canonical columns; append problems; None when unreadable.

    ``decimal``: the decimal mark of a CSV file, ``"."`` or ``","``, or ``"auto"`` to tell it from
    the numbers (``decimal_mark``). Parquet and SPSS files store numbers, not text.
    """
    if decimal not in DECIMAL_OPTIONS:
        raise InvalidParameters(
            f"decimal must be one of {', '.join(DECIMAL_OPTIONS)}, not {decimal!r}"
        )
    file = path.name
    try:
        frame, mark, labels = _read_file(table, path)
    except InvalidData as err:
        problems.append(str(err))
        return None
    except (UnicodeDecodeError, pd.errors.ParserError) as err:
        problems.append(f"{file}: cannot be read as CSV ({err})")
        return None
    expected = list(codebook.columns(table))
    if frame.shape[1] == 1 and len(expected) > 1:
        problems.append(
            f"{file}: only one column found ({str(frame.columns[0])[:60]!r}): wrong delimiter? "
            "use ';' or ',' between columns"
        )
        return None
    if len(frame) == 0:
        problems.append(f"{file}: the file has a header but no data rows")
        return None
    frame = frame.reset_index(drop=True)
    renamed = _rename(table, frame, file, problems)
    names = codebook.aliases(table)
    value_labels = {names.get(str(c).strip().lower(), str(c)): v for c, v in labels.items()}
    reported: dict[str, pd.Series] = {}  # cells reported by the detection, read as empty
    chosen = mark is None and decimal != "auto"
    if chosen:
        mark = decimal
    elif mark is None:
        numeric = {
            name: _text(renamed[name])
            for name, spec in codebook.columns(table).items()
            if spec["type"] in ("int", "float") and name in renamed
        }
        mark, masks = decimal_mark(table, file, numeric, problems)
        reported = {name: numeric[name].mask(m) for name, m in masks.items()}
    parsed = {}
    for name, spec in codebook.columns(table).items():
        if name not in renamed:
            if spec.get("required", True):
                problems.append(missing_column(file, name, list(frame.columns)))
            parsed[name] = pd.Series(pd.NA, index=frame.index, dtype=object)
            continue
        parsed[name] = _parse_column(
            table,
            name,
            reported.get(name, renamed[name]),
            value_labels.get(name, {}),
            file,
            problems,
            mark,
            chosen,
        )
    return _to_canonical(table, pd.DataFrame(parsed, index=frame.index))


def _fill_rater(cohort: Cohort, missing: bool) -> None:
    """Without a rater_id column, consultant rows are taken as rated by the person's consultant."""
    if not missing:
        return
    own = cohort.survey["person_id"].map(
        cohort.participants.drop_duplicates("person_id").set_index("person_id")["consultant_id"]
    )
    is_cons = cohort.survey["respondent"].astype(object) == "consultant"
    cohort.survey["rater_id"] = own.where(is_cons).astype("string")


def decimal_of(decimal: str | Mapping[str, str], table: str) -> str:
    """The decimal option of one table: one mark for all, or a mark per table (else ``auto``)."""
    if isinstance(decimal, Mapping):
        unknown = set(decimal) - set(codebook.TABLES)
        if unknown:
            raise InvalidParameters(
                f"decimal: unknown table(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(codebook.TABLES)}"
            )
        return decimal.get(table, "auto")
    return decimal


def _streams(table: str, path: Path, registry_dir: Path | str | None) -> bool:
    from trustexp.data.raw_registry import streamable

    return (
        registry_dir is not None
        and table == "registry"
        and path.suffix.lower() == ".csv"
        and streamable(table)
    )


def load_raw(
    raw_dir: Path | str,
    decimal: str | Mapping[str, str] = "auto",
    registry_dir: Path | str | None = None,
) -> Cohort:
    """Read, map and validate the five raw files of ``raw_dir``; raise ``InvalidData`` on any problem.

    ``decimal`` is the decimal mark of the CSV files: ``"auto"`` (told per file from its numbers;
    an undecidable file is refused), ``"."`` or ``","`` for every file, or a mapping of table
    to mark (tables not named: ``auto``).

    ``registry_dir``: when given, a CSV registry is streamed by DuckDB into Parquet parts there
    (``raw_registry.stream_registry_csv``) and checked on disk, never read whole into pandas; the
    cohort's registry is then on disk (``registry_path``). The caller owns the folder (``prepare``
    passes one inside the temporary cohort folder). A ``.sav`` or Parquet registry is read by
    pandas either way. Without it every table is read into pandas.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise InvalidData(f"raw data folder not found: {raw_dir}")
    paths, problems = find_table_files(raw_dir)
    frames: dict[str, pd.DataFrame] = {}
    rater_missing = False
    streamed = None
    for table, path in paths.items():
        if _streams(table, path, registry_dir):
            from trustexp.data.raw_registry import stream_registry_csv

            if decimal_of(decimal, table) not in DECIMAL_OPTIONS:  # checked as read_table does
                raise InvalidParameters(
                    f"decimal must be one of {', '.join(DECIMAL_OPTIONS)}, "
                    f"not {decimal_of(decimal, table)!r}"
                )
            streamed = stream_registry_csv(path, Path(str(registry_dir)), problems)
            if streamed is not None:
                frames[table] = codebook.empty_frame(table)
            continue
        frame = read_table(table, path, problems, decimal_of(decimal, table))
        if frame is not None:
            frames[table] = frame
            if table == "survey" and frame["rater_id"].isna().all():
                rater_missing = not _has_column(path, "survey", "rater_id")
    files = {t: p.name for t, p in paths.items()}
    # cells that failed to parse are empty now: drop pandera's echo of them
    echoed = {
        v.split(": ", 2)[0] + ": " + v.split(": ", 2)[1] for v in problems if ": column " in v
    }

    def fresh(lines: list[str]) -> list[str]:
        return [
            v
            for v in lines
            if not (
                ": ".join(v.split(": ", 2)[:2]) in echoed
                and ("must not be empty" in v or "wrong type" in v)
            )
        ]

    if len(frames) < len(codebook.TABLES):
        for table, frame in frames.items():
            if table == "registry" and streamed is not None:
                problems.extend(fresh(streamed.violations()[0]))
                continue
            problems.extend(fresh(schema_violations(table, frame, files[table])))
        raise InvalidData(f"the files in {raw_dir} cannot be used ({ROW_CONVENTION}):", problems)
    cohort = Cohort(
        registry_path=streamed.glob if streamed else None, source="raw", seed=None, **frames
    )
    _fill_rater(cohort, rater_missing)
    registry_problems = None
    if streamed is not None:
        registry_problems = streamed.violations(cohort.population)
    try:
        validate_cohort(cohort, files, registry_problems)
    except InvalidData as err:
        problems.extend(fresh(err.violations))
    if problems:
        raise InvalidData(
            f"the files in {raw_dir} break the codebook ({ROW_CONVENTION}):", problems
        )
    return cohort


def _has_column(path: Path, table: str, name: str) -> bool:
    names = codebook.aliases(table)
    ext = path.suffix.lower()
    if ext == ".csv":
        cols = read_csv_text(path).columns
    elif ext == ".parquet":
        import pyarrow.parquet as pq

        cols = pq.read_schema(path).names
    else:
        import pyreadstat

        _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
        cols = meta.column_names
    return any(names.get(str(c).strip().lower()) == name for c in cols)


def validate_dir(path: Path | str, decimal: str | Mapping[str, str] = "auto") -> str:
    """Check a raw folder (``trustexp validate DIR``); return a one-paragraph summary or raise.

    A CSV registry is streamed into a temporary folder (removed afterwards), as ``prepare`` does.
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix="trustexp-validate-") as tmp:
        cohort = load_raw(path, decimal, registry_dir=Path(tmp) / REGISTRY_DIR)
        rows = {t: len(cohort.table(t)) for t in codebook.TABLES}
        if cohort.registry_on_disk:
            rows["registry"] = _parquet_rows(cohort.registry_path or "")
    parts = [f"{t} {rows[t]:,} rows" for t in codebook.TABLES]
    return f"{path}: all five tables are valid ({'; '.join(parts)})"


def _parquet_rows(pattern: str) -> int:
    import glob

    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(f).metadata.num_rows for f in glob.glob(pattern))


def _raw_digest(raw_dir: Path, decimal: str | Mapping[str, str] = "auto") -> str:
    paths, _ = find_table_files(raw_dir)
    blob: dict[str, Any] = {t: [p.name, sha256_file(p)] for t, p in sorted(paths.items())}
    blob["decimal"] = {t: decimal_of(decimal, t) for t in codebook.TABLES}  # other mark: other data
    return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()


def _intact(folder: Path, manifest: dict) -> bool:
    return all(
        (folder / rel).is_file() for entry in manifest["tables"].values() for rel in entry["files"]
    )


def prepare(params: Params, root: Path | str = ".") -> Path:
    """Make the validated cohort of ``params`` in ``params.cohort_dir(root)``; return that folder.

    Synthetic: generate and write (skipped when the manifest shows the same parameter digest and
    code). Raw: load and validate ``root/params.data.raw_dir`` and write its canonical Parquet
    (skipped when the raw files and code are unchanged). On any failure nothing is written.
    """
    from trustexp.data.synthetic import write_synthetic

    root = Path(root)
    dest = params.cohort_dir(root)
    manifest = read_manifest(dest)
    code = code_digest()
    if params.data.source == "synthetic":
        digest = data_digest(params)
        if (
            manifest
            and manifest.get("params_digest") == digest
            and manifest.get("code_digest") == code
            and _intact(dest, manifest)
        ):
            return dest
        return write_synthetic(params, dest)
    raw_dir = root / params.data.raw_dir
    if not raw_dir.is_dir():
        raise InvalidData(
            f"raw data folder not found: {raw_dir} (set data.raw_dir in the parameter set)"
        )
    digest = _raw_digest(raw_dir, params.data.decimal)
    if (
        manifest
        and manifest.get("raw_digest") == digest
        and manifest.get("code_digest") == code
        and _intact(dest, manifest)
    ):
        return dest
    # written into a temporary folder that replaces ``dest`` only when all is valid; a CSV
    # registry is streamed straight into its ``registry/`` folder (never whole in pandas)
    with atomic_dir(dest) as tmp:
        cohort = load_raw(raw_dir, params.data.decimal, registry_dir=tmp / REGISTRY_DIR)
        cohort.meta = {
            "raw_digest": digest,
            "raw_dir": params.data.raw_dir,
            "scale": params.cohort.comparison,
        }
        write_cohort_into(cohort, tmp)
        write_manifest(tmp, {"source": cohort.source, "seed": cohort.seed, **cohort.meta})
    return dest


__all__ = [
    "load_raw",
    "validate_dir",
    "prepare",
    "read_table",
    "find_table_files",
    "read_numbers",
    "decimal_mark",
    "decimal_of",
]
