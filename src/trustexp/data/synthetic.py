"""Draw a synthetic cohort from a known ``Truth`` (deterministic per seed).

Design choices (documented in the codebook and on the calibration page):

* every random draw comes from ``numpy.random.default_rng`` seeded by ``SeedSequence(params.seed,
  spawn_key=(stream, chunk))``: one independent stream per part (population, lottery, survey,
  registry, spending, returns) so that changing one part leaves the others' draws as they were;
* index date: the lottery date for everyone. Non-participants are the municipality's stock of
  recipients on benefit at the lottery date (at national scale: a national stock);
* registry: one row per person and month from ``months_before`` months before the index month
  to ``follow_up_months`` after it (national: ``national_months`` months). A person is on benefit
  from ``benefit_months`` before the index month until the exit; the exit row is the first month
  off benefit and carries ``exit_reason``; a person who left for work may come back on benefit
  some months later (``truth.returns``, off by default) and then stays on benefit;
* outflow: P(full-time exit within ``truth.outflow.horizon_months``) is additive on the probability
  scale (see ``trustexp.data.truth.Outflow``); the exit month follows the constant monthly hazard
  implied by P(any exit), so the expected share exiting within the horizon equals the truth exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trustexp.data import codebook
from trustexp.data.cohort import (
    REGISTRY_DIR,
    Cohort,
    atomic_dir,
    data_digest,
    write_cohort_into,
    write_manifest,
)
from trustexp.data.truth import ARMS, SURVEY_ITEMS, GroupCovariates, OutcomeValues, Truth

if TYPE_CHECKING:
    from trustexp.config import Params

NATIONAL_CHUNK_PEOPLE = 50_000
"""People per national registry file (fixed: the draws depend on it)."""

_STREAMS = {
    "participants": 1,
    "non_participants": 2,
    "lottery": 3,
    "consultants": 4,
    "survey": 5,
    "registry": 6,
    "spending": 7,
    "national": 8,
    "returns": 9,
}
NEVER = 10_000
"""Month offset standing for "no exit" / "no return" within any registry span."""
_HOUSEHOLDS = ("single", "single_parent", "couple", "couple_children")
_EDUCATION = ("low", "mid", "high")


def _rng(seed: int, stream: str, chunk: int = 0) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_STREAMS[stream], chunk)))


def _month(date: dt.date) -> np.datetime64:
    return np.datetime64(f"{date.year:04d}-{date.month:02d}", "M")


def month_span(params: Params) -> tuple[int, int]:
    """First and last registry month, as offsets from the index month (inclusive)."""
    c = params.cohort
    if c.comparison == "national":
        return -c.months_before, -c.months_before + c.national_months - 1
    return -c.months_before, c.follow_up_months


def _covariates(rng: np.random.Generator, n: int, g: GroupCovariates) -> dict[str, np.ndarray]:
    age = rng.normal(g.age_mean, g.age_sd, n)
    for _ in range(20):  # truncate to 18-66 by redrawing (no pile-up at the bounds)
        bad = (age < 18) | (age >= 67)
        if not bad.any():
            break
        age[bad] = rng.normal(g.age_mean, g.age_sd, int(bad.sum()))
    age = np.clip(np.floor(age), 18, 66).astype(np.int64)
    female = rng.random(n) < g.female
    shares = np.asarray(g.household, dtype=float)
    household = rng.choice(len(_HOUSEHOLDS), size=n, p=shares / shares.sum())
    migration = rng.random(n) < g.migration_background
    months = np.exp(rng.normal(np.log(g.benefit_months_median), g.benefit_months_sigma, n))
    months = np.minimum(np.floor(months), np.minimum((age - 18) * 12, 600)).astype(np.int64)
    return {
        "age": age,
        "sex": np.where(female, "female", "male"),
        "household": np.asarray(_HOUSEHOLDS, dtype=object)[household],
        "migration_background": migration,
        "benefit_months": np.maximum(months, 0),
    }


def _outflow_probabilities(
    t: Truth,
    cov: dict[str, np.ndarray],
    shift_full: np.ndarray | float,
    shift_any: np.ndarray | float,
    education: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """P(full-time exit) and P(any exit) within the horizon, per person (additive model)."""
    o = t.outflow
    years = np.minimum(cov["benefit_months"] / 12.0, o.duration_cap_years)
    terms = (
        o.duration_per_year * years
        + o.age_per_decade * (cov["age"] - 40) / 10.0
        + o.migration_background * cov["migration_background"]
        + o.single_parent * (cov["household"] == "single_parent")
    )
    if education is not None:
        terms = (
            terms
            + o.education_low * (education == "low")
            + o.education_high * (education == "high")
        )
    p_full = np.clip(o.base_full + terms + shift_full, 0.005, 0.95)
    p_any = np.clip(o.base_any + o.any_multiplier * terms + shift_any, 0.0, 0.98)
    p_any = np.clip(np.maximum(p_any, p_full + 0.01), 0.0, 0.99)
    return p_full, p_any


def _exits(
    rng: np.random.Generator, p_full: np.ndarray, p_any: np.ndarray, horizon: int, part_share: float
) -> tuple[np.ndarray, np.ndarray]:
    """Month of exit (offset >= 1 from the index month; a large number for none) and reason code."""
    n = len(p_full)
    hazard = 1.0 - (1.0 - p_any) ** (1.0 / horizon)
    u = rng.random(n)
    with np.errstate(divide="ignore"):
        k = 1 + np.floor(np.log1p(-u) / np.log1p(-hazard))
    k = np.where(np.isfinite(k), k, 10_000).astype(np.int64)
    r = rng.random(n)
    full = r < p_full / p_any
    part = ~full & (rng.random(n) < part_share)
    reason = np.where(full, 0, np.where(part, 1, 2)).astype(np.int8)  # work_full, work_part, other
    return np.minimum(k, 10_000), reason


_REASONS = np.array(["work_full", "work_part", "other"], dtype=object)


def _returns(
    rng: np.random.Generator,
    exit_k: np.ndarray,
    reason: np.ndarray,
    share: np.ndarray | float,
    within_months: int,
) -> np.ndarray:
    """Month offset at which a person who left for work is back on benefit (``NEVER`` if not)."""
    n = len(exit_k)
    back = rng.random(n) < np.clip(share, 0.0, 1.0)
    months = rng.integers(1, within_months + 1, n)
    to_work = (reason <= 1) & (exit_k < NEVER)
    return np.where(back & to_work, exit_k + months, NEVER).astype(np.int64)


def _registry_arrays(
    benefit_months: np.ndarray,
    exit_k: np.ndarray,
    reason: np.ndarray,
    k_min: int,
    k_max: int,
    return_k: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Long arrays (person row index, month offset, on_benefit, reason code or -1)."""
    n, offsets = len(benefit_months), np.arange(k_min, k_max + 1, dtype=np.int64)
    m = len(offsets)
    k = np.tile(offsets, n)
    idx = np.repeat(np.arange(n, dtype=np.int64), m)
    start = -np.repeat(benefit_months, m)
    stop = np.repeat(exit_k, m)
    on = (k >= start) & (k < stop)
    if return_k is not None:
        on = on | (k >= np.repeat(return_k, m))
    code = np.where(k == stop, np.repeat(reason, m), -1).astype(np.int8)
    return {"idx": idx, "k": k, "on_benefit": on, "reason": code}


def _registry_frame(
    ids: np.ndarray, arrays: dict[str, np.ndarray], index_month: np.datetime64
) -> pd.DataFrame:
    months = (index_month + arrays["k"].astype("timedelta64[M]")).astype("datetime64[ns]")
    reason = pd.Categorical.from_codes(
        arrays["reason"], categories=codebook.levels("registry", "exit_reason")
    )
    return pd.DataFrame(
        {
            "person_id": pd.array(ids[arrays["idx"]], dtype="string"),
            "month": months,
            "on_benefit": arrays["on_benefit"],
            "exit_reason": reason,
        }
    )


def _assign_consultants(rng: np.random.Generator, arm_idx: np.ndarray, t: Truth) -> np.ndarray:
    """Each consultant has a home arm; ``home_arm_share`` of a client's draws come from it."""
    n_c = t.consultants.n_consultants
    home = np.arange(n_c) % 3
    out = np.empty(len(arm_idx), dtype=np.int64)
    at_home = rng.random(len(arm_idx)) < t.consultants.home_arm_share
    pick = rng.random(len(arm_idx))
    for a in range(3):
        own, other = np.flatnonzero(home == a), np.flatnonzero(home != a)
        for mask, pool in ((at_home, own), (~at_home, other)):
            sel = (arm_idx == a) & mask
            if len(pool) == 0:
                pool = np.arange(n_c)
            out[sel] = pool[np.minimum((pick[sel] * len(pool)).astype(np.int64), len(pool) - 1)]
    return out


def _values(v: OutcomeValues, key: str) -> float:
    return float(getattr(v, key))


def _arm_values(t_arm: Any, key: str, arm_idx: np.ndarray) -> np.ndarray:
    per_arm = np.array([_values(getattr(t_arm, a), key) for a in ARMS])
    return per_arm[arm_idx]


def _observe(item: str, latent: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Turn a latent score into the recorded value: rounding, floors and ceilings."""
    if item in ("wellbeing", "social_trust", "institutional_trust", "progress"):
        return np.clip(np.rint(latent), 0, 10)
    if item in ("health", "financial_strain", "motivation"):
        return np.clip(np.rint(latent), 1, 5)
    if item == "ladder":
        return np.clip(np.rint(latent), 1, 6)
    if item == "mental_health":
        return np.clip(np.rint(latent / 4.0) * 4.0, 0, 100)
    if item == "self_reliance":
        return np.clip(np.rint(latent * 5.0) / 5.0, 1, 5)
    if item == "contacts":
        return np.minimum(rng.poisson(np.maximum(latent, 0.5)), 300).astype(float)
    if item == "deprived":
        return (rng.random(len(latent)) < np.clip(latent, 0.01, 0.99)).astype(float)
    raise KeyError(item)


_PARTICIPANT_ITEMS = tuple(i for i in SURVEY_ITEMS if i != "progress")
_CONSULTANT_ITEMS = ("wellbeing", "ladder", "progress")


def survey_rows(
    params: Params,
    ids: np.ndarray,
    age: np.ndarray,
    migration: np.ndarray,
    benefit_months: np.ndarray,
    education: np.ndarray,
    arm_idx: np.ndarray,
    consultant_idx: np.ndarray,
    consultant_ids: np.ndarray,
    items: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """The questionnaire draws as arrays: one mapping per wave and respondent (in that order).

    Each mapping holds ``person_id, wave, respondent, rater_id, completed, response_date`` and
    one array per item (NaN where not answered). ``_survey`` turns them into the survey table;
    the simulation reads the items it needs from them directly.

    ``items``: compute only these items (the mappings then hold ``completed`` and these items,
    nothing else). All random draws are made as in a full call - an item left out still takes
    its draws, and ``contacts``, whose Poisson draws depend on its values, is computed for them -
    so the kept items have exactly the values of a full call. The simulation reads one item of
    thousands of cohorts.
    """
    t, rng = params.truth, _rng(params.seed, "survey")
    s, c, nr = t.survey, t.consultants, t.nonresponse
    n = len(ids)
    lottery = np.datetime64(params.cohort.lottery_date, "D")
    leniency = rng.normal(0.0, c.rater_sd, c.n_consultants)[consultant_idx]
    u = {item: rng.standard_normal(n) for item in (*_PARTICIPANT_ITEMS, "progress")}
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    resp_terms = (
        nr.age_per_decade * (age - 40) / 10.0
        + nr.migration_background * migration
        + nr.education_low * (education == "low")
        + nr.benefit_years * benefit_months / 12.0
    )
    # items whose values are needed: the kept ones, and contacts for its value-dependent draws
    every = (*_PARTICIPANT_ITEMS, "progress")
    computed = set(every if items is None else (*items, "contacts"))
    frames = []
    for wave in (0, 1, 2):
        frac = wave / 2.0
        latent = {}
        for item in (*_PARTICIPANT_ITEMS, "progress"):
            if item not in computed:
                continue  # its person-level draw is in u already
            latent[item] = (
                _values(s.baseline_mean, item)
                + _values(s.age_per_decade, item) * (age - 40) / 10.0
                + _arm_values(t.arm_baseline, item, arm_idx)
                + _values(s.person_sd, item) * u[item]
                + _values(s.wave_trend, item) * wave
                + frac * (_values(t.participation, item) + _arm_values(t.arm_effect, item, arm_idx))
            )
        p_resp = 1 / (1 + np.exp(-(logit(nr.participant_rate[wave]) + resp_terms)))
        c_resp = np.full(n, nr.consultant_rate[wave])
        for who, resp_p in (("participant", p_resp), ("consultant", c_resp)):
            done = rng.random(n) < resp_p
            days = rng.integers(0, 43 if wave == 0 else 61, n)
            row: dict[str, Any] = {"completed": done}
            if items is None:
                dates = lottery + np.timedelta64(365, "D") * wave + days.astype("timedelta64[D]")
                row = {
                    "person_id": ids,
                    "wave": np.full(n, wave),
                    "respondent": np.full(n, who, dtype=object),
                    "rater_id": consultant_ids[consultant_idx]
                    if who == "consultant"
                    else np.full(n, None),
                    "completed": done,
                    "response_date": np.where(done, dates, np.datetime64("NaT")),
                }
            answered = _PARTICIPANT_ITEMS if who == "participant" else _CONSULTANT_ITEMS
            for item in every:
                if item not in answered:
                    if items is None:
                        row[item] = np.full(n, np.nan)
                    continue
                if item not in computed:
                    rng.standard_normal(n)  # the noise draw, as in a full call
                    if item == "deprived":
                        rng.random(n)  # _observe's draw
                    continue
                x = latent[item] + _values(s.noise_sd, item) * rng.standard_normal(n)
                if who == "consultant":
                    x = (
                        x
                        + _values(c.rating_bias, item)
                        + _values(c.rating_bias_per_wave, item) * wave
                        + leniency
                    )
                observed = _observe(item, x, rng)  # contacts' and deprived's draws happen here
                if items is None or item in items:
                    row[item] = np.where(done, observed, np.nan)
            frames.append(row)
    return frames


def _survey(params: Params, *args: np.ndarray) -> pd.DataFrame:
    """The survey table (arguments as ``survey_rows``)."""
    frames = [pd.DataFrame(row) for row in survey_rows(params, *args)]
    survey = pd.concat(frames, ignore_index=True)
    survey["deprived"] = survey["deprived"].map({1.0: True, 0.0: False}).astype("boolean")
    order = survey["respondent"].map({"participant": 0, "consultant": 1})
    survey = (
        survey.assign(_o=order)
        .sort_values(["person_id", "wave", "_o"], kind="stable")
        .drop(columns="_o")
    )
    return codebook.coerce_canonical("survey", survey.reset_index(drop=True))


def _spending_rows(
    params: Params, rng: np.random.Generator, ids: np.ndarray, mult_traj: np.ndarray,
    mult_other: np.ndarray,
) -> list[pd.DataFrame]:  # fmt: skip
    """Yearly payments per instrument for ``ids``, with per-person use multipliers."""
    t = params.truth.spending
    start = params.cohort.lottery_date
    end = dt.date(start.year + t.years, start.month, 1) - dt.timedelta(days=1)
    rows = []
    for year in range(start.year, end.year + 1):
        lo, hi = max(start, dt.date(year, 1, 1)), min(end, dt.date(year, 12, 31))
        exposure = ((hi - lo).days + 1) / (dt.date(year, 12, 31) - dt.date(year, 1, 1)).days
        for j, instrument in enumerate(t.instruments):
            mult = mult_traj if instrument == "reintegration_trajectory" else mult_other
            used = rng.random(len(ids)) < np.clip(t.use_probability[j] * mult * exposure, 0, 1)
            amount = np.round(np.exp(rng.normal(np.log(t.median_eur[j]), t.sigma, len(ids))), 2)
            sel = np.flatnonzero(used)
            rows.append(
                pd.DataFrame(
                    {
                        "person_id": ids[sel],
                        "year": year,
                        "instrument": instrument,
                        "amount_eur": amount[sel],
                    }
                )
            )
    return rows


def _spending(
    params: Params, ids: np.ndarray, arm_idx: np.ndarray, ids_n: np.ndarray
) -> pd.DataFrame:
    """Participants' payments (stream ``spending``) and the municipal non-participants' (chunk 1).

    Non-participants use every instrument at ``non_participant_use_multiplier`` times the
    control arm's rate; their draws come after and apart from the participants', so adding them
    leaves the participants' payments as they were.
    """
    t = params.truth.spending
    traj = np.where(arm_idx == 2, t.regulier_trajectory_multiplier, 1.0)
    other = np.asarray(t.arm_use_multiplier)[arm_idx]
    rows = _spending_rows(params, _rng(params.seed, "spending"), ids, traj, other)
    if len(ids_n):
        k = t.non_participant_use_multiplier
        traj_n = np.full(len(ids_n), t.regulier_trajectory_multiplier * k)
        other_n = np.full(len(ids_n), t.arm_use_multiplier[2] * k)
        rows += _spending_rows(params, _rng(params.seed, "spending", 1), ids_n, traj_n, other_n)
    spending = pd.concat(rows, ignore_index=True)
    rank = {k: i for i, k in enumerate(codebook.levels("spending", "instrument"))}
    spending = spending.assign(_o=spending["instrument"].map(rank))
    spending = spending.sort_values(["person_id", "year", "_o"], kind="stable").drop(columns="_o")
    return codebook.coerce_canonical("spending", spending.reset_index(drop=True))


def _person_ids(start: int, n: int) -> np.ndarray:
    return _person_id_block(start, n).copy()


@lru_cache(maxsize=8)
def _person_id_block(start: int, n: int) -> np.ndarray:
    """Formatting the ids costs more than any draw of a simulated cohort, and every cohort has the
    same ids: they are formatted once (``_person_ids`` hands out copies)."""
    return np.array([f"P{i:07d}" for i in range(start + 1, start + n + 1)], dtype=object)


def _population_frame(
    ids: np.ndarray, participant: bool, cov: dict[str, np.ndarray], index_date: dt.date
) -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame(
        {
            "person_id": ids,
            "participant": np.full(n, participant),
            "index_date": np.full(n, np.datetime64(index_date, "ns")),
            **cov,
        }
    )


def _non_participant_block(
    params: Params, rng: np.random.Generator, ids: np.ndarray, returns_rng: np.random.Generator
):
    """Covariates, exits and returns of a block of non-participants (municipal or one national
    chunk)."""
    t = params.truth
    cov = _covariates(rng, len(ids), t.population.non_participants)
    p_full, p_any = _outflow_probabilities(t, cov, 0.0, 0.0, None)
    exit_k, reason = _exits(rng, p_full, p_any, t.outflow.horizon_months, t.outflow.part_time_share)
    return cov, exit_k, reason, _non_participant_returns(params, returns_rng, exit_k, reason)


def _non_participant_returns(
    params: Params, rng: np.random.Generator, exit_k: np.ndarray, reason: np.ndarray
) -> np.ndarray:
    ret = params.truth.returns
    return _returns(rng, exit_k, reason, ret.share, ret.within_months)


@dataclass
class MunicipalDraw:
    """Every person-level draw of the municipal cohort, as arrays (no tables built).

    Participants: ``ids_p, cov_p, education, arm_idx, consultant_idx, consultant_effect,
    consultant_ids, shift_full`` (participation + arm + consultant shift of P(full-time exit)),
    ``exit_k, reason`` (month offset of the exit, ``NEVER`` if none; 0 work_full, 1 work_part,
    2 other) and ``return_k``; the same for the non-participants (``*_n``, empty when not drawn).
    """

    ids_p: np.ndarray
    cov_p: dict[str, np.ndarray]
    education: np.ndarray
    arm_idx: np.ndarray
    consultant_idx: np.ndarray
    consultant_effect: np.ndarray
    consultant_ids: np.ndarray
    shift_full: np.ndarray
    exit_k: np.ndarray
    reason: np.ndarray
    return_k: np.ndarray
    ids_n: np.ndarray
    cov_n: dict[str, np.ndarray]
    exit_n: np.ndarray
    reason_n: np.ndarray
    return_n: np.ndarray


def draw_municipal(
    params: Params, with_non_participants: bool = True, people: dict | None = None
) -> MunicipalDraw:
    """Draw participants (and the municipality's non-participants) without building tables.

    The same draws as ``generate`` (same streams, same order), so a simulation that reads these
    arrays analyses exactly the cohort ``generate(params)`` would write.

    ``people``: a dict the caller keeps between calls. The draws that depend only on the seed,
    the cohort's size and the truth's ``population``, ``consultants`` and ``outflow`` blocks (who
    the people are, their arms and consultants, the non-participants' exits) are kept in it and
    reused - not redrawn - by a later call with the same seed and blocks: the simulation draws
    each seed under several truths that differ in their effects only. The reused arrays are
    shared between the draws (read them, do not change them).
    """
    t, c = params.truth, params.cohort
    n_p = c.n_participants
    key = (params.seed, n_p, c.n_non_participants, with_non_participants, t.population,
           t.consultants, t.outflow)  # fmt: skip
    if people is not None and people.get("key") == key:
        (ids_p, cov_p, education, arm_idx, consultant_idx, consultant_effect, consultant_ids,
         ids_n, cov_n, exit_n, reason_n) = people["draws"]  # fmt: skip
    else:
        ids_p = _person_ids(0, n_p)
        cov_p = _covariates(_rng(params.seed, "participants"), n_p, t.population.participants)
        edu_shares = np.asarray(t.population.education) / sum(t.population.education)
        education = np.asarray(_EDUCATION, dtype=object)[
            _rng(params.seed, "participants", 1).choice(3, size=n_p, p=edu_shares)
        ]
        # complete randomisation into equal-as-possible arms
        lottery_rng = _rng(params.seed, "lottery")
        arm_idx = lottery_rng.permutation(np.arange(n_p) % 3)
        crng = _rng(params.seed, "consultants")
        consultant_idx = _assign_consultants(crng, arm_idx, t)
        consultant_effect = crng.normal(0.0, t.consultants.outflow_sd, t.consultants.n_consultants)
        consultant_ids = np.array(
            [f"C{j + 1:02d}" for j in range(t.consultants.n_consultants)], dtype=object
        )
        empty_i = np.zeros(0, dtype=np.int64)
        ids_n, cov_n, exit_n, reason_n = (
            np.zeros(0, dtype=object),
            {},
            empty_i,
            empty_i.astype(np.int8),
        )
        if with_non_participants:
            ids_n = _person_ids(n_p, c.n_non_participants)
            cov_n, exit_n, reason_n, _ = _non_participant_block(
                params,
                _rng(params.seed, "non_participants"),
                ids_n,
                _rng(params.seed, "returns", 1),
            )
        if people is not None:
            people["key"] = key
            people["draws"] = (ids_p, cov_p, education, arm_idx, consultant_idx, consultant_effect,
                               consultant_ids, ids_n, cov_n, exit_n, reason_n)  # fmt: skip

    shift_full = t.participation.outflow_full + _arm_values(t.arm_effect, "outflow_full", arm_idx)
    shift_any = t.participation.outflow_any + _arm_values(t.arm_effect, "outflow_any", arm_idx)
    shift_full = shift_full + consultant_effect[consultant_idx]
    shift_any = shift_any + consultant_effect[consultant_idx]
    p_full, p_any = _outflow_probabilities(t, cov_p, shift_full, shift_any, education)
    rrng = _rng(params.seed, "registry")
    exit_k, reason = _exits(
        rrng, p_full, p_any, t.outflow.horizon_months, t.outflow.part_time_share
    )
    ret = t.returns
    arm_shift = np.array([getattr(ret.arm, a) for a in ARMS])[arm_idx]
    return_k = _returns(
        _rng(params.seed, "returns", 0),
        exit_k,
        reason,
        ret.share + ret.participation + arm_shift,
        ret.within_months,
    )
    return_n = np.zeros(0, dtype=np.int64)
    if with_non_participants:  # the returns depend on the truth's returns block: not reused
        return_n = _non_participant_returns(
            params, _rng(params.seed, "returns", 1), exit_n, reason_n
        )
    return MunicipalDraw(
        ids_p, cov_p, education, arm_idx, consultant_idx, consultant_effect, consultant_ids,
        shift_full, exit_k, reason, return_k, ids_n, cov_n, exit_n, reason_n, return_n,
    )  # fmt: skip


def _municipal_part(params: Params, with_non_participants: bool) -> tuple[Cohort, dict[str, Any]]:
    """Participants (and the municipality's non-participants) with their registry in memory."""
    c = params.cohort
    dr = draw_municipal(params, with_non_participants)
    ids_p, cov_p, education, arm_idx = dr.ids_p, dr.cov_p, dr.education, dr.arm_idx
    consultant_idx, consultant_ids = dr.consultant_idx, dr.consultant_ids
    pop = [_population_frame(ids_p, True, cov_p, c.lottery_date)]
    reg_inputs = [(ids_p, cov_p["benefit_months"], dr.exit_k, dr.reason, dr.return_k)]
    if with_non_participants:
        pop.append(_population_frame(dr.ids_n, False, dr.cov_n, c.lottery_date))
        reg_inputs.append(
            (dr.ids_n, dr.cov_n["benefit_months"], dr.exit_n, dr.reason_n, dr.return_n)
        )

    k_min, k_max = month_span(params)
    index_month = _month(c.lottery_date)
    registry = pd.concat(
        [
            _registry_frame(ids, _registry_arrays(bm, ek, rs, k_min, k_max, rk), index_month)
            for ids, bm, ek, rs, rk in reg_inputs
        ],
        ignore_index=True,
    )
    participants = pd.DataFrame(
        {
            "person_id": ids_p,
            "municipality": params.municipality,
            "arm": np.asarray(ARMS, dtype=object)[arm_idx],
            "lottery_date": np.datetime64(c.lottery_date, "ns"),
            "consultant_id": consultant_ids[consultant_idx],
            "education": education,
        }
    )
    survey = _survey(
        params,
        ids_p,
        cov_p["age"],
        cov_p["migration_background"],
        cov_p["benefit_months"],
        education,
        arm_idx,
        consultant_idx,
        consultant_ids,
    )
    cohort = Cohort(
        population=codebook.coerce_canonical("population", pd.concat(pop, ignore_index=True)),
        participants=codebook.coerce_canonical("participants", participants),
        survey=survey,
        registry=codebook.coerce_canonical("registry", registry),
        spending=_spending(params, ids_p, arm_idx, dr.ids_n),
        source="synthetic",
        seed=params.seed,
        meta={
            "params_digest": data_digest(params),
            "scale": c.comparison,
            "generator": "trustexp.data.synthetic",
        },
    )
    return cohort, {"k_min": k_min, "k_max": k_max, "index_month": index_month}


def national_chunks(params: Params):
    """Yield (population frame, registry frame) for each chunk of the national non-participants."""
    c = params.cohort
    k_min, k_max = month_span(params)
    index_month = _month(c.lottery_date)
    n_total, start, chunk = c.national_people, c.n_participants, 0
    while chunk * NATIONAL_CHUNK_PEOPLE < n_total:
        n = min(NATIONAL_CHUNK_PEOPLE, n_total - chunk * NATIONAL_CHUNK_PEOPLE)
        ids = _person_ids(start + chunk * NATIONAL_CHUNK_PEOPLE, n)
        cov, exit_k, reason, return_k = _non_participant_block(
            params,
            _rng(params.seed, "national", chunk),
            ids,
            _rng(params.seed, "returns", 2 + chunk),
        )
        pop = _population_frame(ids, False, cov, c.lottery_date)
        arrays = _registry_arrays(cov["benefit_months"], exit_k, reason, k_min, k_max, return_k)
        reg = _registry_frame(ids, arrays, index_month)
        yield pop, reg
        chunk += 1


def generate(params: Params) -> Cohort:
    """Draw the whole cohort in memory from ``params.truth`` (deterministic per ``params.seed``).

    At national scale (``cohort.comparison == "national"``) the comparison group is
    ``national_people`` non-participants instead of the municipality's; the whole registry is then
    held in memory, so use ``write_synthetic`` for the full-size national registry.
    """
    if params.cohort.comparison == "national":
        cohort, _ = _municipal_part(params, with_non_participants=False)
        pops, regs = [cohort.population], [cohort.registry]
        for pop, reg in national_chunks(params):
            pops.append(codebook.coerce_canonical("population", pop))
            regs.append(codebook.coerce_canonical("registry", reg))
        cohort.population = pd.concat(pops, ignore_index=True)
        cohort.registry = pd.concat(regs, ignore_index=True)
        return cohort
    cohort, _ = _municipal_part(params, with_non_participants=True)
    return cohort


def write_synthetic(params: Params, folder: Path | str) -> Path:
    """Generate, validate and write the cohort to ``folder`` atomically; return the folder.

    At national scale the registry is streamed to disk one Parquet file per chunk of
    ``NATIONAL_CHUNK_PEOPLE`` people, so memory stays bounded whatever ``national_people`` is.
    """
    from trustexp.data.cohort import write_frame
    from trustexp.data.schema import validate_cohort

    folder = Path(folder)
    if params.cohort.comparison != "national":
        cohort = generate(params)
        validate_cohort(cohort)
        with atomic_dir(folder) as tmp:
            write_cohort_into(cohort, tmp)
            write_manifest(tmp, {"source": cohort.source, "seed": cohort.seed, **cohort.meta})
        return folder

    cohort, _ = _municipal_part(params, with_non_participants=False)
    with atomic_dir(folder) as tmp:
        reg_dir = tmp / REGISTRY_DIR
        write_frame(cohort.registry, reg_dir / "part-00000.parquet")
        pops = [cohort.population]
        for i, (pop, reg) in enumerate(national_chunks(params), start=1):
            write_frame(
                codebook.coerce_canonical("registry", reg), reg_dir / f"part-{i:05d}.parquet"
            )
            pops.append(codebook.coerce_canonical("population", pop))
            del reg
        cohort.population = pd.concat(pops, ignore_index=True)
        cohort.registry = codebook.empty_frame("registry")
        cohort.registry_path = str(reg_dir / "*.parquet")
        validate_cohort(cohort)
        for table in ("population", "participants", "survey", "spending"):
            write_frame(cohort.table(table), tmp / f"{table}.parquet")
        write_manifest(tmp, {"source": cohort.source, "seed": cohort.seed, **cohort.meta})
    return folder


def full_time_probability(
    truth: Truth,
    cov: dict[str, np.ndarray],
    shift: np.ndarray | float,
    education: np.ndarray | None = None,
) -> np.ndarray:
    """P(exit to full-time work within the horizon) per person for a given shift (clipped as
    the generator clips it). The difference between two shifts is a person's true effect."""
    return _outflow_probabilities(truth, cov, shift, 0.0, education)[0]
