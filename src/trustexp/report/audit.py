"""Audits of what the book shows: small counts, personal data and result numbers typed into prose.

The data are personal data of people on social assistance, and every result number in the prose
must be glued from the computation that made it. These functions read executed notebooks, the
results store and markdown, and return ``Finding``s that say where a problem is (notebook, cell,
output, column, row) and what was seen. The tests run them over the whole book; they are also
usable by hand on any executed notebook.

Everything here is written by hand because no library audits notebook outputs for statistical
disclosure or typed numbers; HTML is parsed with BeautifulSoup, code with ``ast``.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

# --------------------------------------------------------------------------- findings


@dataclass(frozen=True)
class Finding:
    """One problem: its kind, where it is and the text that shows it.

    ``kind`` is ``small_count``, ``person_id``, ``row_level`` or ``typed_number`` (with the rule
    after a colon, e.g. ``typed_number:percent``).
    """

    kind: str
    where: str
    text: str

    def __str__(self) -> str:
        return f"{self.where}: [{self.kind}] {self.text}"


# --------------------------------------------------------------------------- names and shapes

# Columns / chart fields that identify a person (or a consultant, also a person).
ID_NAMES = frozenset(
    """person_id client_id respondent_id rater_id consultant_id bsn burgerservicenummer
    first_name last_name surname full_name voornaam achternaam address adres street
    postcode postal_code zip zipcode date_of_birth birth_date geboortedatum email e_mail phone
    telephone telefoon iban""".split()
)
# Person-level attributes that single someone out in combination (quasi-identifiers).
QUASI_IDENTIFIERS = frozenset(
    """age sex gender household migration_background education benefit_months index_date
    lottery_date response_date birth_year nationality municipality_district neighbourhood""".split()
)
# Canonical person-level values (the codebook's tables): a list of them per person is microdata.
PERSON_VALUES = QUASI_IDENTIFIERS | frozenset(
    """wellbeing health mental_health self_reliance social_trust institutional_trust
    financial_strain deprived contacts ladder motivation amount_eur on_benefit exit_reason
    completed""".split()
)
_AGGREGATE = re.compile(
    r"(^|_)(n|count|counts|share|shares|pct|percent|percentage|mean|means|median|sd|se|std|"
    r"estimate|est|ci|ci_low|ci_high|low|high|lower|upper|rate|rates|proportion|prop|total|sum|"
    r"avg|average|min|max|q1|q3|iqr|p|p_value|diff|difference|effect|survival|hazard|density|"
    r"frequency|freq|bin|bin_start|bin_end)(_|$)"
)
_COUNT_NAME = re.compile(
    r"^(n|n_.+|.+_n|count|counts|.+_count|count_.+|number|number_of_.+|people|persons|"
    r"respondents|responders|participants|non_participants|households|clients|cases|events|"
    r"exits|lost|lost_.+|censored|at_risk|n_at_risk|frequency|freq|allocated|analysed|"
    r"analyzed|randomised|randomized|assessed|excluded|(.+_)?respondents)$"
)
_GROUP_NAMES = frozenset(
    """eigen_regie intensief regulier non_participants participants all total
    self_direction_eigen_regie intensive_support regular_service_control all_participants""".split()
)


def normalise_name(name: Any) -> str:
    """A column or field name in lower snake case: ``"Eigen regie (n)"`` -> ``"eigen_regie_n"``."""
    text = re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower())
    return text.strip("_")


def is_count_name(name: Any) -> bool:
    """Whether a column/field name says it holds counts of people (``n``, ``n_wave2``, ``count``...)."""
    return bool(_COUNT_NAME.match(normalise_name(name)))


def is_aggregate_name(name: Any) -> bool:
    """Whether a column/field name says it holds a statistic over people (n, share, mean, CI...)."""
    return bool(_AGGREGATE.search(normalise_name(name)))


# --------------------------------------------------------------------------- person ids

_PID_PATTERNS = (
    re.compile(r"(?<![\w-])[A-Z]{1,2}\d{6,}(?![\w-])"),  # synthetic style P0000001, R1234567
    re.compile(r"\bNL\d{2}[A-Z]{4}\d{10}\b"),  # Dutch IBAN
    re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b"),  # e-mail address
)
_NINE_DIGITS = re.compile(r"(?<![\w.,])\d{9}(?![\w.,])")


def passes_elfproef(digits: str) -> bool:
    """Whether nine digits pass the Dutch citizen service number (BSN) eleven test."""
    if len(digits) != 9 or not digits.isdigit() or set(digits) == {"0"}:
        return False
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0


def looks_like_person_id(text: str) -> bool:
    """Whether ``text`` contains something shaped like a person's identifier.

    Recognised: the cohort's id style (one or two capitals and six or more digits, ``P0000123``),
    a nine-digit number passing the BSN eleven test, a Dutch IBAN, an e-mail address.

    >>> looks_like_person_id("P0000042"), looks_like_person_id("wave 2, n = 300")
    (True, False)
    """
    return bool(person_ids_in(text))


def person_ids_in(text: str) -> list[str]:
    """The person-id-shaped substrings of ``text`` (see ``looks_like_person_id``)."""
    found: list[str] = []
    for pattern in _PID_PATTERNS:
        found += pattern.findall(text)
    found += [m for m in _NINE_DIGITS.findall(text) if passes_elfproef(m)]
    return found


# --------------------------------------------------------------------------- small counts in text

_INT = r"\d{1,3}(?:,\d{3})+|\d+"
_N_EQUALS = re.compile(rf"\b[nN]\s*(?:=|:)\s*({_INT})(?![\d.,]*\d)")
_COUNT_NOUN = re.compile(
    rf"(?<![\w.,])({_INT})\s+(?:people|persons|participants|non-participants|respondents|"
    r"households|clients|cases|men|women|mensen|personen|deelnemers|respondenten)\b"
)


_K_OF_N = re.compile(rf"(?<![\w.,])({_INT})\s+(?:of|van|out of)\s+({_INT})(?![\d.,]*\d)")


def _as_int(text: str) -> int | None:
    text = text.replace(",", "")
    return int(text) if text.isdigit() else None


def small_counts_in_text(text: str, threshold: int) -> list[str]:
    """Counts of people below ``threshold`` (and above 0) that a text shows as numbers.

    Recognised: ``n = 7``, ``n: 7``, ``7 participants`` (people, respondents, households...) and
    ``7 of 120`` (a small part of a group of at least ``threshold``; "2 of 3 waves" is not).
    """
    hits: list[str] = []
    for m in _K_OF_N.finditer(text):
        part, whole = _as_int(m.group(1)), _as_int(m.group(2))
        if part is not None and whole is not None and 0 < part < threshold <= whole:
            hits.append(m.group(0))
    for pattern in (_N_EQUALS, _COUNT_NOUN):
        for m in pattern.finditer(text):
            value = _as_int(m.group(1))
            if value is not None and 0 < value < threshold:
                hits.append(m.group(0))
    return hits


def _count_value(value: Any) -> int | None:
    """An integer count from a cell (``7``, ``7.0``, ``"7"``, ``"1,234"``); None otherwise."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value == value and value.is_integer() else None
    if isinstance(value, str):
        return _as_int(value.strip())
    return None


# --------------------------------------------------------------------------- tables and charts


@dataclass
class Table:
    """A table seen in an output: column names and rows of cell values (strings or numbers)."""

    columns: list[str]
    rows: list[list[Any]]
    what: str = "table"

    def column(self, i: int) -> list[Any]:
        return [r[i] if i < len(r) else None for r in self.rows]


def html_tables(html: str) -> list[Table]:
    """The tables of an HTML output, headers from the last header row (cells as text)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    tables: list[Table] = []
    for tab in soup.find_all("table"):
        header_rows = tab.find("thead").find_all("tr") if tab.find("thead") else []
        body = tab.find("tbody") or tab
        rows = [
            [c.get_text(" ", strip=True) for c in tr.find_all(["td", "th"])]
            for tr in body.find_all("tr")
            if tr.find_parent("thead") is None
        ]
        if header_rows:
            columns = [c.get_text(" ", strip=True) for c in header_rows[-1].find_all(["th", "td"])]
        elif rows:
            columns, rows = rows[0], rows[1:]
        else:
            columns = []
        # pandas writes an empty <th> per index level in body rows: align from the right.
        width = max([len(columns)] + [len(r) for r in rows])
        columns = [""] * (width - len(columns)) + columns
        rows = [[""] * (width - len(r)) + r for r in rows]
        tables.append(Table(columns, rows))
    return tables


def chart_specs(html: str) -> list[dict[str, Any]]:
    """Vega-Lite specs embedded in an HTML output (``vegaEmbed(el, {...})`` or ``var spec = {...}``)."""
    decoder = json.JSONDecoder()
    specs: list[dict[str, Any]] = []
    for m in re.finditer(r"vegaEmbed\(\s*[^,]+,\s*|var\s+spec\s*=\s*", html):
        start = html.find("{", m.end())
        if start < 0 or start - m.end() > 5:
            continue
        try:
            spec, _ = decoder.raw_decode(html.replace("<\\/", "</"), start)
        except ValueError:
            continue
        if isinstance(spec, dict):
            specs.append(spec)
    return specs


def chart_datasets(spec: Any, path: str = "spec") -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Every inline dataset of a Vega-Lite spec (``datasets`` and ``data.values``, nested too)."""
    if isinstance(spec, dict):
        for name, values in (spec.get("datasets") or {}).items():
            if isinstance(values, list):
                yield f"dataset {name}", [v for v in values if isinstance(v, dict)]
        data = spec.get("data")
        if isinstance(data, dict) and isinstance(data.get("values"), list):
            yield f"{path}.data", [v for v in data["values"] if isinstance(v, dict)]
        for key, value in spec.items():
            if key not in ("datasets", "data"):
                yield from chart_datasets(value, f"{path}.{key}")
    elif isinstance(spec, list):
        for i, value in enumerate(spec):
            yield from chart_datasets(value, f"{path}[{i}]")


def records_table(records: list[dict[str, Any]], what: str) -> Table:
    """Chart records as a ``Table`` (fields in first-seen order)."""
    columns: list[str] = []
    for rec in records:
        columns += [k for k in rec if k not in columns]
    return Table(columns, [[rec.get(c) for c in columns] for rec in records], what)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)


# --------------------------------------------------------------------------- table checks


def table_small_counts(table: Table, threshold: int, where: str) -> list[Finding]:
    """Cells of count columns (by name, or group columns of whole numbers) in ``1..threshold-1``."""
    findings: list[Finding] = []
    for i, name in enumerate(table.columns):
        values = table.column(i)
        counts = [_count_value(v) for v in values]
        present = [(v, c) for v, c in zip(values, counts, strict=True) if v not in (None, "")]
        whole = bool(present) and all(c is not None for _, c in present)
        if not (is_count_name(name) or (normalise_name(name) in _GROUP_NAMES and whole)):
            continue
        for row, c in enumerate(counts):
            if c is not None and 0 < c < threshold:
                findings.append(
                    Finding(
                        "small_count",
                        f"{where} {table.what} column {name!r} row {row + 1}",
                        f"count {c} is below the disclosure threshold {threshold}",
                    )
                )
    return findings


def table_personal_data(table: Table, where: str, row_limit: int = 50) -> list[Finding]:
    """Identifier columns, id-shaped values, and row-level records (microdata) in a table."""
    findings: list[Finding] = []
    names = [normalise_name(c) for c in table.columns]
    ids = [c for c, n in zip(table.columns, names, strict=True) if n in ID_NAMES]
    if ids:
        findings.append(
            Finding("person_id", f"{where} {table.what}", f"identifier column(s) {ids}")
        )
    for row, values in enumerate(table.rows):
        for v in values:
            if isinstance(v, str) and (hits := person_ids_in(v)):
                findings.append(
                    Finding(
                        "person_id", f"{where} {table.what} row {row + 1}", f"id-like {hits[0]!r}"
                    )
                )
                break
        if len(findings) > 5:
            break
    aggregate = any(is_aggregate_name(c) or is_count_name(c) for c in table.columns)
    quasi = sorted(set(names) & QUASI_IDENTIFIERS)
    person = sorted(set(names) & PERSON_VALUES)
    if not aggregate and table.rows:
        if len(quasi) >= 2:
            findings.append(
                Finding(
                    "row_level",
                    f"{where} {table.what}",
                    f"{len(table.rows)} row(s) combining person attributes {quasi} "
                    "with no count or statistic column",
                )
            )
        elif person and len(table.rows) >= row_limit:
            findings.append(
                Finding(
                    "row_level",
                    f"{where} {table.what}",
                    f"{len(table.rows)} rows of person-level values {person} "
                    "with no count or statistic column (microdata)",
                )
            )
    return findings


# --------------------------------------------------------------------------- notebooks


def _first_line(source: str) -> str:
    line = next((ln.strip() for ln in source.splitlines() if ln.strip()), "")
    return line if len(line) <= 60 else line[:57] + "..."


def _source(cell: Any) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def notebook_outputs(nb: Any, name: str = "notebook") -> Iterator[tuple[str, str, Any]]:
    """``(where, mime, value)`` for every output of every code cell (images skipped).

    Stream outputs have mime ``stream``; ``where`` names the notebook, the cell (1-based over all
    cells) with its first source line, and the output.
    """
    for index, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        head = f"{name} cell {index} ({_first_line(_source(cell))})"
        for k, out in enumerate(cell.get("outputs", []), start=1):
            where = f"{head} output {k}"
            kind = out.get("output_type")
            if kind == "stream":
                text = out.get("text", "")
                yield where, "stream", "".join(text) if isinstance(text, list) else text
            elif kind == "error":
                yield where, "error", "\n".join(out.get("traceback", []))
            else:
                for mime, value in (out.get("data") or {}).items():
                    if mime.startswith("image/") and mime != "image/svg+xml":
                        continue
                    if isinstance(value, list) and all(isinstance(v, str) for v in value):
                        value = "".join(value)
                    yield where, mime, value


def _texts_of_html(html: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    return soup.get_text(" ", strip=True)


def _output_tables(mime: str, value: Any) -> Iterator[tuple[Table, list[str]]]:
    """Tables (HTML tables and chart datasets) and free texts of one output."""
    if mime == "text/html" and isinstance(value, str):
        for table in html_tables(value):
            yield table, []
        for j, spec in enumerate(chart_specs(value), start=1):
            for label, records in chart_datasets(spec):
                yield records_table(records, f"chart {j} {label}"), list(_strings(records))
            yield Table([], [], f"chart {j}"), list(_strings(spec.get("title", "")))
        yield Table([], [], "html text"), [_texts_of_html(value)]
    elif "vegalite" in mime and isinstance(value, dict):
        for label, records in chart_datasets(value):
            yield records_table(records, f"chart {label}"), list(_strings(records))
    elif isinstance(value, str):
        yield Table([], [], mime), [value]
    else:
        yield Table([], [], mime), list(_strings(value))


def scan_notebook_for_small_counts(
    nb: Any, threshold: int, name: str = "notebook"
) -> list[Finding]:
    """Counts of people in ``1..threshold-1`` shown anywhere in an executed notebook's outputs.

    Looks at HTML tables (count columns by name: ``n``, ``count``, ``n_...``, ``respondents``...;
    columns named after a group when all their cells are whole numbers), the data embedded in
    charts (count fields by name), and texts (``n = 7``, ``7 participants``), glued values included.
    ``"< 10"`` and ``0`` are not findings.
    """
    findings: list[Finding] = []
    for where, mime, value in notebook_outputs(nb, name):
        if mime == "error":
            continue
        for table, texts in _output_tables(mime, value):
            findings += table_small_counts(table, threshold, where)
            for text in texts:
                findings += [
                    Finding(
                        "small_count",
                        f"{where} {table.what}",
                        f"{hit!r} is below the disclosure threshold {threshold}",
                    )
                    for hit in small_counts_in_text(text, threshold)
                ]
    return _unique(findings)


_ID_HEADER = re.compile(r"(?<![\w])(" + "|".join(sorted(ID_NAMES)) + r")(?![\w])", re.I)


def scan_notebook_for_personal_data(
    nb: Any, name: str = "notebook", row_limit: int = 50
) -> list[Finding]:
    """Person ids, identifier columns and row-level records in an executed notebook's outputs.

    Identifier columns (``person_id``, ``consultant_id``, ``bsn``...) in HTML tables, chart data or
    printed DataFrames; id-shaped values (``looks_like_person_id``) anywhere; row-level records:
    rows combining two or more person attributes (age, sex, household...) without a count or
    statistic column, or at least ``row_limit`` rows of person-level values (a chart drawn from
    raw rows embeds every person's value in the page).
    """
    findings: list[Finding] = []
    for where, mime, value in notebook_outputs(nb, name):
        for table, texts in _output_tables(mime, value):
            if table.columns:
                findings += table_personal_data(table, where, row_limit)
            for text in texts:
                if hits := person_ids_in(text):
                    findings.append(
                        Finding("person_id", f"{where} {table.what}", f"id-like {hits[0]!r}")
                    )
                if mime in ("text/plain", "stream") and (m := _ID_HEADER.search(text)):
                    findings.append(
                        Finding(
                            "person_id",
                            f"{where} {table.what}",
                            f"identifier column {m.group(1)!r} printed",
                        )
                    )
    return _unique(findings)


def scan_store(frame: pd.DataFrame, threshold: int, name: str = "store") -> list[Finding]:
    """Results-store rows whose ``n`` is in ``1..threshold-1``, id columns and id-like values."""
    findings: list[Finding] = []
    cols = [normalise_name(c) for c in frame.columns]
    ids = [c for c, n in zip(frame.columns, cols, strict=True) if n in ID_NAMES]
    if ids:
        findings.append(Finding("person_id", name, f"identifier column(s) {ids}"))
    if "n" in frame.columns:
        n = pd.to_numeric(frame["n"], errors="coerce")
        for i in frame.index[(n > 0) & (n < threshold)]:
            row = frame.loc[i]
            label = ", ".join(
                f"{c}={row[c]}" for c in ("chapter", "outcome", "contrast", "method") if c in row
            )
            findings.append(
                Finding(
                    "small_count",
                    f"{name} row {i}",
                    f"n = {int(n[i])} is below the disclosure threshold {threshold} ({label})",
                )
            )
    for col in frame.columns:
        if frame[col].dtype == object or str(frame[col].dtype) in ("string", "category"):
            for value in frame[col].dropna().astype(str).unique():
                if hits := person_ids_in(value):
                    findings.append(
                        Finding("person_id", f"{name} column {col!r}", f"id-like {hits[0]!r}")
                    )
    return findings


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


# --------------------------------------------------------------------------- typed numbers


@dataclass(frozen=True)
class TypedNumber:
    """A result-shaped number typed into prose: the rule it broke, the text and its line (1-based)."""

    kind: str
    text: str
    line: int


# A cell or page may declare method constants it types on purpose, e.g. a convention such as
# ``<!-- not-a-result: 0.1; 1.96 -->``: those exact texts are then not findings there.
_NOT_A_RESULT = re.compile(r"<!--\s*not-a-result:\s*(.*?)-->", re.S)
_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
_CODE_INFO = re.compile(
    r"^\s*(\{(code|code-block|code-cell|math|glue|glue:\w+|bibliography)\}.*)?$|^\s*\w+\s*$"
)
_IGNORED_SPANS = (
    re.compile(r"<!--.*?-->", re.S),  # HTML comments
    re.compile(r"\$\$.+?\$\$", re.S),  # display math
    re.compile(r"(?<![\\\w])\$[^$\n]+\$"),  # inline math
    re.compile(r"\{[\w:.-]+\}`[^`]*`"),  # roles: {glue:text}`key`, {cite}`a,b`, {doc}`x`
    re.compile(r"\{\{[^}]*\}\}"),  # substitutions
    re.compile(r"(`+)[^`]*?\1"),  # inline code
    re.compile(r"\]\([^)]*\)"),  # link targets (the link text stays)
    re.compile(r"<https?://[^>]*>|https?://\S+"),  # URLs
    re.compile(r"<[^>\n]+>"),  # HTML tags
    re.compile(r"^\s*:[\w-]+:.*$", re.M),  # directive options (:class: tip)
    re.compile(r"^\s*:{3,}.*$", re.M),  # colon-fence lines (:::{admonition} Title)
    re.compile(r"^\s*#{1,6}\s+[\d.]+\s", re.M),  # heading numbers
    re.compile(r"^\s*(?:[-*+]\s+)?\d+[.)]\s", re.M),  # list numbering
    re.compile(r"\b\d{4}-\d{2}(?:-\d{2})?\b"),  # ISO dates and months
    re.compile(r"\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b"),  # d-m-y dates
    re.compile(r"\bv?\d+(?:\.\d+){2,}\b"),  # version numbers 6.4.1
    re.compile(
        r"(?i)\b(?:version|v|python|pandas|numpy|altair|vega(?:-lite)?|sphinx)\s+\d+(?:\.\d+)*"
    ),
    re.compile(
        r"(?i)\b(?:chapters?|sections?|§|waves?|figures?|fig\.|tables?|appendix|equations?|"
        r"eq\.|steps?|rungs?|items?|questions?|hoofdstuk(?:ken)?|paragraaf|golf|meting|"
        r"arm|part|deel)\s+\d+(?:\.\d+)*(?:\s*(?:and|to|en|tot|–|-|,)\s*\d+(?:\.\d+)*)*"
    ),
    re.compile(
        r"(?i)\b(?:90|95|99)\s?%\s?-?\s?(?:confidence|cis?\b|credible|intervals?\b|"
        r"betrouwbaarheid\w*|bi\b)"
    ),
)
_NUM = r"[-−+]?\d+(?:[.,]\d+)?"
_TYPED_RULES = (
    ("p_value", re.compile(r"(?i)\bp(?:[- ]?value)?\s*(?:=|<|>|≤|≥|&lt;|&gt;)\s*0?[.,]\d+")),
    (
        "ci",
        re.compile(
            rf"\[\s*{_NUM}\s*%?\s*[,;]\s*{_NUM}\s*%?\s*\]|(?i:\bCI\b)\s*:?\s*{_NUM}\s*%?\s*(?:to|–|—|-)\s*{_NUM}"
        ),
    ),
    (
        "percentage_points",
        re.compile(
            rf"(?i){_NUM}\s*(?:pp\b|p\.p\.|percentage[- ]points?\b|procentpunt(?:en)?\b|%[- ]?points?\b)"
        ),
    ),
    ("percent", re.compile(rf"(?i){_NUM}\s*(?:%|percent\b|per cent\b|procent\b)")),
    (
        "effect_size",
        re.compile(
            rf"(?i)(?:\b(?:cohen'?s\s+)?(?<![\w'])[dgr]\b|\bOR\b|\bHR\b|\bRR\b|β|\bbeta\b|η²|\beta\b|"
            rf"R²|\bodds ratio\b|\bhazard ratio\b|\beffect size\b)\s*(?:=|:|of|was|is|≈)\s*{_NUM}"
        ),
    ),
    ("n_equals", re.compile(r"\b[nN]\s*=\s*\d[\d,.]*")),
    ("count_with_separator", re.compile(r"(?<![\w.,])\d{1,3}(?:,\d{3})+(?![\w.,]*\d)")),
    ("decimal", re.compile(r"(?<![\w.,])[-−+]?\d+[.,]\d+(?![\w]|[.,]\d)")),
)


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    """Replace every match by spaces (newlines kept) so line numbers stay right."""
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def _strip_code_fences(text: str) -> str:
    """Blank the content of code fences (```python, ```{code-cell}, ```{math}); keep directives'."""
    out: list[str] = []
    fence: str | None = None
    blank = False
    for line in text.split("\n"):
        m = _FENCE.match(line)
        if fence is None and m:
            fence, blank = m.group(2), bool(_CODE_INFO.match(m.group(3)))
            out.append("")
            continue
        if (
            fence is not None
            and m
            and m.group(2).startswith(fence[0] * len(fence))
            and not m.group(3).strip()
        ):
            fence = None
            out.append("")
            continue
        out.append("" if fence is not None and blank else line)
    return "\n".join(out)


def typed_numbers_in_markdown(text: str) -> list[TypedNumber]:
    """Result numbers typed into markdown instead of glued.

    Strict about what a result looks like: percentages (``12.3%``), percentage points (``9 pp``),
    p-values (``p = 0.03``), confidence intervals (``[1.2, 3.4]``, ``CI 1.2 to 3.4``), effect
    sizes (``d = 0.4``, ``odds ratio of 1.8``), ``n = 300``, counts with thousands separators
    (``2,200``) and any decimal number (``0.42``, Dutch ``0,42``). Ignored: glue roles and every
    other ``{role}`...```, citations, code spans and code fences, math, URLs and link targets, HTML
    tags and comments, dates and years, version numbers, chapter/section/wave/table/figure numbers,
    list and heading numbering, "95 % confidence interval", and plain whole numbers ("three arms",
    "24 months", "2017"). A method constant typed on purpose is declared in the same cell or page
    with ``<!-- not-a-result: 0.1; 1.96 -->`` (exact texts, ``;``-separated) and then not reported.

    >>> [t.kind for t in typed_numbers_in_markdown("Outflow rose by 9.0 pp ({glue:text}`x`).")]
    ['percentage_points']
    """
    allowed = {
        item.strip()
        for m in _NOT_A_RESULT.finditer(text)
        for item in m.group(1).split(";")
        if item.strip()
    }
    clean = _strip_code_fences(text)
    for pattern in _IGNORED_SPANS:
        clean = _blank(clean, pattern)
    found: list[TypedNumber] = []
    for kind, pattern in _TYPED_RULES:
        for m in pattern.finditer(clean):
            if m.group(0).strip() not in allowed:
                found.append(
                    TypedNumber(kind, m.group(0).strip(), clean.count("\n", 0, m.start()) + 1)
                )
        clean = _blank(clean, pattern)  # one finding per number: the most specific rule wins
    return sorted(found, key=lambda t: t.line)


def _prose_strings(source: str) -> Iterator[tuple[int, str]]:
    """``(line, text)`` of string literals in code that read like prose (two words or more).

    f-string format specs (``{x:.1f}``) and short tokens such as ``".1%"`` are skipped.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    specs: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            specs |= {id(n) for n in ast.walk(node.format_spec)}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in specs
            and re.search(r"[A-Za-z]{2,}\s+\S", node.value)
        ):
            yield node.lineno, node.value


def typed_numbers_in_notebook(nb: Any, name: str = "notebook", code: bool = True) -> list[Finding]:
    """Typed result numbers in a notebook's markdown cells and (``code``) prose strings of its code.

    Papermill's injected-parameters cell is skipped.
    """
    findings: list[Finding] = []
    for index, cell in enumerate(nb.get("cells", []), start=1):
        source = _source(cell)
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("cell_type") == "markdown":
            for t in typed_numbers_in_markdown(source):
                line = source.split("\n")[t.line - 1].strip()
                findings.append(
                    Finding(
                        f"typed_number:{t.kind}",
                        f"{name} cell {index} (markdown) line {t.line}",
                        f"{t.text!r} in: {line[:120]}",
                    )
                )
        elif code and cell.get("cell_type") == "code" and "injected-parameters" not in tags:
            for lineno, text in _prose_strings(source):
                for t in typed_numbers_in_markdown(text):
                    findings.append(
                        Finding(
                            f"typed_number:{t.kind}",
                            f"{name} cell {index} (code) line {lineno}",
                            f"{t.text!r} in string {text[:100]!r}",
                        )
                    )
    return findings


def typed_numbers_in_page(text: str, name: str = "page") -> list[Finding]:
    """Typed result numbers in a hand-written MyST markdown page (``book/*.md``)."""
    lines = text.split("\n")
    return [
        Finding(
            f"typed_number:{t.kind}",
            f"{name} line {t.line}",
            f"{t.text!r} in: {lines[t.line - 1].strip()[:120]}",
        )
        for t in typed_numbers_in_markdown(text)
    ]


# --------------------------------------------------------------------------- typed verdicts

# A cell or page that states a direction or verdict on purpose (a definition, a published finding
# quoted from its source, a design fact) declares the exact words and why:
# ``<!-- not-a-verdict: too imprecise; no difference — the verdict words explained -->``.
_NOT_A_VERDICT = re.compile(r"<!--\s*not-a-verdict:\s*(.+?)-->", re.S)
VERDICT_WORDS = re.compile(
    r"(?i)\b(?:"
    # English: directions of a comparison or a change, and verdicts
    r"more often|less often|(?:higher|lower|better|worse|larger|smaller) than|"
    r"rose|fell|increased|decreased|improved|worsened|grew|shrank|raised|lowered|"
    r"(?:did|fared|performed) (?:about |roughly )?(?:equally|as) well|equally well|did better|did worse|"
    r"no (?:clear |real |meaningful )?(?:difference|effect)|clear(?:ly)? (?:gain|loss|higher|lower|better|worse|different)|"
    r"too imprecise|equivalent|(?:not |in)?significant(?:ly)?|outperform\w*|"
    r"the pattern the report describes|calibrated to land|lands? near|"
    # Dutch
    r"vaker|minder vaak|(?:hoger|lager|beter|slechter) dan|steeg|daalde|verbeterde|verslechterde|"
    r"groeide|geen (?:duidelijk |echt )?(?:verschil|effect)|even goed|duidelijk (?:hoger|lager|beter|slechter)|"
    r"te onzeker|gelijkwaardig|significant"
    r")\b"
)
"""Words that state a direction or a verdict: in reader prose they must come from glued text
(``trustexp.verdicts`` and the chapter modules), never be typed."""


@dataclass(frozen=True)
class TypedVerdict:
    """A direction or verdict typed into prose: the words and their line (1-based)."""

    text: str
    line: int


def typed_verdicts_in_markdown(text: str) -> list[TypedVerdict]:
    """Direction and verdict words (``VERDICT_WORDS``) typed into markdown instead of glued.

    Ignored like ``typed_numbers_in_markdown``: glue roles and other roles, code, math, comments,
    links, tags. Words declared in the same cell or page with ``<!-- not-a-verdict: words; more
    words — reason -->`` (exact words, ``;``-separated, case-insensitive, then a dash and why they
    are not a judgement of these data) are not reported there.

    >>> [t.text for t in typed_verdicts_in_markdown("The three groups did about equally well.")]
    ['did about equally well']
    >>> typed_verdicts_in_markdown("Self-direction was {glue:text}`verdict_er`.")
    []
    """
    allowed = {
        item.strip().lower()
        for m in _NOT_A_VERDICT.finditer(text)
        for item in re.split(r"\s+[—–]\s+|\s+--\s+", m.group(1), maxsplit=1)[0].split(";")
        if item.strip()
    }
    clean = _strip_code_fences(text)
    for pattern in _IGNORED_SPANS:
        clean = _blank(clean, pattern)
    return [
        TypedVerdict(m.group(0), clean.count("\n", 0, m.start()) + 1)
        for m in VERDICT_WORDS.finditer(clean)
        if m.group(0).lower() not in allowed
    ]


def typed_verdicts_in_notebook(nb: Any, name: str = "notebook") -> list[Finding]:
    """Typed direction and verdict words in a notebook's markdown cells."""
    findings: list[Finding] = []
    for index, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "markdown":
            continue
        source = _source(cell)
        for t in typed_verdicts_in_markdown(source):
            line = source.split("\n")[t.line - 1].strip()
            findings.append(Finding("typed_verdict", f"{name} cell {index} (markdown) line {t.line}",
                                    f"{t.text!r} in: {line[:120]}"))  # fmt: skip
    return findings


def typed_verdicts_in_page(text: str, name: str = "page") -> list[Finding]:
    """Typed direction and verdict words in a hand-written MyST page (``book/*.md``)."""
    lines = text.split("\n")
    return [
        Finding(
            "typed_verdict",
            f"{name} line {t.line}",
            f"{t.text!r} in: {lines[t.line - 1].strip()[:120]}",
        )
        for t in typed_verdicts_in_markdown(text)
    ]
