"""What a reader of the HTML book gets on every page besides the text.

- The page language: ``<html lang>`` from the page's metadata (front matter ``language: nl`` or
  the notebook's top-level metadata ``"language": "nl"``), else from ``trustexp_page_languages``
  in _config.yml (page name to language), else the book's ``language``.
- Where the numbers come from: a banner at the top of every page (the theme's announcement bar),
  in the page's language, from ``generated/banner.json`` that ``trustexp build`` writes for the
  parameter set's data source (synthetic cohort or the real files).
- Citation metadata: ``citation_*`` meta tags (title, book title, authors, date, language, PDF)
  read from the project's ``CITATION.cff``, so the book and the repository cite the same way.
- Download buttons: the executed notebook of a chapter (.ipynb, Jupyter Book's own button) and
  the whole book as one PDF instead of the browser's "print this page".
- Wide tables made deliberately scrollable: each table of ``Chapter.table`` (class
  ``trustexp-table``) is wrapped in a scroll region that fits the text column, can be reached
  and scrolled with the keyboard (``tabindex="0"``) and is named after the table's caption
  (``role="region"``); the CSS keeps its first column in view while it scrolls.
- Numbered figures and tables: each chart and table a chapter marks (``trustexp.numbering.mark``)
  becomes a Sphinx
  enumerable node of its kind, so Sphinx numbers it per chapter and ``{numref}`name``` in the
  text resolves to it (an unknown name fails the build). Its caption carries the number in the
  page's language: "Figure 4.2" / "Table 4.1", "Figuur" / "Tabel" on Dutch pages.
- Two accessibility repairs of the theme's HTML that axe-core reports as serious or critical:
  the sidebar's expand/collapse toggles get an accessible name (``summary-name``), and the
  References list marks its entries as list items (``aria-required-children``; docutils uses
  the deprecated ``doc-biblioentry`` role).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from docutils import nodes
from sphinx.transforms import SphinxTransform

from trustexp import numbering

if TYPE_CHECKING:
    from sphinx.application import Sphinx

PDF_NAME = "trustexp-book.pdf"  # trustexp.report.pdf.PDF_NAME (the build writes it there)
TOGGLE_NAME = "Show or hide the sections of this chapter"
_BARE_SUMMARY = re.compile(r'<summary>(?=\s*<span class="toctree-toggle")')


_TABLE = re.compile(r'<table\b[^>]*class="[^"]*\btrustexp-table\b[^"]*"[^>]*>.*?</table>', re.S)
_CAPTION = re.compile(r"<caption>(.*?)</caption>", re.S)


def wrap_tables(markup: str) -> str:
    """Wrap each ``trustexp-table`` in a named, keyboard-scrollable region (once)."""

    def wrap(m: re.Match) -> str:
        caption = _CAPTION.search(m.group(0))
        text = html.unescape(re.sub(r"<[^>]+>", "", caption.group(1))).strip() if caption else ""
        label = html.escape(text or "Table", quote=True)
        return (
            f'<div class="trustexp-table-wrap" role="region" tabindex="0" aria-label="{label}">'
            f"{m.group(0)}</div>"
        )

    if "trustexp-table-wrap" in markup:
        return markup
    return _TABLE.sub(wrap, markup)


class ScrollableTables(SphinxTransform):
    """Apply ``wrap_tables`` to the HTML outputs of the chapters."""

    default_priority = 800

    def apply(self, **kwargs) -> None:
        for raw in self.document.findall(nodes.raw):
            if "html" in raw.get("format", "").split() and "trustexp-table" in raw.astext():
                wrapped = wrap_tables(raw.astext())
                raw.replace(raw.children[0], nodes.Text(wrapped))


PREFIXES = {
    "en": {"figure": "Figure", "table": "Table"},
    "nl": {"figure": "Figuur", "table": "Tabel"},
}


class numbered_figure(nodes.General, nodes.Element):  # noqa: N801 - docutils node names
    """A chart the text refers to by number."""


class numbered_table(nodes.General, nodes.Element):  # noqa: N801
    """A table the text refers to by number."""


NODES = {"figure": numbered_figure, "table": numbered_table}


class NumberedOutputs(SphinxTransform):
    """Turn marked chart and table outputs into enumerable nodes with a label.

    Runs after ``ScrollableTables`` (800) and before Sphinx collects labels (850).
    """

    default_priority = 820

    def apply(self, **kwargs) -> None:
        for raw in list(self.document.findall(nodes.raw)):
            if "html" not in raw.get("format", "").split():
                continue
            m = numbering.MARK.match(raw.astext())
            if not m:
                continue
            node = NODES[m["kind"]]()
            node["caption"] = html.unescape(m["caption"])
            node["names"].append(m["name"])
            node += nodes.raw("", m["inner"], format="html")
            raw.replace_self(node)
            self.document.note_explicit_target(node, node)


def _caption(node: nodes.Element) -> str:
    return node["caption"]


def _number(self, node: nodes.Element, kind: str) -> str:
    """'Figure 4.2' (in the page's language) or '' when Sphinx gave the node no number."""
    key = f"{self.docnames[-1]}/{kind}" if self.builder.name == "singlehtml" else kind
    numbers = self.builder.fignumbers.get(key, {}).get(node["ids"][0] if node["ids"] else "")
    if not numbers:
        return ""
    language = page_language(self.builder.app, self.docnames[-1])
    prefix = PREFIXES.get(language, PREFIXES["en"])[kind]
    return f"{prefix} {'.'.join(map(str, numbers))}"


def visit_numbered_figure(self, node: nodes.Element) -> None:
    number = _number(self, node, "figure")
    label = f'<span class="caption-number">{html.escape(number)}:</span> ' if number else ""
    self.body.append(self.starttag(node, "figure", "", CLASS="trustexp-figure"))
    self.body.append(node[0].astext())
    self.body.append(
        f'<figcaption>{label}<span class="caption-text">{html.escape(node["caption"])}</span>'
        "</figcaption></figure>\n"
    )
    raise nodes.SkipNode


def table_caption(inner: str, number: str, anchor: str) -> str:
    """A table's caption moved above its scroll region, numbered, so that it wraps in the text
    column however wide the table is (a ``<caption>`` is as wide as its table); the table is
    named by it (``aria-labelledby``)."""
    m = _CAPTION.search(inner)
    if not m:
        return inner
    shown = f'<span class="caption-number">{html.escape(number)}:</span> ' if number else ""
    ident = f"{anchor}-caption"
    visible = f'<p class="trustexp-table-caption" id="{ident}">{shown}{m[1]}</p>\n'
    table = inner[: m.start()] + inner[m.end() :]
    table = re.sub(r"<table\b", f'<table aria-labelledby="{ident}"', table, count=1)
    return visible + table


def visit_numbered_table(self, node: nodes.Element) -> None:
    self.body.append(self.starttag(node, "div", "", CLASS="trustexp-numbered-table"))
    inner = table_caption(node[0].astext(), _number(self, node, "table"), node["ids"][0])
    self.body.append(inner + "</div>\n")
    raise nodes.SkipNode


def citation_file(srcdir: Path, configured: str = "") -> Path | None:
    """``CITATION.cff``: the configured path, else the first one in or above the book folder,
    else the project's (two folders above this extension, which lives in ``book/_ext``)."""
    if configured:
        path = Path(configured)
        return path if path.is_file() else None
    for folder in [*[srcdir, *srcdir.parents][:6], Path(__file__).resolve().parents[2]]:
        if (folder / "CITATION.cff").is_file():
            return folder / "CITATION.cff"
    return None


def citation_meta(
    cff: dict, title: str, book_title: str, language: str, pdf_url: str, year: str = ""
) -> list[str]:
    """The ``citation_*`` meta tags (Highwire Press names) of one page.

    The date is the ``date-released`` of the citation file, else ``year`` (the book's copyright).
    """
    tags = [("citation_title", title)]
    if title != book_title:
        tags.append(("citation_inbook_title", book_title))
    for author in cff.get("authors", []):
        name = author.get("name") or " ".join(
            p for p in (author.get("given-names"), author.get("family-names")) if p
        )
        if name:
            tags.append(("citation_author", name))
    date = str(cff.get("date-released") or year or "")
    if date:
        tags.append(("citation_publication_date", date.replace("-", "/")))
    tags.append(("citation_language", language))
    tags.append(("citation_pdf_url", pdf_url))
    return [
        f'<meta name="{name}" content="{html.escape(str(value), quote=True)}" />'
        for name, value in tags
    ]


def page_language(app: Sphinx, pagename: str) -> str:
    """The language of a page: its metadata, the configured map, or the book's language."""
    meta = app.env.metadata.get(pagename, {}) if app.env else {}
    return str(
        meta.get("language")
        or app.config.trustexp_page_languages.get(pagename)
        or app.config.language
        or "en"
    )


def _name_toggles(generate):
    """Wrap the theme's sidebar generator: its bare ``<summary>`` toggles get a name."""

    def wrapped(*args, **kwargs):
        out = generate(*args, **kwargs)
        if kwargs.get("kind", args[0] if args else "") != "sidebar":
            return out
        return _BARE_SUMMARY.sub(f'<summary aria-label="{TOGGLE_NAME}">', str(out))

    return wrapped


def _download_buttons(context: dict) -> None:
    """The book's PDF in place of the browser's print-this-page button."""
    pdf = {
        "type": "link",
        "url": context["pathto"](PDF_NAME, 1),
        "text": "book .pdf",
        "tooltip": "Download the whole book as one PDF",
        "icon": "fas fa-file-pdf",
        "label": "download-book-pdf-button",
    }
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            buttons = [b for b in group["buttons"] if b.get("label") != "download-pdf-button"]
            group["buttons"] = [*buttons, pdf]


def _banners(srcdir: str) -> dict[str, str]:
    """The banner texts ``trustexp build`` wrote (``generated/banner.json``); none without it."""
    path = Path(srcdir) / "generated" / "banner.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def banner(app: Sphinx, language: str, pathto) -> str:
    """The page's banner: where the numbers come from, in the page's language (or English)."""
    texts = _banners(str(app.srcdir))
    text = texts.get(language) or texts.get("en") or ""
    return text.replace("{calibration}", pathto("generated/calibration"))


def on_page(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Language, the data banner, citation tags, buttons and accessibility repairs of one page."""
    language = page_language(app, pagename)
    context["language"] = language
    note = banner(app, language, context["pathto"])
    if note:
        # the theme's announcement bar (pydata-sphinx-theme: a local, non-URL text is shown as is)
        context["theme_announcement"] = note
    cff_path = citation_file(Path(app.srcdir), app.config.trustexp_citation_file)
    if cff_path is not None:
        cff = yaml.safe_load(cff_path.read_text(encoding="utf-8"))
        book_title = app.config.html_title or app.config.project
        title = (
            book_title
            if pagename == app.config.root_doc
            else re.sub(r"<[^>]+>", "", html.unescape(context.get("title") or book_title))
        )
        year = re.search(r"\d{4}", str(app.config.copyright or ""))
        tags = citation_meta(
            cff, title, book_title, language, context["pathto"](PDF_NAME, 1),
            year.group(0) if year else "",
        )  # fmt: skip
        context["metatags"] = context.get("metatags", "") + "\n" + "\n".join(tags)
    _download_buttons(context)
    if "generate_toctree_html" in context:
        context["generate_toctree_html"] = _name_toggles(context["generate_toctree_html"])
    if "body" in context:
        context["body"] = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')


def setup(app: Sphinx) -> dict:
    """Register the settings and the page hook (after the book theme's own, priority 501)."""
    app.add_config_value("trustexp_page_languages", {}, "html")
    app.add_config_value("trustexp_citation_file", "", "html")
    app.add_transform(ScrollableTables)
    app.add_transform(NumberedOutputs)
    for kind, node in NODES.items():
        visit = globals()[f"visit_numbered_{kind}"]
        app.add_enumerable_node(node, kind, _caption, html=(visit, None))  # singlehtml: same
    app.connect("html-page-context", on_page, priority=600)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
