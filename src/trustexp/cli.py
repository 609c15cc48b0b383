"""The ``trustexp`` command line: data, validate, run, build, all, clean, toc.

Heavy libraries are imported inside the commands so that ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from trustexp.errors import TrustexpError
from trustexp.layout import DEFAULT_PARAMS, generated_paths

if TYPE_CHECKING:
    from trustexp.report.pipeline.warm import Zygote


def _cmd_data(args: argparse.Namespace) -> int:
    from trustexp.config import load_params
    from trustexp.data.load import prepare

    start = time.perf_counter()
    folder = prepare(load_params(args.params), root=Path("."))
    print(f"cohort ready in {time.perf_counter() - start:.1f} s: {folder}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from trustexp.data.load import validate_dir

    summary = validate_dir(Path(args.folder), _decimal_setting(args.decimal))
    print(summary)
    return 0


def _decimal_option(text: str) -> tuple[str | None, str]:
    """``--decimal`` value: a mark, or ``TABLE=MARK``; returns (table or None, mark)."""
    table, _, mark = text.rpartition("=")
    if mark not in ("auto", ".", ","):
        raise argparse.ArgumentTypeError(f"{text!r}: the mark must be auto, '.' or ','")
    return (table or None), mark


def _decimal_setting(values: list[tuple[str | None, str]] | None) -> str | dict[str, str]:
    """One mark for every file, or a mark per table, from the ``--decimal`` options."""
    if not values:
        return "auto"
    tables = {t: m for t, m in values if t is not None}
    bare = [m for t, m in values if t is None]
    if bare and (tables or len(bare) > 1):
        raise TrustexpError("--decimal: give one mark for all files, or TABLE=MARK per table")
    return bare[0] if bare else tables


def _cmd_run(args: argparse.Namespace, zygote: Zygote | None = None) -> int:
    from trustexp.config import load_params
    from trustexp.report.pipeline import run_chapters

    report = run_chapters(
        args.params,
        root=Path("."),
        jobs=args.jobs,
        force=args.force,
        executor=args.executor,
        zygote=zygote,
    )
    print(f"results store: {load_params(args.params).layout('.').results_dir}/")
    report.raise_for_failure()
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from trustexp.report.build import build_book

    out = build_book(args.params, Path("."), force=args.force)
    print(f"open the book: {(out / 'index.html').resolve()}")
    return 0


def _cmd_all(args: argparse.Namespace) -> int:
    from trustexp.report.pipeline import start_preloading

    # the chapters' interpreter imports on one core while the data are made on the other
    zygote = start_preloading(args.params, Path("."), args.executor)
    try:
        _cmd_data(args)
        _cmd_run(args, zygote)  # the run closes it when done
    finally:
        if zygote is not None:
            zygote.close()  # a no-op after the run; stops it when the data step failed
    _cmd_build(args)
    return 0


def _cmd_clean(args: argparse.Namespace) -> int:
    for t in generated_paths(Path(".")):
        if t.exists():
            shutil.rmtree(t)
            print(f"removed {t}")
    return 0


def _cmd_toc(args: argparse.Namespace) -> int:
    from trustexp.report.build import render_toc

    Path("_toc.yml").write_text(render_toc(), encoding="utf-8")
    print("wrote _toc.yml")
    return 0


def _cmd_seeds(args: argparse.Namespace) -> int:
    from trustexp.config import load_params
    from trustexp.report.calibration import SEED_SEARCH
    from trustexp.seeds import search_summary, seed_search

    params = load_params(args.params)
    first = SEED_SEARCH["first"] if args.first is None else args.first
    last = SEED_SEARCH["last"] if args.last is None else args.last
    found = seed_search(params, first, last)
    summary = search_summary(found, params.seed)
    gaps = [c for c in found.columns if c.startswith("gap_")]
    print(found[found["lands"]][["seed", *gaps]].round(1).to_string(index=False))
    where = "lands" if summary["chosen_lands"] else "does not land"
    if not summary["chosen_in_range"]:
        where = "is outside the range searched"
    print(
        f"{summary['n_landed']} of {summary['n_seeds']} seeds ({first} to {last}) land in the "
        f"published band; the parameter set's seed {params.seed} {where}."
    )
    return 0


def _cmd_preview(args: argparse.Namespace) -> int:
    from trustexp.report.build import preview

    out = preview([Path(p) for p in args.notebooks], Path(args.out))
    print(f"preview built: {(out / 'index.html').resolve()}")
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser (every subcommand has ``--help``)."""
    p = argparse.ArgumentParser(
        prog="trustexp",
        description="Re-execute the Oss trust-experiment report: data -> chapters -> HTML book.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_params(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument(
            "--params",
            default=str(DEFAULT_PARAMS),
            help=f"parameter set (default {DEFAULT_PARAMS})",
        )
        return sp

    with_params(
        sub.add_parser("data", help="make (synthetic) or load (raw) and validate the cohort")
    )
    sp = sub.add_parser(
        "validate", help="check a folder of real-shaped files without running the book"
    )
    sp.add_argument(
        "folder",
        nargs="?",
        default="data/raw",
        help="folder with population, participants, ... files",
    )
    sp.add_argument(
        "--decimal",
        type=_decimal_option,
        action="append",
        metavar="MARK|TABLE=MARK",
        help="decimal mark of the CSV files: auto (default: told from each file's numbers), "
        "'.' or ','; or per table, e.g. --decimal spending=, (repeatable)",
    )
    for name, text in (("run", "execute the chapter notebooks (cached, in parallel)"),
                       ("all", "data + run + build")):  # fmt: skip
        sp = with_params(sub.add_parser(name, help=text))
        sp.add_argument(
            "--jobs", type=int, default=None, help="parallel chapters (default: one per core)"
        )
        sp.add_argument(
            "--force", action="store_true", help="ignore the cache and re-execute everything"
        )
        sp.add_argument(
            "--executor",
            choices=("warm", "cold"),
            default=None,
            help="warm: fork chapters from one preloaded interpreter (default on Linux); "
            "cold: a fresh interpreter and kernel per chapter",
        )
    sp = with_params(sub.add_parser("build", help="build the HTML book from the executed chapters"))
    sp.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    sp = with_params(sub.add_parser(
        "seeds", help="redo the search for the default seed: which seeds land in the published band"
    ))  # fmt: skip
    sp.add_argument("--first", type=int, default=None, help="first seed (default: the search's)")
    sp.add_argument("--last", type=int, default=None, help="last seed (default: the search's)")
    sub.add_parser("clean", help="remove generated data, results, caches and the built book")
    sub.add_parser("toc", help="regenerate _toc.yml from the chapter list")
    sp = sub.add_parser(
        "preview", help="build a scratch book of executed notebooks (for chapter development)"
    )
    sp.add_argument("notebooks", nargs="+", help="executed .ipynb files")
    sp.add_argument("--out", default="book/_build/preview", help="output folder")
    return p


COMMANDS = {"data": _cmd_data, "validate": _cmd_validate, "run": _cmd_run, "build": _cmd_build,
            "all": _cmd_all, "seeds": _cmd_seeds, "clean": _cmd_clean, "toc": _cmd_toc, "preview": _cmd_preview}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``trustexp`` and ``python -m trustexp``."""
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except TrustexpError as err:
        print(f"trustexp {args.command}: {err}", file=sys.stderr)
        return 2
