"""Reading and writing profile files: canonical JSON, optional gzip, sha256, validation.

Format: ``{"format": "collapse-guard-profile", "format_version": 1, "tool_version": ...,
"sha256": <hash of the canonical content>, "content": {...}}``. The hash covers ``content`` only,
serialised with sorted keys and no whitespace, so an edited file is detected.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import math
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, ReferenceFileError
from ..kinds import Kind
from .categorical import CategoricalProfile
from .codec import decode_array, encode_array
from .model import ColumnProfile, Profile, sorted_values
from .numeric import NumericProfile
from .settings import ProfileSettings
from .text import TextProfile

FORMAT = "collapse-guard-profile"
FORMAT_VERSION = 1


def _canonical(obj: Any) -> bytes:
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def profile_content(prof: Profile) -> dict[str, Any]:
    """The hashed part of a profile file."""
    sample: dict[str, Any] | None = None
    if prof.sample is not None:
        data: dict[str, Any] = {}
        for name in prof.sample.columns:
            col = prof.columns[name]
            if col.kind is Kind.NUMERIC:
                data[name] = encode_array(prof.sample[name].to_numpy(dtype=np.float64, na_value=np.nan))
            else:
                data[name] = {"strings": [None if v is None else str(v) for v in prof.sample[name]]}
        sample = {
            "rows": len(prof.sample),
            "priorities": encode_array(prof.sample_priority.astype(np.uint64)),
            "columns": data,
        }
    return {
        "rows": prof.rows,
        "synthetic": prof.synthetic,
        "settings": prof.settings.to_dict(),
        "source": list(prof.source),
        "skipped": dict(sorted(prof.skipped.items())),
        "columns": [
            col.to_json(not prof.settings.store_text) if isinstance(col, TextProfile) else col.to_json()
            for col in prof.columns.values()
        ],
        "sample": sample,
    }


def content_sha256(content: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical(content)).hexdigest()


def save_profile(prof: Profile, path: Path) -> str:
    from .. import __version__

    content = profile_content(prof)
    body = _canonical(content)
    digest = hashlib.sha256(body).hexdigest()
    # Header first (so a file can be recognised from its first bytes), then the canonical content.
    header = json.dumps(
        {"format": FORMAT, "format_version": FORMAT_VERSION, "tool_version": __version__, "sha256": digest}
    )
    raw = header[:-1].encode() + b', "content": ' + body + b"}\n"
    _refuse_unwritable(path)
    if path.name.lower().endswith(".gz"):
        buf = io.BytesIO()
        # mtime=0 and no file name keep the gzip bytes identical across runs.
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
            gz.write(raw)
        raw = buf.getvalue()
    path.write_bytes(raw)
    prof.sha256, prof.path = digest, str(path)
    return digest


def _refuse_unwritable(path: Path) -> None:
    """A folder, or a file in a folder that does not exist, is refused as ``profile -o`` refuses
    it: the folder is not created (a typo in its name would scatter references)."""
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give a file name, e.g. {path / 'reference.json'}")
    parent = path.parent
    if not parent.is_dir():
        raise InputError(f"{path}: folder {parent} does not exist; create it first")


def is_profile_file(path: Path) -> bool:
    """True when the file starts like a collapse-guard profile (plain or gzip)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(2)
        if head == b"\x1f\x8b":
            with gzip.open(path, "rb") as gz:
                start = gz.read(64)
        else:
            with path.open("rb") as fh:
                start = fh.read(64)
    except (OSError, EOFError, zlib.error):
        return False
    return start.startswith(b'{"format": "' + FORMAT.encode())


def _bad(path: Path, why: str, fix: str) -> ReferenceFileError:
    return ReferenceFileError(f"{path}: {why}; {fix}")


def load_profile(path: Path) -> Profile:
    regenerate = "rebuild it with `collapse-guard profile HUMAN_DATA -o " + str(path) + "`"
    if not path.exists():
        raise _bad(path, "reference file not found", "check the path, or " + regenerate)
    if path.is_dir():
        raise _bad(path, "is a folder, not a reference file", "give the .json file made by `profile`")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise _bad(path, f"corrupt gzip ({exc})", regenerate) from None
    not_ours = _bad(
        path,
        "is not a collapse-guard reference file",
        "pass the file written by `collapse-guard profile` after -r (data files go before -r)",
    )
    if not raw.lstrip().startswith(b"{"):
        raise not_ours
    try:
        doc = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise _bad(path, "is nested too deeply to be a reference file", regenerate) from None
    except ValueError as exc:  # bad UTF-8, bad JSON, or an integer too long to convert
        if b'"format": "' + FORMAT.encode() not in raw[:200]:
            raise not_ours from None
        raise _bad(
            path, f"not valid JSON ({exc.__class__.__name__}), the file is corrupt", regenerate
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise not_ours
    version = doc.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _bad(path, "has no valid format_version", regenerate)
    if version > FORMAT_VERSION:
        raise _bad(
            path,
            f"was written by collapse-guard {doc.get('tool_version', '?')} in format version {version}, "
            f"newer than this collapse-guard understands ({FORMAT_VERSION})",
            "upgrade collapse-guard (pip install -U collapse-guard)",
        )
    content = doc.get("content")
    if not isinstance(content, dict):
        raise _bad(path, "has no content section", regenerate)
    edited = "do not edit reference files by hand; " + regenerate
    try:
        digest = content_sha256(content)
    except ValueError:  # NaN, Infinity or a number too large for a float: JSON proper has none
        raise _bad(
            path,
            "content holds NaN or an infinite number, which collapse-guard never writes "
            "(the file was edited or damaged)",
            edited,
        ) from None
    if digest != doc.get("sha256"):
        raise _bad(
            path,
            "content does not match its sha256 (the file was edited or damaged)",
            edited,
        )
    try:
        prof = _from_content(content)
        _validate(prof)
        _check_invariants(prof)
    except ImpossibleValue as exc:
        raise _bad(
            path,
            f"impossible content: {exc} (collapse-guard never writes this; the file was edited or damaged)",
            edited,
        ) from None
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise _bad(path, f"malformed content ({exc.__class__.__name__}: {exc})", regenerate) from None
    prof.sha256, prof.path = digest, str(path)
    return prof


class ImpossibleValue(Exception):
    """A value that no profile built by collapse-guard holds (a hand-edited file with its hash redone)."""


def _count(value: Any, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{what} must be a non-negative integer, got {value!r}")


def _validate(prof: Profile) -> None:
    """Checks beyond the hash: a file whose hash was recomputed after editing is still refused."""
    _count(prof.rows, "rows")
    for key, value in prof.settings.to_dict().items():
        if key == "store_text":
            if not isinstance(value, bool):
                raise ValueError("settings.store_text must be true or false")
        else:
            _count(value, f"settings.{key}")
    for name, col in prof.columns.items():
        if isinstance(col, NumericProfile):
            _count(col.count, f"{name}.count")
            _count(col.nulls, f"{name}.nulls")
            if prof.sample is not None and name not in prof.sample:
                raise ValueError(f"numeric column {name!r} is missing from the row sample")
        elif isinstance(col, CategoricalProfile):
            _count(col.nulls, f"{name}.nulls")
            for key, n in col.counts.items():
                _count(n, f"{name}.counts[{key!r}]")
            if prof.sample is not None and name not in prof.sample:
                raise ValueError(f"categorical column {name!r} is missing from the row sample")
        elif isinstance(col, TextProfile):
            for attr in ("docs", "nulls", "empty", "tokens"):
                _count(getattr(col, attr), f"{name}.{attr}")
            for length, n in col.length_counts.items():
                _count(length, f"{name}.length_counts key")
                _count(n, f"{name}.length_counts[{length}]")
            for key, n in col.surface_counts.items():
                _count(n, f"{name}.surface_counts[{key!r}]")
            texts = col.sample.texts
            if texts is not None and (
                not isinstance(texts, list)
                or len(texts) != col.sample.n_docs
                or not all(isinstance(t, str) for t in texts)
            ):
                raise ValueError(f"text column {name!r} has a malformed texts list")


def _check_invariants(prof: Profile) -> None:
    """Relations every profile built by ``build_profile`` (or ``Profile.merge``) satisfies.

    Run after ``_validate`` (so the counts are non-negative integers). Each holds by construction:
    ``finish`` refuses data without rows and columns without a value; every row adds one to a
    column's values or to its nulls (a column whose kind is resolved late starts with the nulls
    seen before; merging adds both sides; a text column may fall short, see below); the row sample
    keeps the ``sample_rows`` lowest priorities of all rows; numeric extremes and sampled values
    are the data's own floats; ``m2`` is a sum of squares (null in the file, infinity once read,
    when it overflowed); each document's length is counted once. A profile may have no column at
    all (every column skipped as an id), and a category may have a count of 0 (unused categories
    of a pandas Categorical).
    """
    rows = prof.rows
    if rows < 1:
        raise ImpossibleValue(f"rows = {rows}")
    settings = prof.settings
    if prof.sample is None:
        if settings.sample_rows > 0:
            raise ImpossibleValue(f"no row sample although settings.sample_rows = {settings.sample_rows}")
    else:
        expected = min(rows, settings.sample_rows)
        if len(prof.sample_priority) != expected:
            raise ImpossibleValue(
                f"the row sample has {len(prof.sample_priority)} rows, not min(rows, "
                f"settings.sample_rows) = {expected}"
            )
    for name, col in prof.columns.items():
        where = f"column {name!r}"
        if isinstance(col, NumericProfile):
            present, what = col.count, "count"
        elif isinstance(col, CategoricalProfile):
            present, what = col.total, "sum(counts)"
        else:
            present, what = col.docs, "docs"
        if present < 1:
            raise ImpossibleValue(f"{where} has {what} = {present}")
        # A text column may count fewer: a float column declared text used to lose its NaN
        # values (neither documents nor nulls) when read through Arrow, and references written
        # then must still load.
        if present + col.nulls > rows or (present + col.nulls < rows and not isinstance(col, TextProfile)):
            raise ImpossibleValue(f"{where} has {what} + nulls = {present} + {col.nulls}, not rows = {rows}")
        if isinstance(col, NumericProfile):
            _numeric_invariants(col, where)
        elif isinstance(col, TextProfile):
            _text_invariants(col, where, settings.text_docs)


def _numeric_invariants(col: NumericProfile, where: str) -> None:
    lo, hi = col.min, col.max
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ImpossibleValue(f"{where} has values but no min or max")
    if lo > hi:
        raise ImpossibleValue(f"{where} has min = {lo!r} > max = {hi!r}")
    if not col.m2 >= 0:  # infinity is the documented overflow (null in the file)
        raise ImpossibleValue(f"{where} has m2 = {col.m2!r} < 0 (a sum of squares)")
    # The mean lies in [min, max] up to rounding (null in the file, NaN once read, on overflow).
    slack = 1e-6 * max(abs(lo), abs(hi))
    if not math.isnan(col.mean) and not lo - slack <= col.mean <= hi + slack:
        raise ImpossibleValue(f"{where} has mean = {col.mean!r} outside [min, max] = [{lo!r}, {hi!r}]")
    values = col.values
    if len(values) > col.count:
        raise ImpossibleValue(f"{where} has {len(values)} sampled values, more than count = {col.count}")
    if len(values) and not (values[0] >= lo and values[-1] <= hi):
        raise ImpossibleValue(f"{where} has sampled values outside [min, max] = [{lo!r}, {hi!r}]")


def _text_invariants(col: TextProfile, where: str, text_docs: int) -> None:
    if col.empty > col.docs:
        raise ImpossibleValue(f"{where} has empty = {col.empty} > docs = {col.docs}")
    lengths = col.length_counts
    if sum(lengths.values()) != col.docs:
        raise ImpossibleValue(
            f"{where} has length_counts summing to {sum(lengths.values())}, not docs = {col.docs}"
        )
    if lengths.get(0, 0) != col.empty:
        raise ImpossibleValue(f"{where} has length_counts[0] = {lengths.get(0, 0)}, not empty = {col.empty}")
    tokens = sum(length * n for length, n in lengths.items())
    if tokens != col.tokens:
        raise ImpossibleValue(
            f"{where} has length_counts totalling {tokens} tokens, not tokens = {col.tokens}"
        )
    sampled, cap = col.sample.n_docs, min(col.docs, text_docs)
    if sampled > cap:
        raise ImpossibleValue(
            f"{where} has {sampled} sampled documents, more than min(docs, settings.text_docs) = {cap}"
        )


def _from_content(content: dict[str, Any]) -> Profile:
    settings = ProfileSettings.from_dict(content["settings"])
    sample: pd.DataFrame | None = None
    priority = np.zeros(0, dtype=np.uint64)
    if not isinstance(content["columns"], list):
        raise TypeError("columns must be a list")
    for c in content["columns"]:
        if not isinstance(c["name"], str):
            raise TypeError(f"column names must be strings, got {c['name']!r}")
    kinds = {c["name"]: Kind(c["kind"]) for c in content["columns"]}
    if content.get("sample") is not None:
        s = content["sample"]
        priority = decode_array(s["priorities"])
        data: dict[str, Any] = {}
        for name, enc in s["columns"].items():
            if name not in kinds:
                raise ValueError(f"sample column {name!r} is not a column of the profile")
            if kinds[name] is Kind.NUMERIC:
                data[name] = decode_array(enc)
            else:
                data[name] = np.array(enc["strings"], dtype=object)
            if len(data[name]) != int(s["rows"]):
                raise ValueError(f"sample column {name!r} has the wrong length")
        if len(priority) != int(s["rows"]):
            raise ValueError("the row sample has more or fewer priorities than rows")
        # The index keeps the length of a sample without columns (all columns are text).
        sample = pd.DataFrame(data, index=pd.RangeIndex(len(priority)))
    if len(kinds) != len(content["columns"]):
        raise ValueError("duplicate column names")
    columns: dict[str, ColumnProfile] = {}
    for c in content["columns"]:
        kind = kinds[c["name"]]
        if kind is Kind.NUMERIC:
            columns[c["name"]] = NumericProfile.from_json(c, sorted_values(sample, c["name"]))
        elif kind is Kind.CATEGORICAL:
            columns[c["name"]] = CategoricalProfile.from_json(c)
        else:
            columns[c["name"]] = TextProfile.from_json(c)
    return Profile(
        rows=int(content["rows"]),
        columns=columns,
        sample=sample,
        sample_priority=priority,
        settings=settings,
        source=_strings(content["source"], "source"),
        skipped={str(k): str(v) for k, v in content["skipped"].items()},
        synthetic=_flag(content["synthetic"], "synthetic"),
    )


def _strings(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{what} must be a list of strings")
    return list(value)


def _flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be true or false")
    return value
