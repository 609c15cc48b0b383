"""Stream a raw CSV registry into the cohort's Parquet parts with DuckDB, and check it there.

At national scale the benefit registry holds tens of millions of person-months: too many to read
whole into pandas as ``load.read_table`` does. ``stream_registry_csv`` converts ``registry.csv``
straight into ``registry/part-NNNNN.parquet`` (``ROWS_PER_PART`` rows each, in file order, with
the canonical Arrow types the pandas path writes), one batch at a time; ``StreamedRegistry``
then checks the codebook's registry rules on those files with DuckDB. Memory stays bounded by the
batch size and DuckDB's ``memory_limit``, whatever the number of rows.

A cell means what it means to the pandas loader: DuckDB reads the CSV as text and trims it (the
characters ``str.strip`` strips); the distinct cells of the coded columns (month, on_benefit,
exit_reason: a few dozen in a valid file) are parsed by ``load.parse_cells``, the pandas loader's
own parser, and the result is mapped onto every row in Arrow. Encoding (UTF-8, else cp1252),
separator, column aliases and codes are told as ``load.read_csv_text`` and ``load.column_mapping``
tell them. Messages are the pandas path's: file, column, data rows (1 = the first row under the
header), the rule, the values seen; the parts are written in file order, so a Parquet row is found
back by its position.

Not streamed (they stay on the pandas path, ``load.read_table``): a registry delivered as SPSS
``.sav`` (pyreadstat reads a file whole and DuckDB reads no ``.sav``) or as Parquet, and tables
with numeric columns (their decimal mark is told from every number in the file; the registry has
none). Where the streamed reading differs from pandas' ``read_csv``: a row with more cells than the
header is refused with DuckDB's message (which names the line) instead of pandas'; a line holding
only blanks is skipped as pandas skips it, and so is a line whose only non-empty cell is blanks in
the first column (pandas reads that as a row of empty cells, which is then refused).
"""

from __future__ import annotations

import codecs
import csv
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from trustexp.data import codebook
from trustexp.data.load import column_mapping, missing_column, parse_cells, separator_of
from trustexp.data.schema import violation
from trustexp.errors import InvalidData

TABLE = "registry"
ROWS_PER_PART = 3_000_000
"""Rows per Parquet part: 50,000 people x 60 months, the synthetic national parts' size."""
BATCH_ROWS = 1_000_000
"""Rows per Arrow batch and Parquet row group (as ``cohort.write_frame``)."""
DUCKDB_CONFIG = {"memory_limit": "1GB", "threads": 2, "preserve_insertion_order": True}
"""As ``registry_queries.DUCKDB_CONFIG``, but in file order: row numbers are positions."""
STREAMED_TYPES = ("id", "string", "bool", "category", "date", "month")
_CODED = ("bool", "category", "date", "month")
_BLANKS = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
_BLOCK = 1 << 22
_SHOWN = 5
_MONTH_INDEX = "(year(month) * 12 + month(month) - 1)"


def streamable(table: str) -> bool:
    """True when every column of ``table`` can be read by the streamed path (no numbers)."""
    return all(spec["type"] in STREAMED_TYPES for spec in codebook.columns(table).values())


def _quote(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _connect(work: Path):
    import duckdb

    work.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={**DUCKDB_CONFIG, "temp_directory": str(work / "duckdb.tmp")})
    try:
        con.execute("SET enable_progress_bar = false")
    except duckdb.Error:  # refused inside Jupyter without ipywidgets; shows none there
        pass
    blanks = _BLANKS.replace("'", "''")
    # trim(x, characters) is slow (microseconds a cell): only cells that begin or end with
    # something other than printable ASCII go through it
    con.execute(
        "CREATE MACRO clean(x) AS CASE WHEN ord(x) BETWEEN 33 AND 126 "
        "AND ord(right(x, 1)) BETWEEN 33 AND 126 THEN x "
        f"ELSE NULLIF(trim(x, '{blanks}'), '') END"
    )
    return con


# --- the file: encoding, header, separator ---------------------------------------------------


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as fh:
        try:
            for block in iter(lambda: fh.read(_BLOCK), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _transcode_cp1252(path: Path, out: Path) -> None:
    """Re-encode a cp1252 file as UTF-8 (streamed); raise what ``bytes.decode`` raises."""
    decoder = codecs.getincrementaldecoder("cp1252")()
    offset = 0
    with open(path, "rb") as src, open(out, "w", encoding="utf-8", newline="") as dst:
        for block in iter(lambda: src.read(_BLOCK), b""):
            try:
                dst.write(decoder.decode(block))
            except UnicodeDecodeError as err:
                raise UnicodeDecodeError(
                    err.encoding, block, offset + err.start, offset + err.end, err.reason
                ) from None
            offset += len(block)
        dst.write(decoder.decode(b"", final=True))


@dataclass
class _Source:
    path: Path  # UTF-8 file DuckDB reads
    sep: str
    skip: int  # blank lines before the header
    names: list[str]  # header cells, as pandas names them
    parallel: bool = True  # DuckDB cannot read quoted line breaks in parallel with null_padding


def _head(path: Path) -> str | None:
    """The text up to the end of the header line (BOM dropped); None when the file is blank."""
    raw = b""
    with open(path, "rb") as fh:
        while True:
            block = fh.read(1 << 16)
            raw += block
            text = raw.decode("utf-8", errors="ignore").removeprefix("\ufeff")
            stripped = text.lstrip()
            if not block:
                return text if stripped else None
            if stripped and re.search(r"[\r\n]", stripped):
                return text


def _pandas_names(cells: list[str]) -> list[str]:
    """Header names as pandas gives them: empty ones ``Unnamed: i``, repeats ``name.1``."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(cells):
        name = cell if cell else f"Unnamed: {i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def _source(path: Path, work: Path) -> _Source:
    """Encoding, separator, leading blank lines and header of a CSV file (``InvalidData`` when
    it is blank, ``UnicodeDecodeError`` when it is neither UTF-8 nor cp1252)."""
    if path.stat().st_size == 0 or _head(path) is None:
        raise InvalidData(f"{path.name}: the file is empty (no header, no rows)")
    src = path
    if not _is_utf8(path):
        src = work / "registry.utf8.csv"
        _transcode_cp1252(path, src)
    text = _head(src) or ""
    body = text.lstrip()
    leading = text[: len(text) - len(body)]
    skip = len(re.findall(r"\r\n|\r|\n", leading))
    header = body.splitlines()[0]
    sep = separator_of(header)
    cells = next(csv.reader([header], delimiter=sep, skipinitialspace=True), [])
    return _Source(src, sep, skip, _pandas_names(cells))


def _read_csv_sql(src: _Source) -> str:
    cols = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(src.names)))
    return (
        f"read_csv({_quote(str(src.path))}, delim={_quote(src.sep)}, header=true, quote='\"', "
        f"escape='\"', auto_detect=false, columns={{{cols}}}, null_padding=true, "
        f"parallel={str(src.parallel).lower()}, skip={src.skip})"
    )


def _keep_sql(n: int) -> str:
    """Not a line of blanks (pandas skips those; DuckDB reads them as a row)."""
    if n <= 1:
        return "true"
    rest = ", ".join(f"c{i}" for i in range(1, n))
    return f"(c0 IS NULL OR clean(c0) IS NOT NULL OR coalesce({rest}) IS NOT NULL)"


# --- the conversion --------------------------------------------------------------------------


@dataclass
class _Coded:
    """The meaning of every distinct cell of a coded column."""

    keys: list[str]
    values: list[Any]
    failures: list[tuple[str, list[str]]]  # (rule, offending cells) as parse_cells found them


def _code_column(name: str, cells: list[str]) -> _Coded:
    text = pd.Series(cells, dtype=object)
    parsed, failures = parse_cells(TABLE, name, text)
    good = parsed.notna().to_numpy()
    keys = [c for c, g in zip(cells, good, strict=True) if g]
    values = list(parsed[good])
    bad = [(rule, [cells[i] for i in mask.to_numpy().nonzero()[0]]) for mask, rule, _ in failures]
    return _Coded(keys, values, bad)


def _arrow_schema():
    import pyarrow as pa

    return pa.Schema.from_pandas(codebook.empty_frame(TABLE), preserve_index=False)


def _column_array(name: str, cells, coded: _Coded | None, type_):
    """One Arrow column of a batch: text as is, coded cells through their meaning."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if coded is None:
        return cells.cast(pa.string()).cast(type_)
    idx = pc.index_in(cells.cast(pa.string()), value_set=pa.array(coded.keys, pa.string()))
    if pa.types.is_dictionary(type_):
        levels = codebook.levels(TABLE, name)
        codes = pa.array([levels.index(v) for v in coded.values], type_.index_type)
        return pa.DictionaryArray.from_arrays(pc.take(codes, idx), pa.array(levels, pa.string()))
    if pa.types.is_timestamp(type_):
        values = pa.array(pd.DatetimeIndex(coded.values).as_unit("ns"), type_)
    else:
        values = pa.array([bool(v) for v in coded.values], type_)
    return pc.take(values, idx)


class _PartWriter:
    """Parquet parts of ``ROWS_PER_PART`` rows, numbered in file order."""

    def __init__(self, folder: Path, schema) -> None:
        self.folder, self.schema = folder, schema
        self.parts: list[Path] = []
        self.rows = 0
        self._writer = None
        self._in_part = 0
        folder.mkdir(parents=True, exist_ok=True)

    def write(self, table) -> None:
        import pyarrow.parquet as pq

        while table.num_rows:
            if self._writer is None:
                path = self.folder / f"part-{len(self.parts):05d}.parquet"
                self._writer = pq.ParquetWriter(path, self.schema, compression="zstd")
                self.parts.append(path)
                self._in_part = 0
            take = min(table.num_rows, ROWS_PER_PART - self._in_part)
            self._writer.write_table(table.slice(0, take), row_group_size=BATCH_ROWS)
            table = table.slice(take)
            self._in_part += take
            self.rows += take
            if self._in_part == ROWS_PER_PART:
                self.close()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def _batches(reader) -> Iterator[Any]:
    while True:
        try:
            yield reader.read_next_batch()
        except StopIteration:
            return


def stream_registry_csv(
    path: Path | str, folder: Path | str, problems: list[str]
) -> StreamedRegistry | None:
    """Convert a raw ``registry.csv`` into canonical Parquet parts in ``folder``, streamed.

    Appends the reading problems (unreadable file, missing or doubled columns, cells that are not
    a date, a yes/no or a known exit reason) to ``problems`` in the pandas loader's words and
    returns the converted registry, whose rule checks (``StreamedRegistry.violations``) run on
    the parts; None when the file cannot be read at all. ``folder``
    is the caller's (a temporary folder renamed into place only when everything is valid); its
    sibling ``<folder>.work`` holds DuckDB's spill files and a re-encoded copy of a cp1252 file.
    """
    path, folder = Path(path), Path(folder)
    work = folder.parent / f".{folder.name}.work"
    work.mkdir(parents=True, exist_ok=True)
    try:
        return _stream(path, folder, work, problems)
    finally:
        _rmtree(work)


def _stream(path: Path, folder: Path, work: Path, problems: list[str]) -> StreamedRegistry | None:
    import duckdb
    import pyarrow as pa

    file = path.name
    try:
        src = _source(path, work)
    except InvalidData as err:
        problems.append(str(err))
        return None
    except UnicodeDecodeError as err:
        problems.append(f"{file}: cannot be read as CSV ({err})")
        return None
    expected = codebook.columns(TABLE)
    if len(src.names) == 1 and len(expected) > 1:
        problems.append(
            f"{file}: only one column found ({src.names[0][:60]!r}): wrong delimiter? "
            "use ';' or ',' between columns"
        )
        return None
    position = {name: i for i, name in enumerate(src.names)}
    mapping = {
        canon: position[col]
        for col, canon in column_mapping(TABLE, src.names, file, problems).items()
    }
    for name, spec in expected.items():
        if name not in mapping and spec.get("required", True):
            problems.append(missing_column(file, name, src.names))
    present = [n for n in expected if n in mapping]
    coded_names = [n for n in present if expected[n]["type"] in _CODED]
    keep = _keep_sql(len(src.names))
    select = ", ".join(f"clean(c{mapping[n]}) AS {n}" for n in present) or "1 AS one"
    sets = ", ".join(f"({n})" for n in coded_names)
    grouping = ", ".join(f"grouping({n}) AS g_{n}, {n}" for n in coded_names)
    con = _connect(work)
    try:
        for parallel in (True, False):
            src.parallel = parallel
            rows_sql = f"SELECT {select} FROM {_read_csv_sql(src)} WHERE {keep}"
            try:
                distinct = con.execute(
                    f"SELECT {grouping + ', ' if grouping else ''}count(*) AS n FROM ({rows_sql}) "
                    f"GROUP BY GROUPING SETS ({sets + ', ' if sets else ''}())"
                ).df()
                break
            except duckdb.Error as err:
                if parallel and "parallel=false" in str(err):
                    continue
                problems.append(f"{file}: cannot be read as CSV ({_first_lines(err)})")
                return None
        total_set = distinct
        for n in coded_names:
            total_set = total_set[total_set[f"g_{n}"] == 1]
        n_rows = int(total_set["n"].sum()) if len(total_set) else 0
        if n_rows == 0:
            problems.append(f"{file}: the file has a header but no data rows")
            return None
        coded: dict[str, _Coded] = {}
        for n in coded_names:
            mine = distinct[distinct[f"g_{n}"] == 0]
            others = [o for o in coded_names if o != n]
            for o in others:
                mine = mine[mine[f"g_{o}"] == 1]
            cells = [str(v) for v in mine[n] if v is not None and not pd.isna(v)]
            coded[n] = _code_column(n, cells)
        for n in coded_names:
            for rule, cells in coded[n].failures:
                problems.append(_cell_violation(con, src, mapping[n], file, n, rule, cells))
        schema = _arrow_schema()
        out = _PartWriter(folder, schema)
        try:
            reader = con.sql(rows_sql).to_arrow_reader(BATCH_ROWS)
            for batch in _batches(reader):
                arrays = []
                for f in schema:
                    if f.name in mapping:
                        col = batch.column(batch.schema.get_field_index(f.name))
                        arrays.append(_column_array(f.name, col, coded.get(f.name), f.type))
                    else:
                        arrays.append(pa.nulls(batch.num_rows, f.type))
                out.write(pa.Table.from_arrays(arrays, schema=schema))
        finally:
            out.close()
    finally:
        con.close()
    return StreamedRegistry(
        file=file,
        folder=folder,
        rows=out.rows,
        parts=out.parts,
    )


def _rmtree(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def _first_lines(err: Exception, n: int = 3) -> str:
    return " ".join(line.strip() for line in str(err).strip().splitlines()[:n] if line.strip())


def _cell_violation(
    con, src: _Source, col: int, file: str, name: str, rule: str, cells: list[str]
) -> str:
    """Find the rows of the offending cells in the CSV (one ordered scan, on failure only)."""
    con.register("bad_cells", pd.DataFrame({"v": pd.Series(cells, dtype=object)}))
    hits = con.execute(
        f"""SELECT v, min(rn, {_SHOWN}) AS first_rows, min(rn) AS first, count(*) AS n
        FROM (SELECT row_number() OVER () AS rn, clean(c{col}) AS v
              FROM {_read_csv_sql(src)} WHERE {_keep_sql(len(src.names))})
        WHERE v IN (SELECT v FROM bad_cells) GROUP BY v ORDER BY first"""
    ).fetchall()
    con.unregister("bad_cells")
    rows = sorted(r for _, first_rows, _, _ in hits for r in first_rows)[:_SHOWN]
    values = [v for v, *_ in hits]
    return violation(
        file,
        name,
        rows,
        rule,
        values[:_SHOWN],
        n_rows=sum(int(n) for *_, n in hits),
        n_values=len(values),
    )


# --- the rules, checked on the parts ---------------------------------------------------------


@dataclass
class StreamedRegistry:
    """A registry converted by ``stream_registry_csv``: its parts and the rules to check on them.

    Cells reported while reading are empty in the parts; their "must not be empty" echo is
    dropped by ``load.load_raw`` as it drops pandera's.
    """

    file: str
    folder: Path
    rows: int
    parts: list[Path]

    @property
    def glob(self) -> str:
        """The parts as a glob for DuckDB (``read_parquet``) and ``Cohort.registry_path``."""
        return str(self.folder / "*.parquet")

    def _view(self, con) -> None:
        con.execute(
            f"""CREATE OR REPLACE VIEW reg AS SELECT person_id, month, on_benefit, exit_reason,
              CAST(regexp_extract(filename, 'part-(\\d+)\\.parquet$', 1) AS BIGINT)
                * {ROWS_PER_PART} + file_row_number + 1 AS rn
            FROM read_parquet({_quote(self.glob)}, filename=true, file_row_number=true)"""
        )

    def _rows_rule(self, con, where: str, column: str, rule: str, value: str | None) -> list[str]:
        """One message for the rows matching ``where``: first rows, count, values in row order."""
        n, rows = con.execute(
            f"SELECT count(*), min(rn, {_SHOWN}) FROM reg WHERE {where}"
        ).fetchall()[0]
        if not n:
            return []
        values: list[Any] = []
        n_values = None
        if value is not None:
            found = con.execute(
                f"""SELECT v FROM (SELECT {value} AS v, min(rn) AS first FROM reg WHERE {where}
                GROUP BY v) ORDER BY first LIMIT {_SHOWN}"""
            ).fetchall()
            values = [v for (v,) in found]
            n_values = con.execute(
                f"SELECT count(DISTINCT {value}) FROM reg WHERE {where}"
            ).fetchall()[0][0]
        return [violation(self.file, column, rows, rule, values, n_rows=n, n_values=n_values)]

    def violations(self, population: pd.DataFrame | None = None) -> tuple[list[str], list[str]]:
        """The registry's rules checked on the parts: (per-table, cross-table) violations.

        Per-table: what pandera reports for a registry frame (duplicate keys, empty cells, wrong
        types). Cross-table (only with ``population``): ``schema.registry_violations``' rules
        (persons known, months contiguous, exit rows off benefit). One scan per rule; the
        per-person counts that tell whether any duplicate or gap exists are taken once.
        """
        work = self.folder.parent / f".{self.folder.name}.work"
        con = _connect(work)
        try:
            self._view(con)
            m = _MONTH_INDEX
            con.execute(
                f"""CREATE TEMP TABLE people AS SELECT person_id,
                  count(month) <> count(DISTINCT month) OR count(*) - count(month) > 1 AS dup,
                  person_id IS NOT NULL AND count(month) > 0
                    AND count(DISTINCT month) <> max({m}) - min({m}) + 1 AS gap
                FROM reg GROUP BY person_id HAVING dup OR gap"""
            )
            per_table = self._duplicates(con) + self._empty_cells(con)
            cross = [] if population is None else self._cross(con, population)
        finally:
            con.close()
            _rmtree(work)
        return per_table, cross

    def _empty_cells(self, con) -> list[str]:
        required = [
            name
            for name, spec in codebook.columns(TABLE).items()
            if not spec.get("nullable", False)
        ]
        counts = con.execute(
            "SELECT "
            + ", ".join(
                f"count(*) FILTER (WHERE {n} IS NULL), min(rn, {_SHOWN}) FILTER (WHERE {n} IS NULL)"
                for n in required
            )
            + " FROM reg"
        ).fetchall()[0]
        shown = {"id": pd.NA, "month": pd.NaT, "date": pd.NaT, "bool": pd.NA}
        out = []
        for i, name in enumerate(required):
            n, rows = counts[2 * i], counts[2 * i + 1]
            if not n:
                continue
            kind = codebook.column_spec(TABLE, name)["type"]
            rules = ["must not be empty"]
            if kind == "bool":  # a bool column with empty cells is not 'bool' for pandera
                rules.append("wrong type (expected 'bool')")
            for rule in rules:
                out.append(
                    violation(self.file, name, rows, rule, [shown.get(kind, pd.NA)], n_rows=n)
                )
        return out

    def _duplicates(self, con) -> list[str]:
        """Rows sharing (person_id, month), reported once per key column as pandera does."""
        # ``people``: persons with fewer distinct months than months, or two empty months
        if not con.execute("SELECT count(*) FROM people WHERE dup").fetchall()[0][0]:
            return []
        con.execute(
            """CREATE OR REPLACE TEMP TABLE dups AS
            SELECT rn, coalesce(person_id, '<NA>') || '/' ||
                   coalesce(strftime(month, '%Y-%m-%d %H:%M:%S'), 'NaT') AS key,
                   person_id IS NOT NULL AS has_person, month IS NOT NULL AS has_month
            FROM reg r WHERE EXISTS (SELECT 1 FROM (SELECT person_id, month FROM reg
                 GROUP BY person_id, month HAVING count(*) > 1) d
                 WHERE d.person_id IS NOT DISTINCT FROM r.person_id
                   AND d.month IS NOT DISTINCT FROM r.month)"""
        )
        out = []
        for flag in ("has_person", "has_month"):
            n, rows = con.execute(
                f"SELECT count(*), min(rn, {_SHOWN}) FROM dups WHERE {flag}"
            ).fetchall()[0]
            if not n:
                continue
            keys = con.execute(
                f"SELECT DISTINCT key FROM dups WHERE {flag} ORDER BY key LIMIT {_SHOWN}"
            ).fetchall()
            n_keys = con.execute(f"SELECT count(DISTINCT key) FROM dups WHERE {flag}").fetchall()[0]
            out.append(
                violation(
                    self.file,
                    "person_id, month",
                    rows,
                    "duplicate key",
                    [k for (k,) in keys],
                    n_rows=n,
                    n_values=n_keys[0],
                )
            )
        return out

    def _cross(self, con, population: pd.DataFrame) -> list[str]:
        """``schema.registry_violations``' rules, on the parts."""
        con.register("pop_df", population[["person_id"]].astype({"person_id": object}))
        con.execute(
            "CREATE TEMP TABLE pop AS SELECT DISTINCT CAST(person_id AS VARCHAR) "
            "AS person_id FROM pop_df WHERE person_id IS NOT NULL"
        )
        con.unregister("pop_df")
        out = self._rows_rule(
            con,
            "person_id IS NOT NULL AND person_id NOT IN (SELECT person_id FROM pop)",
            "person_id",
            "registry person not in population",
            "person_id",
        )
        out.extend(self._gaps(con))
        out.extend(
            self._rows_rule(
                con,
                "exit_reason IS NOT NULL AND coalesce(on_benefit, false)",
                "exit_reason",
                "exit reason in a month on benefit (the exit row is the first month off benefit)",
                "CAST(exit_reason AS VARCHAR)",
            )
        )
        return out

    def _gaps(self, con) -> list[str]:
        """Months missing within a person's span: the row after each gap, as pandas finds it."""
        m = _MONTH_INDEX
        if not con.execute("SELECT count(*) FROM people WHERE gap").fetchall()[0][0]:
            return []
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE gaps AS
            SELECT * FROM (
              SELECT rn, person_id, {m} AS k,
                     lag({m}) OVER (PARTITION BY person_id ORDER BY {m}, rn) AS prev
              FROM reg WHERE month IS NOT NULL
                AND person_id IN (SELECT person_id FROM people WHERE gap))
            WHERE k - prev > 1"""
        )
        n, rows = con.execute(f"SELECT count(*), min(rn, {_SHOWN}) FROM gaps").fetchall()[0]

        def ym(col: str) -> str:
            return f"printf('%04d-%02d', {col} // 12, {col} % 12 + 1)"

        value = f"person_id || ': ' || {ym('prev')} || ' -> ' || {ym('k')}"
        values = con.execute(
            f"SELECT {value} FROM gaps ORDER BY person_id, k, rn LIMIT {_SHOWN}"
        ).fetchall()
        n_values = con.execute(f"SELECT count(DISTINCT {value}) FROM gaps").fetchall()[0][0]
        return [
            violation(
                self.file,
                "month",
                rows,
                "months not contiguous per person (a month is missing)",
                list(dict.fromkeys(v for (v,) in values)),
                n_rows=n,
                n_values=n_values,
            )
        ]


__all__ = ["ROWS_PER_PART", "StreamedRegistry", "stream_registry_csv", "streamable"]
