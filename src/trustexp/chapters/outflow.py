"""Chapter 4, outflow to work: display tables, glued texts and store rows built from ``stats``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustexp import verdicts
from trustexp.chapters.common import estimate_text as common_estimate_text
from trustexp.chapters.common import n_text
from trustexp.disclosure import count_text
from trustexp.fmt import ci, count, estimate_with_ci, num, p_is, pct, pp, pval
from trustexp.stats.outflow import store_rows
from trustexp.stats.survival import logrank
from trustexp.vocab import (
    ARMS,
    COMPARISON_POPULATIONS,
    CONTROL,
    NON_PARTICIPANTS,
    OUTFLOW_OUTCOMES,
    PARTICIPATION,
    ROW_COLUMNS,
    between,
    contrast_label,
    covariate_label,
    group_label,
    method_label,
    outcome_label,
    outcome_plain,
)

STORE_COLUMNS = list(ROW_COLUMNS)


def level_rows(shares: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Store rows ``<group> level`` (share with Wilson CI, scale ``share``) from ``group_shares``."""
    return pd.DataFrame(
        {
            "outcome": outcome,
            "contrast": shares["group"] + " level",
            "estimate": shares["share"],
            "ci_low": shares["ci_low"],
            "ci_high": shares["ci_high"],
            "p": np.nan,
            "n": shares["n"],
            "method": "share (Wilson)",
            "scale": "share",
        }
    )


def pick(rows: pd.DataFrame, outcome: str, contrast: str, method: str) -> pd.Series:
    """The one row of ``rows`` with this outcome, contrast and method (NaNs if there is none)."""
    hit = rows[
        (rows["outcome"] == outcome) & (rows["contrast"] == contrast) & (rows["method"] == method)
    ]
    if hit.empty:
        return pd.Series({c: np.nan for c in STORE_COLUMNS})
    return hit.iloc[0]


def contrasts_display(rows: pd.DataFrame, margins: dict[str, float] | None = None) -> pd.DataFrame:
    """Difference rows (pp) for a table: the contrast, the estimate with its CI first, the method,
    p, n and the verdict (``trustexp.verdicts``)."""
    r = rows[rows["scale"] == "pp"]
    verdict = [verdicts.judgement(verdicts.row_verdict(x, margins)) for x in r.to_dict("records")]
    return pd.DataFrame(
        {
            "outcome": r["outcome"].map(outcome_label).to_numpy(),
            "contrast": r["contrast"].map(contrast_label).to_numpy(),
            "difference, pp [95% CI]": [
                f"{num(e, 1, signed=True)} {ci(lo, hi, scale='pp')}"
                for e, lo, hi in zip(r["estimate"], r["ci_low"], r["ci_high"], strict=True)
            ],
            "method": r["method"].map(method_label).to_numpy(),
            "p": r["p"].map(pval).to_numpy(),
            "n": r["n"].astype(int).to_numpy(),
            "verdict": verdict,
        }
    )


def shares_display(shares: pd.DataFrame) -> pd.DataFrame:
    """Wilson share rows (with ``outcome``) formatted for a table."""

    out = pd.DataFrame(
        {
            "outcome": shares["outcome"].map(outcome_label),
            "group": shares["group"].map(group_label),
            "n": shares["n"].astype(int),
            "left benefit": shares["events"].astype(int),
            "share": shares["share"].map(pct),
            "95% CI (Wilson)": [
                ci(a, b, scale="pct")
                for a, b in zip(shares["ci_low"], shares["ci_high"], strict=True)
            ],
        }
    )
    if "duration_class" in shares:
        out.insert(0, "time on benefit", shares["duration_class"].astype(str))
    return out


PRIMARY_ARM = "difference (covariate-adjusted)"
"""The primary estimator of the arm contrasts (the analysis plan's estimator of outflow)."""
UNADJUSTED_ARM = "difference (unadjusted)"
ATT_DR = "ATT (doubly robust)"
"""The primary estimator of the participation effect: the effect on the participants (ATT)."""
FOREST_METHODS = ("risk difference", ATT_DR, UNADJUSTED_ARM, PRIMARY_ARM)


def data_texts(
    frame: pd.DataFrame,
    size: dict[str, int],
    window: int,
    comparison: str,
    threshold: int,
    durable: int = 12,
) -> dict[str, str]:
    """Glue texts of the Data section: outcome definitions, window, comparison population, counts.

    ``size`` comes from ``registry_queries.registry_size``; ``comparison`` is the parameter set's
    ``cohort.comparison`` (``municipal`` or ``national``).
    """

    n_group = frame["group"].value_counts()
    population = "municipal" if comparison == "municipal" else "national"
    definition = {o: outcome_plain(o, window, durable) for o in OUTFLOW_OUTCOMES}
    return {
        "def_full": definition["outflow_full"],
        "def_any": definition["outflow_any"],
        "def_durable": definition["outflow_durable"],
        "window_text": f"{window} months",
        "comparison_text": COMPARISON_POPULATIONS[population]["en"],
        "n_person_months": count(size["person_months"]),
        "n_people_registry": count(size["people"]),
        "n_arms_text": n_text({a: int(n_group.get(a, 0)) for a in ARMS}, threshold),
        "n_non": count_text(int(n_group.get("non_participants", 0)), threshold),
    }


def _group_share(shares: dict[str, pd.DataFrame], group: str) -> float | None:
    """Full-time outflow share of ``group``; None when the group is not in ``shares``."""
    full = shares["outflow_full"].set_index("group")
    return full.loc[group, "share"] if group in full.index else None


def share_texts(shares: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Glue texts ``share_full_participants`` and ``share_full_non`` (full-time work)."""

    part, non = _group_share(shares, "participants"), _group_share(shares, "non_participants")
    return {
        "share_full_participants": pct(part) if part is not None else "n/a",
        "share_full_non": pct(non) if non is not None else "n/a",
    }


def forest_rows(rows: pd.DataFrame, outcome: str = "outflow_full") -> pd.DataFrame:
    """The rows of one outcome shown in the forest plot: raw gap and ATT against non-participants,
    unadjusted and adjusted lottery contrasts."""
    return rows[(rows["outcome"] == outcome) & rows["method"].isin(list(FOREST_METHODS))]


def estimate_text(
    rows: pd.DataFrame, outcome: str, contrast: str, method: str = "risk difference"
) -> str:
    """One contrast row as ``+7.9 percentage points (95% CI [3.2, 12.5])``."""
    r = pick(rows, outcome, contrast, method)
    return common_estimate_text(r["estimate"], r["ci_low"], r["ci_high"], "pp")


def estimate_texts(
    rows: pd.DataFrame, published_range: tuple[float, float], margins: dict[str, float]
) -> dict[str, str]:
    """Glue texts of the differences: estimates, their verdicts and the published range.

    ``rd_*``: raw differences; ``att_*``: the effect on the participants (doubly robust, RA, IPW);
    ``adj_full_<er|in>`` / ``raw_full_<er|in>``: the lottery contrasts (adjusted = primary);
    ``judgement_<er|in>`` and ``often_<er|in>``: their verdict; ``att_often`` / ``att_judgement``:
    the participation effect's direction and verdict.
    """
    pvn = PARTICIPATION
    lo, hi = published_range
    out = {
        "rd_full_pvn": estimate_text(rows, "outflow_full", pvn),
        "att_full_pvn": estimate_text(rows, "outflow_full", pvn, ATT_DR),
        "ra_full_pvn": estimate_text(rows, "outflow_full", pvn, "ATT (regression adjustment)"),
        "ipw_full_pvn": estimate_text(rows, "outflow_full", pvn, "ATT (IPW)"),
        "rd_any_pvn": estimate_text(rows, "outflow_any", pvn),
        "att_any_pvn": estimate_text(rows, "outflow_any", pvn, ATT_DR),
        "att_durable_pvn": estimate_text(rows, "outflow_durable", pvn, ATT_DR),
        "published_range": f"{num(lo, 0)} to {pp(hi, 0)}",
    }
    att = pick(rows, "outflow_full", pvn, ATT_DR)
    v = (
        verdicts.row_verdict(att, margins)
        if np.isfinite(att["estimate"])
        else verdicts.Verdict("imprecise", 0)
    )
    out["att_often"] = verdicts.how_often(v)
    out["att_judgement"] = verdicts.judgement(v)
    for arm, key in (("eigen_regie", "er"), ("intensief", "in")):
        c = between(arm, CONTROL)
        out[f"adj_full_{key}"] = estimate_text(rows, "outflow_full", c, PRIMARY_ARM)
        out[f"raw_full_{key}"] = estimate_text(rows, "outflow_full", c, UNADJUSTED_ARM)
        out[f"adj_any_{key}"] = estimate_text(rows, "outflow_any", c, PRIMARY_ARM)
        out[f"adj_durable_{key}"] = estimate_text(rows, "outflow_durable", c, PRIMARY_ARM)
        r = pick(rows, "outflow_full", c, PRIMARY_ARM)
        v = (
            verdicts.row_verdict(r, margins)
            if np.isfinite(r["estimate"])
            else verdicts.Verdict("imprecise", 0)
        )
        out[f"often_{key}"] = verdicts.how_often(v)
        out[f"judgement_{key}"] = verdicts.verdict_sentence(v, r["ci_low"], r["ci_high"], "pp")
    return out


def arm_vs_non_texts(rows: pd.DataFrame) -> dict[str, str]:
    """Glue texts per arm against non-participants, full-time work: ``rd_full_<arm>_non`` (raw gap)
    and ``att_full_<arm>_non`` (the effect on that arm's participants, doubly robust)."""
    out = {}
    for a in ARMS:
        c = between(a, NON_PARTICIPANTS)
        out[f"rd_full_{a}_non"] = estimate_text(rows, "outflow_full", c)
        out[f"att_full_{a}_non"] = estimate_text(rows, "outflow_full", c, ATT_DR)
    return out


def balance_display(balance: pd.DataFrame) -> pd.DataFrame:
    """``balance_table`` formatted for a table (means and SMDs with ``fmt.num``)."""

    cols = [
        "mean_treated",
        "mean_comparison",
        "mean_comparison_weighted",
        "smd_before",
        "smd_after",
    ]
    names = {"label": "characteristic", "mean_treated": "participants",
             "mean_comparison": "non-participants",
             "mean_comparison_weighted": "non-participants, reweighted",
             "smd_before": "SMD before", "smd_after": "SMD after"}  # fmt: skip
    shown = balance.assign(**{c: balance[c].map(num) for c in cols})
    shown.insert(0, "label", balance["covariate"].map(covariate_label))
    return shown.drop(columns="covariate").rename(columns=names)


def balance_texts(balance: pd.DataFrame) -> dict[str, str]:
    """Glue texts ``max_smd_before`` and ``max_smd_after`` (largest absolute SMD)."""

    return {
        "max_smd_before": num(balance["smd_before"].abs().max()),
        "max_smd_after": num(balance["smd_after"].abs().max()),
    }


def duration_contrasts_display(dc: pd.DataFrame) -> pd.DataFrame:
    """``duration_contrasts`` formatted for a table (difference with CI first, then p and n)."""
    return pd.DataFrame({
        "time on benefit": dc["duration_class"].astype(str),
        "difference, pp [95% CI]": [f"{num(e, 1, signed=True)} {ci(lo, hi, scale='pp')}"
                                    for e, lo, hi in zip(dc["estimate"], dc["ci_low"], dc["ci_high"], strict=True)],
        "method": dc["method"].map(method_label),
        "p": dc["p"].map(pval),
        "n_participants": dc["n_participants"], "n_non_participants": dc["n_non_participants"],
    }).rename(columns={"n_participants": "participants", "n_non_participants": "non-participants"})  # fmt: skip


def duration_texts(dc: pd.DataFrame) -> dict[str, str]:
    """Glue text ``att_full_13``: the effect on participants 1-3 years on benefit (doubly robust)."""
    r13 = dc[(dc["duration_class"] == "1-3 years") & (dc["method"] == ATT_DR)]
    if not len(r13):
        return {"att_full_13": "not estimable (too few people in the class)"}
    r = r13.iloc[0]
    return {"att_full_13": common_estimate_text(r["estimate"], r["ci_low"], r["ci_high"], "pp")}


def consultant_mix_display(mix: pd.DataFrame) -> pd.DataFrame:
    """``consultant_mix`` formatted for a table (arm labels, share in the main arm)."""

    shown = mix.assign(main_arm=mix["main_arm"].map(group_label),
                       share=(mix["in_main_arm"] / mix["participants"]).map(pct))  # fmt: skip
    return shown.rename(columns={"main_arm": "consultants whose main arm is",
                                 "in_main_arm": "participants in that arm",
                                 "share": "share in main arm"})  # fmt: skip


def consultant_texts(mix: pd.DataFrame, variance: dict[str, float]) -> dict[str, str]:
    """Glue texts of the consultants section from ``consultant_mix`` and ``consultant_variance``."""

    return {
        "main_arm_share": pct(mix["in_main_arm"].sum() / max(mix["participants"].sum(), 1)),
        "n_consultants": count(variance["n_consultants"]),
        "r2_without": pct(variance["r2_without"]),
        "r2_with": pct(variance["r2_with"]),
        "p_consultant": p_is(variance["p"]),
    }


def did_texts(did: dict[str, float], event: pd.DataFrame) -> dict[str, str]:
    """Glue texts ``did_text`` (``did_receipt``) and ``pre_gap`` (first month of ``event_study``)."""

    return {
        "did_text": estimate_with_ci(did["estimate"], did["ci_low"], did["ci_high"], scale="pp"),
        "pre_gap": pp(event["gap"].iloc[0], signed=True) if len(event) else "n/a",
    }


def did_store_row(did: dict[str, float]) -> pd.DataFrame:
    """``did_receipt`` as one results-store row (outcome ``benefit_receipt``, pp)."""
    return pd.DataFrame([{
        "outcome": "benefit_receipt", "contrast": "participants vs non_participants",
        **{k: did[k] for k in ("estimate", "ci_low", "ci_high", "p", "n")},
        "method": "difference-in-differences", "scale": "pp",
    }])  # fmt: skip


def published_texts(
    shares: dict[str, pd.DataFrame], ev_with: float, ev_without: float, published_ratio: float
) -> dict[str, str]:
    """Glue texts of the published-vs-build callout: explained variance, published and own ratio.

    The ratio is the participants' full-time outflow share over the non-participants'.
    """

    part, non = _group_share(shares, "participants"), _group_share(shares, "non_participants")
    return {
        "pub_ev_with": pct(ev_with, 0),
        "pub_ev_without": pct(ev_without, 0),
        "pub_ratio": num(published_ratio, 0),
        "ratio": num(part / non if part is not None and non is not None else np.nan, 1),
    }


def chapter_store_rows(
    rows: pd.DataFrame,
    shares: dict[str, pd.DataFrame],
    hazards: pd.DataFrame,
    did: dict[str, float],
) -> pd.DataFrame:
    """The outflow chapter's results-store rows: contrasts, share levels, hazards, the DiD."""
    levels = [level_rows(s, o) for o, s in shares.items()]
    return store_rows(rows, *levels, hazards, did_store_row(did))


def hazards_display(rows: pd.DataFrame) -> pd.DataFrame:
    """Hazard-ratio rows formatted for a table."""

    a, b = rows["contrast"].str.split(" vs ").str[0], rows["contrast"].str.split(" vs ").str[1]
    return pd.DataFrame(
        {
            "outcome": rows["outcome"].map(outcome_label),
            "group": a.map(group_label),
            "compared with": b.map(group_label),
            "method": rows["method"],
            "hazard ratio": rows["estimate"].map(num),
            "95% CI": [ci(x, y) for x, y in zip(rows["ci_low"], rows["ci_high"], strict=True)],
            "p": rows["p"].map(pval),
            "n": rows["n"].astype(int),
        }
    )


def survival_texts(frame: pd.DataFrame, hazards: pd.DataFrame) -> dict[str, str]:
    """Glue texts ``logrank_all`` (four groups), ``logrank_arms`` (three arms) and ``hr_adj_full``.

    ``hazards`` comes from ``hazard_rows``; ``hr_adj_full`` is the adjusted hazard ratio of
    full-time work, participants vs non-participants, with its CI.
    """

    h = pick(hazards, "outflow_full", "participants vs non_participants", "adjusted hazard ratio")
    return {
        "logrank_all": p_is(logrank(frame, "event_any")["p"]),
        "logrank_arms": p_is(logrank(frame, "event_any", ARMS)["p"]),
        "hr_adj_full": estimate_with_ci(h["estimate"], h["ci_low"], h["ci_high"]),
    }
