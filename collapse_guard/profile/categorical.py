"""Categorical column summary: exact counts of every category."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..kinds import Kind


@dataclass
class CategoricalProfile:
    """Summary of a categorical column.

    Attributes
    ----------
    counts
        Exact count of every category (values as strings), over all rows.
    nulls
        Missing values.
    """

    name: str
    counts: dict[str, int] = field(default_factory=dict)
    nulls: int = 0
    kind: Kind = Kind.CATEGORICAL

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def count(self) -> int:
        return self.total

    @property
    def is_constant(self) -> bool:
        return len(self.counts) == 1

    def update(self, counts: dict[str, int], nulls: int) -> None:
        for key, n in counts.items():
            self.counts[key] = self.counts.get(key, 0) + int(n)
        self.nulls += int(nulls)

    def merged(self, other: CategoricalProfile) -> CategoricalProfile:
        out = CategoricalProfile(self.name, dict(self.counts), self.nulls)
        out.update(other.counts, other.nulls)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "nulls": self.nulls,
            "counts": dict(sorted(self.counts.items())),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CategoricalProfile:
        counts = {str(k): int(v) for k, v in data["counts"].items()}
        return cls(name=data["name"], counts=counts, nulls=int(data["nulls"]))
