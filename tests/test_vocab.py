"""The effect-size overview: selection, standardisation and multiplicity against hand computations."""

from __future__ import annotations

from trustexp import vocab


def test_contrast_labels_are_plain_words() -> None:
    assert vocab.contrast_label("eigen_regie vs regulier") == "Self-direction vs regular service"
    assert (
        vocab.contrast_label("intensief wave 2 vs wave 0")
        == "Intensive support: after two years vs start"
    )
    assert (
        vocab.contrast_label("participants vs non_participants", "nl")
        == "Alle deelnemers t.o.v. niet-deelnemers"
    )
