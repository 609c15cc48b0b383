"""Simulation harness: seeding of the replicates."""

from __future__ import annotations

from trustexp.stats.simulation import replicate_seeds


def test_replicate_seeds_are_deterministic_and_distinct() -> None:
    a, b = replicate_seeds(5, 100), replicate_seeds(5, 100)
    assert a == b and len(set(a)) == 100 and replicate_seeds(6, 3) != a[:3]
