"""The Profile object: columns, the row sample, merge, save and load."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import EMPTY_PATH, InputError
from ..kinds import Kind
from .categorical import CategoricalProfile
from .numeric import NumericProfile
from .sampling import bottom_k
from .settings import ProfileSettings
from .text import TextProfile

ColumnProfile = NumericProfile | CategoricalProfile | TextProfile


@dataclass
class Profile:
    """Per-column summaries of a dataset, with a bounded seeded row sample.

    Attributes
    ----------
    rows
        Rows read.
    columns
        Column name -> summary, in file order.
    sample
        Row sample of the numeric and categorical columns (raw values; numeric as float64,
        categories as strings), or None when sampling is off.
    sample_priority
        The hash priority of each sampled row (what makes merging exact).
    settings
        The caps this profile was built with.
    source
        Paths it was built from, as given.
    skipped
        Columns left out, with the reason (e.g. identifiers).
    synthetic
        True when built with ``profile --synthetic`` (a known machine-generated sample).
    sha256, path
        Content hash and file path, set when saved or loaded.
    """

    rows: int
    columns: dict[str, ColumnProfile]
    sample: pd.DataFrame | None
    sample_priority: np.ndarray
    settings: ProfileSettings
    source: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    synthetic: bool = False
    sha256: str | None = None
    path: str | None = None

    def column(self, name: str) -> ColumnProfile:
        """The summary of one column (KeyError naming the known columns if absent)."""
        try:
            return self.columns[name]
        except KeyError:
            known = ", ".join(self.columns) or "none"
            raise KeyError(f"no column {name!r} in this profile (columns: {known})") from None

    def kinds(self) -> dict[str, Kind]:
        return {name: col.kind for name, col in self.columns.items()}

    def merge(self, other: Profile) -> Profile:
        """The profile of the concatenated data: counts, moments and histograms exactly; the row
        and document samples as a bottom-k sample of both parts' samples, uniform over the union
        but not the rows profiling the concatenation keeps (priorities mix in a row's position
        in its own part)."""
        if not isinstance(other, Profile):
            raise TypeError(f"can only merge a Profile with a Profile, got a {type(other).__name__}")
        self._refuse_other_settings(other)
        if self.synthetic != other.synthetic:
            raise InputError(
                "cannot merge a human reference with a machine-generated sample (profile --synthetic): "
                "the merged profile would be neither; keep them apart"
            )
        if other.rows == 0 or self.rows == 0:  # an empty part (cg.profile(..., part=True))
            full = self if other.rows == 0 else other
            # A new profile: not the file the full part was loaded from (its hash covers its source).
            return replace(full, source=self.source + other.source, sha256=None, path=None)
        mine, theirs = self.kinds(), other.kinds()
        if mine != theirs:
            names = sorted(set(mine) | set(theirs), key=str)
            differ = [n for n in names if mine.get(n) != theirs.get(n)]
            shown = "; ".join(
                f"{n!r}: {_kind_or_absent(mine.get(n), self.skipped.get(n))} vs "
                f"{_kind_or_absent(theirs.get(n), other.skipped.get(n))}"
                for n in differ[:5]
            )
            more = f" (and {len(differ) - 5} more)" if len(differ) > 5 else ""
            fix = ", ".join(f"{n!r}: '{_either(mine, theirs, n).value}'" for n in differ[:3])
            raise InputError(
                f"cannot merge profiles whose columns differ: {shown}{more}; profile every part with "
                f"the same kinds, e.g. cg.profile(part, columns={{{fix}}}) (a part's few rows can make "
                "a column look like an identifier or free text)"
            )
        prio = np.concatenate([self.sample_priority, other.sample_priority])
        sample = None
        keep = np.zeros(0, dtype=np.int64)
        if self.sample is not None and other.sample is not None:
            both = pd.concat([self.sample, other.sample], ignore_index=True)
            keep = bottom_k(prio, self.settings.sample_rows)
            sample = both.iloc[keep].reset_index(drop=True)
        columns: dict[str, ColumnProfile] = {}
        for name, col in self.columns.items():
            oth = other.columns[name]
            if isinstance(col, NumericProfile) and isinstance(oth, NumericProfile):
                values = sorted_values(sample, name)
                columns[name] = col.merged(oth, values)
            elif isinstance(col, CategoricalProfile) and isinstance(oth, CategoricalProfile):
                columns[name] = col.merged(oth)
            elif isinstance(col, TextProfile) and isinstance(oth, TextProfile):
                columns[name] = col.merged(oth, self.settings.text_docs, self.settings.text_tokens)
        return Profile(
            rows=self.rows + other.rows,
            columns=columns,
            sample=sample,
            sample_priority=prio[keep] if sample is not None else np.zeros(0, dtype=np.uint64),
            settings=self.settings,
            source=self.source + other.source,
            skipped={**self.skipped, **other.skipped},
            synthetic=self.synthetic,
        )

    def _refuse_other_settings(self, other: Profile) -> None:
        if self.settings != other.settings:
            a, b = self.settings.to_dict(), other.settings.to_dict()
            changed = ", ".join(f"{k} {a[k]!r} vs {b[k]!r}" for k in a if a[k] != b.get(k))
            raise InputError(
                f"cannot merge profiles built with different settings ({changed}); profile every part "
                "with the same [profile] settings"
            )

    def refuse_unusable(self, where: str) -> None:
        """InputError when merged parts left the profile empty, or a column without any value
        (``cg.profile(..., part=True)`` allows both in one part, not in the whole)."""
        if self.rows == 0:
            raise InputError(
                f"{where}: the profile has no rows (every part was empty); profile data with rows"
            )
        for name, col in self.columns.items():
            if col.count == 0:
                raise InputError(
                    f"{where}: column {name!r} has no values in any part; fill it, or leave it out "
                    f"with columns={{{name!r}: 'ignore'}}"
                )

    def content_hash(self) -> str:
        """sha256 of the content as ``save`` writes it: the file's when loaded or saved, else
        computed once (an in-memory reference still names what a report was checked against)."""
        if self.sha256 is not None:
            return self.sha256
        cached = self.__dict__.get("_content_hash")
        if cached is None:
            from .io import content_sha256, profile_content

            cached = self.__dict__["_content_hash"] = content_sha256(profile_content(self))
        return str(cached)

    def save(self, path: str | Path) -> str:
        """Write the profile as versioned JSON (gzip when the name ends in .gz); returns sha256.

        Raises InputError when ``path`` is empty or a folder, or its folder does not exist (the
        folder is not created, as ``profile -o`` does not create it).
        """
        from .io import save_profile

        if isinstance(path, str) and not path:
            raise InputError(f"{EMPTY_PATH}; pass the reference file to write, e.g. reference.json")
        if not Path(path).is_dir() and not str(path).lower().endswith((".json", ".json.gz")):
            # As `profile -o`: under another name (ref.csv) the next scan takes it for data.
            raise InputError(f"{path}: a profile file is JSON; name it .json, or .json.gz to compress it")
        self.refuse_unusable(str(path))
        return save_profile(self, Path(path))

    @classmethod
    def load(cls, path: str | Path) -> Profile:
        """Read and validate a profile file (ReferenceFileError with the fix when it is bad)."""
        from .io import load_profile

        return load_profile(Path(path))

    def to_json(self) -> dict[str, Any]:
        from .io import profile_content

        return profile_content(self)


def _either(a: dict[str, Kind], b: dict[str, Kind], name: str) -> Kind:
    """The kind one side found for a column the other lacks or reads otherwise (the first side's
    when both have one)."""
    return a.get(name) or b[name]


def _kind_or_absent(kind: Kind | None, skipped: str | None) -> str:
    if kind is not None:
        return kind.value
    return f"skipped ({skipped})" if skipped else "absent"


def sorted_values(sample: pd.DataFrame | None, name: str) -> np.ndarray:
    """The non-null sampled values of a numeric column, sorted."""
    if sample is None or name not in sample:
        return np.zeros(0)
    x = sample[name].to_numpy(dtype=np.float64, na_value=np.nan)
    return np.sort(x[~np.isnan(x)])
