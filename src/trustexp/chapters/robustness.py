"""Chapter 12, robustness: power verdicts, permutation, attrition checks and the simulation, shown.

The chapter's analyses of the primary outcomes read the chapters' estimates from the results store
(never refitting them) and call ``stats.robustness``, ``stats.power`` and ``stats.survey``; this
module also builds the display tables, glued texts and store rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from trustexp import fmt, reference
from trustexp.chapters.common import n_text
from trustexp.data.outcomes import cohort_outflow_flags
from trustexp.stats.robustness import (
    ipw_ancova,
    lee_bounds_ci,
    lottery_redraws,
    permutation_contrasts,
    response_frame,
    response_weights,
    weight_summary,
)
from trustexp.stats.simulation import FLAG_BELOW
from trustexp.stats.survey import long_outcome, paired_wave, value_scale
from trustexp.vocab import CONTROL, TREATED, contrast_label, outcome_label


def power_verdicts(mdes: pd.DataFrame, store: pd.DataFrame, sesoi_d: float) -> pd.DataFrame:
    """Set each arm contrast's estimate (results store) against its MDE and the smallest effect
    of interest.

    Uses the store's ``risk difference`` (outflow) and ``ANCOVA`` (questionnaire, wave 2) rows.
    ``verdict``: ``effect detected`` (CI excludes 0), ``informative null`` (CI inside
    +/- ``sesoi_d`` SDs: effects that would matter are ruled out) or ``inconclusive`` (neither).
    """
    final = mdes[mdes["wave"].isin(["registry", "wave 2"])]
    rows = []
    for r in final.itertuples():
        method = "risk difference" if r.wave == "registry" else "ANCOVA"
        hit = store[(store["outcome"] == r.outcome) & (store["contrast"] == r.contrast)
                    & (store["method"] == method)]  # fmt: skip
        if hit.empty:
            continue
        e = hit.iloc[0]
        sesoi = sesoi_d * r.sd
        if e["ci_low"] > 0 or e["ci_high"] < 0:
            verdict = "effect detected"
        elif e["ci_low"] > -sesoi and e["ci_high"] < sesoi:
            verdict = "informative null"
        else:
            verdict = "inconclusive"
        rows.append(dict(outcome=r.outcome, contrast=r.contrast, method=method, scale=r.scale,
                         estimate=e["estimate"], ci_low=e["ci_low"], ci_high=e["ci_high"], p=e["p"],
                         n=r.n1 + r.n2, sd=r.sd, mde=r.mde, mde_d=r.mde_d, sesoi=sesoi,
                         powered=r.mde_d <= sesoi_d, verdict=verdict))  # fmt: skip
    return pd.DataFrame(rows)


PRIMARY_SURVEY = ("wellbeing",)
"""Primary questionnaire outcomes (the registry outcome ``outflow_full`` has no attrition)."""


def participant_outflow(cohort, participants: pd.DataFrame, window_months: int) -> pd.DataFrame:
    """One row per participant: ``person_id, arm, consultant_id, outflow_full, outflow_any`` (0/1)."""

    part = participants[["person_id", "arm", "consultant_id"]].astype(
        {"person_id": str, "arm": str, "consultant_id": str}
    )
    pop = cohort.population[cohort.population["person_id"].astype(str).isin(set(part["person_id"]))]
    flags = cohort_outflow_flags(cohort, window_months, pop).astype({"person_id": str})
    out = part.merge(flags, on="person_id", how="left")
    for col in ("outflow_full", "outflow_any"):
        out[col] = out[col].fillna(False).astype(int)
    return out


def primary_permutations(
    outflow: pd.DataFrame,
    survey: pd.DataFrame,
    participants: pd.DataFrame,
    store: pd.DataFrame,
    n_permutations: int,
    seed: int,
) -> pd.DataFrame:
    """Permutation p-values of the primary contrasts beside the chapters' model p-values.

    One set of lottery re-draws (seeded) serves every outcome: outflow to full-time work
    (difference in shares, pp) and each ``PRIMARY_SURVEY`` outcome (ANCOVA on the wave-0 score,
    people who answered at waves 0 and 2). Returns ``outcome, contrast, estimate, p, n,
    n_permutations, scale, model_method, model_estimate, model_p``.
    """

    people = participants[["person_id", "arm"]].astype(str).reset_index(drop=True)
    redraws = lottery_redraws(people["arm"].to_numpy(), n_permutations, seed)
    parts = []
    y = people.merge(outflow[["person_id", "outflow_full"]], on="person_id", how="left")[
        "outflow_full"
    ]
    res = permutation_contrasts(100.0 * y.astype(float).to_numpy(), people["arm"], redraws)
    parts.append(res.assign(outcome="outflow_full", scale="pp", model_method="risk difference"))
    for item in PRIMARY_SURVEY:
        paired = paired_wave(long_outcome(survey, participants, item), 2)
        aligned = people.merge(paired[["person_id", "y0", "y"]], on="person_id", how="left")
        res = permutation_contrasts(aligned["y"].to_numpy(), people["arm"], redraws,
                                    covariates=aligned["y0"].to_numpy())  # fmt: skip
        parts.append(res.assign(outcome=item, scale=value_scale(item), model_method="ANCOVA"))
    out = pd.concat(parts, ignore_index=True)
    model = store[["outcome", "contrast", "method", "estimate", "p"]].rename(
        columns={"method": "model_method", "estimate": "model_estimate", "p": "model_p"}
    )
    return out.merge(model, on=["outcome", "contrast", "model_method"], how="left")


def attrition_sensitivity(
    population: pd.DataFrame,
    participants: pd.DataFrame,
    survey: pd.DataFrame,
    store: pd.DataFrame,
    n_bootstrap: int,
    seed: int,
    alpha: float = 0.05,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Complete-case ANCOVA (store), response-weighted ANCOVA and Lee bounds per primary
    questionnaire outcome and arm contrast.

    Returns the rows (``outcome, contrast, method, estimate, upper, ci_low, ci_high, p, n,
    scale, trim_share``; for ``Lee bounds`` ``estimate``/``upper`` are the bounds on the
    wave-2 score difference) and the weights' summary of the first outcome.
    """

    rows, wsum = [], {}
    n_arm = participants["arm"].astype(str).value_counts()
    for item in PRIMARY_SURVEY:
        scale = value_scale(item)
        long = long_outcome(survey, participants, item)
        paired = paired_wave(long, 2)
        cc = store[(store["outcome"] == item) & (store["method"] == "ANCOVA")]
        for r in cc.itertuples():
            rows.append(dict(outcome=item, contrast=r.contrast, method="ANCOVA", estimate=r.estimate,
                             ci_low=r.ci_low, ci_high=r.ci_high, p=r.p, n=r.n, scale=scale))  # fmt: skip
        frame = response_frame(population, participants, paired["person_id"])
        weights = response_weights(frame)
        resp = frame["responded"] == 1
        w = pd.Series(weights[resp].to_numpy(), index=frame.loc[resp, "person_id"])
        wsum = wsum or weight_summary(w)
        for r in ipw_ancova(paired, w, alpha, scale).to_dict("records"):
            rows.append(dict(outcome=item, **r))
        w2 = long[long["wave"] == 2]
        for i, arm in enumerate(TREATED):
            y1 = w2.loc[w2["arm"] == arm, "value"].to_numpy()
            y0 = w2.loc[w2["arm"] == CONTROL, "value"].to_numpy()
            lb = lee_bounds_ci(y1, int(n_arm.get(arm, 0)), y0, int(n_arm.get(CONTROL, 0)),
                               n_bootstrap, seed + i, alpha)  # fmt: skip
            rows.append(dict(outcome=item, contrast=f"{arm} vs {CONTROL}", method="Lee bounds",
                             estimate=lb["lower"], upper=lb["upper"], ci_low=lb["ci_low"],
                             ci_high=lb["ci_high"], p=math.nan, n=len(y1) + len(y0), scale=scale,
                             trim_share=lb["trim_share"], trimmed=lb["trimmed"]))  # fmt: skip
    return pd.DataFrame(rows), wsum


def robustness_rows(
    perms: pd.DataFrame, attrition: pd.DataFrame, mdes: pd.DataFrame, sim: pd.DataFrame | None
) -> pd.DataFrame:
    """Results-store rows of the chapter (methods ``permutation``, ``IPW ANCOVA``, ``Lee bound
    (lower)``/``(upper)``, ``MDE <wave>``, ``simulation bias (<method>)``, ``simulation coverage
    (<method>)``)."""
    rows = [dict(outcome=r.outcome, contrast=r.contrast, estimate=r.estimate, ci_low=math.nan,
                 ci_high=math.nan, p=r.p, n=r.n, method="permutation", scale=r.scale)
            for r in perms.itertuples()]  # fmt: skip
    for r in attrition.itertuples():
        if r.method == "IPW ANCOVA":
            rows.append(dict(outcome=r.outcome, contrast=r.contrast, estimate=r.estimate, ci_low=r.ci_low,
                             ci_high=r.ci_high, p=r.p, n=r.n, method=r.method, scale=r.scale))  # fmt: skip
        elif r.method == "Lee bounds":
            for side, est, lo, hi in (("lower", r.estimate, r.ci_low, math.nan),
                                      ("upper", r.upper, math.nan, r.ci_high)):  # fmt: skip
                rows.append(dict(outcome=r.outcome, contrast=r.contrast, estimate=est, ci_low=lo,
                                 ci_high=hi, p=math.nan, n=r.n, method=f"Lee bound ({side})", scale=r.scale))  # fmt: skip
    for r in mdes.itertuples():
        method = "MDE registry" if r.wave == "registry" else f"MDE {r.wave}"
        rows.append(dict(outcome=r.outcome, contrast=r.contrast, estimate=r.mde, ci_low=math.nan,
                         ci_high=math.nan, p=math.nan, n=r.n1 + r.n2, method=method, scale=r.scale))  # fmt: skip
    if sim is not None:
        for r in sim.itertuples():
            rows.append(dict(outcome=r.outcome, contrast=r.contrast, estimate=r.bias,
                             ci_low=r.bias - 1.96 * r.bias_mcse, ci_high=r.bias + 1.96 * r.bias_mcse,
                             p=math.nan, n=r.n_replicates, method=f"simulation bias ({r.method})", scale=r.scale))  # fmt: skip
            rows.append(dict(outcome=r.outcome, contrast=r.contrast, estimate=r.coverage,
                             ci_low=max(0.0, r.coverage - 1.96 * r.coverage_mcse),
                             ci_high=min(1.0, r.coverage + 1.96 * r.coverage_mcse), p=math.nan,
                             n=r.n_replicates, method=f"simulation coverage ({r.method})", scale="share"))  # fmt: skip
    out = pd.DataFrame(rows)
    return out[pd.to_numeric(out["estimate"], errors="coerce").notna()].reset_index(drop=True)


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
    """Display table: complete-case and weighted ANCOVA, and Lee bounds, per contrast."""

    outcome, contrast = _labels(att)
    text = []
    for r in att.itertuples():
        if r.method == "Lee bounds":
            text.append(f"{_est(r.estimate, r.scale)} to {_est(r.upper, r.scale)}; 95% CI "
                        f"{_ci(r.ci_low, r.ci_high, r.scale)} (trimmed {fmt.pct(r.trim_share)} of the {r.trimmed} arm)")  # fmt: skip
        else:
            text.append(f"{_est(r.estimate, r.scale)} {_ci(r.ci_low, r.ci_high, r.scale)}")
    return pd.DataFrame({"outcome": outcome, "contrast": contrast, "method": att["method"],
                         "estimate or bounds [95% CI]": text, "p": att["p"].map(fmt.pval),
                         "n": att["n"]})  # fmt: skip


def power_table(verdicts: pd.DataFrame, mdes: pd.DataFrame) -> pd.DataFrame:
    """Display table: MDE at wave 1 and wave 2 (or the registry), the estimate and the verdict."""

    outcome, contrast = _labels(verdicts)
    m1 = mdes[mdes["wave"] == "wave 1"].set_index(["outcome", "contrast"])["mde"]
    return pd.DataFrame({
        "outcome": outcome, "contrast": contrast,
        "n (wave 2 or registry)": verdicts["n"],
        "MDE wave 1": [_est(m1.get((r.outcome, r.contrast), math.nan), r.scale, False)
                       for r in verdicts.itertuples()],
        "MDE final": [_est(r.mde, r.scale, False) for r in verdicts.itertuples()],
        "MDE (SDs)": verdicts["mde_d"].map(fmt.num),
        "smallest effect of interest": [_est(r.sesoi, r.scale, False) for r in verdicts.itertuples()],
        "estimate [95% CI]": [f"{_est(r.estimate, r.scale)} {_ci(r.ci_low, r.ci_high, r.scale)}"
                              for r in verdicts.itertuples()],
        "verdict": verdicts["verdict"],
    })  # fmt: skip


def simulation_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Display table: truth, mean estimate, bias (Monte Carlo SE), coverage (MC SE), flag."""

    outcome, contrast = _labels(summary)
    return pd.DataFrame({
        "outcome": outcome, "contrast": contrast, "estimator": summary["method"],
        "truth": [_est(t, s, False) for t, s in zip(summary["truth"], summary["scale"], strict=True)],
        "mean estimate": [_est(t, s) for t, s in zip(summary["mean_estimate"], summary["scale"], strict=True)],
        "bias (MC SE)": [f"{fmt.num(b, 3, True)} ({fmt.num(m, 3)})"
                         for b, m in zip(summary["bias"], summary["bias_mcse"], strict=True)],
        "coverage (MC SE)": [f"{fmt.pct(c)} ({fmt.pct(m)})"
                             for c, m in zip(summary["coverage"], summary["coverage_mcse"], strict=True)],
        "cohorts": summary["n_replicates"],
        "flag": summary["flag"].map({True: "coverage below the flag level", False: ""}),
    })  # fmt: skip


def _range(values: Sequence[float], fmt_one) -> str:
    vals = [v for v in values if v is not None and np.isfinite(v)]
    if not vals:
        return "not estimated in this build"
    lo, hi = min(vals), max(vals)
    return fmt_one(lo) if fmt_one(lo) == fmt_one(hi) else f"{fmt_one(lo)} to {fmt_one(hi)}"


def robustness_facts(
    perms: pd.DataFrame,
    attrition: pd.DataFrame,
    mdes: pd.DataFrame,
    verdicts: pd.DataFrame,
    sim: pd.DataFrame,
    weights: dict[str, float],
) -> dict[str, str]:
    """Formatted numbers of the robustness page (glue name -> text)."""

    out = {
        "n_perm": fmt.count(int(perms["n_permutations"].min())),
        "perm_range": _range(perms["p"], fmt.pval),
        "model_range": _range(perms["model_p"], fmt.pval),
        "max_p_gap": fmt.num(float((perms["p"] - perms["model_p"]).abs().max()), 3),
    }
    ipw = attrition[attrition["method"] == "IPW ANCOVA"]
    cc = attrition[attrition["method"] == "ANCOVA"]
    lee = attrition[attrition["method"] == "Lee bounds"]
    out["cc_range"] = _range(cc["estimate"], lambda x: fmt.num(x, signed=True))
    out["ipw_range"] = _range(ipw["estimate"], lambda x: fmt.num(x, signed=True))
    out["lee_range"] = (
        f"{fmt.num(float(lee['estimate'].min()), signed=True)} to {fmt.num(float(lee['upper'].max()), signed=True)}"
        if len(lee) else "not estimated in this build"
    )  # fmt: skip
    out["w_max"] = fmt.num(weights.get("max", math.nan))
    out["w_ess"] = fmt.count(weights.get("ess", math.nan))
    out["w_n"] = fmt.count(weights.get("n", math.nan))
    final = mdes[mdes["wave"].isin(["registry", "wave 2"])]
    get = lambda o: final.loc[final["outcome"] == o, "mde"]  # noqa: E731
    out["mde_outflow"] = _range(get("outflow_full"), lambda x: fmt.pp(x))
    out["mde_wellbeing"] = _range(get("wellbeing"), lambda x: fmt.num(x))
    out["mde_d_range"] = _range(final["mde_d"], lambda x: fmt.num(x))
    counts = verdicts["verdict"].value_counts()
    for key, words in (("n_detected", "effect detected"), ("n_informative", "informative null"),
                       ("n_inconclusive", "inconclusive")):  # fmt: skip
        out[key] = fmt.count(int(counts.get(words, 0)))
    out["n_verdicts"] = fmt.count(len(verdicts))
    out["n_sim"] = fmt.count(int(sim["n_replicates"].max()))
    out["coverage_range"] = _range(sim["coverage"], fmt.pct)
    out["bias_outflow"] = _range(sim.loc[sim["outcome"] == "outflow_full", "bias"],
                                 lambda x: fmt.num(x, 2, signed=True))  # fmt: skip
    out["bias_wellbeing"] = _range(sim.loc[sim["outcome"] == "wellbeing", "bias"],
                                   lambda x: fmt.num(x, 3, signed=True))  # fmt: skip
    out["n_flagged"] = fmt.count(int(sim["flag"].sum()))
    return out


def sample_texts(sizes: dict[str, dict[str, int]], threshold: int) -> dict[str, str]:
    """Glue texts ``n_alloc_text``, ``n_w1_text``, ``n_w2_text`` from ``stats.robustness.sample_sizes``."""
    return {
        "n_alloc_text": n_text(sizes["randomised"], threshold),
        "n_w1_text": n_text(sizes["wave 1"], threshold),
        "n_w2_text": n_text(sizes["wave 2"], threshold),
    }


def coverage_texts(summary: pd.DataFrame, sesoi: float, flag_below: float) -> dict[str, str]:
    """Glue texts ``sesoi_text`` and ``flag_level`` (the smallest effect of interest, the flag)."""
    return {"sesoi_text": fmt.num(sesoi), "flag_level": fmt.pct(flag_below, 0)}


def coverage_markdown(summary: pd.DataFrame) -> str:
    """The coverage callout's lines: each flagged estimator, or that none was flagged."""
    flagged = summary[summary["flag"]]
    if not len(flagged):
        return (
            "- No primary estimator's confidence interval held the truth in fewer than "
            f"{fmt.pct(FLAG_BELOW, 0)} of the simulated cohorts."
        )
    return "\n".join(
        f"- {outcome_label(r.outcome)}, {contrast_label(r.contrast).lower()}, {r.method}: the "
        f"confidence interval held the truth in {fmt.pct(r.coverage)} of "
        f"{fmt.count(r.n_replicates)} cohorts; its intervals are too narrow."
        for r in flagged.itertuples()
    )


def published_texts() -> dict[str, str]:
    """Glue text ``pub_stars``: the significance stars of the evaluation's tables."""
    stars = reference.published()["significance_stars"]
    return {"pub_stars": ", ".join(f"{k} p < {fmt.num(v)}" for k, v in stars.items())}
