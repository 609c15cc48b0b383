"""Parameter sets: load ``params/*.yml``, validate every key, and expose typed values.

A parameter set says which municipality, which data (synthetic or raw), which seed, and the
known ``Truth`` from which the synthetic cohort is drawn. Unknown keys and wrong types are refused
with an error that names the key, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trustexp.data.truth import Truth
from trustexp.errors import InvalidParameters
from trustexp.files import sha256_bytes
from trustexp.layout import DEFAULT_PARAMS, Layout

__all__ = ["DEFAULT_PARAMS", "Params", "load_params", "params_from_dict"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataSource(_Strict):
    """Where the cohort comes from."""

    source: Literal["synthetic", "raw"] = "synthetic"
    raw_dir: str = "data/raw"


class Cohort(_Strict):
    """Size and timing of the (synthetic) cohort; ignored for raw data except the comparison."""

    n_participants: int = Field(300, ge=30, le=100_000)
    n_non_participants: int = Field(1900, ge=30, le=5_000_000)
    lottery_date: dt.date = dt.date(2017, 4, 1)
    months_before: int = Field(12, ge=1, le=120)
    follow_up_months: int = Field(36, ge=6, le=120)
    comparison: Literal["municipal", "national"] = "municipal"
    national_people: int = Field(400_000, ge=1_000)
    national_months: int = Field(60, ge=12, le=240)


class Analysis(_Strict):
    """Settings of the statistical analysis shared by the chapters."""

    outflow_window_months: int = Field(24, ge=3, le=120)
    alpha: float = Field(0.05, gt=0, lt=0.5)
    disclosure_threshold: int = Field(10, ge=1, le=100)
    n_permutations: int = Field(10_000, ge=100)
    n_simulations: int = Field(200, ge=10)
    n_bootstrap: int = Field(2_000, ge=100)
    smallest_effect_of_interest: float = Field(
        0.3, gt=0, description="smallest standardised effect (Cohen's d) that would matter"
    )


class Params(_Strict):
    """A validated parameter set."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    municipality: str
    seed: int = Field(ge=0)
    data: DataSource = DataSource()
    cohort: Cohort = Cohort()
    analysis: Analysis = Analysis()
    truth: Truth = Truth()

    def digest(self) -> str:
        """A stable hash of every value (used in chapter cache keys and provenance)."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()
        return sha256_bytes(blob)

    def layout(self, root: Path | str = ".") -> Layout:
        """Every folder of this parameter set under the project ``root`` (``trustexp.layout``)."""
        return Layout(Path(root), self.name)

    def cohort_dir(self, root: Path | str = ".") -> Path:
        """Folder of the canonical (validated) cohort tables of this parameter set."""
        return self.layout(root).cohort_dir

    def results_dir(self, root: Path | str = ".") -> Path:
        """Folder of this parameter set's results store (one Parquet file per chapter)."""
        return self.layout(root).results_dir


def _describe(err: ValidationError, source: str) -> str:
    lines = [f"invalid parameter set {source}:"]
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        if e["type"] == "extra_forbidden":
            lines.append(
                f"  - {key}: unknown key (check its spelling; allowed keys are documented in params/README.md)"
            )
        elif e["type"] == "missing":
            lines.append(f"  - {key}: required key is missing")
        else:
            lines.append(f"  - {key}: {e['msg']} (value seen: {e.get('input')!r})")
    return "\n".join(lines)


def params_from_dict(raw: dict, source: str = "<dict>") -> Params:
    """Validate a parameter mapping; raise ``InvalidParameters`` naming every bad key."""
    if not isinstance(raw, dict):
        raise InvalidParameters(
            f"invalid parameter set {source}: expected a mapping of keys, got {type(raw).__name__}"
        )
    try:
        return Params.model_validate(raw)
    except ValidationError as err:
        raise InvalidParameters(_describe(err, source)) from None


def load_params(path: Path | str = DEFAULT_PARAMS) -> Params:
    """Read and validate a YAML parameter set."""
    path = Path(path)
    if not path.is_file():
        raise InvalidParameters(f"parameter set not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise InvalidParameters(f"parameter set {path} is not valid YAML: {err}") from None
    return params_from_dict(raw, str(path))
