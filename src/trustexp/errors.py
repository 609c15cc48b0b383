"""The project's exception types: one per kind of failure, each with an actionable message."""

from __future__ import annotations


class TrustexpError(Exception):
    """Base class of every error the command line reports without a traceback."""


class InvalidParameters(TrustexpError):
    """A parameter set is malformed: unknown key, wrong type or value out of range."""


class InvalidData(TrustexpError):
    """Input data break a rule of the codebook or a cross-table rule.

    ``violations`` holds one human-readable line per broken rule (file, column, rows, rule, values).
    """

    def __init__(self, message: str, violations: list[str] | None = None) -> None:
        self.violations = list(violations or [])
        full = message
        if self.violations:
            full += "\n" + "\n".join(f"  - {v}" for v in self.violations)
        super().__init__(full)


class ChapterFailed(TrustexpError):
    """A chapter notebook raised while being executed."""

    def __init__(self, chapter: str, cell: int | None, error: str, notebook: str) -> None:
        self.chapter, self.cell, self.error, self.notebook = chapter, cell, error, notebook
        where = f"cell {cell}" if cell is not None else "kernel start-up"
        super().__init__(
            f"chapter {chapter!r} failed in {where}: {error}\n"
            f"  the executed notebook is kept for inspection: {notebook}"
        )
