"""What a check sees when it runs: both profiles, its options and a deterministic RNG."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .config import Config
from .kinds import Kind
from .profile import Profile
from .protocols import Check, validate_check

if TYPE_CHECKING:
    import pandas as pd


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

    @classmethod
    def build(
        cls,
        check: Check,
        batch: Profile | pd.DataFrame,
        reference: Profile | pd.DataFrame | str | Path | None = None,
        *,
        synthetic: Profile | pd.DataFrame | None = None,
        config: Config | Mapping[str, Any] | str | Path | None = None,
    ) -> CheckContext:
        """The context a run would give ``check``, from DataFrames or profiles: for unit tests of
        a check's ``run(ctx)`` without installing its plugin.

        ``reference`` and ``synthetic`` are profiled as ``cg.profile`` does (a reference may also
        be a reference file's path), and ``batch`` as ``collapse-guard check`` profiles a batch
        (with the reference's columns and kinds; on its own without a reference, as ``scan``
        does). ``config`` is what ``cg.check`` accepts; its ``[checks.NAME]`` tables are validated
        against ``check``'s options and metrics. The check's declarations are validated as
        when its plugin loads (ValueError).
        """
        from .api import load_reference, load_synthetic, profile, resolve_config
        from .plugins import default_registry
        from .profile import build_profile

        validate_check(check)
        cfg = resolve_config(config)
        cfg.validate({**default_registry().checks, check.name: check})
        if reference is None or isinstance(reference, Profile):
            ref = reference
        elif isinstance(reference, (str, Path)):
            ref = load_reference(reference)
        else:
            ref = profile(reference, config=cfg)
        if not isinstance(batch, Profile):
            batch = build_profile(
                [batch],
                settings=cfg.batch_settings(),
                kinds=None if ref is not None else cfg.column_kinds(),
                reference=ref,
                ignore=cfg.ignored_columns(),
                max_columns=cfg.max_columns(),
            )
        return cls(ref, batch, cfg, check, load_synthetic(synthetic, cfg))

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
