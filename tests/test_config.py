from pathlib import Path

import pytest
import yaml

from trustexp.config import load_params, params_from_dict
from trustexp.errors import InvalidParameters

ROOT = Path(__file__).resolve().parents[1]


def test_every_committed_parameter_set_validates():
    sets = sorted((ROOT / "params").glob("*.yml"))
    assert sets, "no parameter sets found"
    for path in sets:
        assert load_params(path).name == path.stem


def test_unknown_key_is_named(tmp_path):
    raw = yaml.safe_load((ROOT / "params/oss.yml").read_text())
    raw["cohort"]["n_particpants"] = 300
    with pytest.raises(InvalidParameters, match=r"cohort\.n_particpants: unknown key"):
        params_from_dict(raw, "x.yml")


def test_wrong_type_is_named_with_the_value_seen():
    with pytest.raises(InvalidParameters, match=r"seed: .*value seen: 'abc'"):
        params_from_dict({"name": "x", "municipality": "X", "seed": "abc"})


def test_out_of_range_is_refused():
    with pytest.raises(InvalidParameters, match="analysis.disclosure_threshold"):
        params_from_dict(
            {"name": "x", "municipality": "X", "seed": 1, "analysis": {"disclosure_threshold": 0}}
        )


def test_missing_file_and_bad_yaml_are_clear(tmp_path):
    with pytest.raises(InvalidParameters, match="not found"):
        load_params(tmp_path / "nope.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(InvalidParameters, match="not valid YAML"):
        load_params(bad)


def test_digest_changes_with_any_value():
    a = params_from_dict({"name": "x", "municipality": "X", "seed": 1})
    b = params_from_dict({"name": "x", "municipality": "X", "seed": 2})
    assert a.digest() != b.digest()
    assert a.digest() == params_from_dict({"name": "x", "municipality": "X", "seed": 1}).digest()
