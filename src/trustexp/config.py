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
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from trustexp.data.truth import OUTCOME_KEYS, Truth
from trustexp.errors import InvalidParameters
from trustexp.files import sha256_bytes
from trustexp.layout import DEFAULT_PARAMS, Layout

TRUTHS_DIR = Path("params/truths")
"""Named truths for the simulation and other-truth tests, one YAML file each (``<name>.yml``)."""

__all__ = ["DEFAULT_PARAMS", "TRUTHS_DIR", "Params", "load_params", "params_from_dict"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


DecimalMark = Literal["auto", ".", ","]
RawTable = Literal["population", "participants", "survey", "registry", "spending"]


class DataSource(_Strict):
    """Where the cohort comes from."""

    source: Literal["synthetic", "raw"] = "synthetic"
    raw_dir: str = "data/raw"
    decimal: DecimalMark | dict[RawTable, DecimalMark] = Field(
        "auto",
        description="decimal mark of the raw CSV files: 'auto' (told from each file's numbers), "
        "'.' or ',' for every file, or a mark per table, e.g. {spending: ','}",
    )


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


ARM_CONTRASTS = ("eigen_regie vs regulier", "intensief vs regulier")


class Family(_Strict):
    """One family of hypotheses of the analysis plan: outcomes x contrasts, one estimator."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    outcomes: tuple[str, ...] = Field(min_length=1)
    contrasts: tuple[str, ...] = Field(ARM_CONTRASTS, min_length=1)
    confirmatory: bool = Field(
        True, description="tested under the plan (gatekeeping); False: reported, Holm within only"
    )


class EquivalenceMargin(_Strict):
    """The largest difference that would not matter, on the outcome's own scale, and why."""

    margin: float = Field(gt=0)
    scale: Literal["pp", "points"]
    reason: str = Field(min_length=10)


class ConsultantTime(_Strict):
    """Consultant time as a cost (resources chapter): hours per person-year per group."""

    hours_per_person_year: dict[str, float] = Field(
        {"eigen_regie": 12.0, "intensief": 36.0, "regulier": 12.0, "non_participants": 6.0}
    )
    eur_per_hour: float = Field(80.0, ge=0)
    reason: str = Field(
        "assumption: the report gives no hours; intensive support meant a caseload about a third "
        "of regular service, so three times the hours; non-participants half a regular client's "
        "contact; 80 euros per hour is a gross municipal consultant hour with overhead. The "
        "resources chapter shows how the cost per extra exit moves with these numbers."
    )


_DEFAULT_MARGINS = {
    "outflow_full": EquivalenceMargin(margin=5.0, scale="pp", reason=(
        "assumption: 5 percentage points, about half the participation gap the report published "
        "(9 to 13 pp); 0.3 SD of a 0/1 outcome would be 12.5 pp, larger than any arm effect "
        "anyone expected, so the margin for outflow is set in percentage points")),
    "outflow_any": EquivalenceMargin(margin=5.0, scale="pp", reason=(
        "assumption: as for full-time outflow")),
    "outflow_durable": EquivalenceMargin(margin=5.0, scale="pp", reason=(
        "assumption: as for full-time outflow")),
    "wellbeing": EquivalenceMargin(margin=0.5, scale="points", reason=(
        "0.3 baseline SD (about 1.6 points) rounded to half a point on the 0-10 scale")),
    "ladder_self": EquivalenceMargin(margin=0.3, scale="points", reason=(
        "0.3 baseline SD (about 1 rung) on the 1-6 ladder")),
    "ladder": EquivalenceMargin(margin=0.3, scale="points", reason=(
        "as for the participants' own ladder rating")),
    "health": EquivalenceMargin(margin=0.25, scale="points", reason=(
        "0.3 baseline SD (about 0.85) on the 1-5 scale")),
    "mental_health": EquivalenceMargin(margin=5.0, scale="points", reason=(
        "0.3 baseline SD (about 16 points) on the 0-100 MHI-5, rounded")),
    "self_reliance": EquivalenceMargin(margin=0.2, scale="points", reason=(
        "0.3 baseline SD (about 0.6) on the 1-5 scale")),
    "social_trust": EquivalenceMargin(margin=0.6, scale="points", reason=(
        "0.3 baseline SD (about 1.9) on the 0-10 scale")),
    "institutional_trust": EquivalenceMargin(margin=0.6, scale="points", reason=(
        "0.3 baseline SD (about 2.1) on the 0-10 scale")),
    "financial_strain": EquivalenceMargin(margin=0.3, scale="points", reason=(
        "0.3 baseline SD (about 0.9) on the 1-5 scale")),
    "deprived": EquivalenceMargin(margin=10.0, scale="pp", reason=(
        "assumption: 10 percentage points of people materially deprived")),
    "contacts": EquivalenceMargin(margin=1.2, scale="points", reason=(
        "0.3 baseline SD (about 4 contacts per month)")),
    "motivation": EquivalenceMargin(margin=0.25, scale="points", reason=(
        "about 0.3 baseline SD on the 1-5 scale (assumption: the scale was not published)")),
}  # fmt: skip

_DEFAULT_FAMILIES = (
    Family(name="primary", outcomes=("outflow_full",)),
    Family(name="secondary", outcomes=("wellbeing", "ladder_self")),
    Family(name="exploratory", outcomes=(
        "outflow_any", "outflow_durable", "health", "mental_health", "self_reliance",
        "social_trust", "institutional_trust", "financial_strain", "deprived", "contacts",
        "ladder", "motivation"), confirmatory=False),
)  # fmt: skip
_REGISTRY_ESTIMATOR = "difference (covariate-adjusted)"
_SURVEY_ESTIMATOR = "ANCOVA (baseline score)"
_DEFAULT_ESTIMATORS = {
    o: _REGISTRY_ESTIMATOR if o.startswith("outflow") else _SURVEY_ESTIMATOR
    for f in _DEFAULT_FAMILIES
    for o in f.outcomes
}


class AnalysisPlan(_Strict):
    """The pre-specified analysis plan: estimands, families in gatekeeping order, margins, costs.

    Families are tested in the order given (fixed-sequence gatekeeping): a confirmatory family
    is tested at ``analysis.alpha`` with Holm's method only when every hypothesis of the
    confirmatory families before it was rejected.
    """

    primary_estimand: str = Field(
        "difference in the share leaving benefit for full-time work within the outflow window, "
        "each experimental arm against regular service, adjusted for baseline registry "
        "characteristics (intention to treat)"
    )
    participation_estimand: str = Field(
        "average effect of taking part on the participants (ATT), participants against "
        "non-participants with the same registry characteristics"
    )
    families: tuple[Family, ...] = Field(_DEFAULT_FAMILIES, min_length=1)
    estimators: dict[str, str] = Field(
        _DEFAULT_ESTIMATORS,
        description="per outcome, the method (results-store name) whose estimate the plan judges",
    )
    equivalence_margins: dict[str, EquivalenceMargin] = Field(_DEFAULT_MARGINS)
    consultant_time: ConsultantTime = ConsultantTime()

    @model_validator(mode="after")
    def _consistent(self) -> AnalysisPlan:
        seen: dict[str, str] = {}
        known = set(OUTCOME_KEYS)
        for fam in self.families:
            for o in fam.outcomes:
                if o not in known:
                    raise ValueError(
                        f"family {fam.name}: unknown outcome {o!r}; known: {', '.join(OUTCOME_KEYS)}"
                    )
                if o in seen:
                    raise ValueError(f"outcome {o!r} is in two families ({seen[o]}, {fam.name})")
                if o not in self.estimators:
                    raise ValueError(
                        f"family {fam.name}: outcome {o!r} has no entry in plan.estimators"
                    )
                seen[o] = fam.name
        for o in self.equivalence_margins:
            if o not in known:
                raise ValueError(f"equivalence_margins: unknown outcome {o!r}")
        if len({f.name for f in self.families}) < len(self.families):
            raise ValueError("family names must be distinct")
        return self


class Analysis(_Strict):
    """Settings of the statistical analysis shared by the chapters."""

    outflow_window_months: int = Field(24, ge=3, le=120)
    alpha: float = Field(0.05, gt=0, lt=0.5)
    disclosure_threshold: int = Field(10, ge=1, le=100)
    n_permutations: int = Field(10_000, ge=100)
    n_simulations: int = Field(
        1_000, ge=10, description="cohorts per named truth for the primary estimators' coverage"
    )
    n_simulations_inference: int = Field(
        200, ge=10, description="cohorts per truth for the comparison of interval kinds (slower)"
    )
    n_bootstrap: int = Field(2_000, ge=100)
    durable_exit_months: int = Field(
        12,
        ge=1,
        le=60,
        description="an exit to work is durable when no return follows within these months",
    )
    plan: AnalysisPlan = AnalysisPlan()


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


class NamedTruth(_Strict):
    """A named truth file: a description and top-level truth blocks that replace the set's own."""

    description: str = Field(min_length=5)
    truth: dict[str, dict] = Field(default_factory=dict)


def truth_names(folder: Path | str = TRUTHS_DIR) -> list[str]:
    """``default`` followed by the names of the truth files in ``folder`` (sorted)."""
    return ["default", *sorted(p.stem for p in Path(folder).glob("*.yml"))]


def load_truth(params: Params, name: str, folder: Path | str = TRUTHS_DIR) -> Truth:
    """The truth called ``name``: ``default`` is ``params.truth``; any other is ``params.truth``
    with the top-level blocks of ``folder/<name>.yml`` replaced (validated like a parameter set).
    """
    if name == "default":
        return params.truth
    path = Path(folder) / f"{name}.yml"
    if not path.is_file():
        raise InvalidParameters(
            f"named truth {name!r} not found: {path} (known: {', '.join(truth_names(folder))})"
        )
    try:
        spec = NamedTruth.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        raw = params.truth.model_dump(mode="json")
        unknown = set(spec.truth) - set(raw)
        if unknown:
            raise InvalidParameters(
                f"named truth {path}: unknown truth block(s) {', '.join(sorted(unknown))}; "
                f"allowed: {', '.join(raw)}"
            )
        raw.update(spec.truth)
        return Truth.model_validate(raw)
    except ValidationError as err:
        raise InvalidParameters(_describe(err, str(path))) from None
    except yaml.YAMLError as err:
        raise InvalidParameters(f"named truth {path} is not valid YAML: {err}") from None
