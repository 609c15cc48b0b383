"""Counts that describe the design: the CONSORT 2010 flow and the timing of the waves."""

from __future__ import annotations

import pandas as pd

from trustexp.vocab import ARMS


def consort_counts(
    population: pd.DataFrame,
    participants: pd.DataFrame,
    survey: pd.DataFrame,
    in_registry: set[str] | None = None,
) -> pd.DataFrame:
    """The CONSORT flow as a tidy frame ``stage, group, n`` (group ``all`` or an arm key).

    Stages: ``assessed`` (people on assistance in the population), ``not_enrolled``
    (non-participants), ``randomised``, ``allocated``, ``wave_0``/``wave_1``/``wave_2`` (participants'
    own questionnaire completed), ``lost_wave_1``/``lost_wave_2`` (allocated minus completed),
    ``analysed_registry`` (allocated people among ``in_registry``, the ids with benefit records:
    intention to treat) and
    ``analysed_survey`` (questionnaire completed at wave 0 and wave 2: the ANCOVA sample).

    >>> consort_counts(pop, part, survey).query("stage == 'allocated'")  # doctest: +SKIP
    """
    rows: list[tuple[str, str, int]] = [
        ("assessed", "all", len(population)),
        ("not_enrolled", "all", int((~population["participant"].astype(bool)).sum())),
        ("randomised", "all", len(participants)),
    ]
    arm_of = participants.set_index("person_id")["arm"].astype(str)
    own = survey[(survey["respondent"] == "participant") & survey["completed"].astype(bool)]
    own = own.assign(arm=own["person_id"].map(arm_of))
    done = {w: set(own.loc[own["wave"] == w, "person_id"]) for w in (0, 1, 2)}
    if in_registry is None:
        in_registry = set(participants["person_id"].astype(str))
    for arm in ARMS:
        ids = set(arm_of.index[arm_of == arm])
        rows.append(("allocated", arm, len(ids)))
        for w in (0, 1, 2):
            rows.append((f"wave_{w}", arm, len(ids & done[w])))
            if w:
                rows.append((f"lost_wave_{w}", arm, len(ids - done[w])))
        rows.append(("analysed_registry", arm, len(ids & in_registry)))
        rows.append(("analysed_survey", arm, len(ids & done[0] & done[2])))
    return pd.DataFrame(rows, columns=["stage", "group", "n"])


def wave_timing(survey: pd.DataFrame, lottery_date: pd.Timestamp) -> pd.DataFrame:
    """Per wave: first, median and last response date and months after the lottery (median)."""
    own = survey[(survey["respondent"] == "participant") & survey["completed"].astype(bool)]
    dates = pd.to_datetime(own["response_date"])
    out = (
        own.assign(response_date=dates)
        .groupby("wave")["response_date"]
        .agg(first="min", median="median", last="max", n="count")
        .reset_index()
    )
    out["months_after_lottery"] = (out["median"] - pd.Timestamp(lottery_date)).dt.days / 30.4375
    return out
