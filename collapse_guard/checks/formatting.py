"""Number and list formatting shared by messages (checks, reporters).

One place decides how a number reads in a message: ``num`` for a single value, ``num_pair`` for
two values shown side by side (with enough digits to tell them apart) and ``moved`` for "rose
from ... to ..." phrases.
"""

from __future__ import annotations

import math

# Magnitudes at or beyond this are written in scientific notation ("1.7e+308"): a 300-digit
# number with thousands separators is unreadable. Below it, numbers of 1,000 or more keep their
# separators. Magnitudes under 1e-4 turn scientific through the "g" format itself ("1e-300").
SCIENTIFIC_ABOVE = 1e15
# The most significant digits shown to tell two values apart; values closer than that (float
# noise, 1.0 against 1.0000000000000002) print the same and "moved" says they barely moved.
MAX_DIGITS = 10


def pct(x: float) -> str:
    """A share as a percentage: one decimal below 10% ("2.5%"), none above ("34%")."""
    return f"{100 * x:.1f}%" if abs(x) < 0.1 else f"{100 * x:.0f}%"


def num(x: float, digits: int = 4) -> str:
    """A number as a person would write it.

    ``digits`` significant digits ("73.16", "0.000123", "-1e-300"), whole numbers with thousands
    separators from 1,000 up ("1,234,568"), and scientific notation from ``SCIENTIFIC_ABOVE`` up
    ("1e+160", "1.7e+308"). Zero and non-finite values print as Python prints them.
    """
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return str(x)
    short = f"{x:.{digits}g}"
    if abs(x) >= SCIENTIFIC_ABOVE:
        return short
    if abs(float(short)) >= 1000:  # also 999.99, which "g" rounds to "1000"
        return f"{x:,.0f}"
    return short


def _precise(x: float, digits: int) -> str:
    """``x`` with ``digits`` significant digits, trailing zeros kept (the two sides line up)."""
    if x == 0 or not math.isfinite(x):
        return str(x)
    ax = abs(x)
    if SCIENTIFIC_ABOVE > ax >= 1000:
        decimals = max(0, digits - (math.floor(math.log10(ax)) + 1))
        return f"{x:,.{decimals}f}"
    return f"{x:#.{digits}g}"


def num_pair(a: float, b: float, digits: int = 4) -> tuple[str, str]:
    """``num`` of two values, with more significant digits when they would print the same.

    ``num_pair(73.16, 73.1612)`` is ``("73.160", "73.161")``: a message comparing two different
    values does not show the same number twice, unless they agree to ``MAX_DIGITS`` digits.
    Equal values print as ``num`` prints them.
    """
    sa, sb = num(a, digits), num(b, digits)
    a, b = float(a), float(b)
    if sa != sb or a == b or not (math.isfinite(a) and math.isfinite(b)):
        return sa, sb
    for d in range(digits + 1, MAX_DIGITS + 1):
        pa, pb = _precise(a, d), _precise(b, d)
        if pa != pb:
            return pa, pb
    return sa, sb


def moved(before: float, after: float, up: str = "rose", down: str = "fell") -> str:
    """How a value changed, in words: "rose from 25.82 to 35.02", "stayed at 5".

    A change too small to show at the usual four significant digits is "rose slightly from
    73.160 to 73.161", with as many digits as it takes to tell the two apart; one smaller than
    ``MAX_DIGITS`` digits show is "barely moved from 73.16 (rose by 1.4e-14)".
    """
    before, after = float(before), float(after)
    if before == after:
        return f"stayed at {num(before)}"
    if math.isnan(before) or math.isnan(after):
        return f"changed from {num(before)} to {num(after)}"
    verb = up if after > before else down
    sa, sb = num_pair(before, after)
    if sa == sb:
        return f"barely moved from {sa} ({verb} by {num(abs(after - before), 2)})"
    if num(before) == num(after):
        verb += " slightly"
    return f"{verb} from {sa} to {sb}"


def shorten(text: str, limit: int = 120) -> str:
    """A document quoted in a message: whitespace runs as single spaces, at most ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def and_list(names: list[str]) -> str:
    """Names as a phrase: "a", "a and b", "a, b and c"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
