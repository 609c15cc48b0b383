"""Simulation check: do the book's primary estimators recover the known truth?

Draws many synthetic cohorts from a parameter set's ``Truth`` (one seed per replicate, in
parallel processes), applies the same estimators the chapters use (``stats.outflow`` risk
differences, ``stats.survey`` ANCOVA) and returns one row per estimate; ``stats.simulation``
summarises bias and coverage. Sits above the data and statistics floors (it uses both).
"""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from trustexp.config import Params, params_from_dict
from trustexp.data.outcomes import outflow_flags
from trustexp.data.synthetic import generate
from trustexp.data.truth import Truth
from trustexp.stats import outflow as of
from trustexp.stats import survey as sv
from trustexp.vocab import CONTROL, TREATED


def true_effects(truth: Truth) -> pd.DataFrame:
    """The true arm-vs-control effects of the primary outcomes, as the generator defines them.

    Outflow: the arm's shift of the full-time exit probability within the horizon (additive on
    the probability scale), in percentage points. Wellbeing: the arm's shift of the latent
    wave-2 score, in points (the recorded mark is the latent score rounded and kept in 0-10, so
    the observed effect can differ slightly). Returns ``outcome, contrast, truth, scale``.

    >>> true_effects(Truth()).query("outcome == 'wellbeing'")["truth"].round(2).tolist()  # doctest: +SKIP
    [0.1, 0.05]
    """
    control = truth.arm_effect.regulier
    rows = []
    for arm in TREATED:
        eff = getattr(truth.arm_effect, arm)
        base = getattr(truth.arm_baseline, arm)
        base_c = truth.arm_baseline.regulier
        rows.append(dict(outcome="outflow_full", contrast=f"{arm} vs {CONTROL}",
                         truth=100 * (eff.outflow_full - control.outflow_full), scale="pp"))  # fmt: skip
        if base.wellbeing != base_c.wellbeing:
            raise ValueError("true_effects assumes no arm offset of wellbeing at baseline")
        rows.append(dict(outcome="wellbeing", contrast=f"{arm} vs {CONTROL}",
                         truth=eff.wellbeing - control.wellbeing, scale="points"))  # fmt: skip
    return pd.DataFrame(rows)


def replicate_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent seeds for the replicates, derived from ``seed`` (SeedSequence)."""
    ss = np.random.SeedSequence([int(seed), 20_091])
    return [int(s) for s in ss.generate_state(n, dtype=np.uint32)]


def _sim_params(params: Params, seed: int) -> Params:

    raw = params.model_dump(mode="json")
    raw["seed"] = int(seed)
    raw["data"] = {"source": "synthetic", "raw_dir": raw["data"]["raw_dir"]}
    raw["cohort"]["comparison"] = "municipal"
    raw["cohort"]["n_non_participants"] = SIM_NON_PARTICIPANTS
    return params_from_dict(raw, "<simulation>")


def estimate_cohort(cohort, window_months: int, alpha: float = 0.05) -> pd.DataFrame:
    """The primary estimates of one cohort with the chapters' own estimators.

    Returns ``outcome, contrast, method, scale, estimate, ci_low, ci_high``.
    """

    flags = outflow_flags(cohort.population, cohort.registry, window_months)
    part = cohort.participants[["person_id", "arm", "consultant_id"]].astype(
        {"person_id": str, "arm": str, "consultant_id": str}
    )
    frame = part.merge(flags.astype({"person_id": str}), on="person_id")
    frame = frame.assign(outflow_full=frame["outflow_full"].astype(int), participant=1)
    rows = []
    for arm in TREATED:
        a, c = frame[frame["arm"] == arm], frame[frame["arm"] == CONTROL]
        rd = of.risk_difference(int(a["outflow_full"].sum()), len(a),
                                int(c["outflow_full"].sum()), len(c), alpha)  # fmt: skip
        rows.append(dict(outcome="outflow_full", contrast=f"{arm} vs {CONTROL}",
                         method="risk difference", scale="pp", **rd))  # fmt: skip
    clustered = of.clustered_arm_contrasts(frame, "outflow_full", alpha)
    if len(clustered):
        rows += clustered[clustered["method"] == ESTIMATORS[1][1]].to_dict("records")
    long = sv.long_outcome(cohort.survey, cohort.participants, "wellbeing")
    anc = sv.ancova_wave2(long, alpha, "points")
    rows += anc.assign(outcome="wellbeing").to_dict("records")
    cols = ["outcome", "contrast", "method", "scale", "estimate", "ci_low", "ci_high"]
    return pd.DataFrame(rows).reindex(columns=cols)


def _one_replicate(task: tuple[dict, int, int]) -> pd.DataFrame:
    """Worker: draw one cohort and estimate (module-level so that processes can pickle it)."""

    raw, rep, seed = task
    params = _sim_params(params_from_dict(raw, "<simulation>"), seed)
    out = estimate_cohort(
        generate(params), params.analysis.outflow_window_months, params.analysis.alpha
    )
    return out.assign(replicate=rep, seed=seed)


def simulate(params: Params, n_simulations: int, workers: int = 2) -> pd.DataFrame:
    """Estimates of ``n_simulations`` cohorts drawn from ``params.truth``, one row per estimate.

    Replicate ``r`` uses seed ``replicate_seeds(params.seed, n)[r]``, so the result does not
    depend on ``workers`` (``workers=1`` runs in this process). Returns the columns of
    ``estimate_cohort`` plus ``replicate, seed, truth``.

    >>> reps = simulate(params, 200, workers=2)  # doctest: +SKIP
    """
    raw = params.model_dump(mode="json")
    tasks = [(raw, r, s) for r, s in enumerate(replicate_seeds(params.seed, n_simulations))]
    if workers <= 1:
        parts = [_one_replicate(t) for t in tasks]
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            parts = list(
                pool.map(_one_replicate, tasks, chunksize=max(1, n_simulations // (4 * workers)))
            )
    reps = pd.concat(parts, ignore_index=True)
    truth = true_effects(params.truth)[["outcome", "contrast", "truth"]]
    return reps.merge(truth, on=["outcome", "contrast"], how="left")


SIM_NON_PARTICIPANTS = 30
"""Non-participants per simulated cohort: the primary contrasts are within the lottery, so the
comparison group is kept at the smallest size the parameters allow (it costs time, adds nothing)."""


ESTIMATORS: tuple[tuple[str, str, str], ...] = (
    ("outflow_full", "risk difference", "pp"),
    ("outflow_full", "risk difference (consultant-clustered LPM)", "pp"),
    ("wellbeing", "ANCOVA", "points"),
)
"""(outcome, method, scale) of the estimators checked, each for both arm contrasts."""
