"""Cohort folders: Parquet round trip, byte-stable manifest, atomic writes, cheap re-runs."""

from __future__ import annotations

import json

import pytest
from conftest import make_params
from rawfiles import assert_same_cohort

from trustexp.data import cohort as cohort_io
from trustexp.data.cohort import read_cohort, write_cohort
from trustexp.data.load import prepare
from trustexp.data.synthetic import generate


def test_write_then_read_gives_the_same_cohort(small_params, tmp_path):
    cohort = generate(small_params)
    back = read_cohort(write_cohort(cohort, tmp_path / "c"))
    assert_same_cohort(cohort, back)
    assert back.registry_path.endswith("registry/*.parquet") and back.seed == 7


def test_manifest_is_byte_stable_for_the_same_seed_and_lists_hashes_and_rows(
    small_params, tmp_path
):
    a = prepare(small_params, tmp_path / "a")
    b = prepare(small_params, tmp_path / "b")
    assert (a / "manifest.json").read_bytes() == (b / "manifest.json").read_bytes()
    manifest = json.loads((a / "manifest.json").read_text())
    assert manifest["source"] == "synthetic" and manifest["seed"] == 7
    assert manifest["tables"]["participants"]["rows"] == 60
    entry = manifest["tables"]["population"]["files"]["population.parquet"]
    assert entry["sha256"] == cohort_io.sha256_file(a / "population.parquet")
    other = prepare(make_params(seed=8), tmp_path / "c")
    assert (other / "manifest.json").read_bytes() != (a / "manifest.json").read_bytes()


def test_prepare_skips_when_params_and_code_are_unchanged_and_redoes_when_changed(
    small_params, tmp_path
):
    dest = prepare(small_params, tmp_path)
    stamp = (dest / "manifest.json").stat().st_mtime_ns
    assert prepare(small_params, tmp_path) == dest
    assert (dest / "manifest.json").stat().st_mtime_ns == stamp
    changed = make_params(truth={"participation": {"outflow_full": 0.2}})
    prepare(changed, tmp_path)
    assert json.loads((dest / "manifest.json").read_text())["params_digest"] != ""
    assert (dest / "manifest.json").stat().st_mtime_ns != stamp


def test_a_failing_write_leaves_the_old_cohort_untouched(small_params, tmp_path, monkeypatch):
    dest = write_cohort(generate(small_params), tmp_path / "c")
    before = {p.relative_to(dest): p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    calls = {"n": 0}
    real = cohort_io.write_frame

    def flaky(frame, path):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        real(frame, path)

    monkeypatch.setattr(cohort_io, "write_frame", flaky)
    with pytest.raises(OSError, match="disk full"):
        write_cohort(generate(make_params(seed=9)), dest)
    after = {p.relative_to(dest): p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    assert before == after
    assert [p.name for p in tmp_path.iterdir()] == ["c"]
