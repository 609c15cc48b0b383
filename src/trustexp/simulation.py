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

Cost (issue 16: the robustness chapter's 4 x 1,000 + 4 x 200 cohorts were the book's critical
path): the estimators read arrays, never frames; what depends only on a design is computed once
and shared across its contrasts and inferences (``cluster_robust.ClusteredDesign``), a cohort's
wild-bootstrap intervals are inverted together (``cluster_robust.wild_cluster_intervals``), and
the cohorts of one seed under the four truths - the same people, arms and consultants with other
effects - share their draws of who is in the cohort, designs and model fits (``_shared``). The
numbers are those of the frame-level helpers called one at a time, to rounding
(``tests/test_simulation_fast.py``); ``benchmarks/bench_simulation.py`` measures both.
"""

from __future__ import annotations

import math
import multiprocessing as mp
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

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


@dataclass
class _Cohort:
    """One drawn cohort as the arrays the estimators read (participants first in ``registry``)."""

    arm_idx: np.ndarray  # participants' arm, index into ARMS
    cluster_rank: np.ndarray  # participants' consultant, as the rank of its label
    full_p: np.ndarray  # participants' full-time exit within the window (0/1)
    full_n: np.ndarray  # non-participants' full-time exit within the window (0/1)
    y0: np.ndarray  # wellbeing at wave 0 (NaN: no answer)
    y2: np.ndarray  # wellbeing at wave 2
    registry: np.ndarray  # registry covariates (``cluster_robust.registry_matrix``), everyone
    effect: np.ndarray  # each participant's true change in P(full-time exit)
    effect_pop: np.ndarray  # the same with consultant effects set to zero
    arm_mean: dict[str, float]  # each arm's mean P(full-time exit) over consultants drawn


def _cohort(params: Params, cache: dict | None = None) -> _Cohort:
    """Draw one cohort (the generator's streams) and keep the arrays the estimators need.

    ``cache``: see ``_shared`` (the draws of who is in the cohort and their registry covariates
    are reused across a seed's truths).
    """
    people = None if cache is None else cache.setdefault("people", {})
    dr = draw_municipal(params, with_non_participants=True, people=people)
    window = params.analysis.outflow_window_months
    rows = survey_rows(params, dr.ids_p, dr.cov_p["age"], dr.cov_p["migration_background"],
                       dr.cov_p["benefit_months"], dr.education, dr.arm_idx, dr.consultant_idx,
                       dr.consultant_ids, items=("wellbeing",))  # fmt: skip
    full_p = ((dr.exit_k >= 1) & (dr.exit_k <= window) & (dr.reason == 0)).astype(float)
    full_n = ((dr.exit_n >= 1) & (dr.exit_n <= window) & (dr.reason_n == 0)).astype(float)
    # clusters in the sorted order of the consultants' labels (what cluster_robust factorises)
    label_rank = np.empty(len(dr.consultant_ids), np.int64)
    label_rank[np.argsort(dr.consultant_ids, kind="stable")] = np.arange(len(dr.consultant_ids))
    covariates = (*dr.cov_p.values(), *dr.cov_n.values())
    registry = _shared(cache, "registry", covariates, lambda: np.vstack([
        cr.registry_matrix(dr.cov_p), cr.registry_matrix(dr.cov_n)]))  # fmt: skip
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
    # All arms and consultants at once: one row of shifts per (arm, consultant).
    shifts = np.array([
        t.participation.outflow_full + getattr(t.arm_effect, a).outflow_full for a in ARMS
    ])  # fmt: skip
    per = full_time_probability(
        t, dr.cov_p, (shifts[:, None] + dr.consultant_effect[None, :]).reshape(-1, 1), dr.education
    ).mean(axis=1)
    n_c = len(dr.consultant_effect)
    arm_mean = {a: float(np.mean(per[i * n_c : (i + 1) * n_c])) for i, a in enumerate(ARMS)}
    return _Cohort(dr.arm_idx, label_rank[dr.consultant_idx], full_p, full_n,
                   rows[0]["wellbeing"], rows[4]["wellbeing"], registry, effect, effect_pop,
                   arm_mean)  # fmt: skip


def _dense_codes(rank: np.ndarray) -> tuple[np.ndarray, int]:
    """Cluster codes ``0 .. G-1`` of the clusters present, keeping the order of ``rank``."""
    present = np.zeros(int(rank.max()) + 1, bool)
    present[rank] = True
    return (np.cumsum(present) - 1)[rank], int(present.sum())


def _arm_rows(
    design: cr.ClusteredDesign, outcome: str, y: np.ndarray, method: str, truth: dict[str, float],
    alpha: float, seed: int, inferences: Sequence[str], wild: list,
) -> list[dict]:  # fmt: skip
    """Each treated arm vs control (coefficients 1 and 2 of the design) under each inference.

    A ``WCR`` row is left without its numbers and appended with its test to ``wild``: the
    cohort's wild-bootstrap intervals are inverted together (``_fill_wild``).
    """
    rows = []
    for j, a in enumerate(TREATED, start=1):
        c = np.zeros(design.k)
        c[j] = 1.0
        for inf in inferences:
            row = {"outcome": outcome, "contrast": f"{a} vs {CONTROL}", "method": method,
                   "inference": inf, "truth": truth[a], "truth_population": truth[a]}  # fmt: skip
            if inf == "WCR":
                wild.append((row, design.wild_cluster(y, c, N_WCR, seed + j)))
            else:
                est = design.contrast(y, c, inf, alpha, 0.0, N_WCR, seed + j)
                row.update({k: est[k] for k in ("estimate", "ci_low", "ci_high", "p")})
            rows.append(row)
    return rows


def _fill_wild(wild: list, alpha: float) -> None:
    """Estimate, interval and p of the cohort's ``WCR`` rows (``cluster_robust.wild_cluster_intervals``)."""
    if not wild:
        return
    out = cr.wild_cluster_intervals([test for _, test in wild], alpha)
    for (row, test), (p, low, high) in zip(wild, out, strict=True):
        row.update({"estimate": test.est, "ci_low": low, "ci_high": high, "p": p})


@lru_cache(maxsize=4096)
def _newcombe(events1: int, n1: int, events0: int, n0: int, alpha: float) -> tuple[float, ...]:
    """``outflow.risk_difference`` remembered: the same counts recur across cohorts, and each
    call costs statsmodels' score-interval root finding."""
    rd = of.risk_difference(events1, n1, events0, n0, alpha)
    return tuple(rd[k] for k in ("estimate", "ci_low", "ci_high", "p"))


def _shared(cache: dict | None, key: str, inputs: tuple[np.ndarray, ...], build):
    """``build()``, or what it gave for the same ``key`` and equal ``inputs`` before.

    The truths of one seed draw the same people, arms, consultants and answers to the wave-0
    questions (a truth changes effects, not who is in the cohort), so the covariates, designs and
    model fits of a seed's cohorts are mostly equal across truths; each is computed once and
    reused when - and only when - its inputs are equal element for element.
    """
    if cache is None:
        return build()
    hit = cache.get(key)
    if (
        hit is not None
        and len(hit[0]) == len(inputs)
        and all(a is b or np.array_equal(a, b) for a, b in zip(hit[0], inputs, strict=True))
    ):
        return hit[1]
    value = build()
    cache[key] = (inputs, value)
    return value


def _estimate_rows(
    params: Params, alpha: float, seed: int, primary_only: bool, cache: dict | None = None
) -> list[dict]:
    """The rows of ``estimate_primary`` as plain dicts (numpy only: no frame per cohort).

    ``cache``: one dict shared by the cohorts of one seed under several truths (``_shared``).
    """
    infs = (PRIMARY_INFERENCE,) if primary_only else INFERENCES
    t = params.truth
    co = _cohort(params, cache)
    n_p = len(co.arm_idx)
    codes, n_clusters = _dense_codes(co.cluster_rank)
    dummies = [(co.arm_idx == ARMS.index(a)).astype(float) for a in TREATED]
    x_arm = np.column_stack([np.ones(n_p), *dummies])
    rows: list[dict] = []
    wild: list = []
    arm_truth = {a: 100 * (co.arm_mean[a] - co.arm_mean[CONTROL]) for a in TREATED}
    y = 100 * co.full_p
    unadjusted = _shared(cache, "unadjusted", (x_arm, codes),
                         lambda: cr.ClusteredDesign(x_arm, codes, n_clusters))  # fmt: skip
    rows += _arm_rows(unadjusted, "outflow_full", y, cr.METHODS["unadjusted"], arm_truth, alpha, seed, infs, wild)  # fmt: skip
    x_adj = np.column_stack([x_arm, co.registry[:n_p]])
    adjusted = _shared(cache, "adjusted", (x_adj, codes),
                       lambda: cr.ClusteredDesign(x_adj, codes, n_clusters))  # fmt: skip
    rows += _arm_rows(adjusted, "outflow_full", y, cr.METHODS["adjusted"], arm_truth, alpha, seed + 10, infs, wild)  # fmt: skip
    for a in () if primary_only else TREATED:  # the book's old unclustered (Newcombe) interval
        m1, m0 = co.arm_idx == ARMS.index(a), co.arm_idx == ARMS.index(CONTROL)
        rd = _newcombe(int(co.full_p[m1].sum()), int(m1.sum()), int(co.full_p[m0].sum()),
                       int(m0.sum()), alpha)  # fmt: skip
        rows.append({"outcome": "outflow_full", "contrast": f"{a} vs {CONTROL}",
                     "method": cr.METHODS["unadjusted"], "inference": "Newcombe",
                     "truth": arm_truth[a], "truth_population": arm_truth[a],
                     **dict(zip(("estimate", "ci_low", "ci_high", "p"), rd, strict=True))})  # fmt: skip
    # ATT of participation, analytic intervals
    n_n = len(co.full_n)
    y_all = np.concatenate([co.full_p, co.full_n])
    for contrast in att_mod.CONTRASTS[:1] if primary_only else att_mod.CONTRASTS:
        group = contrast.split(" vs ")[0]
        sel = np.ones(n_p, bool) if group == "participants" else co.arm_idx == ARMS.index(group)
        keep = np.concatenate([sel, np.ones(n_n, bool)])
        n_in = int(sel.sum())
        d = np.concatenate([np.ones(n_in), np.zeros(n_n)])
        truth, truth_pop = 100 * co.effect[sel].mean(), 100 * co.effect_pop[sel].mean()
        X = att_mod.att_design_from_registry(co.registry[keep])
        y = y_all[keep]
        gamma = _shared(cache, contrast, (X, d), lambda X=X, d=d: att_mod.propensity_fit(X, d))
        # the outcome model sees the non-participants only: the same fit for every contrast and,
        # as their outflow does not depend on the effects a truth sets, for every truth
        beta = _shared(cache, "outcome", (X[n_in:], y[n_in:]),
                       lambda X=X, y=y, d=d: att_mod.outcome_fit(X, y, d))  # fmt: skip
        for r in att_mod.att_analytic(y, d, X, alpha=alpha, propensity_coef=gamma,
                                      outcome_coef=beta):  # fmt: skip
            rows.append({"outcome": "outflow_full", "contrast": contrast, "method": r["method"],
                         "inference": "analytic", "truth": truth, "truth_population": truth_pop,
                         "estimate": 100 * r["estimate"], "ci_low": 100 * r["ci_low"],
                         "ci_high": 100 * r["ci_high"], "p": r["p"]})  # fmt: skip
    # wellbeing ANCOVA among people who answered at waves 0 and 2
    answered = ~np.isnan(co.y0) & ~np.isnan(co.y2)
    wb_codes, wb_clusters = _dense_codes(co.cluster_rank[answered])
    x_wb = np.column_stack([x_arm[answered], co.y0[answered]])
    ancova = _shared(cache, "ancova", (x_wb, wb_codes),
                     lambda: cr.ClusteredDesign(x_wb, wb_codes, wb_clusters))  # fmt: skip
    wb_truth = {a: getattr(t.arm_effect, a).wellbeing - t.arm_effect.regulier.wellbeing
                for a in TREATED}  # fmt: skip
    rows += _arm_rows(ancova, "wellbeing", co.y2[answered], cr.METHODS["ancova"], wb_truth, alpha,
                      seed + 20, infs, wild)  # fmt: skip
    _fill_wild(wild, alpha)
    return rows


def estimate_primary(
    params: Params, alpha: float | None = None, seed: int = 0, primary_only: bool = False
) -> pd.DataFrame:
    """Draw one cohort from ``params`` and apply every estimator of the simulation.

    ``primary_only`` keeps the primary estimators (``PRIMARY``: the chosen inference only, the
    ATT of all participants) - the cheap set the full-size test runs. Returns ``outcome,
    contrast, method, inference, estimate, ci_low, ci_high, p, truth, truth_population``
    (outflow in percentage points, wellbeing in points).

    The estimators read the cohort's arrays and share each design's pieces across contrasts
    and inferences (``cluster_robust.ClusteredDesign``, ``att.att_analytic``); the numbers are
    those of the frame-level helpers (``arm_contrasts``/``linear_contrast``, ``att``) on the
    same cohort, to rounding (``tests/test_simulation_fast.py``).
    """
    alpha = params.analysis.alpha if alpha is None else alpha
    return pd.DataFrame(_estimate_rows(params, alpha, seed, primary_only), columns=_COLUMNS)


_COLUMNS = ["outcome", "contrast", "method", "inference", "truth", "truth_population", "estimate",
            "ci_low", "ci_high", "p"]  # fmt: skip
_REPLICATE_COLUMNS = [*_COLUMNS, "truth_name", "replicate", "seed"]


def _cohort_params(params: Params, truth: Truth, seed: int) -> Params:
    raw = params.model_dump(mode="json")
    raw["seed"] = int(seed)
    raw["data"] = {"source": "synthetic", "raw_dir": raw["data"]["raw_dir"]}
    raw["cohort"]["comparison"] = "municipal"
    raw["truth"] = truth.model_dump(mode="json")
    return params_from_dict(raw, "<simulation>")


def _run_chunk(
    task: tuple[dict, list[tuple[str, dict]], list[tuple[int, int]], bool],
) -> dict[str, pd.DataFrame]:
    """Worker: consecutive seeds, each under every truth (module-level so that processes can
    pickle it); returns each truth's rows as one frame.

    The parameter set and truths are validated once per chunk (a cohort's parameters differ
    from the truth's template in the seed only), and the cohorts of one seed share their
    designs and propensity fits across truths (``_shared``).
    """
    raw, truths, reps, primary_only = task
    params = params_from_dict(raw, "<simulation>")
    templates = {name: _cohort_params(params, Truth.model_validate(t), reps[0][1])
                 for name, t in truths}  # fmt: skip
    rows: dict[str, list[dict]] = {name: [] for name, _ in truths}
    for rep, seed in reps:
        cache: dict = {}
        for name, _ in truths:
            cohort = templates[name].model_copy(update={"seed": int(seed)})
            for row in _estimate_rows(cohort, cohort.analysis.alpha, seed, primary_only, cache):
                rows[name].append({**row, "truth_name": name, "replicate": rep, "seed": seed})
    return {name: pd.DataFrame(r, columns=_REPLICATE_COLUMNS) for name, r in rows.items()}


def _pool_context() -> mp.context.BaseContext:
    """``fork`` where the platform has it: the workers inherit numpy, pandas, scipy and this
    module already imported (``spawn`` re-imports them, seconds per worker); ``spawn``
    elsewhere."""
    return mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")


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
    ``workers``. ``primary_only``: see ``estimate_primary``. Returns the rows of
    ``estimate_primary`` plus ``truth_name, replicate, seed``, truth by truth, replicates in
    order. One of the two sets of ``run_simulations``.

    >>> reps = run_simulation(load_params(), 200, workers=2)  # doctest: +SKIP
    """
    n = params.analysis.n_simulations if n_cohorts is None else int(n_cohorts)
    primary, full = run_simulations(
        params, n if primary_only else 0, 0 if primary_only else n, truths, workers
    )
    return primary if primary_only else full


def _primary_only_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of a full replicate frame that ``primary_only`` computes: the primary inference
    of the arm contrasts, the analytic ATTs of all participants (every method)."""
    keep = (frame["inference"] == PRIMARY_INFERENCE) | (
        (frame["inference"] == "analytic") & (frame["contrast"] == att_mod.CONTRASTS[0])
    )
    return frame[keep.to_numpy()]


def _stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames one under the other (an empty replicate frame when there are none)."""
    if not frames:
        return pd.DataFrame(columns=_REPLICATE_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def run_simulations(
    params: Params,
    n_primary: int,
    n_full: int,
    truths: Sequence[str] = TRUTHS,
    workers: int = 2,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The primary-only replicates of ``n_primary`` cohorts and the full ones of ``n_full``
    cohorts under each truth (see ``run_simulation``), in one pool.

    Both sets use the seeds ``replicate_seeds(params.seed, n)``, which begin alike, and a full
    cohort's primary-only rows are computed by the same code on the same draws: the first
    ``min(n_primary, n_full)`` cohorts are drawn and estimated once, the full ones first (the
    longest tasks start first). Seeds go to the workers in chunks, every truth in each: a few
    chunks per worker, few enough that each carries the parameter set once, enough that the
    workers finish together.
    """
    n_primary, n_full = int(n_primary), int(n_full)
    raw = params.model_dump(mode="json")
    seeds = list(enumerate(replicate_seeds(params.seed, max(n_primary, n_full))))
    named = [(name, load_truth(params, name).model_dump(mode="json")) for name in truths]
    chunks = 8 * max(workers, 1)
    tasks = []
    for part, primary_only in ((seeds[:n_full], False), (seeds[n_full:n_primary], True)):
        size = max(1, math.ceil(len(part) / chunks))
        tasks += [(raw, named, part[i : i + size], primary_only) for i in range(0, len(part), size)]
    if workers <= 1:
        parts = [_run_chunk(t) for t in tasks]
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
            parts = list(pool.map(_run_chunk, tasks))
    full_parts = [p for p, task in zip(parts, tasks, strict=True) if not task[3]]
    rest_parts = [p for p, task in zip(parts, tasks, strict=True) if task[3]]
    # truth by truth, replicates in order (as ``replicate_seeds`` numbers them)
    full = _stack([p[name] for name in truths for p in full_parts])
    primary = _stack([
        frame
        for name in truths
        for frame in (*(_primary_only_rows(p[name]) for p in full_parts),
                      *(p[name] for p in rest_parts))
    ])  # fmt: skip
    return primary[primary["replicate"] < n_primary].reset_index(drop=True), full


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
    "run_simulations",
]
