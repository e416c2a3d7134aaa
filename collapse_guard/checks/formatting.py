"""Number formatting shared by the checks' messages."""

from __future__ import annotations


def pct(x: float) -> str:
    """A share as a percentage: one decimal below 10% ("2.5%"), none above ("34%")."""
    return f"{100 * x:.1f}%" if abs(x) < 0.1 else f"{100 * x:.0f}%"
