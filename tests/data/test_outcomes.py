"""The outflow definition gives the same flags in memory (pandas) and on disk (DuckDB)."""

from __future__ import annotations

import pandas as pd

from trustexp.config import params_from_dict
from trustexp.data.cohort import read_cohort, write_cohort
from trustexp.data.outcomes import cohort_outflow_flags
from trustexp.data.synthetic import generate


def test_cohort_outflow_flags_agree_in_memory_and_on_disk(tmp_path):
    params = params_from_dict(
        {
            "name": "t",
            "municipality": "T",
            "seed": 5,
            "cohort": {"n_participants": 60, "n_non_participants": 80},
        }
    )
    folder = write_cohort(generate(params), tmp_path / "cohort")
    in_memory = read_cohort(folder, load_registry=True)
    on_disk = read_cohort(folder, load_registry=False)
    assert not in_memory.registry_on_disk and on_disk.registry_on_disk
    a = cohort_outflow_flags(in_memory, 24).sort_values("person_id").reset_index(drop=True)
    b = cohort_outflow_flags(on_disk, 24).sort_values("person_id").reset_index(drop=True)
    cols = ["person_id", "outflow_full", "outflow_any"]
    pd.testing.assert_frame_equal(a[cols].astype(str), b[cols].astype(str))
    assert a["outflow_any"].astype(bool).sum() > 0
    subset = in_memory.population.head(10)
    assert set(cohort_outflow_flags(on_disk, 24, subset)["person_id"].astype(str)) <= set(
        subset["person_id"].astype(str)
    )
