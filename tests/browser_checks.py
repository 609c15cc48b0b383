"""What a reader meets on each page of the built book, measured in headless Chromium.

Each check takes a loaded Playwright page (charts drawn) and returns the problems it found, one
small dict per element, so a test can assert on them and ``python tests/browser_checks.py`` can
count them for the whole book (the before/after figures of issue 14):

- ``wide_charts``: charts whose drawing is wider than the text column.
- ``wide_tables``: tables wider than the column, unless deliberately scrollable (a keyboard-
  reachable scroll container that fits the column, with the first numeric column visible).
- ``unnamed_charts``: charts whose accessible name is missing or generic ("Vega visualization").
- ``axe_violations``: axe-core's violations (axe-core ships inside ``axe-playwright-python``
  and is injected from disk: nothing comes from a CDN).
- ``unresolved_sources``: source keys (``data/reference/published.yml`` ``sources``, keys of
  ``book/references.bib``) shown as plain text, and citation links whose target entry is missing.
- ``page_language``: the ``<html lang>`` of the page.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from trustexp.report.browser import (  # noqa: E402 - after the path set-up for direct runs
    CHART_SELECTOR,
    chromium,
    find_chromium,
    offline_page,
    serve,
    wait_for_charts,
)

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
GENERIC_NAMES = frozenset({"", "vega visualization", "visualization", "chart", "figure", "image"})
SKIP_PAGES = {"genindex.html", "search.html"}
# Tolerance for sub-pixel rounding when comparing widths.
SLACK_PX = 1.5


def source_keys(root: Path = ROOT) -> set[str]:
    """Every key a page could show as a source: published.yml ``sources`` and the .bib keys."""
    published = yaml.safe_load((root / "data/reference/published.yml").read_text(encoding="utf-8"))
    bib = (root / "book/references.bib").read_text(encoding="utf-8")
    return set(published["sources"]) | set(re.findall(r"@\w+\{([^,\s]+),", bib))


def book_pages(html: Path) -> list[str]:
    """The reader's pages of a built book (not Sphinx's index and search pages)."""
    return sorted(
        p.relative_to(html).as_posix()
        for p in html.rglob("*.html")
        if not {"_static", "_sources", "_images"} & set(p.relative_to(html).parts)
        and p.name not in SKIP_PAGES
    )


_COLUMN_JS = """() => {
    const a = document.querySelector('article.bd-article') || document.querySelector('main');
    const cs = getComputedStyle(a);
    return a.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
}"""


def column_width(page) -> float:
    """Width in CSS pixels of the text column (the article's content box)."""
    return float(page.evaluate(_COLUMN_JS))


def wait_for_fitted(page, timeout_ms: int = 20_000) -> int:
    """Wait until every chart is drawn and fitted to its column (``data-trustexp-fitted``, set
    by the chart snippet of ``trustexp.charts``); return the number of charts.

    Returns quietly when the time runs out (``wide_charts`` then reports what was drawn).
    """
    n = wait_for_charts(page, timeout_ms)
    if n:
        try:
            page.wait_for_function(
                """() => [...document.querySelectorAll('.trustexp-chart')].every(
                       el => el.hasAttribute('data-trustexp-fitted'))""",
                timeout=timeout_ms,
            )
        except PlaywrightTimeout:
            pass
    return n


def wide_charts(page) -> list[dict]:
    """Charts whose drawing (SVG or canvas) is wider than the text column.

    The drawing's own width (the SVG's ``width``) counts, not only its box on the page: a chart
    squeezed by CSS into the column is still too wide for it; and so does what is drawn in it (its
    bounding box): a legend or title cut off at the SVG's edge makes the chart too wide too.
    """
    return page.evaluate(
        """([sel, slack, colJs]) => {
            const col = eval(colJs)();
            const charts = [...document.querySelectorAll(sel)].filter(
                el => !el.parentElement.closest('.trustexp-chart, .vega-embed'));
            return charts.map((el, i) => {
                const g = el.querySelector('svg.marks, canvas, svg');
                const own = g && g.width && g.width.baseVal ? g.width.baseVal.value : (g ? g.width : 0);
                const box = g && g.getBBox ? g.getBBox() : {x: 0, width: 0};
                const cut = Math.max(0, -box.x) + Math.max(0, box.x + box.width - (own || 0));
                const w = g ? Math.max(g.getBoundingClientRect().width, (own || 0) + cut) : 0;
                return {chart: el.id || `chart ${i + 1}`, width: Math.round(w), column: Math.round(col)};
            }).filter(c => c.width > c.column + slack);
        }""",
        [CHART_SELECTOR, SLACK_PX, _COLUMN_JS],
    )


def unnamed_charts(page) -> list[dict]:
    """Charts without a non-generic accessible name (on the container, the embed or the SVG)."""
    names = page.evaluate(
        """(sel) => {
            const label = el => {
                if (!el) return '';
                const by = el.getAttribute('aria-labelledby');
                if (by) return by.split(/\\s+/).map(id => document.getElementById(id)?.innerText || '').join(' ').trim();
                return (el.getAttribute('aria-label') || '').trim();
            };
            return [...document.querySelectorAll(sel)]
                .filter(el => !el.parentElement.closest('.trustexp-chart, .vega-embed'))
                .map((el, i) => ({
                    chart: el.id || `chart ${i + 1}`,
                    names: [label(el), label(el.querySelector('.vega-embed')), label(el.querySelector('svg'))],
                }));
        }""",
        CHART_SELECTOR,
    )
    out = []
    for chart in names:
        good = [n for n in chart["names"] if n.lower() not in GENERIC_NAMES]
        if not good:
            shown = next((n for n in chart["names"] if n), "")
            out.append({"chart": chart["chart"], "name": shown})
    return out


def wide_tables(page, include_scrollable: bool = False) -> list[dict]:
    """Tables wider than the column, except deliberately scrollable ones.

    Deliberately scrollable: the nearest horizontal scroll container (the table itself or an
    ancestor, inside the article) fits the column, can be reached with the keyboard (a
    ``tabindex`` of 0, set in the HTML or by the theme's script) and the first numeric column is
    fully visible before scrolling. With ``include_scrollable`` those are listed too (``why``
    says "deliberately scrollable").
    """
    found = page.evaluate(
        """([slack, colJs, all]) => {
            const col = eval(colJs)();
            const article = document.querySelector('article.bd-article') || document.body;
            const numeric = t => /^[<>≤≥±+\\-−–]?\\s*[\\d.,]+\\s*(%|pp|×)?$/.test(t.trim().split(/\\s+\\[|\\s+\\(/)[0]);
            return [...article.querySelectorAll('table')].map((t, i) => {
                const w = t.getBoundingClientRect().width;
                const caption = (t.querySelector('caption')?.innerText || '').slice(0, 80);
                const out = {table: i + 1, caption, width: Math.round(w), column: Math.round(col)};
                if (w <= col + slack) return null;
                let box = t;
                while (box && box !== article) {
                    const ox = getComputedStyle(box).overflowX;
                    if ((ox === 'auto' || ox === 'scroll') && box.scrollWidth > box.clientWidth + 1) break;
                    box = box.parentElement;
                }
                if (!box || box === article) return {...out, why: 'no scroll container'};
                const bw = box.getBoundingClientRect().width;
                if (bw > col + slack) return {...out, why: `scroll container ${Math.round(bw)} px wide`};
                if (box.tabIndex < 0)
                    return {...out, why: 'scrolls, but cannot be reached with the keyboard'};
                const rows = [...t.querySelectorAll('tbody tr')];
                const first = rows[0] ? [...rows[0].children] : [];
                const j = first.findIndex((c, k) => rows.filter(r => r.children[k] && numeric(r.children[k].innerText)).length >= Math.max(1, rows.length / 2));
                const fine = all ? {...out, why: 'deliberately scrollable'} : null;
                if (j < 0) return fine;
                const saved = box.scrollLeft; box.scrollLeft = 0;
                const cr = first[j].getBoundingClientRect(), br = box.getBoundingClientRect();
                box.scrollLeft = saved;
                if (cr.right > br.right + slack) return {...out, why: 'first numeric column hidden until scrolled'};
                return fine;
            }).filter(x => x);
        }""",
        [SLACK_PX, _COLUMN_JS, include_scrollable],
    )
    return found


def axe_violations(page, axe: Axe | None = None, exclude: tuple[str, ...] = ()) -> list[dict]:
    """axe-core's violations on the page: rule id, impact, number of elements, a first target.

    ``exclude``: CSS selectors of parts of the page axe should not look at.
    """
    context = {"exclude": [[sel] for sel in exclude]} if exclude else None
    result = (axe or Axe()).run(page, context=context)
    return [
        {
            "rule": v["id"],
            "impact": v.get("impact") or "none",
            "nodes": len(v["nodes"]),
            "target": " ".join(map(str, v["nodes"][0]["target"])) if v["nodes"] else "",
            "help": v.get("help", ""),
        }
        for v in result.response["violations"]
    ]


def unresolved_sources(page, html: Path, keys: set[str]) -> list[dict]:
    """Source keys shown as plain text in the prose, and citation links to a missing entry."""
    texts = page.evaluate(
        """() => {
            const article = document.querySelector('article.bd-article') || document.body;
            const skip = 'pre, code, script, style, .cell_input, .highlight, details:not([open]) > :not(summary)';
            const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
            const out = [];
            while (walker.nextNode()) {
                const n = walker.currentNode;
                const el = n.parentElement;
                if (!el || el.closest(skip) || !el.getClientRects().length) continue;
                out.push([n.textContent, !!el.closest('a[href]')]);
            }
            return out;
        }"""
    )
    problems = []
    pattern = re.compile(
        r"(?<![\w/.-])("
        + "|".join(sorted(map(re.escape, keys), key=len, reverse=True))
        + r")(?![\w/-])"
    )
    for text, linked in texts:
        if linked:
            continue  # a link: checked below when it points at the references
        problems += [{"key": m.group(1), "why": "plain text"} for m in pattern.finditer(text)]
    links = page.evaluate(
        """() => [...document.querySelectorAll('article .bibtex-citation a[href], article a[href*="references.html#"]')]
                .map(a => [a.href, a.innerText])"""
    )
    for href, text in links:
        parts = urlsplit(href)
        target = html / unquote(parts.path).lstrip("/")
        body = target.read_text(encoding="utf-8") if target.is_file() else ""
        if not body or (parts.fragment and f'id="{parts.fragment}"' not in body):
            problems.append({"key": text, "why": f"citation link to a missing entry: {href}"})
    return problems


def colour_mode(page) -> dict:
    """The page's colour mode: theme attribute, whether a mode switcher shows, background colour.

    Run with ``color_scheme="dark"`` emulated: a light-only book must stay light.
    """
    return page.evaluate(
        """() => ({
            theme: document.documentElement.dataset.theme || '',
            switcher_visible: [...document.querySelectorAll('.theme-switch-button')]
                .some(b => b.getClientRects().length > 0),
            background: getComputedStyle(document.body).backgroundColor,
        })"""
    )


def page_language(page) -> str:
    """The ``lang`` attribute of the page's ``<html>`` element."""
    return page.evaluate("() => document.documentElement.lang")


def open_page(context, base_url: str, path: str):
    """Load a book page offline and wait for its charts; returns ``(page, foreign_requests)``."""
    page, foreign = offline_page(context, base_url)
    page.goto(base_url + path, wait_until="load", timeout=120_000)
    try:
        page.wait_for_load_state("networkidle", timeout=60_000)
    except PlaywrightTimeout:
        pass  # a busy machine; the charts are waited for below and checked by the callers
    wait_for_fitted(page)
    return page, foreign


def measure(
    html: Path, pages: list[str] | None = None, axe_at: tuple[str, ...] = ("desktop",)
) -> dict:
    """Run every check on every page at both widths; return the findings per width and page."""
    exe, _tried = find_chromium()
    if exe is None:
        raise SystemExit("no Chromium found (apt-get install chromium, or set TRUSTEXP_CHROMIUM)")
    pages = pages or book_pages(html)
    keys = source_keys()
    axe = Axe()
    report: dict = {}
    with serve(html) as srv:
        for width, viewport in WIDTHS.items():
            report[width] = {}
            with chromium(exe, viewport) as ctx:
                for path in pages:
                    page, _ = open_page(ctx, srv.url, path)
                    found = {
                        "charts_too_wide": wide_charts(page),
                        "tables_wider": wide_tables(page, include_scrollable=True),
                        "charts_unnamed": unnamed_charts(page),
                        "sources_unresolved": unresolved_sources(page, html, keys),
                        "lang": page_language(page),
                        "n_charts": page.evaluate(
                            f"() => document.querySelectorAll('{CHART_SELECTOR}').length"
                        ),
                        "n_tables": page.evaluate(
                            "() => document.querySelectorAll('article.bd-article table').length"
                        ),
                    }
                    if width in axe_at:
                        found["axe"] = axe_violations(page, axe)
                    found["tables_too_wide"] = [
                        t for t in found["tables_wider"] if t["why"] != "deliberately scrollable"
                    ]
                    report[width][path] = found
                    page.close()
    return report


def summary(report: dict) -> str:
    """Counts for the whole book, per width: the figures quoted in the issue's note."""
    lines = []
    for width, pages in report.items():
        n_charts = sum(p["n_charts"] for p in pages.values())
        n_tables = sum(p["n_tables"] for p in pages.values())
        wide_c = sum(len(p["charts_too_wide"]) for p in pages.values())
        wide_t = sum(len(p["tables_too_wide"]) for p in pages.values())
        wider = sum(len(p.get("tables_wider", [])) for p in pages.values())
        unnamed = sum(len(p["charts_unnamed"]) for p in pages.values())
        unresolved = sum(len(p["sources_unresolved"]) for p in pages.values())
        lines.append(
            f"{width} {WIDTHS[width][0]}px: charts too wide {wide_c}/{n_charts}, tables wider than "
            f"the column {wider}/{n_tables} (not deliberately scrollable {wide_t}), "
            f"charts without a name {unnamed}/{n_charts}, "
            f"unresolved source keys {unresolved}"
        )
        axe = [v for p in pages.values() for v in p.get("axe", [])]
        if any("axe" in p for p in pages.values()):
            by_impact = Counter(v["impact"] for v in axe)
            rules = Counter(f"{v['rule']} ({v['impact']})" for v in axe)
            lines.append(
                f"  axe violations (rule x page): {len(axe)} — "
                + ", ".join(f"{k} {n}" for k, n in sorted(by_impact.items()))
            )
            lines += [f"    {rule}: {n} page(s)" for rule, n in rules.most_common()]
        langs = Counter(p["lang"] for p in pages.values())
        lines.append(f"  <html lang>: {dict(langs)}")
    return "\n".join(lines)


if __name__ == "__main__":
    book = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "book/_build/html"
    result = measure(book)
    out = book.parent / "test-output" / "browser-checks.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    print(summary(result))
    print(f"details: {out}")
