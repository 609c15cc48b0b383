"""Recording which parameters a chapter reads (``trustexp.params_reads``)."""

from __future__ import annotations

import pickle

import pytest

from trustexp.config import Params
from trustexp.params_reads import read_paths, sink_to_file, track, tracked_from_env


def recorder(params: Params):
    seen: list[str] = []
    return track(params, seen.append), seen


def test_leaf_reads_are_recorded_by_dotted_path(small_params):
    view, seen = recorder(small_params)
    assert view.analysis.alpha == small_params.analysis.alpha
    assert view.cohort.n_participants == 60
    assert view.seed == 7
    assert seen == ["analysis.alpha", "cohort.n_participants", "seed"]


def test_methods_and_whole_objects_record_the_whole_object(small_params):
    view, seen = recorder(small_params)
    assert view.truth.model_dump() == small_params.truth.model_dump()
    assert view.digest() == small_params.digest()
    assert seen == ["truth", ""]  # "" = the whole set


def test_folder_methods_record_only_the_name(small_params):
    view, seen = recorder(small_params)
    assert view.layout("r") == small_params.layout("r")
    assert view.cohort_dir("r") == small_params.cohort_dir("r")
    assert seen == ["name", "name"]


def test_the_view_passes_for_the_model_and_is_read_only(small_params):
    view, seen = recorder(small_params)
    assert isinstance(view, Params)
    assert isinstance(view.analysis, type(small_params.analysis))
    with pytest.raises(AttributeError, match="read-only"):
        view.seed = 3
    assert view == small_params and seen == [""]
    assert pickle.loads(pickle.dumps(view)) == small_params


def test_reads_go_to_the_file_named_by_the_environment(small_params, tmp_path, monkeypatch):
    target = tmp_path / "reads"
    assert read_paths(target) is None
    monkeypatch.delenv("TRUSTEXP_PARAMS_READS", raising=False)
    assert tracked_from_env(small_params) is small_params
    monkeypatch.setenv("TRUSTEXP_PARAMS_READS", str(target))
    view = tracked_from_env(small_params)
    _ = view.analysis.alpha, view.analysis.alpha, view.seed
    assert target.read_text().splitlines() == ["analysis.alpha", "seed"]
    sink_to_file(target)("")
    assert read_paths(target) == ["", "analysis.alpha", "seed"]
