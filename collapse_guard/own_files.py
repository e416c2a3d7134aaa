"""Recognise collapse-guard's own output (reference profiles, JSON reports) kept beside data."""

from __future__ import annotations

from pathlib import Path


def own_output_kind(path: Path) -> str | None:
    """The kind of collapse-guard output a file is ("reference profile", "collapse-guard report"), or None.

    Folders of data often keep the reference and the last report next to the batches; read as
    data they only ever fail (a profile is not records, a report is one record of findings).
    """
    if not path.name.lower().endswith((".json", ".json.gz")):
        return None
    from .profile.io import is_profile_file  # profile.io imports the profile model

    if is_profile_file(path):
        return "reference profile"
    if _is_json_report(path):  # a gzip file never starts like one
        return "collapse-guard report"
    return None


def _is_json_report(path: Path) -> bool:
    """True when the file starts like a JSON or SARIF report of `check` or `scan`: the report's
    opening key, then the tool's name, within the first few hundred bytes."""
    try:
        with path.open("rb") as fh:
            head = fh.read(400)
    except OSError:
        return False
    compact = b"".join(head.split())
    opening = compact.startswith(b'{"schema_version":') or (
        compact.startswith(b'{"$schema":') and b"sarif" in compact[:80]
    )
    return opening and b'"name":"collapse-guard"' in compact
