"""Aggregations of the monthly benefit registry, run in DuckDB over Parquet.

The registry has one row per person and month (millions of rows at national scale). These
queries reduce it inside DuckDB to one row per person (first exit, receipt before and after the
index month) or to one row per group and month; person-months never reach pandas. The outflow
flags themselves come from ``trustexp.data.outcomes.outflow_flags_sql`` (the one definition).

Month offsets ``k`` count calendar months from the person's index month (``k = 0``).
"""

from __future__ import annotations

import pandas as pd

from trustexp.data.outcomes import outflow_flags_sql
from trustexp.errors import InvalidData

DUCKDB_CONFIG = {"memory_limit": "1GB", "threads": 2, "preserve_insertion_order": False}
"""Bounded memory at national scale (50 M person-months: ~1.5 GB peak for the whole process);
DuckDB spills what does not fit. Two threads: the machines this runs on have two cores."""


def _quote(path: str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _no_progress_bar(con) -> None:
    """Switch DuckDB's progress bar off (it prints into logs); inside Jupyter without ipywidgets
    DuckDB refuses the setting, and there it shows none anyway."""
    import duckdb

    try:
        con.execute("SET enable_progress_bar = false")
    except duckdb.Error:
        pass


def _connect(index_dates: pd.DataFrame, groups: pd.DataFrame | None = None):
    """A DuckDB connection with the table ``pop(person_id, m0[, grp])``.

    ``m0`` is the index month as an integer (year * 12 + month), so that month offsets are integer
    arithmetic; the people are copied into DuckDB once instead of being re-read from pandas by
    every query. No progress bar (it would print into notebooks and logs).
    """
    import duckdb

    con = duckdb.connect(config=DUCKDB_CONFIG)
    _no_progress_bar(con)
    con.register("pop_df", index_dates[["person_id", "index_date"]])
    if groups is None:
        con.execute(
            "CREATE TABLE pop AS SELECT CAST(person_id AS VARCHAR) AS person_id,"
            " CAST(year(index_date) * 12 + month(index_date) AS INTEGER) AS m0 FROM pop_df"
        )
    else:
        con.register("grp_df", groups[["person_id", "group"]])
        con.execute(
            "CREATE TABLE pop AS SELECT CAST(p.person_id AS VARCHAR) AS person_id,"
            " CAST(year(p.index_date) * 12 + month(p.index_date) AS INTEGER) AS m0,"
            ' CAST(g."group" AS VARCHAR) AS grp'
            " FROM pop_df p JOIN grp_df g ON CAST(p.person_id AS VARCHAR) = CAST(g.person_id AS VARCHAR)"
        )
    con.unregister("pop_df")
    return con


def _offsets_cte(registry_glob: str, with_group: bool = False) -> str:
    grp = ", p.grp" if with_group else ""
    return f"""
        r AS (
          SELECT r.person_id, CAST(r.on_benefit AS INTEGER) AS y,
                 CAST(year(r.month) * 12 + month(r.month) AS INTEGER) - p.m0 AS k{grp}
          FROM read_parquet({_quote(registry_glob)}) r JOIN pop p USING (person_id))"""


def person_registry_summary(
    registry_glob: str, population: pd.DataFrame, window_months: int, months_before: int
) -> pd.DataFrame:
    """One row per person: first exit within the window, follow-up and benefit receipt.

    Columns: ``person_id``; ``exit_k`` (month offset of the first exit row with
    ``1 <= k <= window_months``, else NA); ``exit_reason`` of that exit; ``last_k`` (last month
    offset in the registry); ``pre_receipt`` (share of months on benefit, ``-months_before <= k <=
    -1``) and ``post_receipt`` (``1 <= k <= window_months``); ``n_pre``, ``n_post`` (months seen).
    People of ``population`` without registry rows get NA.

    Example: ``person_registry_summary(cohort.registry_path, cohort.population, 24, 12)``.
    """
    w, b = int(window_months), int(months_before)
    # exits are rare: read them in their own (filtered) scan, keep the full scan to counts
    sql = f"""
        WITH {_offsets_cte(registry_glob)},
        agg AS (
          SELECT person_id, max(k) AS last_k,
                 avg(y) FILTER (WHERE k BETWEEN {-b} AND -1) AS pre_receipt,
                 avg(y) FILTER (WHERE k BETWEEN 1 AND {w}) AS post_receipt,
                 count(*) FILTER (WHERE k BETWEEN {-b} AND -1) AS n_pre,
                 count(*) FILTER (WHERE k BETWEEN 1 AND {w}) AS n_post
          FROM r GROUP BY person_id),
        ex AS (
          SELECT e.person_id, CAST(e.exit_reason AS VARCHAR) AS exit_reason,
                 CAST(year(e.month) * 12 + month(e.month) AS INTEGER) - p.m0 AS k
          FROM read_parquet({_quote(registry_glob)}) e JOIN pop p USING (person_id)
          WHERE e.exit_reason IS NOT NULL),
        first_exit AS (
          SELECT person_id, min(k) AS exit_k, arg_min(exit_reason, k) AS exit_reason
          FROM ex WHERE k BETWEEN 1 AND {w} GROUP BY person_id)
        SELECT agg.person_id, first_exit.exit_k, first_exit.exit_reason, agg.last_k,
               agg.pre_receipt, agg.post_receipt, agg.n_pre, agg.n_post
        FROM agg LEFT JOIN first_exit USING (person_id)"""
    con = _connect(population)
    try:
        out = con.execute(sql).df()
    finally:
        con.close()
    out = population[["person_id"]].merge(out, on="person_id", how="left")
    for col in ("exit_k", "last_k", "n_pre", "n_post"):
        out[col] = out[col].astype("Int64")
    out["n_pre"] = out["n_pre"].fillna(0)
    out["n_post"] = out["n_post"].fillna(0)
    return out.reset_index(drop=True)


def person_outcomes(
    registry_glob: str, population: pd.DataFrame, window_months: int, months_before: int
) -> pd.DataFrame:
    """Outflow flags (``outflow_flags_sql``) joined to ``person_registry_summary``.

    Raises ``InvalidData`` when no registry file matches ``registry_glob``.
    """
    import glob

    if not glob.glob(registry_glob):
        raise InvalidData(f"no registry Parquet files match {registry_glob}")
    flags = outflow_flags_sql(registry_glob, population, window_months)
    summary = person_registry_summary(registry_glob, population, window_months, months_before)
    return flags.merge(summary, on="person_id", how="left")


def monthly_receipt(
    registry_glob: str,
    groups: pd.DataFrame,
    index_dates: pd.DataFrame,
    k_min: int,
    k_max: int,
    reference_k: int = -1,
) -> pd.DataFrame:
    """Per group and month offset: benefit receipt and its change since the reference month.

    ``groups``: ``person_id, group``; ``index_dates``: ``person_id, index_date``. Returns
    ``group, k, n, share`` (share on benefit) and ``d_n, d_mean, d_var`` (number of people seen
    both in month ``k`` and in ``reference_k``, mean and sample variance of ``y_k - y_ref``) for
    ``k_min <= k <= k_max``. These are the sufficient statistics of an event-study contrast.
    """
    if not k_min <= reference_k <= k_max:
        raise ValueError(f"reference_k={reference_k} must lie in [{k_min}, {k_max}]")
    # Each person's reference month is looked up once into the small people table, so the scan of
    # the person-months joins only that table (a join of the person-months with themselves would
    # hold tens of millions of rows in a hash table at national scale).
    ref_sql = f"""
        CREATE TEMP TABLE pop_ref AS
        WITH {_offsets_cte(registry_glob)}
        SELECT p.person_id, p.m0, p.grp, ref.y AS y_ref
        FROM pop p LEFT JOIN (SELECT person_id, y FROM r WHERE k = {int(reference_k)}) ref
        USING (person_id)"""
    sql = f"""
        WITH rk AS (
          SELECT p.grp, CAST(r.on_benefit AS INTEGER) AS y, p.y_ref,
                 CAST(year(r.month) * 12 + month(r.month) AS INTEGER) - p.m0 AS k
          FROM read_parquet({_quote(registry_glob)}) r JOIN pop_ref p USING (person_id))
        SELECT grp AS "group", k, count(*) AS n, sum(y) AS y_sum,
               count(y_ref) AS d_n, sum(y - y_ref) AS d_sum,
               sum((y - y_ref) * (y - y_ref)) AS d_sumsq
        FROM rk WHERE k BETWEEN {int(k_min)} AND {int(k_max)}
        GROUP BY grp, k ORDER BY 1, 2"""
    # Integer sums in DuckDB, ratios here: DuckDB's parallel float aggregates (avg of doubles,
    # var_samp) depend on thread scheduling in the last bits, which breaks byte-identical reruns.
    con = _connect(index_dates, groups)
    try:
        con.execute(ref_sql)
        out = con.execute(sql).df()
    finally:
        con.close()
    out["k"] = out["k"].astype(int)
    out["n"] = out["n"].astype(int)
    out["d_n"] = out["d_n"].astype(int)
    y_sum, d_sum, d_sumsq = (out.pop(c).astype(float) for c in ("y_sum", "d_sum", "d_sumsq"))
    out["share"] = y_sum / out["n"]
    d_n = out["d_n"].where(out["d_n"] > 0)
    out["d_mean"] = d_sum / d_n
    out["d_var"] = (d_sumsq - d_sum**2 / d_n) / (d_n - 1).where(d_n > 1)
    return out[["group", "k", "n", "share", "d_n", "d_mean", "d_var"]]


def registry_size(registry_glob: str) -> dict[str, int]:
    """Person-months and distinct people in the registry files (counted in DuckDB)."""
    import duckdb

    con = duckdb.connect()
    _no_progress_bar(con)
    try:
        rows, people = con.execute(
            f"SELECT count(*), count(DISTINCT person_id) FROM read_parquet({_quote(registry_glob)})"
        ).fetchone()
    finally:
        con.close()
    return {"person_months": int(rows), "people": int(people)}


def persons_in_registry(cohort, person_ids) -> set[str]:
    """Which of ``person_ids`` have benefit records: from memory, or by DuckDB when the registry is on disk."""
    wanted = {str(p) for p in person_ids}
    if not cohort.registry_on_disk:
        return wanted & set(cohort.registry["person_id"].astype(str))
    import duckdb

    con = duckdb.connect()
    _no_progress_bar(con)
    try:
        con.register("wanted", pd.DataFrame({"person_id": sorted(wanted)}))
        rows = con.execute(
            f"SELECT DISTINCT r.person_id FROM read_parquet({_quote(cohort.registry_path)}) r "
            "JOIN wanted USING (person_id)"
        ).fetchall()
    finally:
        con.close()
    return {str(r[0]) for r in rows}


def durable_exit_flags_sql(
    registry_glob: str, population: pd.DataFrame, window_months: int, durable_months: int
) -> pd.DataFrame:
    """``outcomes.durable_exit_flags`` for a registry on disk (DuckDB over Parquet).

    Same definition and result (``person_id, outflow_durable``, nullable bool): the first exit to
    work in the window, durable when no month on benefit follows within ``durable_months``;
    unknown (NA) when the registry ends earlier without a return.
    """
    w, d = int(window_months), int(durable_months)
    sql = f"""
        WITH {_offsets_cte(registry_glob)},
        ex AS (
          SELECT e.person_id,
                 CAST(year(e.month) * 12 + month(e.month) AS INTEGER) - p.m0 AS k
          FROM read_parquet({_quote(registry_glob)}) e JOIN pop p USING (person_id)
          WHERE CAST(e.exit_reason AS VARCHAR) IN ('work_full', 'work_part')),
        first_exit AS (
          SELECT person_id, min(k) AS exit_k FROM ex WHERE k BETWEEN 1 AND {w} GROUP BY person_id),
        agg AS (
          SELECT f.person_id, f.exit_k, max(r.k) AS last_k,
                 bool_or(r.y = 1 AND r.k > f.exit_k AND r.k <= f.exit_k + {d}) AS back
          FROM first_exit f JOIN r USING (person_id) GROUP BY f.person_id, f.exit_k)
        SELECT person_id,
               CASE WHEN back THEN false WHEN last_k >= exit_k + {d} THEN true ELSE NULL END
                 AS outflow_durable
        FROM agg"""
    con = _connect(population)
    try:
        flags = con.execute(sql).df()
    finally:
        con.close()
    out = population[["person_id"]].merge(flags, on="person_id", how="left", indicator=True)
    flag = out["outflow_durable"].astype("boolean")
    flag[out["_merge"] == "left_only"] = False
    return pd.DataFrame({"person_id": out["person_id"].to_numpy(), "outflow_durable": flag.array})
