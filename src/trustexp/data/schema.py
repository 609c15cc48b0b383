"""Pandera schemas generated from the codebook, plus the cross-table rules.

Row numbers in every message are **data rows**, 1 = the first row under the header (in a
spreadsheet that is row 2). Per-table rules (types, ranges, levels, empty cells, duplicate keys)
are pandera's; the cross-table rules (persons known in other tables, consultants rating only
their own clients, contiguous registry months, dates in order) are written here by hand because
pandera validates one frame at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trustexp.data import codebook
from trustexp.data.truth import SURVEY_ITEMS
from trustexp.errors import InvalidData

if TYPE_CHECKING:
    import pandera.pandas as pa

    from trustexp.data.cohort import Cohort

MAX_SHOWN = 5
ROW_CONVENTION = "rows are data rows: 1 = first row under the header (spreadsheet row 2)"
_ANSWER_COLUMNS = SURVEY_ITEMS


def _show(values: Iterable[Any], total: int | None = None) -> str:
    vals = list(values)
    total = len(vals) if total is None else max(total, len(vals))
    shown = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in vals[:MAX_SHOWN])
    if total > MAX_SHOWN:
        shown += f" (and {total - MAX_SHOWN} more)"
    return shown


def violation(
    file: str,
    column: str,
    rows: Sequence[int],
    rule: str,
    values: Iterable[Any] = (),
    *,
    n_rows: int | None = None,
    n_values: int | None = None,
) -> str:
    """Format one violation: file, column, 1-based data rows, rule and offending values (capped).

    ``n_rows`` / ``n_values``: the totals when only the first rows / values are passed (a check
    run in DuckDB fetches the first few and counts the rest); the message then reads the same.
    """
    rows = sorted(set(int(r) for r in rows))
    text = f"{file}: column {column!r}: {rule}"
    if rows:
        text += f"; rows {_show(rows, n_rows)}"
    vals = list(dict.fromkeys(values))
    if vals:
        text += f"; values seen: {_show(vals, n_values)}"
    return text


@cache
def table_schema(table: str) -> pa.DataFrameSchema:
    """The pandera schema of one canonical table, generated from the codebook."""
    import pandera.pandas as pa

    cols = {}
    for name, spec in codebook.columns(table).items():
        checks = []
        if "range" in spec:
            lo, hi = spec["range"]
            checks.append(pa.Check.in_range(lo, hi, error=f"must be between {lo} and {hi}"))
        if spec["type"] == "category":
            allowed = codebook.levels(table, name)
            checks.append(
                pa.Check.isin(allowed, error=f"must be one of {', '.join(map(str, allowed))}")
            )
        if spec["type"] == "month":
            checks.append(
                pa.Check(
                    lambda s: s.dt.day == 1,
                    element_wise=False,
                    error="must be the first day of a month",
                )
            )
        cols[name] = pa.Column(
            codebook.pandas_dtype(table, name),
            checks=checks,
            nullable=bool(spec.get("nullable", False)),
            required=True,
            coerce=False,
            title=spec["label_en"],
            description=spec["label_nl"],
        )
    return pa.DataFrameSchema(
        cols,
        name=table,
        unique=codebook.table_key(table),
        strict=True,
        ordered=False,
        report_duplicates="all",
    )


def _rule_text(check: str) -> str:
    if check == "not_nullable":
        return "must not be empty"
    if check.startswith("dtype("):
        return f"wrong type (expected {check[6:-1]})"
    if check == "column_in_dataframe":
        return "required column is missing"
    if check == "column_in_schema":
        return "unknown column"
    if "uniqueness" in check or check == "unique":
        return "duplicate key"
    return check


def schema_violations(table: str, frame: pd.DataFrame, file: str) -> list[str]:
    """Validate one table with its pandera schema; return one message per (column, rule)."""
    import pandera.errors as pe

    try:
        table_schema(table).validate(frame, lazy=True)
    except pe.SchemaErrors as err:
        fc = err.failure_cases
        out = []
        key = ", ".join(codebook.table_key(table))
        for (column, check), grp in fc.groupby(["column", "check"], dropna=False, sort=False):
            col = (
                key
                if (column is None or (isinstance(column, float) and np.isnan(column)))
                else str(column)
            )
            rule = _rule_text(str(check))
            idx = [int(i) + 1 for i in grp["index"].dropna().unique()]
            values = [
                v
                for v in grp["failure_case"].tolist()
                if not (isinstance(v, float) and np.isnan(v))
            ]
            if rule == "duplicate key":
                col = key
                values = []
                if idx:
                    dup_keys = frame.iloc[[i - 1 for i in idx]][codebook.table_key(table)]
                    values = sorted(
                        {"/".join(map(str, r)) for r in dup_keys.itertuples(index=False)}
                    )
            if rule in ("required column is missing", "unknown column"):
                idx, values = [], [v for v in values if v != column]
            out.append(violation(file, col, idx, rule, list(dict.fromkeys(map(_plain, values)))))
        return out
    return []


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    return v


def _rows(mask: pd.Series | np.ndarray, frame: pd.DataFrame) -> list[int]:
    return [int(i) + 1 for i in np.flatnonzero(np.asarray(mask, dtype=bool))]


def _not_in(values: pd.Series, known: Iterable[Any]) -> np.ndarray:
    return (~values.isin(set(known)) & values.notna()).to_numpy()


def cross_table_violations(cohort: Cohort, files: dict[str, str]) -> list[str]:
    """Rules that involve more than one table (or more than one row of a table)."""
    pop, part, surv, spend = cohort.population, cohort.participants, cohort.survey, cohort.spending
    out: list[str] = []
    pop_ids = set(pop["person_id"].dropna())
    part_ids = set(part["person_id"].dropna())

    m = _not_in(part["person_id"], pop_ids)
    if m.any():
        out.append(
            violation(
                files["participants"],
                "person_id",
                _rows(m, part),
                "participant not in population",
                part.loc[m, "person_id"],
            )
        )
    flagged = pop.loc[pop["participant"].astype("boolean").fillna(False).astype(bool), "person_id"]
    in_part_not_flag = part["person_id"].isin(pop_ids) & ~part["person_id"].isin(set(flagged))
    if in_part_not_flag.any():
        out.append(
            violation(
                files["participants"],
                "person_id",
                _rows(in_part_not_flag, part),
                "participant has participant = false in population",
                part.loc[in_part_not_flag, "person_id"],
            )
        )
    m = pop["participant"].astype("boolean").fillna(False).astype(bool) & ~pop["person_id"].isin(
        part_ids
    )
    if m.any():
        out.append(
            violation(
                files["population"],
                "participant",
                _rows(m, pop),
                "participant = true but the person is not in participants",
                pop.loc[m, "person_id"],
            )
        )

    m = _not_in(surv["person_id"], part_ids)
    if m.any():
        out.append(
            violation(
                files["survey"],
                "person_id",
                _rows(m, surv),
                "survey person not in participants",
                surv.loc[m, "person_id"],
            )
        )
    m = _not_in(spend["person_id"], pop_ids)
    if m.any():
        out.append(
            violation(
                files["spending"],
                "person_id",
                _rows(m, spend),
                "spending person not in population",
                spend.loc[m, "person_id"],
            )
        )

    # consultants rate only their own clients
    own = surv["person_id"].map(
        part.drop_duplicates("person_id").set_index("person_id")["consultant_id"]
    )
    is_cons = (surv["respondent"].astype(object) == "consultant").to_numpy()
    rater = surv["rater_id"]
    m = (
        is_cons
        & rater.notna().to_numpy()
        & own.notna().to_numpy()
        & (rater.astype(object) != own.astype(object)).to_numpy()
    )
    if m.any():
        vals = [
            f"{r} rated {p} (consultant {o})"
            for r, p, o in zip(rater[m], surv["person_id"][m], own[m], strict=True)
        ]
        out.append(
            violation(
                files["survey"],
                "rater_id",
                _rows(m, surv),
                "a consultant rated someone else's client",
                vals,
            )
        )
    m = is_cons & rater.isna().to_numpy()
    if m.any():
        out.append(
            violation(
                files["survey"], "rater_id", _rows(m, surv), "consultant row without rater_id"
            )
        )
    m = (surv["respondent"].astype(object) == "participant").to_numpy() & rater.notna().to_numpy()
    if m.any():
        out.append(
            violation(
                files["survey"],
                "rater_id",
                _rows(m, surv),
                "must be empty on a participant's own row",
                rater[m],
            )
        )

    # lottery date not after the response date
    lot = surv["person_id"].map(
        part.drop_duplicates("person_id").set_index("person_id")["lottery_date"]
    )
    resp = pd.to_datetime(surv["response_date"], errors="coerce")
    m = (resp.notna() & lot.notna() & (resp < pd.to_datetime(lot))).to_numpy()
    if m.any():
        vals = [
            f"{r.date()} before lottery {pd.Timestamp(x).date()}"
            for r, x in zip(resp[m], lot[m], strict=True)
        ]
        out.append(
            violation(
                files["survey"],
                "response_date",
                _rows(m, surv),
                "response before the lottery date",
                vals,
            )
        )

    # non-respondents carry no answers; respondents a date
    done = surv["completed"].astype("boolean")
    answered = surv[[c for c in _ANSWER_COLUMNS if c in surv]].notna().any(axis=1)
    m = ((done == False) & answered).fillna(False).to_numpy()  # noqa: E712
    if m.any():
        out.append(
            violation(
                files["survey"],
                "completed",
                _rows(m, surv),
                "completed = false but the row has answers",
            )
        )
    m = ((done == True) & surv["response_date"].isna()).fillna(False).to_numpy()  # noqa: E712
    if m.any():
        out.append(
            violation(
                files["survey"],
                "response_date",
                _rows(m, surv),
                "completed = true needs a response date",
            )
        )

    if not cohort.registry_on_disk:
        out.extend(registry_violations(cohort.registry, pop_ids, files["registry"]))
    return out


def registry_violations(reg: pd.DataFrame, pop_ids: set, file: str) -> list[str]:
    """Registry rules: known persons, contiguous months, exit rows off benefit (in memory)."""
    out: list[str] = []
    m = _not_in(reg["person_id"], pop_ids)
    if m.any():
        out.append(
            violation(
                file,
                "person_id",
                _rows(m, reg),
                "registry person not in population",
                reg.loc[m, "person_id"],
            )
        )
    months = pd.to_datetime(reg["month"], errors="coerce")
    ok = reg["person_id"].notna() & months.notna()
    sub = pd.DataFrame({"p": reg["person_id"][ok], "m": months[ok].dt.to_period("M")})
    sub = sub.sort_values(["p", "m"], kind="stable")
    ordinal = sub["m"].map(lambda x: x.ordinal) if len(sub) else sub["m"]
    gap = (ordinal.diff() > 1) & (sub["p"] == sub["p"].shift())
    if gap.any():
        rows = [int(i) + 1 for i in sub.index[gap.to_numpy()]]
        vals = [
            f"{p}: {prev} -> {cur}"
            for p, prev, cur in zip(
                sub["p"][gap], sub["m"].shift()[gap], sub["m"][gap], strict=True
            )
        ]
        out.append(
            violation(
                file, "month", rows, "months not contiguous per person (a month is missing)", vals
            )
        )
    m = (reg["exit_reason"].notna() & reg["on_benefit"].astype("boolean").fillna(False)).to_numpy()
    if m.any():
        out.append(
            violation(
                file,
                "exit_reason",
                _rows(m, reg),
                "exit reason in a month on benefit (the exit row is the first month off benefit)",
                reg["exit_reason"][m],
            )
        )
    return out


def registry_violations_sql(registry_glob: str, population: pd.DataFrame) -> list[str]:
    """The registry rules for a registry on disk, checked with DuckDB (file and row per file)."""
    import duckdb

    con = duckdb.connect(
        config={"memory_limit": "1GB", "threads": 2, "preserve_insertion_order": False}
    )
    out: list[str] = []
    try:
        con.register("pop", population[["person_id"]])
        src = f"read_parquet('{registry_glob}', filename=true, file_row_number=true)"
        queries = {
            (
                "person_id",
                "registry person not in population",
            ): f"SELECT filename, file_row_number, person_id FROM {src} r WHERE NOT EXISTS (SELECT 1 FROM pop p WHERE p.person_id = r.person_id)",
            (
                "person_id",
                "must not be empty",
            ): f"SELECT filename, file_row_number, NULL FROM {src} WHERE person_id IS NULL",
            (
                "month",
                "must not be empty",
            ): f"SELECT filename, file_row_number, NULL FROM {src} WHERE month IS NULL",
            (
                "on_benefit",
                "must not be empty",
            ): f"SELECT filename, file_row_number, NULL FROM {src} WHERE on_benefit IS NULL",
            (
                "exit_reason",
                "exit reason in a month on benefit",
            ): f"SELECT filename, file_row_number, exit_reason FROM {src} WHERE exit_reason IS NOT NULL AND on_benefit",
            ("month", "months not contiguous per person (a month is missing) or duplicated"): f"""
                WITH bad AS (
                  SELECT person_id FROM read_parquet('{registry_glob}') GROUP BY person_id
                  HAVING count(*) <> date_diff('month', min(month), max(month)) + 1
                      OR count(DISTINCT month) <> count(*)
                  ORDER BY person_id LIMIT 5)
                SELECT filename, file_row_number, person_id FROM {src} WHERE person_id IN (SELECT person_id FROM bad)""",
        }
        for (column, rule), sql in queries.items():
            rows = con.execute(sql + " LIMIT 1000").fetchall()
            if rows:
                by_file: dict[str, list] = {}
                for fname, row, val in rows:
                    by_file.setdefault(str(fname), []).append((int(row) + 1, val))
                for fname, hits in by_file.items():
                    out.append(
                        violation(
                            fname,
                            column,
                            [r for r, _ in hits],
                            rule,
                            [v for _, v in hits if v is not None],
                        )
                    )
    finally:
        con.close()
    return out


def default_files(cohort: Cohort | None = None) -> dict[str, str]:
    """Default file names used in messages when the caller does not name the files."""
    files = {t: f"{t}.parquet" for t in codebook.TABLES}
    files["registry"] = "registry/*.parquet"
    return files


def validate_cohort(
    cohort: Cohort,
    files: dict[str, str] | None = None,
    registry_problems: tuple[list[str], list[str]] | None = None,
) -> None:
    """Check every table and every cross-table rule; raise ``InvalidData`` listing every violation.

    ``files`` maps table names to the file names shown in messages (default ``<table>.parquet``).
    Row numbers are data rows, 1 = the first row under the header (spreadsheet row 2).
    ``registry_problems``: for a registry on disk converted from a raw file, its per-table and
    cross-table violations already found in the raw file's rows (``raw_registry``), used instead
    of ``registry_violations_sql`` (which names the Parquet files).
    """
    names = {**default_files(cohort), **(files or {})}
    problems: list[str] = []
    for table in codebook.TABLES:
        frame = cohort.table(table)
        if table == "registry" and cohort.registry_on_disk:
            if registry_problems is not None:
                problems.extend(registry_problems[0])
            continue
        problems.extend(schema_violations(table, frame, names[table]))
    try:
        problems.extend(cross_table_violations(cohort, names))
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        if not problems:
            raise
        problems.append(
            f"cross-table rules not checked until the errors above are fixed ({type(err).__name__})"
        )
    if cohort.registry_on_disk:
        if registry_problems is not None:
            problems.extend(registry_problems[1])
        else:
            problems.extend(registry_violations_sql(cohort.registry_path or "", cohort.population))
    if problems:
        raise InvalidData(
            f"the data break {len(problems)} rule(s) of the codebook ({ROW_CONVENTION}):", problems
        )
