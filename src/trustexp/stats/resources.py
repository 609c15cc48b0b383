"""Resources: spending of the participation budget per arm and instrument, and per extra outflow.

Spending is summed per person over the whole experiment (all years in the ``spending`` table);
participants without spending count as zero. Uncertainty comes from a nonparametric bootstrap that
resamples people within each group (percentile intervals, seeded, vectorised).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from trustexp.config import Params
    from trustexp.data.cohort import Cohort

ARMS = ("eigen_regie", "intensief", "regulier")
ALL = "all instruments"


def person_spending(
    spending: pd.DataFrame, participants: pd.DataFrame, instruments: list[str] | None = None
) -> pd.DataFrame:
    """One row per participant: ``person_id, arm`` and euros per instrument over the experiment.

    ``instruments`` fixes the columns (e.g. the codebook levels, so unused instruments show as
    zero); by default the instruments seen in ``spending``. Spending of people who are not
    participants is ignored.

    >>> person_spending(cohort.spending, cohort.participants).head()  # doctest: +SKIP
    """
    inst = (
        list(instruments)
        if instruments is not None
        else sorted(spending["instrument"].astype(str).unique())
    )
    sums = (
        spending.assign(instrument=spending["instrument"].astype(str))
        .groupby(["person_id", "instrument"], observed=True)["amount_eur"]
        .sum()
        .unstack("instrument")
        .reindex(columns=inst)
    )
    base = participants[["person_id", "arm"]].assign(arm=participants["arm"].astype(str))
    base = base.assign(person_id=base["person_id"].astype(str))
    sums.index = sums.index.astype(str)
    out = base.merge(sums, left_on="person_id", right_index=True, how="left")
    out[inst] = out[inst].fillna(0.0).astype(float)
    return out.reset_index(drop=True)


def _resample_means(x: np.ndarray, n_bootstrap: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap means of the rows of ``x`` (people x columns): returns (n_bootstrap, columns)."""
    idx = rng.integers(0, len(x), size=(n_bootstrap, len(x)))
    return x[idx].mean(axis=1)


def spending_by_arm_instrument(
    per_person: pd.DataFrame, n_bootstrap: int, seed: int, alpha: float = 0.05
) -> pd.DataFrame:
    """Spending per arm and instrument: users, total, euros per participant and share of the budget.

    Per participant = total / participants in the arm (zeros included); share = the instrument's
    part of the arm's total. Both with bootstrap percentile CIs (people resampled within the arm).
    Rows with instrument ``"all instruments"`` give the arm's total; rows with arm
    ``"participants"`` all arms together. Returns ``arm, instrument, n,
    users, total_eur, per_participant, per_participant_low, per_participant_high, share,
    share_low, share_high``.

    >>> spending_by_arm_instrument(person_spending(sp, parts), 2000, seed=1)  # doctest: +SKIP
    """
    rng = np.random.default_rng(seed)
    inst = [c for c in per_person.columns if c not in ("person_id", "arm")]
    q = [100 * alpha / 2, 100 * (1 - alpha / 2)]
    rows: list[dict[str, Any]] = []
    groups = [a for a in ARMS if a in set(per_person["arm"])] + ["participants"]
    for arm in groups:
        sel = per_person["arm"] == arm if arm != "participants" else per_person["arm"].notna()
        x = per_person.loc[sel, inst].to_numpy(float)
        if len(x) == 0:
            continue
        x = np.column_stack([x, x.sum(axis=1)])
        boot = _resample_means(x, n_bootstrap, rng)
        tot = boot[:, -1:]
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = np.where(tot > 0, boot / tot, np.nan)
        arm_total = x[:, -1].sum()
        for j, name in enumerate([*inst, ALL]):
            col = x[:, j]
            lo, hi = np.percentile(boot[:, j], q)
            s_lo, s_hi = (np.nanpercentile(shares[:, j], q) if np.isfinite(shares[:, j]).any()
                          else (np.nan, np.nan))  # fmt: skip
            rows.append(dict(
                arm=arm, instrument=name, n=len(col), users=int((col > 0).sum()),
                total_eur=float(col.sum()), per_participant=float(col.mean()),
                per_participant_low=float(lo), per_participant_high=float(hi),
                share=float(col.sum() / arm_total) if arm_total > 0 else np.nan,
                share_low=float(s_lo), share_high=float(s_hi),
            ))  # fmt: skip
    return pd.DataFrame(rows)


def _ratio_ci(num: np.ndarray, den: np.ndarray, alpha: float) -> tuple[float, float, bool]:
    """Percentile CI of num/den; unbounded (NaN, NaN, False) when den's CI reaches zero or below."""
    q = [100 * alpha / 2, 100 * (1 - alpha / 2)]
    if not np.all(np.isfinite(den)) or np.percentile(den, q[0]) <= 0:
        return np.nan, np.nan, False
    with np.errstate(divide="ignore", invalid="ignore"):
        lo, hi = np.percentile(num / den, q)
    return float(lo), float(hi), True


def eur_per_extra_outflow(
    per_person: pd.DataFrame,
    outflow: pd.DataFrame,
    non_participant_outflow: pd.DataFrame,
    n_bootstrap: int,
    seed: int,
    alpha: float = 0.05,
    outcome: str = "outflow_full",
) -> pd.DataFrame:
    """Budget per extra exit: euros per participant divided by the extra outflow share.

    Against non-participants: ``spending per participant / (outflow share of the arm − outflow
    share of non-participants)`` (their participation-budget spending is not in the data and taken
    as zero). Against regular service: ``(spending arm − spending regulier) / (outflow arm −
    outflow regulier)``. A ratio of estimated differences has no closed-form CI, so a bootstrap
    resamples people within each group (arms: spending and outflow jointly; non-participants:
    their outflow share drawn as Binomial(n, p)/n, the same distribution without materialising
    large index arrays). When the denominator's CI reaches zero the ratio's CI is unbounded: the
    row gets ``bounded = False`` and NaN limits.

    Parameters
    ----------
    per_person: output of ``person_spending`` (``person_id, arm`` + euro columns).
    outflow: ``person_id`` and the bool column ``outcome`` for the participants.
    non_participant_outflow: the bool column ``outcome`` for the non-participants.

    Returns ``group, comparison, n, spending_per_participant, outflow_share, comparison_share,
    extra_outflow_pp, estimate, ci_low, ci_high, bounded`` (estimate in euros per extra exit).

    >>> eur_per_extra_outflow(pp, flags_p, flags_np, 2000, seed=1)  # doctest: +SKIP
    """
    rng = np.random.default_rng(seed)
    inst = [c for c in per_person.columns if c not in ("person_id", "arm")]
    data = per_person.assign(total=per_person[inst].sum(axis=1)).merge(
        outflow[["person_id", outcome]].assign(person_id=outflow["person_id"].astype(str)),
        on="person_id",
        how="left",
    )
    if data[outcome].isna().any():
        raise ValueError(f"{int(data[outcome].isna().sum())} participants have no {outcome} flag")
    y_np = non_participant_outflow[outcome].astype(bool).to_numpy()
    n_np, p_np = len(y_np), float(y_np.mean()) if len(y_np) else np.nan
    groups = {a: data[data["arm"] == a] for a in ARMS if (data["arm"] == a).any()}
    groups["participants"] = data
    boot_s, boot_o, point = {}, {}, {}
    for name, g in groups.items():
        x = np.column_stack([g["total"].to_numpy(float), g[outcome].astype(float).to_numpy()])
        b = _resample_means(x, n_bootstrap, rng)
        boot_s[name], boot_o[name] = b[:, 0], b[:, 1]
        point[name] = (float(x[:, 0].mean()), float(x[:, 1].mean()), len(x))
    b_np = rng.binomial(n_np, p_np, n_bootstrap) / n_np if n_np else np.full(n_bootstrap, np.nan)
    rows = []
    for name in groups:
        s, o, n = point[name]
        extra = o - p_np
        lo, hi, ok = _ratio_ci(boot_s[name], boot_o[name] - b_np, alpha)
        rows.append(dict(group=name, comparison="non_participants", n=n, spending_per_participant=s,
                         outflow_share=o, comparison_share=p_np, extra_outflow_pp=100 * extra,
                         estimate=s / extra if extra > 0 else np.nan, ci_low=lo, ci_high=hi,
                         bounded=ok))  # fmt: skip
    if "regulier" in groups:
        s_r, o_r, _ = point["regulier"]
        for name in [a for a in ARMS if a in groups and a != "regulier"]:
            s, o, n = point[name]
            ds, do = s - s_r, o - o_r
            lo, hi, ok = _ratio_ci(boot_s[name] - boot_s["regulier"],
                                   boot_o[name] - boot_o["regulier"], alpha)  # fmt: skip
            rows.append(dict(group=name, comparison="regulier", n=n, spending_per_participant=s,
                             outflow_share=o, comparison_share=o_r, extra_outflow_pp=100 * do,
                             estimate=ds / do if do > 0 else np.nan, ci_low=lo, ci_high=hi,
                             bounded=ok))  # fmt: skip
    return pd.DataFrame(rows)


def spending_difference(
    per_person: pd.DataFrame, n_bootstrap: int, seed: int, alpha: float = 0.05
) -> pd.DataFrame:
    """Difference in euros per participant, each experimental arm minus regular service.

    CI: bootstrap percentile (people resampled within arm); p: Welch t-test (scipy), shown for
    orientation (spending is skewed; the bootstrap CI is the primary uncertainty). Returns
    ``arm, n, estimate, ci_low, ci_high, p``.
    """
    from scipy import stats

    rng = np.random.default_rng(seed)
    inst = [c for c in per_person.columns if c not in ("person_id", "arm")]
    total = per_person[inst].sum(axis=1).to_numpy(float)
    arm = per_person["arm"].to_numpy()
    if not (arm == "regulier").any():
        return pd.DataFrame(columns=["arm", "n", "estimate", "ci_low", "ci_high", "p"])
    ref = total[arm == "regulier"]
    b_ref = _resample_means(ref[:, None], n_bootstrap, rng)[:, 0]
    rows = []
    for a in [a for a in ARMS if a != "regulier" and (arm == a).any()]:
        x = total[arm == a]
        b = _resample_means(x[:, None], n_bootstrap, rng)[:, 0] - b_ref
        lo, hi = np.percentile(b, [100 * alpha / 2, 100 * (1 - alpha / 2)])
        spread = len(x) > 1 and len(ref) > 1 and (np.ptp(x) > 0 or np.ptp(ref) > 0)
        p = stats.ttest_ind(x, ref, equal_var=False).pvalue if spread else np.nan
        rows.append(dict(arm=a, n=len(x) + len(ref), estimate=float(x.mean() - ref.mean()),
                         ci_low=float(lo), ci_high=float(hi), p=float(p)))  # fmt: skip
    return pd.DataFrame(rows)


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
        rows.append(dict(outcome="spending", contrast=f"{r.arm} level", estimate=r.per_participant,
                         ci_low=r.per_participant_low, ci_high=r.per_participant_high, p=np.nan,
                         n=r.n, method=method, scale="eur"))  # fmt: skip
        if r.instrument != ALL:
            rows.append(dict(outcome="spending", contrast=f"{r.arm} level", estimate=r.share,
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
    from trustexp import fmt
    from trustexp.charts import group_label

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
    from trustexp import fmt
    from trustexp.charts import group_label

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

    def store_rows(self) -> pd.DataFrame:
        """Results-store rows of the chapter (``resources_store_rows``)."""
        return resources_store_rows(self.by_arm, self.per_exit, self.difference)


def resources_analysis(cohort: Cohort, params: Params) -> ResourcesAnalysis:
    """Spending per participant, per arm and instrument, the arms' difference and budget per exit.

    Instruments are the codebook levels of ``spending.instrument``; outflow to full-time work
    within ``analysis.outflow_window_months`` comes from the registry (DuckDB when it is on disk).
    The three bootstraps are seeded with ``params.seed``, ``+ 1`` and ``+ 2``.
    """
    from trustexp.data import codebook
    from trustexp.data.outcomes import cohort_outflow_flags

    a, seed = params.analysis, params.seed
    if cohort.participants.empty:
        raise ValueError("no participants in the data: nothing to describe")
    instruments = codebook.level_labels("spending", "instrument")
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
    from trustexp import fmt
    from trustexp.chapter import n_text
    from trustexp.disclosure import count_text

    years = sorted(spending["year"].unique())
    arms = participants["arm"].astype(str).value_counts().reindex(ARMS, fill_value=0)
    return {
        "years": f"{years[0]}-{years[-1]}" if years else "none",
        "n_arm_text": n_text(arms.to_dict(), threshold),
        "n_payments": count_text(len(spending), threshold),
        "window": fmt.count(res.window),
        "threshold": fmt.count(threshold),
        "n_non_participants": count_text(res.n_non_participants, threshold),
    }


def _eur_ci(est: float, low: float, high: float) -> str:
    from trustexp import fmt

    return f"EUR {fmt.count(est)} (95% CI EUR {fmt.count(low)} to {fmt.count(high)})"


def _eur_pp(tot: pd.DataFrame, arm: str) -> str:
    r = tot.loc[(arm, ALL)]
    return _eur_ci(r.per_participant, r.per_participant_low, r.per_participant_high)


def _share_text(tot: pd.DataFrame, arm: str, threshold: int) -> str:
    from trustexp import fmt

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
    from trustexp.disclosure import count_text

    tot = res.by_arm.set_index(["arm", "instrument"])
    users = (
        tot.loc[("participants", TRAJECTORY), "users"]
        if ("participants", TRAJECTORY) in tot.index
        else 0
    )
    out = {
        "eur_pp_all": _eur_pp(tot, "participants"),
        "traj_users_all": count_text(int(users), threshold),
        "n_participants": count_text(int(n_participants), threshold),
        "traj_share_all": _share_text(tot, "participants", threshold),
    }
    for arm in ARMS:
        out[f"eur_pp_{arm}"] = _eur_pp(tot, arm) if (arm, ALL) in tot.index else "n/a"
        out[f"traj_share_{arm}"] = _share_text(tot, arm, threshold)
    diff = res.difference.set_index("arm")
    for arm in ("eigen_regie", "intensief"):
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
    from trustexp import fmt

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
