"""Chapter 1, design of the experiment: the CONSORT table and the texts the chapter glues."""

from __future__ import annotations

import pandas as pd

from trustexp import disclosure, fmt
from trustexp.chapters.common import n_text
from trustexp.reference import oss as published
from trustexp.vocab import ARMS, STAGES, group_label, stage_label


def consort_table(counts: pd.DataFrame) -> pd.DataFrame:
    """The per-arm part of the CONSORT flow as a wide table: one row per stage, one column per arm."""
    wide = counts[counts["group"].isin(ARMS)].pivot(index="stage", columns="group", values="n")
    wide = wide.reindex(list(STAGES))[list(ARMS)]
    wide.index = [stage_label(s) for s in wide.index]
    wide.columns = [group_label(a) for a in ARMS]
    return wide.rename_axis("stage").reset_index()


def flow_texts(counts: pd.DataFrame, threshold: int) -> dict[str, str]:
    """Glue texts of the flow: people assessed, randomised, not enrolled, per arm, response at wave 2."""
    n = {(r.stage, r.group): int(r.n) for r in counts.itertuples()}
    out = {
        key: disclosure.count_text(n[(stage, "all")], threshold)
        for key, stage in (("n_assessed", "assessed"), ("n_randomised", "randomised"),
                           ("n_not_enrolled", "not_enrolled"))
    }  # fmt: skip
    out["n_alloc_text"] = n_text({a: n[("allocated", a)] for a in ARMS}, threshold)
    randomised = n[("randomised", "all")]
    out["resp_w2_overall"] = fmt.pct(sum(n[("wave_2", a)] for a in ARMS) / randomised)
    return out


def published_texts() -> dict[str, str]:
    """Glue text of the published-vs-build callout: the published number of participants."""
    return {"published_n": fmt.count(published("participants", "value"))}


def arm_columns() -> list[str]:
    """The count columns of ``consort_table`` (one per arm), for disclosure control."""
    return [group_label(a) for a in ARMS]


def arms_table() -> pd.DataFrame:
    """The three arms as the sources describe them (``published.yml``), as a display table."""
    frame = pd.DataFrame(published("arms"))
    frame["job_search_obligation"] = frame["job_search_obligation"].map({True: "yes", False: "no"})
    return frame.rename(
        columns={
            "key": "arm",
            "nl": "Dutch name",
            "en": "English name",
            "contact_initiative": "who initiates contact",
            "job_search_obligation": "obligation to apply for jobs",
        }
    )
