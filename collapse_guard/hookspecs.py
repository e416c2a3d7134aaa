"""The plugin hooks. Every hook registers named objects; the host owns the registry.

Plugins implement them with ``@collapse_guard.hookimpl``. Each hook is called once, when the
plugin manager is first built, so registration must be cheap (no I/O, no heavy imports).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

hookspec = pluggy.HookspecMarker("collapse_guard")
hookimpl = pluggy.HookimplMarker("collapse_guard")


@hookspec
def register_checks(register: Callable[[Any], None]) -> None:
    """Add checks.

    Called once when the plugin manager is built. Call ``register(check)`` once per check object.
    A check has ``name`` (kebab-case, unique), ``description``, ``metrics``, ``options``,
    ``default_enabled`` (optional, default True) and ``run(ctx) -> Iterable[Measurement]`` (see
    ``protocols.Check``). A name that is already registered, or a check that
    ``protocols.validate_check`` refuses, raises ``PluginError`` naming the plugin. Returns nothing.
    """


@hookspec
def register_readers(register: Callable[[Any], None]) -> None:
    """Add file readers.

    Called once when the plugin manager is built. Call ``register(reader)`` once per reader object.
    A reader has ``name``, ``suffixes`` (e.g. ``(".csv", ".csv.gz")``) and
    ``read(path, chunk_rows) -> Iterator[pandas.DataFrame | pyarrow.Table]`` (see
    ``protocols.Reader``; flat columns, types normalised as for the built-in readers). A suffix
    claimed by two readers raises ``PluginError``. Returns nothing. The plugin's module is
    imported on every command, so heavy imports belong inside ``read``.
    """


@hookspec
def register_reporters(register: Callable[[Any], None]) -> None:
    """Add report formats (values of ``--format``).

    Called once when the plugin manager is built. Call ``register(reporter)`` once per reporter.
    A reporter has ``name``, ``description`` and ``render(report) -> str`` (see
    ``protocols.Reporter``). Returns nothing.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add sub-commands to the ``collapse-guard`` command line.

    Called once when the CLI starts, after built-in commands exist. Use ``@cli.command()`` to add
    commands. A command whose name already exists raises ``PluginError``. Returns nothing.
    """
