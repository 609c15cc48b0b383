"""Shared, generic fixtures."""

from __future__ import annotations

import pytest

from trustexp.config import Params, params_from_dict


def make_params(**overrides) -> Params:
    """A small valid parameter set; ``overrides`` replace top-level keys (e.g. ``cohort={...}``)."""
    raw = {
        "name": "test",
        "municipality": "Oss",
        "seed": 7,
        "cohort": {
            "n_participants": 60,
            "n_non_participants": 90,
            "months_before": 3,
            "follow_up_months": 24,
        },
    }
    raw.update(overrides)
    return params_from_dict(raw, "<test>")


@pytest.fixture
def small_params() -> Params:
    """A small synthetic parameter set (60 participants, 90 non-participants)."""
    return make_params()
