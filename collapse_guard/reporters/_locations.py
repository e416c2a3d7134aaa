"""Where a data file is, as a SARIF artifact location that code scanning can resolve.

Code scanning resolves ``%SRCROOT%`` to the root of the checked-out repository, so a URI must be
relative to that root, not to the folder the command ran in (run from ``tools/``, a file at
``data/x.csv`` would otherwise be ``../data/x.csv`` and match no file of the repository).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import quote


def artifact_uri(path: str, cwd: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The ``artifactLocation`` of ``path`` (as given, relative to ``cwd`` or absolute):
    relative to ``$GITHUB_WORKSPACE`` (the checkout code scanning resolves against) when it holds
    the file, else to the outermost git work tree above it (a vendored clone or submodule inside
    a repository is not the root: its ``data/x.csv`` would match the outer repository's), else as
    given (an absolute path as a ``file://`` URI)."""
    absolute = os.path.normpath(os.path.join(cwd, path))
    for root in (environ.get("GITHUB_WORKSPACE"), git_root(os.path.dirname(absolute))):
        relative = _inside(absolute, root) if root else None
        if relative is not None:
            return {"uri": _quote(relative), "uriBaseId": "%SRCROOT%"}
    if os.path.isabs(path):
        return {"uri": "file://" + _quote(path.replace(os.sep, "/"))}
    return {"uri": _quote(path.replace(os.sep, "/")), "uriBaseId": "%SRCROOT%"}


def _quote(path: str) -> str:
    # surrogateescape: a file name that is not UTF-8 keeps its own bytes, percent-encoded.
    return quote(path, errors="surrogateescape")


def git_root(start: str) -> str | None:
    """The outermost folder at or above ``start`` holding a ``.git`` entry (a folder, or the file
    of a worktree or submodule). Looked up on disk rather than by running git: no subprocess in
    a reporter, and a report renders the same without git installed."""
    found, folder = None, start
    while True:
        if os.path.lexists(os.path.join(folder, ".git")):
            found = folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return found
        folder = parent


def _inside(absolute: str, root: str) -> str | None:
    """``absolute`` relative to ``root`` with ``/`` separators, or None when it is outside."""
    try:
        relative = os.path.relpath(absolute, os.path.normpath(os.path.abspath(root)))
    except ValueError:  # another drive on Windows
        return None
    if relative == os.pardir or relative.startswith(os.pardir + os.sep) or os.path.isabs(relative):
        return None
    return relative.replace(os.sep, "/")
