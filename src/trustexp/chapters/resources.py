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
from trustexp.data.outcomes import cohort_outflow_flags
from trustexp.reference import oss as published
from trustexp.stats.resources import (
    ALL,
    eur_per_extra_outflow,
    person_spending,
    spending_by_arm_instrument,
    spending_difference,
)
from trustexp.vocab import ARMS, TREATED, group_label, level, level_labels


def resources_store_rows(
    by_arm: pd.DataFrame, per_exit: pd.DataFrame, difference: pd.DataFrame
) -> pd.DataFrame:
    """Results-store rows of outcome ``spending``.

    ``<arm> level``: ``spending per participant`` (all instruments) and ``spending per participant:
    <instrument>`` (scale ``eur``), ``budget share: <instrument>`` (scale ``share``);
    ``<group> vs non_participants``: ``eur per extra outflow`` (eur); ``<arm> vs regulier``:
    ``spending per participant difference`` and ``extra eur per extra outflow`` (eur). An
    unbounded ratio CI is stored as NaN limits.
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
    for r in per_exit.itertuples():
        if np.isnan(r.estimate):
            continue
        if r.comparison == "non_participants":
            contrast, method = f"{r.group} vs non_participants", "eur per extra outflow"
        else:
            contrast, method = f"{r.group} vs regulier", "extra eur per extra outflow"
        rows.append(dict(outcome="spending", contrast=contrast, estimate=r.estimate,
                         ci_low=r.ci_low, ci_high=r.ci_high, p=np.nan, n=r.n, method=method,
                         scale="eur"))  # fmt: skip
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


def per_exit_table(per_exit: pd.DataFrame) -> pd.DataFrame:
    """Display table of ``eur_per_extra_outflow``: one row per group and comparison."""

    def _ratio(r) -> str:
        if np.isnan(r.estimate):
            return "no extra outflow"
        if not r.bounded:
            return f"{fmt.count(r.estimate)} [CI unbounded]"
        return f"{fmt.count(r.estimate)} [{fmt.count(r.ci_low)}, {fmt.count(r.ci_high)}]"

    return pd.DataFrame(
        {
            "group": per_exit["group"].map(group_label),
            "compared with": per_exit["comparison"].map(group_label),
            "participants": per_exit["n"],
            "EUR per participant": per_exit["spending_per_participant"].map(fmt.count),
            "outflow": per_exit["outflow_share"].map(fmt.pct),
            "outflow of comparison": per_exit["comparison_share"].map(fmt.pct),
            "extra outflow (pp)": per_exit["extra_outflow_pp"].map(
                lambda v: fmt.num(v, 1, signed=True)
            ),
            "EUR per extra exit [95% CI]": [_ratio(r) for r in per_exit.itertuples()],
        }
    )


TRAJECTORY = "reintegration_trajectory"
"""The instrument whose budget share the chapter reports."""


@dataclass
class ResourcesAnalysis:
    """Every result of the resources chapter (see ``resources_analysis``)."""

    instruments: dict[str, str]
    per_person: pd.DataFrame
    by_arm: pd.DataFrame
    per_exit: pd.DataFrame
    difference: pd.DataFrame
    window: int
    n_non_participants: int


def resources_analysis(cohort: Cohort, params: Params) -> ResourcesAnalysis:
    """Spending per participant, per arm and instrument, the arms' difference and budget per exit.

    Instruments are the codebook levels of ``spending.instrument``; outflow to full-time work
    within ``analysis.outflow_window_months`` comes from the registry (DuckDB when it is on disk).
    The three bootstraps are seeded with ``params.seed``, ``+ 1`` and ``+ 2``.
    """

    a, seed = params.analysis, params.seed
    if cohort.participants.empty:
        raise ValueError("no participants in the data: nothing to describe")
    instruments = level_labels("spending", "instrument")
    per_person = person_spending(cohort.spending, cohort.participants, list(instruments))
    w = a.outflow_window_months
    flags = cohort_outflow_flags(cohort, w)
    is_part = flags["person_id"].isin(cohort.participants["person_id"])
    return ResourcesAnalysis(
        instruments=instruments,
        per_person=per_person,
        by_arm=spending_by_arm_instrument(per_person, a.n_bootstrap, seed, a.alpha),
        per_exit=eur_per_extra_outflow(
            per_person, flags[is_part], flags[~is_part], a.n_bootstrap, seed + 1, a.alpha
        ),  # fmt: skip
        difference=spending_difference(per_person, a.n_bootstrap, seed + 2, a.alpha),
        window=w,
        n_non_participants=int((~is_part).sum()),
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

    if (arm, TRAJECTORY) not in tot.index:
        return "n/a"
    r = tot.loc[(arm, TRAJECTORY)]
    if 0 < r.users < threshold:
        return f"not shown (fewer than {threshold} users)"
    return f"{fmt.pct(r.share)} (95% CI {fmt.ci(r.share_low, r.share_high, scale='pct')})"


def spending_texts(res: ResourcesAnalysis, n_participants: int, threshold: int) -> dict[str, str]:
    """Glue texts of the spending results: euros per participant, trajectory share, differences.

    Keys ``eur_pp_<group>``, ``traj_share_<group>`` (group ``all`` or an arm), ``traj_users_all``,
    ``n_participants`` and ``diff_<arm>`` (experimental arm minus regular service). A trajectory
    share based on fewer than ``threshold`` users is not shown.
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
    }
    for arm in ARMS:
        out[f"eur_pp_{arm}"] = _eur_pp(tot, arm) if (arm, ALL) in tot.index else "n/a"
        out[f"traj_share_{arm}"] = _share_text(tot, arm, threshold)
    diff = res.difference.set_index("arm")
    for arm in TREATED:
        out[f"diff_{arm}"] = (
            _eur_ci(*diff.loc[arm, ["estimate", "ci_low", "ci_high"]])
            if arm in diff.index
            else "n/a"
        )
    return out


def per_exit_texts(per_exit: pd.DataFrame) -> dict[str, str]:
    """Glue texts ``per_exit_<group>`` (``all`` or an arm): budget per extra exit vs non-participants.

    ``"not defined (no extra outflow)"`` when the outflow was not higher; an unbounded CI is said.
    """

    pe = per_exit.set_index(["group", "comparison"])
    out: dict[str, str] = {}
    for group in ("participants", *ARMS):
        key = "all" if group == "participants" else group
        if (group, "non_participants") not in pe.index:
            out[f"per_exit_{key}"] = "n/a"
            continue
        r = pe.loc[(group, "non_participants")]
        if r.estimate != r.estimate:
            out[f"per_exit_{key}"] = "not defined (no extra outflow)"
        elif not r.bounded:
            out[f"per_exit_{key}"] = (
                f"EUR {fmt.count(r.estimate)} (95% CI unbounded: the extra outflow may be zero)"
            )
        else:
            out[f"per_exit_{key}"] = _eur_ci(r.estimate, r.ci_low, r.ci_high)
    return out


def store_rows(res: ResourcesAnalysis) -> pd.DataFrame:
    """Results-store rows of the chapter (``resources_store_rows``)."""
    return resources_store_rows(res.by_arm, res.per_exit, res.difference)


def published_texts() -> dict[str, str]:
    """Glue text ``pub_budget``: what the information note said about the participation budget."""
    return {"pub_budget": str(published("participation_budget", "value"))}
