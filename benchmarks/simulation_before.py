"""The simulation harness: draw many cohorts under named truths and apply the primary estimators.

Each cohort is drawn with the generator's own draws (``data.synthetic.draw_municipal`` and
``survey_rows``: the same streams as ``generate``, but no tables are built - the estimators
read the arrays they need) at the parameter set's full size (1,900 non-participants by
default). Per cohort it applies

* the arm-vs-control outflow contrast (linear probability model, pp), unadjusted and adjusted
  for the baseline registry covariates, each with four kinds of inference (``HC1`` unclustered,
  ``CR1``, ``CR2`` with Bell-McCaffrey df, ``WCR`` wild cluster bootstrap with Webb weights;
  clusters = consultants) and, for the "before" figure, the book's old unclustered Newcombe
  interval;
* the ATT of participation (participants, and each arm, vs non-participants; regression
  adjustment, IPW and doubly robust; analytic influence-function intervals);
* the wellbeing ANCOVA (wave-2 score on arm and the wave-0 score) with the same four kinds of
  inference.

True values: arm contrasts - the truth's additive arm effects; ATT - the mean over the treated
of each person's true change in P(full-time exit) (clipping included) given the consultants the
cohort drew (``truth``; the participants' consultants are part of what taking part meant), and
the same with consultant effects set to zero (``truth_population``). ``stats.simulation``
summarises the replicates (bias, coverage with its Monte Carlo interval and binomial test).
"""

from __future__ import annotations

import math
import multiprocessing as mp
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from trustexp.config import Params, load_truth, params_from_dict
from trustexp.data.synthetic import (
    draw_municipal,
    full_time_probability,
    survey_rows,
)
from trustexp.data.truth import ARMS, Truth
from trustexp.stats import att as att_mod
from trustexp.stats import cluster_robust as cr
from trustexp.stats import outflow as of
from trustexp.stats.simulation import (
    replicate_seeds,
)

TREATED = ("eigen_regie", "intensief")
CONTROL = "regulier"
TRUTHS = ("default", "null", "arm_effect", "harmful")
"""The named truths the harness runs by default (``params/truths/<name>.yml``; ``default`` is
the parameter set's own)."""
INFERENCES = ("HC1", "CR1", "CR2", "WCR")
N_WCR = 999
"""Wild-bootstrap draws per test in the simulation."""
PRIMARY_INFERENCE = "CR2"
"""The inference chosen for the arm contrasts (see ``PRIMARY`` and the report)."""
PRIMARY_ATT = "ATT (doubly robust)"
PRIMARY: tuple[tuple[str, str, str, str], ...] = (
    *((("outflow_full", f"{a} vs {CONTROL}", cr.METHODS[m], PRIMARY_INFERENCE))
      for m in ("unadjusted", "adjusted") for a in TREATED),
    ("outflow_full", "participants vs non_participants", PRIMARY_ATT, "analytic"),
    *((("wellbeing", f"{a} vs {CONTROL}", cr.METHODS["ancova"], PRIMARY_INFERENCE))
      for a in TREATED),
)  # fmt: skip
"""(outcome, contrast, method, inference) of the primary estimators the simulation judges."""


# --------------------------------------------------------------------------- one cohort


def _frames(params: Params) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, np.ndarray]]:
    """Participants (with wellbeing at waves 0 and 2), everyone (for the ATT), and truth pieces."""
    dr = draw_municipal(params, with_non_participants=True)
    window = params.analysis.outflow_window_months
    rows = survey_rows(params, dr.ids_p, dr.cov_p["age"], dr.cov_p["migration_background"],
                       dr.cov_p["benefit_months"], dr.education, dr.arm_idx, dr.consultant_idx,
                       dr.consultant_ids)  # fmt: skip
    arm = np.asarray(ARMS, dtype=object)[dr.arm_idx]
    full_p = ((dr.exit_k >= 1) & (dr.exit_k <= window) & (dr.reason == 0)).astype(float)
    full_n = ((dr.exit_n >= 1) & (dr.exit_n <= window) & (dr.reason_n == 0)).astype(float)
    part = pd.DataFrame({
        "participant": 1, "arm": arm, "consultant_id": dr.consultant_ids[dr.consultant_idx],
        "outflow_full": full_p, "y0": rows[0]["wellbeing"], "y": rows[4]["wellbeing"],
        **{k: v for k, v in dr.cov_p.items()},
    })  # fmt: skip
    n_non = len(full_n)
    non = {"participant": np.zeros(n_non, np.int64), "arm": np.full(n_non, None, object),
           "consultant_id": np.full(n_non, None, object), "outflow_full": full_n, **dr.cov_n}  # fmt: skip
    # column by column: pd.concat of frames with all-None columns spends its time checking NaNs
    everyone = pd.DataFrame({
        col: np.concatenate([np.asarray(part[col].to_numpy()), np.asarray(non[col])])
        for col in part.columns if col not in ("y0", "y")
    })  # fmt: skip
    t = params.truth
    base = (
        t.participation.outflow_full
        + np.array([getattr(t.arm_effect, a).outflow_full for a in ARMS])[dr.arm_idx]
    )
    p0 = full_time_probability(t, dr.cov_p, 0.0, dr.education)
    effect = full_time_probability(t, dr.cov_p, dr.shift_full, dr.education) - p0
    effect_pop = full_time_probability(t, dr.cov_p, base, dr.education) - p0
    # The arm contrasts' truth: each arm's mean P(full-time exit) over these participants, with the
    # consultant effect averaged over the consultants drawn (the superpopulation of consultants the
    # clustered interval targets). Additive shifts are clipped to [0, 1] by the generator, so the
    # truth is the mean change in probability, not the nominal shift (they differ for a harmful arm).
    arm_mean = {}
    for a in ARMS:
        shift = t.participation.outflow_full + getattr(t.arm_effect, a).outflow_full
        arm_mean[a] = float(np.mean([
            full_time_probability(t, dr.cov_p, shift + c, dr.education).mean()
            for c in dr.consultant_effect
        ]))  # fmt: skip
    return part, everyone, {"effect": effect, "effect_pop": effect_pop, "arm": arm,
                            "arm_mean": arm_mean}  # fmt: skip


def _arm_design(part: pd.DataFrame, adjust: bool, baseline: str | None) -> np.ndarray:
    arm = part["arm"].to_numpy()
    cols = [np.ones(len(part)), *((arm == a).astype(float) for a in TREATED)]
    if baseline:
        cols.append(part[baseline].to_numpy(float))
    if adjust:
        cols.append(cr.registry_design(part).to_numpy(float))
    return np.column_stack(cols)


def _arm_rows(
    part: pd.DataFrame, outcome: str, y: np.ndarray, method: str, adjust: bool,
    baseline: str | None, truth: dict[str, float], alpha: float, seed: int,
    inferences: Sequence[str] = INFERENCES,
) -> list[dict]:  # fmt: skip
    X = _arm_design(part, adjust, baseline)
    groups = part["consultant_id"].to_numpy()
    adj = cr.cr2_adjustments(X, groups) if "CR2" in inferences else None
    rows = []
    for j, a in enumerate(TREATED, start=1):
        c = np.zeros(X.shape[1])
        c[j] = 1.0
        for inf in inferences:
            est = cr.linear_contrast(y, X, c, groups, inf, alpha, 0.0, N_WCR, seed + j,
                                     adjustments=adj if inf == "CR2" else None)  # fmt: skip
            rows.append({"outcome": outcome, "contrast": f"{a} vs {CONTROL}", "method": method,
                         "inference": inf, "truth": truth[a], "truth_population": truth[a],
                         **{k: est[k] for k in ("estimate", "ci_low", "ci_high", "p")}})  # fmt: skip
    return rows


def estimate_primary(
    params: Params, alpha: float | None = None, seed: int = 0, primary_only: bool = False
) -> pd.DataFrame:
    """Draw one cohort from ``params`` and apply every estimator of the simulation.

    ``primary_only`` keeps the primary estimators (``PRIMARY``: the chosen inference only, the
    ATT of all participants) - the cheap set the full-size test runs. Returns ``outcome,
    contrast, method, inference, estimate, ci_low, ci_high, p, truth, truth_population``
    (outflow in percentage points, wellbeing in points).
    """
    alpha = params.analysis.alpha if alpha is None else alpha
    infs = (PRIMARY_INFERENCE,) if primary_only else INFERENCES
    t = params.truth
    part, everyone, tp = _frames(params)
    rows: list[dict] = []
    arm_truth = {a: 100 * (tp["arm_mean"][a] - tp["arm_mean"][CONTROL]) for a in TREATED}
    y = 100 * part["outflow_full"].to_numpy(float)
    rows += _arm_rows(part, "outflow_full", y, cr.METHODS["unadjusted"], False, None, arm_truth, alpha, seed, infs)  # fmt: skip
    rows += _arm_rows(part, "outflow_full", y, cr.METHODS["adjusted"], True, None, arm_truth, alpha, seed + 10, infs)  # fmt: skip
    for a in () if primary_only else TREATED:  # the book's old unclustered (Newcombe) interval
        m1, m0 = part["arm"] == a, part["arm"] == CONTROL
        rd = of.risk_difference(int(part.loc[m1, "outflow_full"].sum()), int(m1.sum()),
                             int(part.loc[m0, "outflow_full"].sum()), int(m0.sum()), alpha)  # fmt: skip
        rows.append({"outcome": "outflow_full", "contrast": f"{a} vs {CONTROL}",
                     "method": cr.METHODS["unadjusted"], "inference": "Newcombe",
                     "truth": arm_truth[a], "truth_population": arm_truth[a],
                     **{k: rd[k] for k in ("estimate", "ci_low", "ci_high", "p")}})  # fmt: skip
    # ATT of participation, analytic intervals
    part_flag = everyone["participant"].to_numpy() == 1
    arm_all = everyone["arm"].to_numpy()
    for contrast in att_mod.CONTRASTS[:1] if primary_only else att_mod.CONTRASTS:
        group = contrast.split(" vs ")[0]
        treated = part_flag if group == "participants" else part_flag & (arm_all == group)
        sub = everyone[treated | ~part_flag]
        d = sub["participant"].to_numpy(float)
        sel = np.ones(len(part), bool) if group == "participants" else tp["arm"] == group
        truth, truth_pop = 100 * tp["effect"][sel].mean(), 100 * tp["effect_pop"][sel].mean()
        out = att_mod.att(sub["outflow_full"].to_numpy(float), d, att_mod.att_design(sub),
                          inference="analytic", alpha=alpha)  # fmt: skip
        for r in out.itertuples():
            rows.append({"outcome": "outflow_full", "contrast": contrast, "method": r.method,
                         "inference": "analytic", "truth": truth, "truth_population": truth_pop,
                         "estimate": 100 * r.estimate, "ci_low": 100 * r.ci_low,
                         "ci_high": 100 * r.ci_high, "p": r.p})  # fmt: skip
    # wellbeing ANCOVA among people who answered at waves 0 and 2
    wb = part.dropna(subset=["y0", "y"])
    wb_truth = {a: getattr(t.arm_effect, a).wellbeing - t.arm_effect.regulier.wellbeing
                for a in TREATED}  # fmt: skip
    rows += _arm_rows(wb, "wellbeing", wb["y"].to_numpy(float), cr.METHODS["ancova"], False, "y0",
                      wb_truth, alpha, seed + 20, infs)  # fmt: skip
    return pd.DataFrame(rows)


def _cohort_params(params: Params, truth: Truth, seed: int) -> Params:
    raw = params.model_dump(mode="json")
    raw["seed"] = int(seed)
    raw["data"] = {"source": "synthetic", "raw_dir": raw["data"]["raw_dir"]}
    raw["cohort"]["comparison"] = "municipal"
    raw["truth"] = truth.model_dump(mode="json")
    return params_from_dict(raw, "<simulation>")


def _run_task(task: tuple[dict, dict, str, int, int, bool]) -> pd.DataFrame:
    """Worker: one cohort under one truth (module-level so that processes can pickle it)."""
    raw, truth_raw, name, rep, seed, primary_only = task
    params = _cohort_params(params_from_dict(raw, "<simulation>"), Truth.model_validate(truth_raw), seed)  # fmt: skip
    out = estimate_primary(params, seed=seed, primary_only=primary_only)
    return out.assign(truth_name=name, replicate=rep, seed=seed)


def _run_chunk(tasks: list[tuple]) -> list[pd.DataFrame]:
    return [_run_task(t) for t in tasks]


def run_simulation(
    params: Params,
    n_cohorts: int | None = None,
    truths: Sequence[str] = TRUTHS,
    workers: int = 2,
    primary_only: bool = False,
) -> pd.DataFrame:
    """Replicates of ``estimate_primary`` under each named truth (``config.load_truth``).

    ``n_cohorts`` per truth (default ``analysis.n_simulations``) with seeds from
    ``stats.simulation.replicate_seeds(params.seed, n)`` - the same cohorts' seeds under every
    truth, so differences between truths are not sampling noise; the result does not depend on
    ``workers``. ``primary_only``: see ``estimate_primary``. Returns the rows of ``estimate_primary`` plus ``truth_name, replicate, seed``.

    >>> reps = run_simulation(load_params(), 200, workers=2)  # doctest: +SKIP
    """
    n = params.analysis.n_simulations if n_cohorts is None else int(n_cohorts)
    raw = params.model_dump(mode="json")
    seeds = replicate_seeds(params.seed, n)
    tasks = [(raw, load_truth(params, name).model_dump(mode="json"), name, r, s, primary_only)
             for name in truths for r, s in enumerate(seeds)]  # fmt: skip
    if workers <= 1:
        parts = [_run_task(t) for t in tasks]
    else:
        size = max(1, math.ceil(len(tasks) / (8 * workers)))
        chunks = [tasks[i : i + size] for i in range(0, len(tasks), size)]
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            parts = [f for chunk in pool.map(_run_chunk, chunks) for f in chunk]
    return pd.concat(parts, ignore_index=True)


def primary_rows(reps_or_summary: pd.DataFrame) -> pd.DataFrame:
    """The rows of the primary estimators (``PRIMARY``) of a replicate or summary frame."""
    keys = pd.DataFrame(PRIMARY, columns=["outcome", "contrast", "method", "inference"])
    return reps_or_summary.merge(keys, on=["outcome", "contrast", "method", "inference"])


__all__ = [
    "PRIMARY",
    "TRUTHS",
    "estimate_primary",
    "primary_rows",
    "run_simulation",
]
