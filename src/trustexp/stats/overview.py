"""The effect-size overview: one row per outcome and contrast, standardised, with multiplicity.

Everything here reads rows of the results store (``trustexp.report.store``) and never refits a
model: a chapter's preferred estimate of each contrast is picked by its ``method``, put on a
common standardised scale for the forest plot, and its p-value adjusted for multiple testing
(Holm and Benjamini–Hochberg, via ``statsmodels.stats.multitest``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from trustexp.errors import InvalidData

ARMS = ("eigen_regie", "intensief", "regulier")

DOMAINS: dict[str, tuple[str, ...]] = {
    "Work and benefit": ("outflow_full", "outflow_any"),
    "Wellbeing and health": ("wellbeing", "health", "mental_health"),
    "Social participation": ("contacts", "ladder"),
    "Trust": ("social_trust", "institutional_trust"),
    "Self-reliance and poverty": ("self_reliance", "financial_strain", "deprived"),
}
"""Outcome keys grouped by domain, in the order of the book."""

LOWER_IS_BETTER = ("financial_strain", "deprived")

# Contrast kinds (also the multiplicity families).
RANDOMISED = "between arms (lottery)"
VS_NON = "comparisons with non-participants"
WITHIN = "change within an arm"

RAW_METHODS: dict[str, tuple[str, ...]] = {
    RANDOMISED: ("risk difference", "ANCOVA"),
    VS_NON: ("adjusted risk difference", "risk difference", "reweighted risk difference"),
    WITHIN: ("mean change",),
}
"""Preferred method of the raw-scale estimate per contrast kind, first found wins."""

STD_METHODS: dict[str, tuple[str, ...]] = {
    RANDOMISED: ("Hedges g",),
    VS_NON: (),
    WITHIN: ("within-person d",),
}
"""Methods whose rows already are standardised (scale ``g`` or ``d``)."""

PRIMARY: tuple[tuple[str, str, str], ...] = (
    ("outflow_full", "eigen_regie vs regulier", "risk difference"),
    ("outflow_full", "intensief vs regulier", "risk difference"),
    ("wellbeing", "eigen_regie vs regulier", "ANCOVA"),
    ("wellbeing", "intensief vs regulier", "ANCOVA"),
)
"""The primary estimates (outcome, contrast, method): the randomised arm contrasts of the two
primary outcomes. Pages that read the store must find these rows; all others are optional."""


def contrast_kind(contrast: str) -> str | None:
    """The kind of a contrast key (``RANDOMISED``, ``VS_NON``, ``WITHIN``), None for others."""
    if contrast.endswith("vs regulier") or contrast == "eigen_regie vs intensief":
        return RANDOMISED
    if contrast.endswith("vs non_participants"):
        return VS_NON
    if "wave" in contrast and contrast.endswith("vs wave 0"):
        return WITHIN
    return None


def contrast_group(contrast: str) -> str:
    """The group whose colour a contrast gets: its first word (an arm or ``participants``)."""
    return contrast.split(" ")[0]


def contrast_label(contrast: str, lang: str = "en") -> str:
    """Plain words for a contrast key, e.g. ``"Self-direction vs regular service"``."""
    from trustexp.data.codebook import arm_labels

    names = {**_short_names(lang)}
    words = contrast.split(" ")
    if contrast.endswith("vs wave 0"):
        wave = words[-4]
        when = {"1": ("after one year", "na een jaar"), "2": ("after two years", "na twee jaar")}
        after = when[wave][0 if lang == "en" else 1]
        start = "vs start" if lang == "en" else "t.o.v. start"
        return f"{names.get(words[0], words[0])}: {after} {start}"
    if " vs " in contrast:
        a, b = contrast.split(" vs ")
        joint = "vs" if lang == "en" else "t.o.v."
        return f"{names.get(a, a)} {joint} {names.get(b, b).lower()}"
    if contrast.endswith(" level"):
        return arm_labels(lang).get(words[0], words[0])
    return contrast


def _short_names(lang: str) -> dict[str, str]:
    if lang == "nl":
        return {
            "eigen_regie": "Eigen regie",
            "intensief": "Intensieve begeleiding",
            "regulier": "Reguliere dienstverlening",
            "participants": "Deelnemers",
            "non_participants": "Niet-deelnemers",
        }
    return {
        "eigen_regie": "Self-direction",
        "intensief": "Intensive support",
        "regulier": "Regular service",
        "participants": "Participants",
        "non_participants": "Non-participants",
    }


def outcome_label(key: str, lang: str = "en") -> str:
    """The codebook label of an outcome key."""
    from trustexp.data.codebook import outcome

    return str(outcome(key)[f"label_{lang}"])


def domain_of(outcome: str) -> str | None:
    """The domain an outcome key belongs to (None if it is not an effect outcome)."""
    for domain, keys in DOMAINS.items():
        if outcome in keys:
            return domain
    return None


def find_row(
    store: pd.DataFrame, outcome: str, contrast: str, methods: tuple[str, ...] | str
) -> pd.Series | None:
    """The first row of ``store`` for the outcome and contrast whose method is in ``methods``."""
    methods = (methods,) if isinstance(methods, str) else methods
    hit = store[(store["outcome"] == outcome) & (store["contrast"] == contrast)]
    for method in methods:
        rows = hit[hit["method"] == method]
        if len(rows):
            return rows.iloc[0]
    return None


def require_primary(store: pd.DataFrame) -> None:
    """Raise ``InvalidData`` naming every primary row the store lacks (see ``PRIMARY``)."""
    missing = [
        f"outcome {o!r}, contrast {c!r}, method {m!r}"
        for o, c, m in PRIMARY
        if find_row(store, o, c, m) is None
    ]
    if missing:
        raise InvalidData(
            "the results store lacks primary estimates; run the outflow and wellbeing chapters first",
            missing,
        )


def _group_share(store: pd.DataFrame, outcome: str, group: str) -> float | None:
    """The share (0-1) of a group from a ``<group> level`` row, pooling arms for participants."""
    row = find_row(store, outcome, f"{group} level", ("share (Wilson)", "share"))
    if row is not None:
        return float(row["estimate"])
    if group == "participants":
        rows = [find_row(store, outcome, f"{a} level", ("share (Wilson)", "share")) for a in ARMS]
        if all(r is not None for r in rows):
            n = np.array([float(r["n"]) for r in rows])
            p = np.array([float(r["estimate"]) for r in rows])
            return float((n * p).sum() / n.sum())
    return None


def binary_sd(p1: float, p2: float) -> float:
    """Pooled SD of a binary outcome in two groups: ``sqrt((p1(1-p1) + p2(1-p2)) / 2)``.

    >>> round(binary_sd(0.2, 0.3), 4)
    0.4301
    """
    return math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2)


def effect_overview(store: pd.DataFrame, sds: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per effect outcome and contrast: raw estimate, standardised estimate, p.

    The raw row is the preferred method of ``RAW_METHODS``. The standardised value divides the
    raw estimate and its CI by ``sds[outcome]`` where given (the baseline SD of a questionnaire
    outcome: the yardstick the questionnaire chapters use), so raw and standardised values agree
    in sign and significance; otherwise it is the chapter's own ``g``/``d`` row, or for
    differences of shares the risk difference divided by the pooled SD of the two groups' shares
    (from ``<group> level`` rows).
    Columns: ``domain, outcome, contrast, kind, group, method, scale, estimate, ci_low, ci_high,
    p, n, std_estimate, std_low, std_high, std_method``.
    """
    effects = store[store["outcome"].map(domain_of).notna()]
    effects = effects[effects["contrast"].map(contrast_kind).notna()]
    rows = []
    for (outcome, contrast), _ in effects.groupby(["outcome", "contrast"], sort=False):
        kind = contrast_kind(contrast)
        raw = find_row(effects, outcome, contrast, RAW_METHODS[kind])
        if raw is None:
            continue
        std = find_row(effects, outcome, contrast, STD_METHODS[kind])
        s_est = s_low = s_high = np.nan
        s_method = ""
        sd = (sds or {}).get(outcome, np.nan)
        if np.isfinite(sd) and sd > 0:
            s_est, s_low, s_high = raw["estimate"] / sd, raw["ci_low"] / sd, raw["ci_high"] / sd
            s_method = f"{raw['method']} / baseline SD"
        elif std is not None:
            s_est, s_low, s_high = std["estimate"], std["ci_low"], std["ci_high"]
            s_method = str(std["method"])
        elif raw["scale"] == "pp":
            a, b = contrast.split(" vs ")
            p1, p2 = _group_share(store, outcome, a), _group_share(store, outcome, b)
            if p1 is not None and p2 is not None and binary_sd(p1, p2) > 0:
                sd = 100 * binary_sd(p1, p2)
                s_est, s_low, s_high = raw["estimate"] / sd, raw["ci_low"] / sd, raw["ci_high"] / sd
                s_method = "risk difference / pooled SD"
        rows.append(
            dict(
                domain=domain_of(outcome),
                outcome=outcome,
                contrast=contrast,
                kind=kind,
                group=contrast_group(contrast),
                method=str(raw["method"]),
                scale=str(raw["scale"]),
                estimate=float(raw["estimate"]),
                ci_low=float(raw["ci_low"]),
                ci_high=float(raw["ci_high"]),
                p=float(raw["p"]) if pd.notna(raw["p"]) else np.nan,
                n=raw["n"],
                std_estimate=float(s_est),
                std_low=float(s_low),
                std_high=float(s_high),
                std_method=s_method,
            )
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    order_o = {k: i for i, k in enumerate(k for keys in DOMAINS.values() for k in keys)}
    order_k = {RANDOMISED: 0, VS_NON: 1, WITHIN: 2}
    out = out.assign(
        _o=out["outcome"].map(order_o), _k=out["kind"].map(order_k), _c=out["contrast"]
    ).sort_values(["_o", "_k", "_c"])
    return out.drop(columns=["_o", "_k", "_c"]).reset_index(drop=True)


def baseline_sds(
    survey: pd.DataFrame, participants: pd.DataFrame, outcomes: list[str]
) -> dict[str, float]:
    """Baseline (wave-0) SD of each questionnaire outcome among participants (``survey.baseline_sd``).

    A description of the data, not a model: the yardstick for standardising the stored estimates.
    """
    from trustexp.stats.survey import baseline_sd, long_outcome

    out = {}
    for outcome in outcomes:
        if outcome in ("outflow_full", "outflow_any") or outcome not in survey.columns:
            continue
        out[outcome] = baseline_sd(long_outcome(survey, participants, outcome))
    return out


def adjust_pvalues(overview: pd.DataFrame, family: str = "kind") -> pd.DataFrame:
    """Add Holm and Benjamini–Hochberg adjusted p-values within each family of tests.

    A family is one value of ``family`` (by default the contrast kind: the randomised arm
    contrasts, the comparisons with non-participants and the changes within arms are three
    families). Rows without a p-value keep NaN and do not count as tests.

    >>> adjust_pvalues(pd.DataFrame({"kind": ["a", "a"], "p": [0.01, 0.04]}))["p_holm"].tolist()
    [0.02, 0.04]
    """
    from statsmodels.stats.multitest import multipletests

    out = overview.copy()
    out["p_holm"] = np.nan
    out["p_bh"] = np.nan
    out["n_tests"] = 0
    for _, idx in out.groupby(family).groups.items():
        p = out.loc[idx, "p"]
        ok = p.notna()
        if ok.sum() == 0:
            continue
        keep = p[ok].index
        out.loc[keep, "p_holm"] = multipletests(p[ok].to_numpy(), method="holm")[1]
        out.loc[keep, "p_bh"] = multipletests(p[ok].to_numpy(), method="fdr_bh")[1]
        out.loc[keep, "n_tests"] = int(ok.sum())
    return out


def estimate_text(est: float, low: float, high: float, scale: str) -> str:
    """A raw-scale estimate with its CI as the book formats it (pp, points, g, ...)."""
    from trustexp import fmt

    if scale == "pp":
        return f"{fmt.num(est, 1, signed=True)} pp {fmt.ci(low, high, scale='pp')}"
    return f"{fmt.num(est, signed=True)} {fmt.ci(low, high)}"


def multiplicity_table(adjusted: pd.DataFrame) -> pd.DataFrame:
    """The display table of the overview: labels, raw estimate with CI, n and the three p-values."""
    from trustexp import fmt

    units = {"pp": "percentage points", "points": "points on the outcome's scale"}
    return pd.DataFrame(
        {
            "domain": adjusted["domain"],
            "outcome": adjusted["outcome"].map(outcome_label),
            "contrast": adjusted["contrast"].map(contrast_label),
            "method": adjusted["method"],
            "estimate [95% CI]": [
                estimate_text(r.estimate, r.ci_low, r.ci_high, r.scale)
                for r in adjusted.itertuples()
            ],
            "unit": adjusted["scale"].map(lambda s: units.get(s, s)),
            "standardised": [
                f"{fmt.num(r.std_estimate, signed=True)} {fmt.ci(r.std_low, r.std_high)}"
                if pd.notna(r.std_estimate)
                else "n/a"
                for r in adjusted.itertuples()
            ],
            "n": adjusted["n"],
            "p": adjusted["p"].map(fmt.pval),
            "p (Holm)": adjusted["p_holm"].map(fmt.pval),
            "p (BH)": adjusted["p_bh"].map(fmt.pval),
        }
    )


def multiplicity_summary(adjusted: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Per family: number of tests and how many are below ``alpha`` raw, after Holm, after BH."""
    rows = []
    for kind, sub in adjusted.groupby("kind", sort=False):
        tested = sub[sub["p"].notna()]
        rows.append(
            dict(
                family=kind,
                tests=len(tested),
                raw=int((tested["p"] < alpha).sum()),
                holm=int((tested["p_holm"] < alpha).sum()),
                bh=int((tested["p_bh"] < alpha).sum()),
            )
        )
    return pd.DataFrame(rows)


ESTIMATE_CHAPTERS = ("outflow", "wellbeing", "social_participation", "other_outcomes")
"""Chapters whose estimates the overview shows (the effect outcomes)."""


def read_store(
    results_dir, chapters: tuple[str, ...] | list[str]
) -> tuple[pd.DataFrame, list[str]]:
    """The results of those ``chapters`` that are in the store, and the names of those that are not.

    Unlike ``report.store.read_results`` a missing chapter is not an error here: pages that read
    the store show what is there and say what is not (primary rows are checked separately by
    ``require_primary``).
    """
    from pathlib import Path

    from trustexp.report.store import read_results

    present = [c for c in chapters if (Path(results_dir) / f"{c}.parquet").is_file()]
    missing = [c for c in chapters if c not in present]
    store = (
        read_results(results_dir, present)
        if present
        else read_results(Path(results_dir) / "_none_")
    )
    return store, missing


def overview_rows(adjusted: pd.DataFrame) -> pd.DataFrame:
    """Results-store rows of the overview: standardised risk differences (scale ``d``) and the
    Holm- and BH-adjusted p-values of every tested estimate (method ``<method> (Holm)``/``(BH)``)."""
    rows = []
    for r in adjusted.itertuples():
        if r.std_method == "risk difference / pooled SD":
            rows.append(dict(outcome=r.outcome, contrast=r.contrast, estimate=r.std_estimate,
                             ci_low=r.std_low, ci_high=r.std_high, p=r.p, n=r.n,
                             method="standardised risk difference", scale="d"))  # fmt: skip
        if pd.notna(r.p):
            for tag, p in (("Holm", r.p_holm), ("BH", r.p_bh)):
                rows.append(dict(outcome=r.outcome, contrast=r.contrast, estimate=r.estimate,
                                 ci_low=r.ci_low, ci_high=r.ci_high, p=min(1.0, float(p)), n=r.n,
                                 method=f"{r.method} ({tag})", scale=r.scale))  # fmt: skip
    return pd.DataFrame(rows)


UNCONFIRMED = ("health", "mental_health", "self_reliance", "social_trust", "institutional_trust",
               "financial_strain", "deprived")  # fmt: skip
"""Outcomes the published evaluation did not confirm (``not_confirmed`` in published.yml)."""


def overview_facts(adjusted: pd.DataFrame, alpha: float = 0.05) -> dict[str, str]:
    """Formatted numbers of the overview page (glue name -> text)."""
    from trustexp import fmt

    fam = multiplicity_summary(adjusted, alpha).set_index("family")
    out = {
        "n_effects": fmt.count(len(adjusted)),
        "n_outcomes": fmt.count(adjusted["outcome"].nunique()),
        "n_standardised": fmt.count(int(adjusted["std_estimate"].notna().sum())),
        "alpha": fmt.num(alpha),
    }
    for kind, key in ((RANDOMISED, "rand"), (VS_NON, "non"), (WITHIN, "within")):
        row = fam.loc[kind] if kind in fam.index else None
        for col in ("tests", "raw", "holm", "bh"):
            out[f"{key}_{col}"] = fmt.count(int(row[col])) if row is not None else "0"
    rand = adjusted[(adjusted["kind"] == RANDOMISED) & adjusted["std_estimate"].notna()]
    if len(rand):
        top = rand.loc[rand["std_estimate"].abs().idxmax()]
        out["largest_rand"] = (
            f"{fmt.num(top['std_estimate'], signed=True)} SDs, "
            f"{contrast_label(top['contrast']).lower()} on {outcome_label(top['outcome']).lower()}"
        )
    else:
        out["largest_rand"] = "not estimated in this build"
    unc = adjusted[(adjusted["kind"] == RANDOMISED) & adjusted["outcome"].isin(UNCONFIRMED)]
    if len(unc):
        k = int(((unc["ci_low"] > 0) | (unc["ci_high"] < 0)).sum())
        out["unconfirmed_text"] = f"{k} of the {len(unc)}"
    else:
        out["unconfirmed_text"] = "not estimated in this build"
    return out
