"""Sources that resolve: author-year labels with a/b/c, citations that say what they cite, and
source keys in the text turned into links to their reference entry.

sphinxcontrib-bibtex has no year suffixes in its author-year style (two reports of the same
authors in one year both read "Muffels et al., 2020"), and its bibliography labels come from the
pybtex style ("[MBSvW20a]"), which does not match the text. This extension gives one label to
each entry, used both in the text and in the list:

- ``AuthorYearLabels`` (pybtex label style ``trustexp``): "Gemeente Oss, 2020",
  "Muffels et al., 2020a" (a, b, c in order of the ``month`` field, then title, among different
  documents with the same authors and year). An entry with ``partof = {key}`` is a part of
  another entry (a section of a report): it gets the parent's label plus its ``locator`` field,
  "Muffels et al., 2020a, section 3.1.2".
- ``BookStyle`` (pybtex formatting style ``trustexp``): pybtex's ``plain`` with those labels.
- ``LabelReferenceStyle`` (referencing style ``trustexp``): ``{cite:p}`` gives
  "(label; label)", ``{cite:alp}`` the same without brackets, ``{cite:t}`` "Muffels et al.
  (2020a)".
- ``SourceKeysToCitations``: a transform that replaces a source key written as plain text in a
  page ("(info_note_2020, article_oss)", a codebook cell "info_note_2020") by the citation, as
  if it had been written ``{cite:alp}`` — so a key a page shows always links to its entry. Code,
  literals and links are left alone.
- ``SourceKeysInTables``: the same for the HTML tables of the chapters (``Chapter.table``,
  class ``trustexp-table``), which reach the page as raw HTML: a key in a caption or cell
  becomes a link with the label, a key in an ``aria-label`` the plain label.

Citation anchors are ``ref-<key>`` on the References page (``bibtex_cite_id`` in _config.yml).
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pybtex.plugin
from docutils import nodes
from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.template import join, node
from sphinx import addnodes
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinxcontrib.bibtex.citation_target import parse_citation_targets
from sphinxcontrib.bibtex.plugin import register_plugin
from sphinxcontrib.bibtex.roles import CitationRef
from sphinxcontrib.bibtex.style.referencing import (
    BaseReferenceStyle,
    BracketStyle,
    GroupReferenceStyle,
)
from sphinxcontrib.bibtex.style.referencing.extra_empty import ExtraEmptyReferenceStyle
from sphinxcontrib.bibtex.style.referencing.extra_label import ExtraLabelReferenceStyle
from sphinxcontrib.bibtex.style.template import entry_label, join2, post_text, pre_text, reference

if TYPE_CHECKING:
    from sphinx.application import Sphinx

STYLE_NAME = "trustexp"
MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
)}  # fmt: skip
_LABEL_PARTS = re.compile(r"^(.*?), (\d{4}.*)$")


def _plain(text: str) -> str:
    """BibTeX text without its protective braces."""
    return text.replace("{", "").replace("}", "").strip()


def short_authors(entry) -> str:
    """ "Muffels", "Muffels and Blom-Stam", "Muffels et al.", or the organisation or title."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_plain(" ".join(p.prelast_names + p.last_names)) for p in people]
    if not names:
        fallback = _plain(
            entry.fields.get("organization") or entry.fields.get("title", "Anonymous")
        )
        return " ".join(fallback.split(":")[0].split()[:4])
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} et al."


def _month(entry) -> int:
    return MONTHS.get(str(entry.fields.get("month", "")).strip().lower()[:3], 0)


class AuthorYearLabels(BaseLabelStyle):
    """Labels "Authors, Year" with a, b, c for different documents sharing authors and year."""

    def format_labels(self, sorted_entries):
        entries = list(sorted_entries)
        base = {
            e.key: f"{short_authors(e)}, {_plain(e.fields.get('year', 'n.d.'))}" for e in entries
        }
        groups: dict[str, list] = defaultdict(list)
        for e in entries:
            if "partof" not in e.fields:
                groups[base[e.key]].append(e)
        labels: dict[str, str] = {}
        for head, docs in groups.items():
            docs.sort(key=lambda e: (_month(e), _plain(e.fields.get("title", "")), e.key))
            for i, e in enumerate(docs):
                labels[e.key] = head + ("abcdefghijklmnopqrstuvwxyz"[i] if len(docs) > 1 else "")
        by_lower = {k.lower(): v for k, v in labels.items()}
        for e in entries:
            if e.key not in labels:
                parent = by_lower.get(_plain(e.fields["partof"]).lower(), base[e.key])
                locator = _plain(e.fields.get("locator", ""))
                labels[e.key] = f"{parent}, {locator}" if locator else parent
        for e in entries:
            yield labels[e.key]


class BookStyle(PlainStyle):
    """pybtex's ``plain`` bibliography style with author-year labels."""

    default_label_style = AuthorYearLabels


@node
def label_author(children, data):
    """The author part of an entry's label ("Muffels et al.")."""
    match = _LABEL_PARTS.match(data["formatted_entry"].label)
    return Text(match.group(1) if match else data["formatted_entry"].label)


@node
def label_year(children, data):
    """The year part of an entry's label, with its suffix and locator ("2020a, section 4.5")."""
    match = _LABEL_PARTS.match(data["formatted_entry"].label)
    return Text(match.group(2) if match else "")


_ROUND = BracketStyle(left="(", right=")", sep="; ", sep2="; ", last_sep="; ")


@dataclass
class _Parenthetical(BaseReferenceStyle):
    """``{cite:p}`` "(Gemeente Oss, 2020; Muffels et al., 2020a)"; ``{cite:alp}`` unbracketed."""

    def role_names(self):
        return ["p", "ps", "alp", "alps"]

    def outer(self, role_name, children):
        return _ROUND.outer(children, brackets="al" not in role_name, capfirst=False)

    def inner(self, role_name):
        return join2(sep1=" ", sep2=", ")[pre_text, reference[entry_label], post_text]


@dataclass
class _Textual(BaseReferenceStyle):
    """``{cite:t}`` "Muffels et al. (2020a)"; ``{cite:ct}`` capitalised."""

    def role_names(self):
        return ["t", "ts", "ct", "cts"]

    def outer(self, role_name, children):
        return _ROUND.outer(children, brackets=False, capfirst="c" in role_name)

    def inner(self, role_name):
        return join[
            label_author,
            " (",
            join2(sep1=" ", sep2=", ")[pre_text, reference[label_year], post_text],
            ")",
        ]


@dataclass
class LabelReferenceStyle(GroupReferenceStyle):
    """Citations that show the same label as the bibliography, in round brackets."""

    def __post_init__(self):
        self.styles.extend(
            [
                _Parenthetical(),
                _Textual(),
                ExtraLabelReferenceStyle(bracket=_ROUND),
                ExtraEmptyReferenceStyle(),
            ]
        )
        super().__post_init__()


def key_runs(keys) -> re.Pattern:
    """A pattern for runs of source keys ("info_note_2020, article_oss") as whole words."""
    one = "(?:" + "|".join(map(re.escape, sorted(keys, key=len, reverse=True))) + ")"
    return re.compile(rf"(?<![\w/.-]){one}(?:\s*[,;]\s*{one})*(?![\w/-])")


def split_run(run: str) -> list[str]:
    """The keys of a run, in order."""
    return [k for k in re.split(r"\s*[,;]\s*", run) if k]


class SourceKeysToCitations(SphinxTransform):
    """Turn source keys written as plain text into citations (``{cite:alp}``) of those keys."""

    default_priority = 700
    _skip = (nodes.FixedTextElement, nodes.literal, nodes.raw, nodes.reference, nodes.comment,
             addnodes.pending_xref, nodes.citation, nodes.title)  # fmt: skip

    def apply(self, **kwargs) -> None:
        domain = self.env.get_domain("cite")
        keys = list(domain.bibdata.data.entries.keys())
        if not keys:
            return
        run = key_runs(keys)
        for text in list(self.document.findall(nodes.Text)):
            parent = text.parent
            if parent is None or any(isinstance(a, self._skip) for a in _ancestors(parent)):
                continue
            value = str(text)
            matches = list(run.finditer(value))
            if not matches:
                continue
            new: list[nodes.Node] = []
            last = 0
            for m in matches:
                if m.start() > last:
                    new.append(nodes.Text(value[last : m.start()]))
                new.append(self._citation(m.group(0), parent))
                last = m.end()
            if last < len(value):
                new.append(nodes.Text(value[last:]))
            parent.replace(text, new)

    def _citation(self, raw: str, parent: nodes.Element) -> addnodes.pending_xref:
        target = ",".join(split_run(raw))
        ref = addnodes.pending_xref(
            raw, refdomain="cite", reftype="alp", reftarget=target, refexplicit=False, refwarn=True
        )
        ref["refdoc"] = self.env.docname
        ref += nodes.inline(raw, raw, classes=["xref", "cite", "cite-alp"])
        self.document.note_explicit_target(ref, ref)
        self.env.get_domain("cite").citation_refs.append(
            CitationRef(
                citation_ref_id=ref["ids"][0],
                docname=self.env.docname,
                line=parent.line or 0,
                targets=list(parse_citation_targets(target)),
            )
        )
        return ref


_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")
_ARIA = re.compile(r'(aria-label=")([^"]*)(")')


class SourceKeysInTables(SphinxPostTransform):
    """Link source keys inside the raw HTML of ``trustexp-table`` tables to their entries."""

    default_priority = 100
    formats = ("html",)

    def run(self, **kwargs) -> None:
        domain = self.env.get_domain("cite")
        cites = {
            c.key: c
            for c in domain.citations
            if domain.bibliographies[c.bibliography_key].list_ == "citation"
        }
        if not cites:
            return
        pattern = key_runs(cites)
        for raw in list(self.document.findall(nodes.raw)):
            markup = raw.astext()
            if "html" not in raw.get("format", "").split() or "trustexp-table" not in markup:
                continue
            new = self.link_keys(markup, pattern, cites)
            if new != markup:
                raw.replace(raw.children[0], nodes.Text(new))

    def _href(self, citation) -> str:
        if self.app.builder.name == "singlehtml":
            return f"#{citation.citation_id}"
        uri = self.app.builder.get_relative_uri(self.env.docname, citation.bibliography_key.docname)
        return f"{uri}#{citation.citation_id}"

    def link_keys(self, markup: str, pattern: re.Pattern, cites: dict) -> str:
        """Replace key runs: links in text, plain labels in ``aria-label`` values."""

        def linked(m: re.Match) -> str:
            return "; ".join(
                f'<a class="reference internal" href="{self._href(cites[k])}">'
                f"{html.escape(cites[k].formatted_entry.label)}</a>"
                for k in split_run(m.group(0))
            )

        def plain(m: re.Match) -> str:
            return "; ".join(
                html.escape(cites[k].formatted_entry.label) for k in split_run(m.group(0))
            )

        parts = _TAG_OR_TEXT.split(markup)
        for i, part in enumerate(parts):
            if part.startswith("<"):
                parts[i] = _ARIA.sub(
                    lambda a: a.group(1) + pattern.sub(plain, a.group(2)) + a.group(3), part
                )
            else:
                parts[i] = pattern.sub(linked, part)
        return "".join(parts)


def _ancestors(element: nodes.Element):
    while element is not None:
        yield element
        element = element.parent


def setup(app: Sphinx) -> dict:
    """Register the label, formatting and referencing styles and the key transform."""
    pybtex.plugin.register_plugin("pybtex.style.labels", STYLE_NAME, AuthorYearLabels, force=True)
    pybtex.plugin.register_plugin("pybtex.style.formatting", STYLE_NAME, BookStyle, force=True)
    register_plugin(
        "sphinxcontrib.bibtex.style.referencing", STYLE_NAME, LabelReferenceStyle, force=True
    )
    app.add_transform(SourceKeysToCitations)
    app.add_post_transform(SourceKeysInTables)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
