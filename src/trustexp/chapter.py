"""What every chapter notebook opens with: validated parameters and data, theme, and output helpers.

A notebook calls ``ch = chapter.open("outflow", params_file)`` once, then only short calls:
``ch.show(chart, alt_text=..., name="fig-...")``, ``ch.table(frame, caption=..., name="tab-...")``,
``ch.glue("key", text)``,
``ch.record(estimates)`` and finally ``ch.save()`` (writes the chapter's rows to the results store).
Callouts are MyST admonitions in the notebooks' markdown cells, with numbers glued in; what a chapter
shows (tables, texts, rows) is built by ``trustexp.chapters.<key>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from html import escape
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown, display
from myst_nb import glue

from trustexp import disclosure, numbering, verdicts
from trustexp.charts import ChartDisplay, enable_theme, set_data_note
from trustexp.config import Params, load_params
from trustexp.data.cohort import read_cohort
from trustexp.errors import InvalidData
from trustexp.params_reads import tracked_from_env
from trustexp.report.calibration import SEED_SEARCH
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
    numbered: list[str] = field(default_factory=list)

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
    def synthetic(self) -> bool:
        """True when the chapter runs on the synthetic cohort (``data.source: synthetic``)."""
        return self.params.data.source == "synthetic"

    @property
    def source(self) -> str:
        """Where the numbers come from, for captions: ``synthetic data`` or the real files."""
        return (
            "synthetic data" if self.synthetic else "the municipality's registry and questionnaires"
        )

    @property
    def threshold(self) -> int:
        """Smallest count a table or chart may show."""
        return self.params.analysis.disclosure_threshold

    @property
    def results_dir(self) -> Path:
        """This parameter set's results-store folder."""
        return self.params.results_dir(self.root)

    def show(self, chart, alt_text: str, name: str, caption: str | None = None) -> None:
        """Display a chart: interactive in the book, a static PNG in the notebook file.

        ``alt_text``: a sentence saying what the chart shows (its name for screen readers).
        ``name`` (``fig-...``): the label the text refers to with ``{numref}``; the book numbers
        the figure and shows ``caption`` (default: the alt text) below it.
        """
        self._charts.show(chart, alt_text, self._name("figure", name), caption)

    def _name(self, kind: str, name: str) -> str:
        numbering.check_name(kind, name)
        if name in self.numbered:
            raise ValueError(f"{kind} name {name!r} used twice in chapter {self.key!r}")
        self.numbered.append(name)
        return name

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
        name: str,
        counts: tuple[str, ...] | list[str] = (),
        dependent: tuple[str, ...] | list[str] = (),
    ) -> None:
        """Display a captioned table; count columns pass through disclosure control first and
        the leading label columns are folded into one (``fold_labels``).

        ``name`` (``tab-...``): the label the text refers to with ``{numref}``; the book numbers
        the table in its caption.
        """
        self._name("table", name)

        shown, n_sup = disclosure.protect(frame, counts, self.threshold, dependent)
        shown = fold_labels(shown)
        html = shown.to_html(
            index=False, border=0, classes="trustexp-table", escape=True, na_rep=""
        )
        html = label_markup(html)
        html = mark_text_columns(html, text_columns(shown))
        html = html.replace(">\n", f">\n<caption>{escape(caption)}</caption>\n", 1)
        foot = disclosure.note(n_sup, self.threshold)
        if foot:
            html += f'\n<p class="trustexp-disclosure">{escape(foot)}</p>'
        display(HTML(numbering.mark("table", name, caption, html)))

    def record(self, estimates: pd.DataFrame) -> None:
        """Add estimates (``outcome, contrast, estimate, ci_low, ci_high, p, n, method, scale``)."""
        self._rows.append(estimates)

    def save(self) -> Path | None:
        """Write everything recorded to the results store (atomically, after validation).

        Every row that compares groups gets its verdict (``trustexp.verdicts``) on the way.
        """
        if not self._rows:
            return None
        rows = pd.concat(self._rows, ignore_index=True)
        rows = verdicts.annotate(rows, verdicts.margins_of(self.params.analysis.plan))
        return write_results(rows, self.key, self.results_dir)


NUMBER_CELL = re.compile(r"^[<>≤≥±+\-−–]?\s*[\d.,]+\s*(%|pp|×)?$")
"""A cell that reads as a number (its first token, before " [" or " ("): ``0.42``, ``< 10``,
``+2.0 pp``, ``23.0%`` (the same rule as the browser check of tables)."""
LABEL_OPEN, LABEL_BREAK, LABEL_CLOSE = "\ue000", "\ue001", "\ue002"
"""Private-use characters around and between the parts of a folded label cell (they survive
``to_html``'s escaping); ``label_markup`` turns them into one line per part."""


def label_markup(html: str) -> str:
    """The folded label cells of a ``to_html`` table as one block per part (CSS: the first bold)."""
    return (
        html.replace(LABEL_OPEN, '<span class="trustexp-parts"><span>')
        .replace(LABEL_BREAK, "</span><span>")
        .replace(LABEL_CLOSE, "</span></span>")
    )


def _reads_as_number(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    first = re.split(r"\s+\[|\s+\(", str(value).strip())[0]
    return bool(NUMBER_CELL.match(first))


def label_columns(frame: pd.DataFrame) -> int:
    """How many leading columns hold labels: the columns before the first one whose filled
    cells mostly read as numbers (0 when no column does, as in a table of text)."""
    for i in range(frame.shape[1]):
        values = frame.iloc[:, i].dropna()
        if pd.api.types.is_bool_dtype(values):
            continue
        if pd.api.types.is_numeric_dtype(values) or (
            len(values) and sum(map(_reads_as_number, values)) >= len(values) / 2
        ):
            return i
    return 0


def fold_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """One label column instead of several: the leading label columns (``label_columns``)
    joined, one part per line, under a header naming them ("outcome / contrast").

    The first number of a row then follows its label directly, so it stays in view on a phone
    while the rest of a wide table scrolls (the first column is sticky).
    """
    k = label_columns(frame)
    if k < 2:
        return frame
    cols = list(frame.columns[:k])
    parts = frame[cols].astype(object).where(frame[cols].notna(), "")
    label = parts.apply(
        lambda r: (
            LABEL_OPEN + LABEL_BREAK.join(str(v) for v in r if str(v).strip() != "") + LABEL_CLOSE
        ),
        axis=1,
    )
    out = frame.drop(columns=cols)
    out.insert(0, " / ".join(str(c) for c in cols), label)
    return out


TEXT_CELL_CHARS = 24
"""A column (not the first) whose longest value has more characters than this holds prose."""


def text_columns(frame: pd.DataFrame) -> list[int]:
    """Positions of the columns after the first that hold prose (long text), which may wrap.

    Numbers and short labels stay on one line (``white-space: nowrap`` in the book's CSS); prose
    cells get the class ``trustexp-text`` so that they wrap and a table of sentences fits the
    column instead of running to thousands of pixels.
    """
    out = []
    for i in range(frame.shape[1]):
        values = frame.iloc[:, i]
        if i == 0 or pd.api.types.is_numeric_dtype(values):
            continue
        lengths = values.dropna().astype(str).str.len()
        if len(lengths) and int(lengths.max()) > TEXT_CELL_CHARS:
            out.append(i)
    return out


def mark_text_columns(html: str, positions: list[int]) -> str:
    """Add ``class="trustexp-text"`` to the header and body cells at ``positions`` of a
    ``DataFrame.to_html`` table (pandas offers no per-column cell class, hence by hand)."""
    if not positions:
        return html
    wanted = set(positions)

    def row(m: re.Match) -> str:
        index = -1

        def cell(c: re.Match) -> str:
            nonlocal index
            index += 1
            if index not in wanted:
                return c.group(0)
            return f'<{c.group(1)} class="trustexp-text"{c.group(2)}>'

        return re.sub(r"<(td|th)((?:\s[^>]*)?)>", cell, m.group(0))

    return re.sub(r"<tr[^>]*>.*?</tr>", row, html, flags=re.S)


DUTCH_CHAPTERS = ("samenvatting", "conclusies")
"""Chapters written in Dutch: their source texts and seed note are glued in Dutch."""


def open(key: str, params_file: str | Path, root: str | Path = ".") -> Chapter:  # noqa: A001
    """Open a chapter: validate the parameter set, enable the chart theme, give access to data."""
    enable_theme()
    pd.set_option("display.precision", 3)
    # the pipeline records which parameters the chapter reads (trustexp.params_reads)
    params = tracked_from_env(load_params(Path(root) / params_file))
    ch = Chapter(key=key, params=params, root=Path(root))
    lang = "nl" if key in DUTCH_CHAPTERS else "en"
    texts = source_texts(ch.synthetic, lang)
    ch.glue_all(texts)
    set_data_note(texts["chart_note"])
    ch.glue("seed_note", seed_note(ch.params, lang))
    return ch


def seed_note(params: Params, lang: str = "en") -> str:
    """A sentence on where the numbers come from and how the synthetic cohort's seed was chosen."""
    nl = lang == "nl"
    if params.data.source != "synthetic":
        return ("De getallen komen uit de eigen bestanden van de gemeente." if nl
                else "The numbers come from the municipality's own files.")  # fmt: skip
    if params.seed == SEED_SEARCH["chosen"]:
        if nl:
            return (f"Deze synthetische gegevens komen van één seed van de generator, {params.seed}, "
                    f"gekozen uit de seeds {SEED_SEARCH['first']} tot {SEED_SEARCH['last']} omdat het "
                    "cohort in de gepubliceerde band valt; hoeveel seeds dat doen staat bij Kalibratie "
                    "(Methods), waar de schattingen tussen duizend andere cohorten liggen bij Robuustheid.")  # fmt: skip
        return (
            f"These synthetic data come from one seed of the generator, {params.seed}, chosen among "
            f"the seeds {SEED_SEARCH['first']} to {SEED_SEARCH['last']} because its cohort lands in "
            "the published band; how many of those seeds land there is on the Calibration page, and "
            "where this cohort's estimates sit among a thousand others in the robustness chapter."
        )
    if nl:
        return (f"Deze synthetische gegevens komen van de seed {params.seed}, niet gekozen op waar het "
                "cohort uitkomt (Methods, Kalibratie).")  # fmt: skip
    return (
        f"These synthetic data come from the seed {params.seed}, not chosen for where its cohort "
        "lands (Methods, Calibration)."
    )


def source_texts(synthetic: bool, lang: str = "en") -> dict[str, str]:
    """Glue texts every chapter may use to say where its numbers come from.

    ``these_data`` (``these synthetic data`` / ``these data``; Dutch ``deze synthetische
    gegevens`` / ``deze gegevens``), ``These_data`` (capitalised) and ``data_note`` (`` (synthetic
    data)`` / empty), and ``chart_note`` (``Synthetic data`` / empty, the end of every chart's
    subtitle), so that a build on real files carries no synthetic wording.
    """
    if lang == "nl":
        these = "deze synthetische gegevens" if synthetic else "deze gegevens"
        note = " (synthetische gegevens)" if synthetic else ""
    else:
        these = "these synthetic data" if synthetic else "these data"
        note = " (synthetic data)" if synthetic else ""
    chart_note = note.strip(" ()").capitalize()
    return {
        "these_data": these,
        "These_data": these[:1].upper() + these[1:],
        "data_note": note,
        "chart_note": chart_note,
    }
