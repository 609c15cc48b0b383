"""Chapter 11, resources: the spending analysis, its display tables, glued texts and store rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from trustexp import disclosure, fmt
from trustexp.chapters.common import n_text
from trustexp.config import Params
from trustexp.data.cohort import Cohort
from trustexp.reference import oss as published
from trustexp.results import find_row
from trustexp.stats import cost
from trustexp.stats.resources import (
    ALL,
    person_spending,
    spending_by_arm_instrument,
    spending_difference,
)
from trustexp.verdicts import judge
from trustexp.vocab import (
    ARMS,
    NON_PARTICIPANTS,
    TREATED,
    between,
    group_label,
    in_sentence,
    level,
    level_labels,
)

ATT_METHOD = "ATT (doubly robust)"
"""The outflow chapter's estimate of the effect of taking part, which the cost is divided by."""
COST_GROUPS: tuple[str, ...] = ("participants", *ARMS)


def resources_store_rows(
    by_arm: pd.DataFrame, costs: pd.DataFrame, difference: pd.DataFrame
) -> pd.DataFrame:
    """Results-store rows of outcome ``spending``.

    ``<arm> level``: ``spending per participant`` (all instruments) and ``spending per participant:
    <instrument>`` (scale ``eur``), ``budget share: <instrument>`` (scale ``share``);
    ``<group> vs non_participants``: ``cost.METHOD`` (euros per extra exit; a CI that cannot be
    bounded is stored as NaN limits); ``<arm> vs regulier``: ``spending per participant
    difference`` (eur).
    """
    rows: list[dict[str, Any]] = []
    for r in by_arm.itertuples():
        method = "spending per participant" + ("" if r.instrument == ALL else f": {r.instrument}")
        rows.append(dict(outcome="spending", contrast=level(r.arm), estimate=r.per_participant,
                         ci_low=r.per_participant_low, ci_high=r.per_participant_high, p=np.nan,
                         n=r.n, method=method, scale="eur"))  # fmt: skip
        if r.instrument != ALL:
            rows.append(dict(outcome="spending", contrast=level(r.arm), estimate=r.share,
                             ci_low=r.share_low, ci_high=r.share_high, p=np.nan, n=r.n,
                             method=f"budget share: {r.instrument}", scale="share"))  # fmt: skip
    for r in costs.itertuples():
        if np.isnan(r.estimate):
            continue
        rows.append(dict(outcome="spending", contrast=between(r.group, NON_PARTICIPANTS),
                         estimate=r.estimate, ci_low=r.ci_low, ci_high=r.ci_high, p=np.nan,
                         n=r.n, method=cost.METHOD, scale="eur"))  # fmt: skip
    for r in difference.itertuples():
        rows.append(dict(outcome="spending", contrast=f"{r.arm} vs regulier", estimate=r.estimate,
                         ci_low=r.ci_low, ci_high=r.ci_high, p=r.p, n=r.n,
                         method="spending per participant difference", scale="eur"))  # fmt: skip
    return pd.DataFrame(rows)


def spending_table(by_arm: pd.DataFrame, instrument_labels: dict[str, str]) -> pd.DataFrame:
    """Display table of ``spending_by_arm_instrument``: one row per arm and instrument."""

    return pd.DataFrame(
        {
            "arm": by_arm["arm"].map(group_label),
            "instrument": by_arm["instrument"].map(lambda k: instrument_labels.get(k, k)),
            "participants": by_arm["n"],
            "users": by_arm["users"],
            "total (EUR)": by_arm["total_eur"].map(lambda v: fmt.count(v)),
            "EUR per participant [95% CI]": [
                f"{fmt.count(r.per_participant)} [{fmt.count(r.per_participant_low)}, "
                f"{fmt.count(r.per_participant_high)}]"
                for r in by_arm.itertuples()
            ],
            "share of the arm's budget [95% CI]": [
                f"{fmt.pct(r.share)} {fmt.ci(r.share_low, r.share_high, scale='pct')}"
                for r in by_arm.itertuples()
            ],
        }
    )


def _eur(v: float) -> str:
    return "n/a" if v != v else f"EUR {fmt.count(v)}"


def cost_table(costs: pd.DataFrame) -> pd.DataFrame:
    """Display table of ``cost_rows``: one row per group against non-participants."""

    def _ratio(r) -> str:
        if r.estimate != r.estimate:
            return "not defined (no extra exits)"
        if r.ci_low != r.ci_low:
            return f"{fmt.count(r.estimate)} [cannot be bounded]"
        return f"{fmt.count(r.estimate)} [{fmt.count(r.ci_low)}, {fmt.count(r.ci_high)}]"

    return pd.DataFrame(
        {
            "group": costs["group"].map(group_label),
            "participants": costs["n_group"],
            "budget per person (EUR), group": costs["spending"].map(fmt.count),
            "budget per person (EUR), non-participants": costs["spending_non"].map(fmt.count),
            "consultant hours per person-year": [
                f"{fmt.num(h, 0)} vs {fmt.num(h0, 0)}"
                for h, h0 in zip(costs["hours"], costs["hours_non"], strict=True)
            ],
            "extra cost per person (EUR)": costs["cost_difference"].map(fmt.count),
            "extra exits per 100 participants (ATT) [95% CI]": [
                f"{fmt.num(100 * a, 1, signed=True)} {fmt.ci(100 * lo, 100 * hi)}"
                for a, lo, hi in zip(costs["att"], costs["att_low"], costs["att_high"], strict=True)
            ],
            "EUR per extra exit [95% CI]": [_ratio(r) for r in costs.itertuples()],
        }
    )


def sensitivity_table(grid: pd.DataFrame) -> pd.DataFrame:
    """``cost_sensitivity`` as a table: hours (as a multiple of the declared ones) by hourly cost."""
    wide = grid.pivot(index="hours_multiplier", columns="eur_per_hour", values="estimate")
    out = pd.DataFrame({"consultant hours": [
        "none" if m == 0 else f"{fmt.num(m, 1)} x declared" for m in wide.index]})  # fmt: skip
    for rate in wide.columns:
        out[f"EUR {fmt.count(rate)} per hour"] = [_eur(v) for v in wide[rate]]
    return out


TRAJECTORY = "reintegration_trajectory"
"""The instrument whose budget share the chapter reports."""


@dataclass
class ResourcesAnalysis:
    """Every result of the resources chapter (see ``resources_analysis``)."""

    instruments: dict[str, str]
    per_person: pd.DataFrame
    by_arm: pd.DataFrame
    difference: pd.DataFrame
    costs: pd.DataFrame
    sensitivity: pd.DataFrame
    window: int
    n_non_participants: int
    non_participants_paid: int
    years: float
    eur_per_hour: float


def non_participant_spending(cohort: Cohort, instruments: list[str]) -> pd.DataFrame:
    """``person_spending`` for the non-participants of the population table (zeros included)."""
    pop = cohort.population
    non = pop.loc[~pop["participant"].astype(bool), ["person_id"]].assign(arm=NON_PARTICIPANTS)
    return person_spending(cohort.spending, non, instruments)


def cost_rows(
    per_person: pd.DataFrame,
    per_non: pd.DataFrame,
    outflow_store: pd.DataFrame,
    time,
    years: float,
) -> pd.DataFrame:
    """Cost per extra exit for all participants and each arm, against non-participants.

    Each group's cost is its mean participation-budget spending per person plus the declared
    consultant hours (``time``: ``ConsultantTime``; all participants get the arms' hours weighted by
    arm size) over ``years``; the extra exits are the outflow chapter's ATT (doubly robust) on
    outflow to full-time work, read from the results store. A group without that row is left out.
    """
    inst = [c for c in per_person.columns if c not in ("person_id", "arm")]
    total = per_person[inst].sum(axis=1)
    spend_non = float(per_non[inst].sum(axis=1).mean()) if len(per_non) else 0.0
    hours = dict(time.hours_per_person_year)
    sizes = per_person["arm"].value_counts()
    hours["participants"] = float(
        sum(hours.get(a, 0.0) * n for a, n in sizes.items()) / max(int(sizes.sum()), 1)
    )
    rows = []
    for group in COST_GROUPS:
        sel = per_person["arm"].notna() if group == "participants" else per_person["arm"] == group
        att_row = find_row(
            outflow_store, "outflow_full", between(group, NON_PARTICIPANTS), ATT_METHOD
        )
        if att_row is None or not sel.any():
            continue
        a, lo, hi = (float(att_row[k]) / 100 for k in ("estimate", "ci_low", "ci_high"))
        spending = {group: float(total[sel].mean()), NON_PARTICIPANTS: spend_non}
        h = {group: hours[group], NON_PARTICIPANTS: hours[NON_PARTICIPANTS]}
        row = cost.cost_per_extra_exit(a, (lo, hi), spending, h, time.eur_per_hour, years,
                                       treated=group, comparison=NON_PARTICIPANTS,
                                       n=int(att_row["n"])).iloc[0].to_dict()  # fmt: skip
        rows.append({**row, "group": group, "n_group": int(sel.sum()), "spending": spending[group],
                     "spending_non": spend_non, "hours": h[group], "hours_non": h[NON_PARTICIPANTS],
                     "att_low": lo, "att_high": hi})  # fmt: skip
    return pd.DataFrame(rows)


def sensitivity(costs: pd.DataFrame, time, years: float) -> pd.DataFrame:
    """``cost.cost_sensitivity`` for all participants: half, the declared and 1.5 x the hourly cost."""
    r = costs.set_index("group").loc["participants"]
    return cost.cost_sensitivity(
        r["att"], {"participants": r["spending"], NON_PARTICIPANTS: r["spending_non"]},
        {"participants": r["hours"], NON_PARTICIPANTS: r["hours_non"]}, years,
        [time.eur_per_hour * f for f in (0.5, 1.0, 1.5)],
    )  # fmt: skip


def resources_analysis(
    cohort: Cohort, params: Params, outflow_store: pd.DataFrame
) -> ResourcesAnalysis:
    """Spending per participant, per arm and instrument, the arms' difference and cost per exit.

    Instruments are the codebook levels of ``spending.instrument``; the cost per extra exit
    divides the extra cost of a participant over a non-participant (both groups' spending and the
    declared consultant time over ``analysis.outflow_window_months``) by the outflow chapter's
    ATT (``outflow_store``: that chapter's results-store rows). The bootstraps are seeded with
    ``params.seed`` and ``+ 2``.
    """

    a, seed = params.analysis, params.seed
    if cohort.participants.empty:
        raise ValueError("no participants in the data: nothing to describe")
    instruments = level_labels("spending", "instrument")
    per_person = person_spending(cohort.spending, cohort.participants, list(instruments))
    per_non = non_participant_spending(cohort, list(instruments))
    w = a.outflow_window_months
    years = w / 12
    costs = cost_rows(per_person, per_non, outflow_store, a.plan.consultant_time, years)
    if costs.empty or "participants" not in set(costs["group"]):
        raise ValueError(
            f"the results store has no {ATT_METHOD!r} row for outflow_full, participants vs "
            "non_participants: run the outflow chapter first (trustexp run)"
        )
    inst = list(instruments)
    return ResourcesAnalysis(
        instruments=instruments,
        per_person=per_person,
        by_arm=spending_by_arm_instrument(per_person, a.n_bootstrap, seed, a.alpha),
        difference=spending_difference(per_person, a.n_bootstrap, seed + 2, a.alpha),
        costs=costs,
        sensitivity=sensitivity(costs, a.plan.consultant_time, years),
        window=w,
        n_non_participants=len(per_non),
        non_participants_paid=int((per_non[inst].sum(axis=1) > 0).sum()),
        years=years,
        eur_per_hour=a.plan.consultant_time.eur_per_hour,
    )


def data_texts(
    res: ResourcesAnalysis, spending: pd.DataFrame, participants: pd.DataFrame, threshold: int
) -> dict[str, str]:
    """Glue texts of the *Data* section: spending years, people per arm, payments, outflow window.

    Counts of people and payments pass through disclosure control (``threshold``).
    """

    years = sorted(spending["year"].unique())
    arms = participants["arm"].astype(str).value_counts().reindex(ARMS, fill_value=0)
    return {
        "years": f"{years[0]}-{years[-1]}" if years else "none",
        "n_arm_text": n_text(arms.to_dict(), threshold),
        "n_payments": disclosure.count_text(len(spending), threshold),
        "window": fmt.count(res.window),
        "threshold": fmt.count(threshold),
        "n_non_participants": disclosure.count_text(res.n_non_participants, threshold),
    }


def _eur_ci(est: float, low: float, high: float) -> str:

    return f"EUR {fmt.count(est)} (95% CI EUR {fmt.count(low)} to {fmt.count(high)})"


def _eur_pp(tot: pd.DataFrame, arm: str) -> str:
    r = tot.loc[(arm, ALL)]
    return _eur_ci(r.per_participant, r.per_participant_low, r.per_participant_high)


def _share_text(tot: pd.DataFrame, arm: str, threshold: int) -> str:
    """A trajectory share as a phrase that reads whether it is shown or suppressed."""
    if (arm, TRAJECTORY) not in tot.index:
        return "n/a"
    r = tot.loc[(arm, TRAJECTORY)]
    if 0 < r.users < threshold:
        return f"a share not shown because fewer than {threshold} people used them"
    return f"{fmt.pct(r.share)} (95% CI {fmt.ci(r.share_low, r.share_high, scale='pct')})"


def _traj_sentence(tot: pd.DataFrame, arm: str, threshold: int) -> str:
    """``reintegration trajectories took 8.1% (95% CI ...) of the <group>'s budget``, or why not."""
    who = (
        "all participants'"
        if arm == "participants"
        else f"the {in_sentence(group_label(arm))} arm's"
    )
    if (arm, TRAJECTORY) not in tot.index or tot.loc[(arm, TRAJECTORY)].users == 0:
        return f"nobody in {who[:-1] if arm == 'participants' else who[:-2]} had a trajectory"
    r = tot.loc[(arm, TRAJECTORY)]
    if r.users < threshold:
        return (f"fewer than {threshold} people in {who[:-2] if arm != 'participants' else who[:-1]} "
                "had a trajectory, too few to show their share")  # fmt: skip
    return (f"reintegration trajectories took {fmt.pct(r.share)} (95% CI "
            f"{fmt.ci(r.share_low, r.share_high, scale='pct')}) of {who} budget")  # fmt: skip


def spending_texts(res: ResourcesAnalysis, n_participants: int, threshold: int) -> dict[str, str]:
    """Glue texts of the spending results: euros per participant, trajectory share, differences.

    Keys ``eur_pp_<group>``, ``traj_share_all``, ``traj_<group>`` (a whole clause, group ``all`` or
    an arm), ``traj_users_all``, ``n_participants``, ``top_instrument`` and ``diff_<arm>``
    (experimental arm against regular service, with its verdict: clearly more, clearly less, or
    not clearly different). A trajectory share based on fewer than ``threshold`` users is not shown.
    """

    tot = res.by_arm.set_index(["arm", "instrument"])
    users = (
        tot.loc[("participants", TRAJECTORY), "users"]
        if ("participants", TRAJECTORY) in tot.index
        else 0
    )
    out = {
        "eur_pp_all": _eur_pp(tot, "participants"),
        "traj_users_all": disclosure.count_text(int(users), threshold),
        "n_participants": disclosure.count_text(int(n_participants), threshold),
        "traj_share_all": _share_text(tot, "participants", threshold),
        "traj_all": _traj_sentence(tot, "participants", threshold),
    }
    parts = res.by_arm[(res.by_arm["arm"] == "participants") & (res.by_arm["instrument"] != ALL)]
    parts = parts[parts["users"] >= threshold]
    if len(parts):
        top = parts.loc[parts["share"].idxmax()]
        out["top_instrument"] = (f"{res.instruments.get(top.instrument, top.instrument).lower()} "
                                 f"({fmt.pct(top.share)} of all participants' budget)")  # fmt: skip
    else:
        out["top_instrument"] = "no instrument used by enough people to show"
    for arm in ARMS:
        out[f"eur_pp_{arm}"] = _eur_pp(tot, arm) if (arm, ALL) in tot.index else "n/a"
        out[f"traj_{arm}"] = _traj_sentence(tot, arm, threshold)
    diff = res.difference.set_index("arm")
    for arm in TREATED:
        if arm not in diff.index:
            out[f"diff_{arm}"] = "not estimated (an arm without participants)"
            continue
        est, lo, hi = diff.loc[arm, ["estimate", "ci_low", "ci_high"]]
        v = judge(est, lo, hi, better=0)
        ci = f"95% CI EUR {fmt.count(lo)} to {fmt.count(hi)}"
        if v.clear:
            word = "more" if v.sign > 0 else "less"
            out[f"diff_{arm}"] = f"EUR {fmt.count(abs(est))} {word} per participant ({ci})"
        else:
            out[f"diff_{arm}"] = f"not clearly more or less per participant ({ci})"
    return out


def cost_texts(res: ResourcesAnalysis, time, threshold: int) -> dict[str, str]:
    """Glue texts of the cost per extra exit (all participants and each arm) and its inputs.

    ``cost_<group>``: the euros per extra exit with its interval, or why there is none (taking
    part did not raise outflow, or the interval of the extra exits reaches zero);
    ``hours_<group>``, ``rate``, ``years``, ``time_reason``, ``spend_non``, ``paid_non``,
    ``extra_cost_all``, ``sens_low``/``sens_high`` (the range over the sensitivity grid).
    """
    out: dict[str, str] = {
        "rate": f"EUR {fmt.count(time.eur_per_hour)}",
        "cost_years": fmt.num(res.years, 0 if res.years == int(res.years) else 1),
        "time_reason": time.reason,
        "hours_non_participants": fmt.num(time.hours_per_person_year.get(NON_PARTICIPANTS, 0), 0),
        "paid_non": disclosure.count_text(res.non_participants_paid, threshold),
    }
    for arm in ARMS:
        out[f"hours_{arm}"] = fmt.num(time.hours_per_person_year.get(arm, 0), 0)
    c = res.costs.set_index("group")
    for group in COST_GROUPS:
        key = "all" if group == "participants" else group
        if group not in c.index:
            out[f"cost_{key}"] = "not estimated (no effect on the participants in the store)"
            continue
        r = c.loc[group]
        v = judge(100 * r["att"], 100 * r["att_low"], 100 * r["att_high"])
        if r["estimate"] != r["estimate"]:
            out[f"cost_{key}"] = ("not defined, because the group's outflow to work was not higher than "
                                  "that of comparable non-participants")  # fmt: skip
        elif r["ci_low"] != r["ci_low"] or not v.clear:
            out[f"cost_{key}"] = (f"EUR {fmt.count(r['estimate'])}, with no upper bound: the data "
                                  "allow that taking part brought no extra exits at all")  # fmt: skip
        else:
            out[f"cost_{key}"] = _eur_ci(r["estimate"], r["ci_low"], r["ci_high"])
    if "participants" in c.index:
        r = c.loc["participants"]
        out["spend_non"] = _eur(r["spending_non"])
        out["extra_cost_all"] = _eur(r["cost_difference"])
        budget = r["spending"] - r["spending_non"]
        out["split_all"] = (f"{_eur(r['cost_difference'] - budget)} of it consultant time and "
                            f"{_eur(budget)} participation budget")  # fmt: skip
    finite = res.sensitivity["estimate"].dropna()
    out["sens_low"] = _eur(finite.min()) if len(finite) else "n/a"
    out["sens_high"] = _eur(finite.max()) if len(finite) else "n/a"
    return out


def store_rows(res: ResourcesAnalysis) -> pd.DataFrame:
    """Results-store rows of the chapter (``resources_store_rows``)."""
    return resources_store_rows(res.by_arm, res.costs, res.difference)


def published_texts() -> dict[str, str]:
    """Glue text ``pub_budget``: what the information note said about the participation budget."""
    return {"pub_budget": str(published("participation_budget", "value"))}
