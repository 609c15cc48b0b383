"""Truth extensions: the default cohort is unchanged, returns to benefit, durable exits, named truths."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from conftest import make_params

from trustexp.config import load_params, load_truth, truth_names
from trustexp.data.outcomes import durable_exit_flags, outflow_flags
from trustexp.data.registry_queries import durable_exit_flags_sql
from trustexp.data.synthetic import draw_municipal, generate
from trustexp.errors import InvalidParameters

# Hashes of the default cohort's tables (params/oss.yml) generated from the commit before the truth
# gained `returns` (fccb77a): with the new keys at their defaults nothing may change.
DEFAULT_HASHES = {
    "population": "3082d3def7be71a8db754813303788d966009eadf6dcd735e6ab4a0ca42d049d",
    "participants": "4488abf08e6fc5f49ef6159ba55a768927988613f4997e347c27f23fd1322f5b",
    "survey": "14cacfa6cbec5ecb2b31de715bc9a6db5f8705679aa8b496d854aa9652028bd8",
    "registry": "fed15034e0039834da7049cef4b0bcfc5a8976e6405c15551f8c0552af506cb5",
    "spending": "81b503e406905cafa9c88d1e760e6d1287d9ea9ae63a3c66212523768b72c022",
}


def _hash(df: pd.DataFrame) -> str:
    h = hashlib.sha256(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
    h.update(str(list(df.dtypes.astype(str))).encode())
    h.update(str(list(df.columns)).encode())
    return h.hexdigest()


def test_default_cohort_tables_are_byte_identical_to_before_the_extensions() -> None:
    """The participants' spending rows are as before; non-participants' rows were added on purpose
    (their own random stream), so the spending table is compared on the participants' rows."""
    cohort = generate(load_params("params/oss.yml"))
    tables = {t: cohort.table(t) for t in DEFAULT_HASHES}
    spend = tables["spending"]
    is_part = spend["person_id"].isin(cohort.participants["person_id"])
    tables["spending"] = spend[is_part].reset_index(drop=True)
    assert {t: _hash(df) for t, df in tables.items()} == DEFAULT_HASHES
    non_ids = cohort.population.loc[~cohort.population["participant"].astype(bool), "person_id"]
    assert spend.loc[~is_part, "person_id"].isin(non_ids).all() and (~is_part).any()


def _returns_params(share: float):
    return make_params(cohort={"n_participants": 90, "n_non_participants": 120, "months_before": 2,
                               "follow_up_months": 36},
                       truth={"returns": {"share": share, "within_months": 6}})  # fmt: skip


def test_returns_change_only_the_registry_and_bring_people_back_on_benefit() -> None:
    off, on = generate(_returns_params(0.0)), generate(_returns_params(0.6))
    for table in ("population", "participants", "survey", "spending"):
        pd.testing.assert_frame_equal(off.table(table), on.table(table))
    pd.testing.assert_frame_equal(
        outflow_flags(off.population, off.registry, 24),
        outflow_flags(on.population, on.registry, 24),
    )
    diff = off.registry["on_benefit"].to_numpy() != on.registry["on_benefit"].to_numpy()
    assert diff.any() and not off.registry.loc[diff, "on_benefit"].any()  # only off -> on
    returned = set(on.registry.loc[diff, "person_id"])
    reasons = on.registry[
        on.registry["person_id"].isin(returned) & on.registry["exit_reason"].notna()
    ]
    assert set(reasons["exit_reason"].astype(str)) <= {"work_full", "work_part"}


def test_array_draws_give_the_outflow_flags_of_the_registry() -> None:
    params = _returns_params(0.3)
    dr, cohort = draw_municipal(params), generate(params)
    flags = outflow_flags(cohort.population, cohort.registry, 24).set_index("person_id")
    full = (dr.exit_k >= 1) & (dr.exit_k <= 24) & (dr.reason == 0)
    full_n = (dr.exit_n >= 1) & (dr.exit_n <= 24) & (dr.reason_n == 0)
    np.testing.assert_array_equal(flags.loc[list(dr.ids_p), "outflow_full"].to_numpy(), full)
    np.testing.assert_array_equal(flags.loc[list(dr.ids_n), "outflow_full"].to_numpy(), full_n)


def _tiny_registry() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Four people, index month 2020-01, registry 2019-12 .. 2021-06 (k = -1 .. 17).

    A: work exit at k 3, never back -> durable; B: work exit at k 2, back at k 6 -> not durable;
    C: exit for 'other' reasons -> not a work exit; D: work exit at k 14, registry ends at k 17
    before k 14 + 6 -> unknown (NA).
    """
    months = pd.date_range("2019-12-01", "2021-06-01", freq="MS")
    rows = []
    plan = {"A": (3, "work_full", None), "B": (2, "work_part", 6), "C": (4, "other", None),
            "D": (14, "work_full", None)}  # fmt: skip
    for pid, (exit_k, reason, back) in plan.items():
        for j, m in enumerate(months):
            k = j - 1
            on = k < exit_k or (back is not None and k >= back)
            rows.append((pid, m, on, reason if k == exit_k else None))
    reg = pd.DataFrame(rows, columns=["person_id", "month", "on_benefit", "exit_reason"])
    reg["exit_reason"] = pd.Categorical(
        reg["exit_reason"], categories=["work_full", "work_part", "other"]
    )
    pop = pd.DataFrame({"person_id": list(plan), "index_date": pd.Timestamp("2020-01-15")})
    return pop, reg


def test_durable_exit_flags_hand_worked_and_duckdb_agree(tmp_path) -> None:
    pop, reg = _tiny_registry()
    out = durable_exit_flags(pop, reg, window_months=24, durable_months=6).set_index("person_id")
    got = out["outflow_durable"]
    assert bool(got["A"])
    assert not got["B"] and not got["C"] and pd.isna(got["D"])
    path = tmp_path / "registry.parquet"
    reg.to_parquet(path)
    sql = durable_exit_flags_sql(str(path), pop, 24, 6)
    pd.testing.assert_frame_equal(out.reset_index(), sql)


def test_durable_flags_on_a_synthetic_cohort_pandas_equals_duckdb(tmp_path) -> None:
    cohort = generate(_returns_params(0.5))
    path = tmp_path / "registry.parquet"
    cohort.registry.to_parquet(path)
    a = durable_exit_flags(cohort.population, cohort.registry, 24, 12)
    b = durable_exit_flags_sql(str(path), cohort.population, 24, 12)
    pd.testing.assert_frame_equal(a, b)
    assert (
        a["outflow_durable"].fillna(False).sum()
        < outflow_flags(cohort.population, cohort.registry, 24)["outflow_any"].sum()
    )


def test_named_truths_load_and_bad_files_are_refused(tmp_path) -> None:
    params = load_params("params/oss.yml")
    assert {"default", "null", "arm_effect", "harmful"} <= set(truth_names())
    null = load_truth(params, "null")
    assert null.participation.outflow_full == 0 and null.arm_effect.eigen_regie.wellbeing == 0
    arm = load_truth(params, "arm_effect")
    assert (
        arm.arm_effect.eigen_regie.outflow_full == 0.15
        and arm.arm_effect.intensief.wellbeing == 0.6
    )
    assert load_truth(params, "default") == params.truth
    (tmp_path / "bad.yml").write_text("description: a bad truth\ntruth:\n  partcipation: {}\n")
    with pytest.raises(InvalidParameters, match="partcipation"):
        load_truth(params, "bad", tmp_path)
    (tmp_path / "bad2.yml").write_text("description: a bad truth\ntruth:\n  returns: {share: 2}\n")
    with pytest.raises(InvalidParameters, match="returns.share"):
        load_truth(params, "bad2", tmp_path)
