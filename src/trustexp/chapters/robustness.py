"""Chapter 12, robustness: power, non-response, randomisation inference and the simulation, shown.

The chapter's analyses of the primary outcomes read the chapters' estimates from the results store
(never refitting them) and call ``stats.robustness``, ``stats.power``, ``stats.simulation`` and the
harness ``trustexp.simulation``; this module builds the display tables, glued texts and store rows.
Every judgement comes from ``trustexp.verdicts`` (the store's ``verdict`` column) and the plan.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from trustexp import fmt, reference, verdicts
from trustexp.chapters.common import n_text
from trustexp.data.outcomes import cohort_outflow_flags
from trustexp.results import find_row
from trustexp.simulation import PRIMARY, PRIMARY_INFERENCE, primary_rows
from trustexp.stats import cluster_robust as cr
from trustexp.stats.robustness import (
    LEE_ADJUSTED,
    ipw_ancova,
    lee_bounds_adjusted,
    lottery_redraws,
    permutation_contrasts,
    response_frame,
    response_weights_with_baseline,
    weight_summary,
)
from trustexp.stats.simulation import MIN_COVERAGE, coverage_summary
from trustexp.stats.survey import ANCOVA, long_outcome, paired_wave, value_scale
from trustexp.vocab import contrast_label, outcome_label, survey_source

PRIMARY_SURVEY = ("wellbeing",)
"""Primary questionnaire outcomes (the registry outcome ``outflow_full`` has no attrition)."""
ADJUSTED_ARM = cr.METHODS["adjusted"]
UNADJUSTED_ARM = cr.METHODS["unadjusted"]
IPW = "IPW ANCOVA"
TRUTH_WORDS = {
    "default": "the parameter set's truth (small arm effects, a participation effect)",
    "null": "no effect at all",
    "arm_effect": "a clear arm effect on outflow and a different one on wellbeing",
    "harmful": "an arm that harms",
}
"""What each named truth of ``params/truths/`` holds, in words (the files say it in full)."""


# --------------------------------------------------------------------------- power


def power_rows(mdes: pd.DataFrame, store: pd.DataFrame, plan) -> pd.DataFrame:
    """Each planned arm contrast's estimate (results store) beside its MDE and declared margin.

    The estimate is the one the analysis plan judges (``plan.estimators``); its verdict is the
    store's (``verdicts``): a clear difference, equivalence within the margin, or too imprecise.
    Returns ``outcome, contrast, method, scale, estimate, ci_low, ci_high, p, n, sd, mde, mde_d,
    sesoi`` (the margin), ``powered`` (MDE at most the margin), ``code`` and ``verdict`` (words).
    """
    final = mdes[mdes["wave"].isin(["registry", "wave 2"])]
    margins = verdicts.margins_of(plan)
    rows = []
    for r in final.itertuples():
        method = plan.estimators.get(r.outcome)
        hit = find_row(store, r.outcome, r.contrast, method) if method else None
        if hit is None:
            continue
        v = verdicts.row_verdict(hit, margins)
        margin = margins.get(r.outcome, math.nan)
        rows.append(dict(outcome=r.outcome, contrast=r.contrast, method=method, scale=r.scale,
                         estimate=hit["estimate"], ci_low=hit["ci_low"], ci_high=hit["ci_high"],
                         p=hit["p"], n=r.n1 + r.n2, sd=r.sd, mde=r.mde, mde_d=r.mde_d,
                         sesoi=margin, powered=bool(r.mde <= margin), code=v.code,
                         verdict=verdicts.judgement(v)))  # fmt: skip
    return pd.DataFrame(rows)


def power_items(plan, store: pd.DataFrame) -> list[str]:
    """Questionnaire outcomes of the plan that the store has estimates for, in plan order."""
    have = set(store["outcome"])
    return [o for fam in plan.families for o in fam.outcomes
            if o in have and not o.startswith("outflow")]  # fmt: skip


def power_sources(items: Sequence[str]) -> dict[str, tuple[str, str]]:
    """``{outcome: (survey column, respondent)}`` for ``stats.robustness.mde_table``."""
    return {o: survey_source(o) for o in items}


# --------------------------------------------------------------------------- permutation


def participant_outflow(cohort, participants: pd.DataFrame, window_months: int) -> pd.DataFrame:
    """One row per participant: ``person_id, arm, consultant_id, outflow_full, outflow_any`` (0/1)
    and the baseline registry covariates (``stats.cluster_robust.registry_design``)."""

    part = participants[["person_id", "arm", "consultant_id"]].astype(
        {"person_id": str, "arm": str, "consultant_id": str}
    )
    pop = cohort.population[cohort.population["person_id"].astype(str).isin(set(part["person_id"]))]
    flags = cohort_outflow_flags(cohort, window_months, pop).astype({"person_id": str})
    out = part.merge(flags, on="person_id", how="left")
    for col in ("outflow_full", "outflow_any"):
        out[col] = out[col].fillna(False).astype(int)
    base = pop.assign(person_id=pop["person_id"].astype(str)).set_index("person_id")
    covs = cr.registry_design(base.loc[out["person_id"]].reset_index(drop=True))
    return pd.concat([out.reset_index(drop=True), covs], axis=1)


def primary_permutations(
    outflow: pd.DataFrame,
    survey: pd.DataFrame,
    participants: pd.DataFrame,
    store: pd.DataFrame,
    n_permutations: int,
    seed: int,
) -> pd.DataFrame:
    """Permutation p-values of the primary contrasts beside the chapters' model p-values.

    One set of lottery re-draws (seeded) serves every outcome: outflow to full-time work (the
    covariate-adjusted difference in shares, pp, the primary estimate) and each
    ``PRIMARY_SURVEY`` outcome (ANCOVA on the wave-0 score, people who answered at waves 0 and
    2). Returns ``outcome, contrast, estimate, p, n, n_permutations, scale, model_method,
    model_estimate, model_p``.
    """

    people = participants[["person_id", "arm"]].astype(str).reset_index(drop=True)
    redraws = lottery_redraws(people["arm"].to_numpy(), n_permutations, seed)
    aligned = people.merge(outflow.drop(columns="arm"), on="person_id", how="left")
    covs = aligned[list(cr.REGISTRY_COVARIATES)].to_numpy(float)
    res = permutation_contrasts(100.0 * aligned["outflow_full"].astype(float).to_numpy(),
                                people["arm"], redraws, covariates=covs)  # fmt: skip
    parts = [res.assign(outcome="outflow_full", scale="pp", model_method=ADJUSTED_ARM)]
    for item in PRIMARY_SURVEY:
        paired = paired_wave(long_outcome(survey, participants, item), 2)
        both = people.merge(paired[["person_id", "y0", "y"]], on="person_id", how="left")
        res = permutation_contrasts(both["y"].to_numpy(), people["arm"], redraws,
                                    covariates=both["y0"].to_numpy())  # fmt: skip
        parts.append(res.assign(outcome=item, scale=value_scale(item), model_method=ANCOVA))
    out = pd.concat(parts, ignore_index=True)
    model = store[["outcome", "contrast", "method", "estimate", "p"]].rename(
        columns={"method": "model_method", "estimate": "model_estimate", "p": "model_p"}
    )
    return out.merge(model, on=["outcome", "contrast", "model_method"], how="left")


# --------------------------------------------------------------------------- non-response


def attrition_sensitivity(
    population: pd.DataFrame,
    participants: pd.DataFrame,
    survey: pd.DataFrame,
    store: pd.DataFrame,
    n_bootstrap: int,
    seed: int,
    alpha: float = 0.05,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """The chapter's ANCOVA (store), the response-weighted ANCOVA and baseline-adjusted Lee bounds
    per primary questionnaire outcome and arm contrast.

    The response model includes the wave-0 score (``response_weights_with_baseline``); the Lee
    bounds trim the baseline-adjusted score (``lee_bounds_adjusted``), so both sit on the same
    footing as the adjusted estimate beside them. Returns the rows (``outcome, contrast, method,
    estimate, upper, ci_low, ci_high, p, n, scale, trim_share``; for the Lee bounds ``estimate``
    / ``upper`` are the lower / upper bound) and the weights' summary of the first outcome.
    """

    rows, wsum = [], {}
    for item in PRIMARY_SURVEY:
        scale = value_scale(item)
        long = long_outcome(survey, participants, item)
        paired = paired_wave(long, 2)
        cc = store[(store["outcome"] == item) & (store["method"] == ANCOVA)]
        for r in cc.itertuples():
            rows.append(dict(outcome=item, contrast=r.contrast, method=ANCOVA, estimate=r.estimate,
                             ci_low=r.ci_low, ci_high=r.ci_high, p=r.p, n=r.n, scale=scale))  # fmt: skip
        base = long[long["wave"] == 0].drop_duplicates("person_id").set_index("person_id")["value"]
        # the people who could answer both waves: those with a start score (the paired sample's
        # population); without one nobody is in the paired sample, which would separate the logit
        frame = response_frame(population, participants, paired["person_id"])
        frame = frame[frame["person_id"].isin(set(base.index.astype(str)))].reset_index(drop=True)
        weights = response_weights_with_baseline(frame, base)
        resp = frame["responded"] == 1
        w = pd.Series(weights[resp].to_numpy(), index=frame.loc[resp, "person_id"])
        wsum = wsum or weight_summary(w)
        for r in ipw_ancova(paired, w, alpha, scale).to_dict("records"):
            rows.append(dict(outcome=item, **r))
        lee = lee_bounds_adjusted(long, n_bootstrap, seed, alpha, scale)
        rows += lee.drop(columns="slope").assign(outcome=item).to_dict("records")
    return pd.DataFrame(rows), wsum


# --------------------------------------------------------------------------- simulation


def simulation_summaries(
    reps: pd.DataFrame, reps_all: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(primary, inference, population)`` summaries of the harness's replicates.

    ``reps``: the primary estimators' replicates (``run_simulation(..., primary_only=True)``),
    ``reps_all``: every estimator's (fewer cohorts). ``primary``: ``coverage_summary`` of the
    primary estimators (``PRIMARY``) per truth; ``inference``: every arm-contrast estimator under
    every kind of inference, per truth (why the primary inference was chosen); ``population``: the
    ATT rows judged against the effect with the consultants' own effects set to zero (the effect
    of taking part in general).
    """
    primary = primary_rows(coverage_summary(reps))
    summary = coverage_summary(reps_all)
    arm = summary[summary["contrast"].str.endswith("vs regulier")]
    att = reps[reps["method"].str.startswith("ATT")]
    population = coverage_summary(att, truth="truth_population")
    return primary, arm, population


def _scale(outcome: str) -> str:
    return "pp" if outcome.startswith("outflow") else "points"


def simulation_table(primary: pd.DataFrame) -> pd.DataFrame:
    """Display table: per truth and primary estimator the truth, bias and coverage with its MC interval."""

    return pd.DataFrame({
        "truth": primary["truth_name"],
        "outcome": primary["outcome"].map(outcome_label),
        "contrast": primary["contrast"].map(contrast_label),
        "estimator": primary["method"] + " [" + primary["inference"] + "]",
        "true effect": [_est(t, _scale(o), False) for t, o in zip(primary["truth"], primary["outcome"], strict=True)],
        "bias (MC SE)": [f"{fmt.num(b, 2, True)} ({fmt.num(m, 2)})"
                         for b, m in zip(primary["bias"], primary["bias_mcse"], strict=True)],
        "coverage [MC 95% interval]": [f"{fmt.pct(c)} {fmt.ci(lo, hi, scale='pct')}" for c, lo, hi in
                                       zip(primary["coverage"], primary["coverage_mc_low"], primary["coverage_mc_high"], strict=True)],
        "p (coverage < 95%)": primary["p_binomial"].map(fmt.pval),
        "cohorts": primary["n_replicates"],
        f"at least {fmt.pct(MIN_COVERAGE, 0)}": primary["passes"].map({True: "yes", False: "NO"}),
    })  # fmt: skip


def inference_table(arm: pd.DataFrame) -> pd.DataFrame:
    """Coverage of every arm-contrast estimator by kind of inference (rows) and truth (columns)."""
    d = arm.assign(
        row=arm["outcome"].map(outcome_label) + ", " + arm["method"] + " [" + arm["inference"] + "]"
    )
    wide = d.groupby(["row", "truth_name"], sort=False)["coverage"].min().unstack("truth_name")
    out = pd.DataFrame({"estimator [inference]": wide.index})
    for truth in wide.columns:
        out[f"coverage, {truth}"] = [fmt.pct(v) for v in wide[truth]]
    return out


def simulation_texts(
    primary: pd.DataFrame, arm: pd.DataFrame, population: pd.DataFrame, n_non: int
) -> dict[str, str]:
    """Glue texts of the simulation: cohorts, truths, coverage ranges, failures, inference choice."""
    truths = list(dict.fromkeys(primary["truth_name"]))
    failing = primary[~primary["passes"]]
    out = {
        "n_sim": fmt.count(int(primary["n_replicates"].max())) if len(primary) else "0",
        "n_sim_inference": fmt.count(int(arm["n_replicates"].max())) if len(arm) else "0",
        "n_truths": fmt.count(len(truths)),
        "truth_list": "; ".join(f"*{t}*: {TRUTH_WORDS.get(t, t)}" for t in truths),
        "n_non_sim": fmt.count(n_non),
        "coverage_range": _range(primary["coverage"], fmt.pct),
        "min_level": fmt.pct(MIN_COVERAGE, 0),
        "n_primary": fmt.count(len(PRIMARY)),
        "primary_inference": PRIMARY_INFERENCE,
        "bias_outflow": _range(primary.loc[primary["outcome"] == "outflow_full", "bias"],
                               lambda x: fmt.num(x, 2, signed=True)),
        "bias_wellbeing": _range(primary.loc[primary["outcome"] == "wellbeing", "bias"],
                                 lambda x: fmt.num(x, 3, signed=True)),
        "att_population_range": _range(population.loc[population["method"] == "ATT (doubly robust)",
                                                       "coverage"], fmt.pct),
    }  # fmt: skip
    if failing.empty:
        out["coverage_verdict"] = (
            f"every primary interval held the truth in at least {fmt.pct(MIN_COVERAGE, 0)} of the "
            "cohorts under every truth, and none covered significantly less than 95%"
        )
    else:
        out["coverage_verdict"] = (
            f"{fmt.count(len(failing))} of the {fmt.count(len(primary))} primary estimator-truth "
            f"pairs held the truth in fewer than {fmt.pct(MIN_COVERAGE, 0)} of the cohorts or "
            "significantly less than 95%: their intervals are too narrow (see the table)"
        )
    for inf in dict.fromkeys(arm["inference"]):
        out[f"inference_{inf.lower()}"] = _range(
            arm.loc[arm["inference"] == inf, "coverage"], fmt.pct
        )
    return out


def seed_position(reps: pd.DataFrame, store: pd.DataFrame, truth: str = "default") -> pd.DataFrame:
    """Where these data's primary estimates sit among the cohorts simulated under ``truth``.

    For each primary estimator, the estimate in the results store and its percentile among the
    replicates' estimates (share of cohorts with a smaller estimate, x 100), with the replicates'
    median and middle 90 %. On synthetic data this shows how typical the default seed's cohort is.
    """
    rows = []
    sims = reps[reps["truth_name"] == truth]
    for outcome, contrast, method, inference in PRIMARY:
        hit = find_row(store, outcome, contrast, method)
        draws = sims.loc[(sims["outcome"] == outcome) & (sims["contrast"] == contrast)
                         & (sims["method"] == method) & (sims["inference"] == inference), "estimate"]  # fmt: skip
        if hit is None or draws.empty:
            continue
        est = float(hit["estimate"])
        rows.append(dict(outcome=outcome, contrast=contrast, method=method, estimate=est,
                         percentile=100 * float((draws < est).mean()), median=float(draws.median()),
                         p05=float(draws.quantile(0.05)), p95=float(draws.quantile(0.95)),
                         cohorts=len(draws)))  # fmt: skip
    return pd.DataFrame(rows)


def seed_position_table(pos: pd.DataFrame) -> pd.DataFrame:
    """Display table of ``seed_position``."""
    scale = pos["outcome"].map(_scale)
    return pd.DataFrame({
        "outcome": pos["outcome"].map(outcome_label), "contrast": pos["contrast"].map(contrast_label),
        "estimator": pos["method"],
        "these data": [_est(e, s) for e, s in zip(pos["estimate"], scale, strict=True)],
        "simulated cohorts: median [5th, 95th percentile]": [
            f"{_est(m, s)} [{_est(lo, s)}, {_est(hi, s)}]"
            for m, lo, hi, s in zip(pos["median"], pos["p05"], pos["p95"], scale, strict=True)],
        "percentile of these data": pos["percentile"].map(lambda v: fmt.num(v, 0)),
        "cohorts": pos["cohorts"],
    })  # fmt: skip


def seed_texts(pos: pd.DataFrame) -> dict[str, str]:
    """Glue text ``seed_range``: the lowest and highest percentile of these data's estimates."""
    if pos.empty:
        return {"seed_range": "not computed"}
    return {"seed_range": _range(pos["percentile"], lambda v: f"{fmt.num(v, 0)}th")}


def coverage_markdown(primary: pd.DataFrame) -> str:
    """The coverage callout's lines: each failing primary estimator, or that none failed."""
    failing = primary[~primary["passes"]]
    if failing.empty:
        return (
            f"- Every primary estimator's 95% confidence interval held the truth in at least "
            f"{fmt.pct(MIN_COVERAGE, 0)} of the simulated cohorts under each truth."
        )
    return "\n".join(
        f"- {outcome_label(r.outcome)}, {contrast_label(r.contrast).lower()}, {r.method} "
        f"[{r.inference}], truth *{r.truth_name}*: the interval held the truth in "
        f"{fmt.pct(r.coverage)} of {fmt.count(r.n_replicates)} cohorts; it is too narrow."
        for r in failing.itertuples()
    )


def coverage_chart_data(primary: pd.DataFrame) -> pd.DataFrame:
    """Rows for ``charts.robustness.coverage_chart``: one per primary estimator and truth."""
    return primary.assign(
        method=primary["method"]
        + " ["
        + primary["inference"]
        + "], truth "
        + primary["truth_name"],
        coverage_mcse=(primary["coverage_mc_high"] - primary["coverage_mc_low"]) / (2 * 1.96),
        scale=primary["outcome"].map(_scale),
    )


# --------------------------------------------------------------------------- store rows


def robustness_rows(
    perms: pd.DataFrame, attrition: pd.DataFrame, mdes: pd.DataFrame, primary: pd.DataFrame | None
) -> pd.DataFrame:
    """Results-store rows of the chapter (methods ``permutation``, ``IPW ANCOVA``, ``Lee bound
    (lower)``/``(upper)``, ``MDE <wave>``, ``simulation bias: <method> [<inference>], truth <t>``
    and ``simulation coverage: ...``)."""
    rows = [dict(outcome=r.outcome, contrast=r.contrast, estimate=r.estimate, ci_low=math.nan,
                 ci_high=math.nan, p=r.p, n=r.n, method="permutation", scale=r.scale)
            for r in perms.itertuples()]  # fmt: skip
    for r in attrition.itertuples():
        if r.method == IPW:
            rows.append(dict(outcome=r.outcome, contrast=r.contrast, estimate=r.estimate, ci_low=r.ci_low,
                             ci_high=r.ci_high, p=r.p, n=r.n, method=r.method, scale=r.scale))  # fmt: skip
        elif r.method == LEE_ADJUSTED:
            for side, est, lo, hi in (("lower", r.estimate, r.ci_low, math.nan),
                                      ("upper", r.upper, math.nan, r.ci_high)):  # fmt: skip
                rows.append(dict(outcome=r.outcome, contrast=r.contrast, estimate=est, ci_low=lo,
                                 ci_high=hi, p=math.nan, n=r.n, method=f"Lee bound ({side})", scale=r.scale))  # fmt: skip
    for r in mdes.itertuples():
        method = "MDE registry" if r.wave == "registry" else f"MDE {r.wave}"
        rows.append(dict(outcome=r.outcome, contrast=r.contrast, estimate=r.mde, ci_low=math.nan,
                         ci_high=math.nan, p=math.nan, n=r.n1 + r.n2, method=method, scale=r.scale))  # fmt: skip
    for r in primary.itertuples() if primary is not None else ():
        name = f"{r.method} [{r.inference}], truth {r.truth_name}"
        rows.append(dict(outcome=r.outcome, contrast=r.contrast, estimate=r.bias,
                         ci_low=r.bias - 1.96 * r.bias_mcse, ci_high=r.bias + 1.96 * r.bias_mcse,
                         p=math.nan, n=r.n_replicates, method=f"simulation bias: {name}",
                         scale=_scale(r.outcome)))  # fmt: skip
        rows.append(dict(outcome=r.outcome, contrast=r.contrast, estimate=r.coverage,
                         ci_low=r.coverage_mc_low, ci_high=r.coverage_mc_high, p=r.p_binomial,
                         n=r.n_replicates, method=f"simulation coverage: {name}", scale="share"))  # fmt: skip
    out = pd.DataFrame(rows)
    return out[pd.to_numeric(out["estimate"], errors="coerce").notna()].reset_index(drop=True)


# --------------------------------------------------------------------------- display


def _labels(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:

    return frame["outcome"].map(outcome_label), frame["contrast"].map(contrast_label)


def _est(est: float, scale: str, signed: bool = True) -> str:

    if est is None or not np.isfinite(est):
        return ""
    return f"{fmt.num(est, 1, signed)} pp" if scale == "pp" else fmt.num(est, signed=signed)


def _ci(low: float, high: float, scale: str) -> str:

    return fmt.ci(low, high, scale="pp") if scale == "pp" else fmt.ci(low, high)


def permutation_table(perms: pd.DataFrame) -> pd.DataFrame:
    """Display table: estimate, model p and permutation p per primary contrast."""

    outcome, contrast = _labels(perms)
    return pd.DataFrame({
        "outcome": outcome, "contrast": contrast,
        "estimate": [_est(e, s) for e, s in zip(perms["estimate"], perms["scale"], strict=True)],
        "model": perms["model_method"],
        "p (model)": perms["model_p"].map(fmt.pval),
        "p (permutation)": perms["p"].map(fmt.pval),
        "re-draws": perms["n_permutations"].map(fmt.count),
        "n": perms["n"],
    })  # fmt: skip


def attrition_table(att: pd.DataFrame) -> pd.DataFrame:
    """Display table: the chapter's and the weighted ANCOVA, and Lee bounds, per contrast."""

    outcome, contrast = _labels(att)
    text = []
    for r in att.itertuples():
        if r.method == LEE_ADJUSTED:
            text.append(f"{_est(r.estimate, r.scale)} to {_est(r.upper, r.scale)}; 95% CI "
                        f"{_ci(r.ci_low, r.ci_high, r.scale)} (trimmed {fmt.pct(r.trim_share)} of the {r.trimmed} arm)")  # fmt: skip
        else:
            text.append(f"{_est(r.estimate, r.scale)} {_ci(r.ci_low, r.ci_high, r.scale)}")
    return pd.DataFrame({"outcome": outcome, "contrast": contrast, "method": att["method"],
                         "estimate or bounds [95% CI]": text, "p": att["p"].map(fmt.pval),
                         "n": att["n"]})  # fmt: skip


def power_table(rows: pd.DataFrame, mdes: pd.DataFrame) -> pd.DataFrame:
    """Display table: MDE at wave 1 and wave 2 (or the registry), the margin, estimate and verdict."""

    outcome, contrast = _labels(rows)
    m1 = mdes[mdes["wave"] == "wave 1"].set_index(["outcome", "contrast"])["mde"]
    return pd.DataFrame({
        "outcome": outcome, "contrast": contrast,
        "n (wave 2 or registry)": rows["n"],
        "MDE wave 1": [_est(m1.get((r.outcome, r.contrast), math.nan), r.scale, False)
                       for r in rows.itertuples()],
        "MDE final": [_est(r.mde, r.scale, False) for r in rows.itertuples()],
        "MDE (SDs)": rows["mde_d"].map(fmt.num),
        "margin": [_est(r.sesoi, r.scale, False) for r in rows.itertuples()],
        "estimate [95% CI]": [f"{_est(r.estimate, r.scale)} {_ci(r.ci_low, r.ci_high, r.scale)}"
                              for r in rows.itertuples()],
        "verdict": rows["verdict"],
    })  # fmt: skip


def _range(values: Sequence[float], fmt_one) -> str:
    vals = [v for v in values if v is not None and np.isfinite(v)]
    if not vals:
        return "not estimated"
    lo, hi = min(vals), max(vals)
    return fmt_one(lo) if fmt_one(lo) == fmt_one(hi) else f"{fmt_one(lo)} to {fmt_one(hi)}"


def robustness_facts(
    perms: pd.DataFrame,
    attrition: pd.DataFrame,
    mdes: pd.DataFrame,
    power: pd.DataFrame,
    weights: dict[str, float],
) -> dict[str, str]:
    """Formatted numbers of the robustness page (glue name -> text)."""

    gap = float((perms["p"] - perms["model_p"]).abs().max())
    out = {
        "n_perm": fmt.count(int(perms["n_permutations"].min())),
        "perm_range": _range(perms["p"], fmt.pval),
        "model_range": _range(perms["model_p"], fmt.pval),
        "max_p_gap": fmt.num(gap, 3) if np.isfinite(gap) else "not computable",
    }
    ipw = attrition[attrition["method"] == IPW]
    cc = attrition[attrition["method"] == ANCOVA]
    lee = attrition[attrition["method"] == LEE_ADJUSTED]
    out["cc_range"] = _range(cc["estimate"], lambda x: fmt.num(x, signed=True))
    out["ipw_range"] = _range(ipw["estimate"], lambda x: fmt.num(x, signed=True))
    out["lee_range"] = (
        f"{fmt.num(float(lee['estimate'].min()), signed=True)} to {fmt.num(float(lee['upper'].max()), signed=True)}"
        if len(lee) else "not estimated"
    )  # fmt: skip
    out["w_max"] = fmt.num(weights.get("max", math.nan))
    out["w_ess"] = fmt.count(weights.get("ess", math.nan))
    out["w_n"] = fmt.count(weights.get("n", math.nan))
    final = mdes[mdes["wave"].isin(["registry", "wave 2"])]
    get = lambda o: final.loc[final["outcome"] == o, "mde"]  # noqa: E731
    out["mde_outflow"] = _range(get("outflow_full"), lambda x: fmt.pp(x))
    out["mde_wellbeing"] = _range(get("wellbeing"), lambda x: fmt.num(x))
    out["mde_d_range"] = _range(final["mde_d"], lambda x: fmt.num(x))
    clear = power["code"].isin(["gain", "loss", "higher", "lower"])
    out["n_verdicts"] = fmt.count(len(power))
    out["n_clear"] = fmt.count(int(clear.sum()))
    out["n_equivalent"] = fmt.count(int((power["code"] == "equivalent").sum()))
    out["n_imprecise"] = fmt.count(int((power["code"] == "imprecise").sum()))
    out["n_powered"] = fmt.count(int(power["powered"].sum()))
    return out


def sample_texts(sizes: dict[str, dict[str, int]], threshold: int) -> dict[str, str]:
    """Glue texts ``n_alloc_text``, ``n_w1_text``, ``n_w2_text`` from ``stats.robustness.sample_sizes``."""
    return {
        "n_alloc_text": n_text(sizes["randomised"], threshold),
        "n_w1_text": n_text(sizes["wave 1"], threshold),
        "n_w2_text": n_text(sizes["wave 2"], threshold),
    }


def published_texts() -> dict[str, str]:
    """Glue text ``pub_stars``: the significance stars of the evaluation's tables."""
    stars = reference.published()["significance_stars"]
    return {"pub_stars": ", ".join(f"{k} p < {fmt.num(v)}" for k, v in stars.items())}
