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


def _quote(path: str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _offsets_cte(registry_glob: str) -> str:
    return f"""
        r AS (
          SELECT r.person_id, CAST(r.on_benefit AS INTEGER) AS y,
                 CAST(r.exit_reason AS VARCHAR) AS exit_reason,
                 date_diff('month', date_trunc('month', p.index_date), r.month) AS k
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
    import duckdb

    w, b = int(window_months), int(months_before)
    sql = f"""
        WITH {_offsets_cte(registry_glob)}
        SELECT person_id,
               min(k) FILTER (WHERE exit_reason IS NOT NULL AND k BETWEEN 1 AND {w}) AS exit_k,
               arg_min(exit_reason, k) FILTER (WHERE exit_reason IS NOT NULL AND k BETWEEN 1 AND {w})
                   AS exit_reason,
               max(k) AS last_k,
               avg(y) FILTER (WHERE k BETWEEN {-b} AND -1) AS pre_receipt,
               avg(y) FILTER (WHERE k BETWEEN 1 AND {w}) AS post_receipt,
               count(*) FILTER (WHERE k BETWEEN {-b} AND -1) AS n_pre,
               count(*) FILTER (WHERE k BETWEEN 1 AND {w}) AS n_post
        FROM r GROUP BY person_id"""
    con = duckdb.connect()
    try:
        con.register("pop", population[["person_id", "index_date"]])
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
    import duckdb

    sql = f"""
        WITH {_offsets_cte(registry_glob)},
        rk AS (SELECT r.*, g."group" FROM r JOIN grp g USING (person_id)
               WHERE k BETWEEN {int(k_min)} AND {int(k_max)}),
        ref AS (SELECT person_id, y AS y_ref FROM r WHERE k = {int(reference_k)})
        SELECT rk."group" AS "group", rk.k AS k, count(*) AS n, avg(rk.y) AS share,
               count(ref.y_ref) AS d_n, avg(rk.y - ref.y_ref) AS d_mean,
               var_samp(rk.y - ref.y_ref) AS d_var
        FROM rk LEFT JOIN ref USING (person_id)
        GROUP BY rk."group", rk.k ORDER BY 1, 2"""
    con = duckdb.connect()
    try:
        con.register("pop", index_dates[["person_id", "index_date"]])
        con.register("grp", groups[["person_id", "group"]])
        out = con.execute(sql).df()
    finally:
        con.close()
    out["k"] = out["k"].astype(int)
    out["n"] = out["n"].astype(int)
    out["d_n"] = out["d_n"].astype(int)
    return out


def registry_size(registry_glob: str) -> dict[str, int]:
    """Person-months and distinct people in the registry files (counted in DuckDB)."""
    import duckdb

    con = duckdb.connect()
    try:
        rows, people = con.execute(
            f"SELECT count(*), count(DISTINCT person_id) FROM read_parquet({_quote(registry_glob)})"
        ).fetchone()
    finally:
        con.close()
    return {"person_months": int(rows), "people": int(people)}
