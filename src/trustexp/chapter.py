"""What every chapter notebook opens with: validated parameters and data, theme, and output helpers.

A notebook calls ``ch = chapter.open("outflow", params_file)`` once, then only short calls:
``ch.show(chart)``, ``ch.table(frame, caption=...)``, ``ch.glue("key", text)``,
``ch.record(estimates)`` and finally ``ch.save()`` (writes the chapter's rows to the results store).
Callouts are MyST admonitions in the notebooks' markdown cells, with numbers glued in; what a chapter
shows (tables, texts, rows) is built by ``trustexp.chapters.<key>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from html import escape
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown, display
from myst_nb import glue

from trustexp import disclosure
from trustexp.charts import ChartDisplay, enable_theme
from trustexp.config import Params, load_params
from trustexp.data.cohort import read_cohort
from trustexp.errors import InvalidData
from trustexp.params_reads import tracked_from_env
from trustexp.results import write_results


@dataclass
class Chapter:
    """One chapter's handle on its parameters, data and outputs."""

    key: str
    params: Params
    root: Path = Path(".")
    _charts: ChartDisplay = field(default_factory=ChartDisplay)
    _rows: list[pd.DataFrame] = field(default_factory=list)
    glued: dict[str, str] = field(default_factory=dict)

    @cached_property
    def data(self):
        """The validated cohort of this parameter set (``trustexp.data.cohort.Cohort``)."""

        folder = self.params.cohort_dir(self.root)
        if not (folder / "manifest.json").is_file():
            raise InvalidData(
                f"no cohort at {folder}: run `trustexp data --params <set>` (or `make data`) first"
            )
        return read_cohort(folder)

    @property
    def threshold(self) -> int:
        """Smallest count a table or chart may show."""
        return self.params.analysis.disclosure_threshold

    @property
    def results_dir(self) -> Path:
        """This parameter set's results-store folder."""
        return self.params.results_dir(self.root)

    def show(self, chart, alt_text: str) -> None:
        """Display a chart: interactive in the book, a static PNG in the notebook file.

        ``alt_text``: a sentence saying what the chart shows (its name for screen readers).
        """
        self._charts.show(chart, alt_text)

    def glue(self, name: str, text: str) -> None:
        """Glue a pre-formatted string for use in prose as ``{glue:text}`name```."""
        if not isinstance(text, str):
            raise TypeError(
                f"glue {name!r}: pass a formatted string (trustexp.fmt), not {type(text).__name__}"
            )
        if name in self.glued:
            raise ValueError(f"glue key {name!r} used twice in chapter {self.key!r}")
        self.glued[name] = text
        glue(name, text, display=False)

    def glue_md(self, name: str, markdown: str) -> None:
        """Glue MyST Markdown for ``{glue:md}`` (with ``:format: myst``), e.g. a computed list."""

        if name in self.glued:
            raise ValueError(f"glue key {name!r} used twice in chapter {self.key!r}")
        self.glued[name] = markdown
        glue(name, Markdown(markdown), display=False)

    def glue_all(self, texts: dict[str, str]) -> None:
        """Glue several pre-formatted strings at once (``{name: text}``, as built in ``src/``)."""
        for name, text in texts.items():
            self.glue(name, text)

    def glue_count(self, name: str, n: int) -> None:
        """Glue a count of people, suppressed below the disclosure threshold."""
        self.glue(name, disclosure.count_text(int(n), self.threshold))

    def table(
        self,
        frame: pd.DataFrame,
        caption: str,
        counts: tuple[str, ...] | list[str] = (),
        dependent: tuple[str, ...] | list[str] = (),
    ) -> None:
        """Display a captioned table; count columns pass through disclosure control first."""

        shown, n_sup = disclosure.protect(frame, counts, self.threshold, dependent)
        html = shown.to_html(
            index=False, border=0, classes="trustexp-table", escape=True, na_rep=""
        )
        html = html.replace(">\n", f">\n<caption>{escape(caption)}</caption>\n", 1)
        foot = disclosure.note(n_sup, self.threshold)
        if foot:
            html += f'\n<p class="trustexp-disclosure">{escape(foot)}</p>'
        display(HTML(html))

    def record(self, estimates: pd.DataFrame) -> None:
        """Add estimates (``outcome, contrast, estimate, ci_low, ci_high, p, n, method, scale``)."""
        self._rows.append(estimates)

    def save(self) -> Path | None:
        """Write everything recorded to the results store (atomically, after validation)."""
        if not self._rows:
            return None
        return write_results(pd.concat(self._rows, ignore_index=True), self.key, self.results_dir)


def open(key: str, params_file: str | Path, root: str | Path = ".") -> Chapter:  # noqa: A001
    """Open a chapter: validate the parameter set, enable the chart theme, give access to data."""
    enable_theme()
    pd.set_option("display.precision", 3)
    # the pipeline records which parameters the chapter reads (trustexp.params_reads)
    params = tracked_from_env(load_params(Path(root) / params_file))
    return Chapter(key=key, params=params, root=Path(root))
