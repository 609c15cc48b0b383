"""Numbered figures and tables: the mark a chapter puts on an output for the book to number it.

A chapter displays each chart and table wrapped in ``<div class="trustexp-numbered" ...>`` with
its kind (``figure`` or ``table``), its name (the label the text refers to with
``{numref}`name```) and its caption. The book's extension (``book/_ext/trustexp_reader.py``)
(``MARK``) turns every such output into a Sphinx enumerable node, so Sphinx numbers it per chapter
("Figure 4.2", "Table 4.1", "Figuur"/"Tabel" on Dutch pages) and resolves the references; an
unknown reference fails the build. myst-nb's own cell-level ``figure`` option would wrap every
output of a cell (glue outputs too) and number a table as a figure, hence this small contract.
"""

from __future__ import annotations

import re
from html import escape

KINDS = {"figure": "fig", "table": "tab"}
"""Kind of output and the prefix its name must carry."""
NAME = re.compile(r"^(fig|tab)-[a-z0-9]+(?:-[a-z0-9]+)*$")
MARK = re.compile(
    r'\A\s*<div class="trustexp-numbered" data-kind="(?P<kind>figure|table)" '
    r'data-name="(?P<name>[^"]+)" data-caption="(?P<caption>[^"]*)">\n(?P<inner>.*)\n</div>\s*\Z',
    re.S,
)


def check_name(kind: str, name: str) -> str:
    """The name if it is a valid label for an output of this kind (``fig-...`` / ``tab-...``)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, not {kind!r}")
    if not isinstance(name, str) or not NAME.match(name) or not name.startswith(KINDS[kind] + "-"):
        raise ValueError(
            f"{kind} name {name!r}: use '{KINDS[kind]}-' and lower-case words joined by '-', "
            f"e.g. '{KINDS[kind]}-outflow-shares'"
        )
    return name


def mark(kind: str, name: str, caption: str, inner: str) -> str:
    """Wrap an output's HTML so the book numbers it (see the module docstring)."""
    check_name(kind, name)
    if not caption or not caption.strip():
        raise ValueError(f"{kind} {name!r}: a caption is required")
    return (
        f'<div class="trustexp-numbered" data-kind="{kind}" data-name="{name}" '
        f'data-caption="{escape(caption.strip(), quote=True)}">\n{inner}\n</div>'
    )


__all__ = ["KINDS", "MARK", "check_name", "mark"]
