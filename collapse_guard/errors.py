"""Exception types. Every message names the file or setting *and* the fix."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

#: The start of every message refusing an empty path: ``Path("")`` is the current folder, so an
#: unset variable (``check "$DATA"``) would read everything under it.
EMPTY_PATH = "an empty path was given (an unset variable?)"


class CollapseGuardError(Exception):
    """Base class. The message is shown to the user as one line (exit code 2)."""


class InputError(CollapseGuardError):
    """A data file cannot be read, is empty, malformed, or has unusable columns."""


class ConfigError(CollapseGuardError):
    """A configuration key or value is invalid."""


class ReferenceFileError(CollapseGuardError):
    """A reference (profile) file is corrupt, tampered with, or from another version."""


class PluginError(CollapseGuardError):
    """A plugin registered something invalid. The message names the plugin."""


class PluginCrashError(PluginError):
    """A plugin's code (a reader or a report format) raised an unexpected exception. The message
    names the reader or format, its plugin and the file; the original exception is the
    ``__cause__``."""


class CheckFailed(CollapseGuardError):
    """Raised by ``Report.raise_for_status()`` when at least one finding failed."""

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


class CollapseGuardWarning(UserWarning):
    """Something is probably a mistake but the run can go on (a config column the reference does
    not have, a COLLAPSE_GUARD_LOAD_PLUGINS name that matches no plugin). The command line shows it
    as one ``collapse-guard: warning:`` line on stderr; the Python API issues it with ``warnings``."""


# Whether the command line shows tracebacks (--traceback), set by ``cli.main`` for the run: a
# crash message must not ask for the flag the user already gave. A process-wide flag rather than
# a ContextVar, because files are read in a read-ahead thread, which would not see the caller's.
_tracebacks_shown = [False]


@contextmanager
def tracebacks_shown(shown: bool = True) -> Iterator[None]:
    """Within this block, messages about a crash do not suggest rerunning with ``--traceback``."""
    before = _tracebacks_shown[0]
    _tracebacks_shown[0] = shown
    try:
        yield
    finally:
        _tracebacks_shown[0] = before


def tracebacks_are_shown() -> bool:
    """Whether the command line was given ``--traceback`` (inside ``tracebacks_shown``)."""
    return _tracebacks_shown[0]


def rerun_advice() -> str:
    """ ", or rerun with --traceback" for a crash message, unless tracebacks are shown already."""
    return "" if tracebacks_are_shown() else ", or rerun with --traceback"
