"""Executable definitions of the registry outcome keys (``outflow_full``, ``outflow_any``).

The codebook's ``outcomes`` section states them in words; these functions are the one
implementation: a person counts as outflow when the registry has an exit row (``exit_reason``
not empty; for ``outflow_full``: ``work_full``) in a month m with
``index_month < m <= index_month + window_months``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def outflow_flags(
    population: pd.DataFrame, registry: pd.DataFrame, window_months: int
) -> pd.DataFrame:
    """One row per person of ``population``: ``person_id, outflow_full, outflow_any`` (bool).

    Example: ``outflow_flags(cohort.population, cohort.registry, 24)``.
    """
    index_month = population["index_date"].dt.to_period("M")
    offsets = population[["person_id"]].assign(_index=index_month)
    exits = registry.loc[registry["exit_reason"].notna(), ["person_id", "month", "exit_reason"]]
    exits = exits.merge(offsets, on="person_id", how="inner")
    k = (exits["month"].dt.to_period("M") - exits["_index"]).map(lambda d: d.n)
    inside = exits[(k >= 1) & (k <= window_months)]
    full = set(inside.loc[inside["exit_reason"] == "work_full", "person_id"])
    anyx = set(inside["person_id"])
    return pd.DataFrame(
        {
            "person_id": population["person_id"].to_numpy(),
            "outflow_full": population["person_id"].isin(full).to_numpy(),
            "outflow_any": population["person_id"].isin(anyx).to_numpy(),
        }
    )


def outflow_flags_sql(
    registry_glob: str, population: pd.DataFrame, window_months: int
) -> pd.DataFrame:
    """The same as ``outflow_flags`` for a registry on disk (DuckDB over Parquet files)."""
    import duckdb

    con = duckdb.connect()
    try:
        con.register("pop", population[["person_id", "index_date"]])
        sql = f"""
            WITH ex AS (
              SELECT r.person_id, r.exit_reason,
                     date_diff('month', date_trunc('month', p.index_date), r.month) AS k
              FROM read_parquet('{registry_glob}') r JOIN pop p USING (person_id)
              WHERE r.exit_reason IS NOT NULL)
            SELECT person_id,
                   bool_or(exit_reason = 'work_full' AND k BETWEEN 1 AND {int(window_months)}) AS outflow_full,
                   bool_or(k BETWEEN 1 AND {int(window_months)}) AS outflow_any
            FROM ex GROUP BY person_id"""
        flags = con.execute(sql).df()
    finally:
        con.close()
    out = population[["person_id"]].merge(flags, on="person_id", how="left")
    for col in ("outflow_full", "outflow_any"):
        out[col] = out[col].astype("boolean").fillna(False).astype(bool)
    return out.reset_index(drop=True)


def cohort_outflow_flags(
    cohort, window_months: int, population: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Outflow flags for ``population`` (default: everyone) from a cohort, wherever its registry lives.

    In memory: ``outflow_flags``; on disk (national scale): ``outflow_flags_sql`` through DuckDB.
    """
    pop = cohort.population if population is None else population
    if cohort.registry_on_disk:
        return outflow_flags_sql(cohort.registry_path, pop, window_months)
    ids = set(pop["person_id"].astype(str))
    registry = cohort.registry[cohort.registry["person_id"].astype(str).isin(ids)]
    return outflow_flags(pop, registry, window_months)


WORK_EXITS = ("work_full", "work_part")
"""Exit reasons that count as leaving benefit for work (``outflow_durable``)."""


def _month_number(values: pd.Series) -> pd.Series:
    """Calendar month as an integer (year * 12 + month), for offset arithmetic."""
    return values.dt.year.astype("int64") * 12 + values.dt.month.astype("int64")


def durable_exit_flags(
    population: pd.DataFrame, registry: pd.DataFrame, window_months: int, durable_months: int
) -> pd.DataFrame:
    """One row per person of ``population``: ``person_id, outflow_durable`` (nullable bool).

    The codebook's ``outflow_durable``: the first exit to work (``exit_reason`` ``work_full`` or
    ``work_part``) in a month with offset ``1 <= k <= window_months`` from the index month, and
    no registry month on benefit at offsets ``k < j <= k + durable_months``. ``True`` for such a
    durable exit, ``False`` for no exit to work in the window or a return within
    ``durable_months``, ``NA`` when the registry ends before ``k + durable_months`` without a
    return (not yet known). Example: ``durable_exit_flags(c.population, c.registry, 24, 12)``.
    """
    m0 = population[["person_id"]].assign(_m0=_month_number(population["index_date"]))
    reg = registry[["person_id", "month", "on_benefit", "exit_reason"]].merge(m0, on="person_id")
    reg = reg.assign(k=_month_number(reg["month"]) - reg["_m0"])
    last = reg.groupby("person_id", observed=True)["k"].max().rename("last_k")
    to_work = reg["exit_reason"].astype("object").isin(WORK_EXITS)
    exits = reg[to_work & (reg["k"] >= 1) & (reg["k"] <= window_months)]
    first = exits.groupby("person_id", observed=True)["k"].min().rename("exit_k").reset_index()
    on = reg.loc[reg["on_benefit"].astype(bool), ["person_id", "k"]].merge(first, on="person_id")
    back = set(
        on.loc[(on["k"] > on["exit_k"]) & (on["k"] <= on["exit_k"] + durable_months), "person_id"]
    )
    first = first.merge(last.reset_index(), on="person_id", how="left")
    returned = first["person_id"].isin(back)
    known = first["last_k"] >= first["exit_k"] + durable_months
    first["flag"] = pd.array(np.where(returned, False, known), dtype="boolean")
    first.loc[~returned & ~known, "flag"] = pd.NA
    out = population[["person_id"]].merge(first[["person_id", "flag"]], on="person_id", how="left")
    flag = out["flag"].astype("boolean")
    flag[out["flag"].isna() & ~out["person_id"].isin(set(first["person_id"]))] = False
    return pd.DataFrame({"person_id": out["person_id"].to_numpy(), "outflow_durable": flag.array})
