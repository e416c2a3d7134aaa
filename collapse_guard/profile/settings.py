"""Caps and switches that bound what a profile keeps."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

#: Widest table a profile takes (columns left out with ``--column NAME=ignore`` not counted).
#: Profiling costs about a millisecond per column and chunk, and every check runs per column, so
#: a 100,000-column file would run for many minutes; it is refused with the fix instead. Not a
#: ``ProfileSettings`` field, so that saved references do not change.
MAX_COLUMNS = 10_000


@dataclass(frozen=True, slots=True)
class ProfileSettings:
    """Bounds for one profile.

    Attributes
    ----------
    sample_rows
        Rows kept in the seeded row sample (0 turns the row sample off). Numeric columns keep their
        sampled values; checks that need rows (coverage, classifiers) use this sample.
    text_docs, text_tokens
        Caps on the per-column document sample, stored as hashed tokens.
    store_text
        Keep raw document text in the profile. Off for references (privacy), on for batches, which
        are never written to disk.
    max_categories
        A categorical column with more distinct values than this is refused (it is free text or an id).
    seed
        Mixed into every sampling hash.
    """

    sample_rows: int = 20_000
    text_docs: int = 20_000
    text_tokens: int = 2_000_000
    store_text: bool = False
    max_categories: int = 50_000
    seed: int = 0

    @classmethod
    def reference(cls, **overrides: Any) -> ProfileSettings:
        """Defaults for a reference profile, which is committed and must stay small."""
        return replace(cls(), **overrides)

    @classmethod
    def batch(cls, **overrides: Any) -> ProfileSettings:
        """Defaults for a batch profile, which lives only in memory during a check."""
        base = cls(sample_rows=100_000, text_docs=100_000, text_tokens=25_000_000, store_text=True)
        return replace(base, **overrides)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProfileSettings:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
