"""Pages generated at build time: the codebook appendix and the provenance appendix."""

from __future__ import annotations

import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import yaml

from trustexp.files import write_atomic

PACKAGES = (
    "trustexp", "jupyter-book", "sphinx", "myst-nb", "papermill", "ipykernel", "pandas", "numpy",
    "scipy", "statsmodels", "pingouin", "altair", "vl-convert-python", "pandera", "duckdb",
    "pyreadstat", "pyarrow", "pydantic", "lifelines",
)  # fmt: skip


def _md_table(rows: list[dict], columns: list[str]) -> str:
    def cell(v) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(cell(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(out)


def _write(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        write_atomic(text, path)


def write_codebook_page(path: Path) -> None:
    """Render the codebook (``trustexp/data/codebook.yml``) as the appendix page."""
    from trustexp.data.codebook import codebook_table

    table = codebook_table()
    parts = [
        "# Codebook",
        "",
        "Every column of the five canonical tables, with its Dutch and English label, type, unit, allowed "
        "values and source. Real files may use the Dutch column names listed as aliases; "
        "`trustexp validate data/raw` checks a folder against these rules. Generated from "
        "`src/trustexp/data/codebook.yml`.",
    ]
    for name, group in table.groupby("table", sort=False):
        parts += ["", f"## `{name}`", ""]
        cols = [c for c in group.columns if c != "table"]
        parts.append(_md_table(group[cols].fillna("").to_dict("records"), cols))
    _write(path, "\n".join(parts) + "\n")


def git_commit(root: Path) -> str:
    """The current commit, with ``+uncommitted changes`` when the work tree differs."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head + (" + uncommitted changes" if dirty else "")


def provenance(params_file: str | Path, params, root: Path) -> dict:
    """Everything needed to say exactly what produced a build (no machine paths, no clock time)."""
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    layout = params.layout(root)
    manifest_path = layout.manifest
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    cache = layout.cache_dir
    keys = {}
    for f in sorted(cache.glob("*.json")):
        try:
            keys[f.stem] = json.loads(f.read_text()).get("key", "")
        except (json.JSONDecodeError, AttributeError):
            continue
    return {
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "packages": versions,
        "params_file": str(params_file),
        "params_digest": params.digest(),
        "seed": params.seed,
        "params": params.model_dump(mode="json"),
        "data_manifest": manifest,
        "git_commit": git_commit(root),
        "chapter_keys": keys,
        "results_dir": str(params.layout(".").results_dir),
    }


def write_provenance_page(path: Path, params_file: str | Path, params, root: Path) -> None:
    """Render the provenance appendix."""
    prov = provenance(params_file, params, root)
    file_rows = [
        {
            "table": table,
            "file": name,
            "rows": info.get("rows", ""),
            "sha256": f"`{info.get('sha256', '')}`",
        }
        for table, spec in sorted(prov["data_manifest"].get("tables", {}).items())
        for name, info in sorted(spec.get("files", {}).items())
    ]
    text = [
        "# Provenance",
        "",
        "What produced this build, written by `trustexp build` from the run it builds. Re-running "
        "`make book` with the same commit, parameter set and data reproduces the chapters exactly.",
        "",
        "## Code",
        "",
        f"- git commit: `{prov['git_commit']}`",
        f"- Python {prov['python']} on {prov['platform']}",
        "",
        _md_table(
            [{"package": k, "version": v} for k, v in prov["packages"].items()],
            ["package", "version"],
        ),
        "",
        "## Parameter set",
        "",
        f"- file: `{prov['params_file']}` (sha256 of its validated values: `{prov['params_digest']}`)",
        f"- seed: `{prov['seed']}`",
        f"- results store: `{prov['results_dir']}/` (one Parquet file per chapter)",
        "",
        "```yaml",
        yaml.safe_dump(prov["params"], sort_keys=False, allow_unicode=True).rstrip(),
        "```",
        "",
        "## Input data",
        "",
        f"- source: `{prov['data_manifest'].get('source', 'unknown')}`",
        "",
        _md_table(file_rows, ["table", "rows", "file", "sha256"])
        if file_rows
        else "No data manifest found.",
        "",
        "## Chapter keys",
        "",
        "Each chapter is re-executed only when this key (a hash of its notebook, parameters, input data, "
        "library code and the keys of the chapters it reads) changes.",
        "",
        _md_table(
            [{"chapter": k, "key": f"`{v[:16]}`"} for k, v in prov["chapter_keys"].items()],
            ["chapter", "key"],
        ),
        "",
    ]
    _write(path, "\n".join(text))


BANNER_FILE = "banner.json"
"""Written into the generated pages; ``book/_ext/trustexp_reader.py`` shows it on every page."""

_BANNERS = {
    "synthetic": {
        "en": "<strong>Synthetic data.</strong> Every number, chart and verdict in this book is "
        "computed from a synthetic cohort calibrated to the published figures, not from the "
        'confidential records of Oss (<a href="{calibration}">how the cohort was made</a>).',
        "nl": "<strong>Synthetische gegevens.</strong> Alle cijfers, grafieken en oordelen in dit "
        "boek zijn berekend op nagemaakte deelnemers, afgestemd op de gepubliceerde cijfers, niet "
        'op de vertrouwelijke gegevens van Oss (<a href="{calibration}">hoe die zijn gemaakt</a>).',
    },
    "raw": {
        "en": "<strong>Real data.</strong> The numbers in this book are computed from the "
        "municipality's registry and questionnaire files (<code>data/raw/</code>, parameter set "
        "<code>{name}</code>).",
        "nl": "<strong>Echte gegevens.</strong> De cijfers in dit boek zijn berekend op de "
        "registratie- en vragenlijstbestanden van de gemeente (<code>data/raw/</code>, "
        "parameterset <code>{name}</code>).",
    },
}


def banner_texts(source: str, name: str) -> dict[str, str]:
    """The banner of every page, per language, for a build on ``source`` (synthetic or raw).

    ``{calibration}`` is left in the text for the page hook to fill with the page's own
    relative link to the calibration page.
    """
    texts = _BANNERS[source]
    return {lang: text.replace("{name}", name) for lang, text in texts.items()}


def write_banner(folder: Path, params) -> None:
    """Write ``BANNER_FILE`` for ``params``' data source into the generated pages' ``folder``."""
    texts = banner_texts(params.data.source, params.name)
    _write(
        Path(folder) / BANNER_FILE, json.dumps({"source": params.data.source, **texts}, indent=1)
    )
