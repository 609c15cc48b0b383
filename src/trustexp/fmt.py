"""The one number-formatting helper of the book: percentages, points, p-values, counts, CIs.

Every number that reaches prose goes through these functions and is glued as a string, so the
book formats a percentage, a p-value or a confidence interval the same way everywhere.
"""

from __future__ import annotations

import math
import re


def _bad(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def pct(share: float | None, decimals: int = 1) -> str:
    """A share (0–1) as a percentage: ``pct(0.1234) == "12.3%"``."""
    return "n/a" if _bad(share) else f"{100 * share:.{decimals}f}%"


def pp(diff_pp: float | None, decimals: int = 1, signed: bool = False) -> str:
    """A difference of shares, already in percentage points: ``pp(9.04) == "9.0 percentage points"``."""
    if _bad(diff_pp):
        return "n/a"
    return f"{num(diff_pp, decimals, signed)} percentage points"


def num(x: float | None, decimals: int = 2, signed: bool = False) -> str:
    """An effect size or score with two decimals by default: ``num(0.456) == "0.46"``."""
    if _bad(x):
        return "n/a"
    out = f"{x:+.{decimals}f}" if signed else f"{x:.{decimals}f}"
    return "0." + "0" * decimals if out in ("-0." + "0" * decimals, "+0." + "0" * decimals) else out


def pval(p: float | None) -> str:
    """A p-value: ``pval(0.0342) == "0.034"``, ``pval(0.0004) == "< 0.001"``."""
    if _bad(p):
        return "n/a"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def p_is(p: float | None) -> str:
    """A p-value after its symbol: ``p_is(0.0342) == "p = 0.034"``, ``p_is(0.0004) == "p < 0.001"``."""
    text = pval(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def count(n: int | float | None) -> str:
    """A count with thousands separators: ``count(12345) == "12,345"``."""
    return "n/a" if _bad(n) else f"{int(round(n)):,}"


def ci(low: float | None, high: float | None, decimals: int = 2, scale: str = "points") -> str:
    """A confidence interval as ``[a, b]``; ``scale="pp"`` or ``"pct"`` formats percentages.

    ``scale="pct"`` expects shares (0–1); ``scale="pp"`` expects percentage points.
    """
    if _bad(low) or _bad(high):
        return "[n/a]"
    if scale == "pct":
        return f"[{num(100 * low, 1)}%, {num(100 * high, 1)}%]"
    if scale == "pp":
        return f"[{num(low, 1)}, {num(high, 1)}]"
    return f"[{num(low, decimals)}, {num(high, decimals)}]"


def estimate_with_ci(est: float, low: float, high: float, scale: str = "points") -> str:
    """``"9.3 percentage points (95% CI [4.1, 14.5])"`` or ``"0.42 (95% CI [0.10, 0.74])"``."""
    if scale == "pp":
        return f"{pp(est)} (95% CI {ci(low, high, scale='pp')})"
    return f"{num(est)} (95% CI {ci(low, high)})"


# Dutch notation (for the Samenvatting): decimal comma, thousands point, "procentpunt".

_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def nl(text: str) -> str:
    """Dutch notation of text formatted by this module: ``nl("12,345.6") == "12.345,6"``.

    Inside a CI the list comma becomes a semicolon: ``nl("[0.10, 0.74]") == "[0,10; 0,74]"``.
    """
    swapped = _NUMBER.sub(lambda m: m.group().translate(str.maketrans(",.", ".,")), text)
    return re.sub(r"\[([^\[\]]*?), ([^\[\]]*?)\]", r"[\1; \2]", swapped)


def pp_nl(diff_pp: float | None, decimals: int = 1, signed: bool = False) -> str:
    """A difference of shares in Dutch: ``pp_nl(9.04) == "9,0 procentpunt"``."""
    return "n.b." if _bad(diff_pp) else f"{nl(num(diff_pp, decimals, signed))} procentpunt"


def estimate_with_ci_nl(est: float, low: float, high: float, scale: str = "points") -> str:
    """``"9,3 procentpunt (95%-BI [4,1; 14,5])"`` or ``"0,42 (95%-BI [0,10; 0,74])"``."""
    if scale == "pp":
        return f"{pp_nl(est)} (95%-BI {nl(ci(low, high, scale='pp'))})"
    return f"{nl(num(est))} (95%-BI {nl(ci(low, high))})"
