"""What a check sees when it runs: both profiles, its options and a deterministic RNG."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import Config
from .kinds import Kind
from .profile import Profile
from .protocols import Check


@dataclass
class CheckContext:
    """Inputs of one check run.

    Attributes
    ----------
    reference
        The reference profile, or None in reference-free mode (``scan`` without ``-r``).
    batch
        The batch profile.
    synthetic
        A profile of known machine-generated data, when the user supplied one.
    config, check
        The run's configuration and the check being run.
    """

    reference: Profile | None
    batch: Profile
    config: Config
    check: Check
    synthetic: Profile | None = None

    @property
    def seed(self) -> int:
        return self.config.seed

    def columns(self, kind: Kind | None = None) -> list[str]:
        """Columns of ``kind`` in the batch (and the reference, if any) that this check may use.

        Without ``kind``, the columns of every kind: those present in both profiles with the same
        kind and not turned off for this check in config, in the batch's column order.
        """
        names = []
        for name, col in self.batch.columns.items():
            if kind is not None and col.kind is not kind:
                continue
            if self.reference is not None:
                ref = self.reference.columns.get(name)
                if ref is None or ref.kind is not col.kind:
                    continue
            if not self.config.column_enabled(self.check.name, name):
                continue
            names.append(name)
        return names

    def option(self, name: str, column: str | None = None) -> Any:
        """A check option after config overrides (per column when given)."""
        return self.config.option(self.check, name, column)

    def rng(self, *keys: object) -> np.random.Generator:
        """A generator seeded from the run seed, the check name and ``keys``: reproducible."""
        text = "\x1f".join([str(self.seed), self.check.name, *map(str, keys)])
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        return np.random.default_rng(seed)
