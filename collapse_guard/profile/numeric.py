"""Numeric column summary: exact moments and extremes, plus the sampled values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..kinds import Kind
from .codec import decode_array, encode_array


@dataclass
class NumericProfile:
    """Summary of a numeric column.

    Attributes
    ----------
    count, nulls
        Non-null values and missing values over all rows.
    mean, m2
        Mean and sum of squared deviations (merged with Chan's formula).
    min, max
        Exact extremes over all rows.
    values
        Sorted float64 values of the column in the bounded seeded row sample; the whole column
        when the data has fewer rows than the cap.
    """

    name: str
    count: int = 0
    nulls: int = 0
    mean: float = 0.0
    m2: float = 0.0
    min: float = float("inf")
    max: float = float("-inf")
    values: np.ndarray = field(default_factory=lambda: np.zeros(0))
    kind: Kind = Kind.NUMERIC

    @property
    def std(self) -> float:
        return float(np.sqrt(self.m2 / (self.count - 1))) if self.count > 1 else 0.0

    @property
    def sample_fraction(self) -> float:
        return len(self.values) / self.count if self.count else 0.0

    @property
    def is_constant(self) -> bool:
        return self.count > 0 and self.min == self.max

    def update(self, x: np.ndarray, nulls: int) -> None:
        """Add a chunk of finite float64 values (nulls already removed)."""
        self.nulls += int(nulls)
        if len(x) == 0:
            return
        # Values near the float limits overflow the sums to inf, which to_json stores as null.
        with np.errstate(over="ignore", invalid="ignore"):
            mean = float(x.mean())
            self._combine(len(x), mean, float(((x - mean) ** 2).sum()))
        self.min = min(self.min, float(x.min()))
        self.max = max(self.max, float(x.max()))

    def _combine(self, n_b: int, mean_b: float, m2_b: float) -> None:
        n_a = self.count
        n = n_a + n_b
        delta = mean_b - self.mean
        self.mean = self.mean + delta * n_b / n
        self.m2 = self.m2 + m2_b + delta * delta * n_a * n_b / n
        self.count = n

    def merged(self, other: NumericProfile, values: np.ndarray) -> NumericProfile:
        out = NumericProfile(self.name, self.count, self.nulls, self.mean, self.m2, self.min, self.max)
        out.nulls += other.nulls
        if other.count:
            out._combine(other.count, other.mean, other.m2)
            out.min = min(out.min, other.min)
            out.max = max(out.max, other.max)
        out.values = values
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "count": self.count,
            "nulls": self.nulls,
            # A column spanning +-1e200 overflows the sum of squares; JSON has no infinity.
            "mean": self.mean if np.isfinite(self.mean) else None,
            "m2": self.m2 if np.isfinite(self.m2) else None,
            "min": self.min if self.count else None,
            "max": self.max if self.count else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], values: np.ndarray) -> NumericProfile:
        return cls(
            name=data["name"],
            count=int(data["count"]),
            nulls=int(data["nulls"]),
            mean=float(data["mean"]) if data["mean"] is not None else float("nan"),
            m2=float(data["m2"]) if data["m2"] is not None else float("inf"),
            min=float(data["min"]) if data["min"] is not None else float("inf"),
            max=float(data["max"]) if data["max"] is not None else float("-inf"),
            values=values,
        )


__all__ = ["NumericProfile", "decode_array", "encode_array"]
