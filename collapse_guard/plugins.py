"""The plugin host: builds the pluggy manager and owns the registries of checks, readers, reporters.

Built-in features are plugins too (``DEFAULT_PLUGINS``), registered through the same hooks as
third-party packages, which load from the ``collapse_guard`` entry-point group.

Environment variables:
- ``COLLAPSE_GUARD_LOAD_PLUGINS``: comma-separated distribution or entry-point names to load,
  compared PEP 503-normalised as pip compares them (empty means no third-party plugin); unset
  loads all installed ones. A name that matches no installed entry point gives a
  ``CollapseGuardWarning`` (one line on stderr from the command line).
- ``COLLAPSE_GUARD_TRACE_PLUGINS=1``: print every hook call to stderr.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any

import pluggy

from . import hookspecs
from .errors import (
    CollapseGuardError,
    CollapseGuardWarning,
    PluginCrashError,
    PluginError,
    tracebacks_are_shown,
)
from .protocols import Check, Reader, Reporter, validate_check

ENTRY_POINT_GROUP = "collapse_guard"

DEFAULT_PLUGINS: tuple[str, ...] = (
    "collapse_guard.readers.builtin",
    "collapse_guard.reporters.text",
    "collapse_guard.reporters.json",
    "collapse_guard.reporters.junit",
    "collapse_guard.reporters.sarif",
    "collapse_guard.reporters.github",
    "collapse_guard.reporters.markdown",
    "collapse_guard.reporters.html",
    "collapse_guard.checks.tail_shrinkage",
    "collapse_guard.checks.diversity_loss",
    "collapse_guard.checks.vendi",
    "collapse_guard.checks.synthetic_contamination",
    "collapse_guard.commands.scan",
)


ENV_LOAD = "COLLAPSE_GUARD_LOAD_PLUGINS"

# Distribution name of each plugin loaded from an entry point (by its plugin name, the entry
# point's name), and the installed plugins COLLAPSE_GUARD_LOAD_PLUGINS left out; filled by
# ``_load_entry_points`` for the messages that name a plugin.
_DISTRIBUTIONS: dict[str, str] = {}
_LEFT_OUT: set[str] = set()


def _normalized(name: str) -> str:
    """A name as PEP 503 compares distribution names: ``cg_null_share``, ``CG.Null-Share`` and
    ``cg-null-share`` are one distribution to pip, so they are one plugin here too."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _wanted_plugins() -> dict[str, str] | None:
    """The names in COLLAPSE_GUARD_LOAD_PLUGINS, normalised, each with its spelling there; None
    when the variable is not set (load all)."""
    value = os.environ.get(ENV_LOAD)
    if value is None:
        return None
    return {_normalized(w.strip()): w.strip() for w in value.split(",") if w.strip()}


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    wanted = _wanted_plugins()
    matched: set[str] = set()
    installed: list[str] = []
    _LEFT_OUT.clear()
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        dist = ep.dist.name if ep.dist is not None else ep.name
        installed.append(ep.name if dist == ep.name else f"{dist} ({ep.name})")
        if wanted is not None:
            hits = wanted.keys() & {_normalized(ep.name), _normalized(dist)}
            matched |= hits
            if not hits:
                _LEFT_OUT.add(dist)
                continue
        try:
            plugin = ep.load()
        except Exception as exc:
            raise PluginError(
                f"plugin {dist!r} (entry point {ep.name!r}) failed to import: {type(exc).__name__}: {exc}; "
                f"fix or uninstall it, or exclude it with {ENV_LOAD}"
            ) from None
        if pm.is_registered(plugin) or pm.get_plugin(ep.name) is not None:
            continue
        pm.register(plugin, name=ep.name)
        _DISTRIBUTIONS[ep.name] = dist
    unknown = sorted(spelled for key, spelled in (wanted or {}).items() if key not in matched)
    if unknown:
        names = ", ".join(repr(n) for n in unknown)
        plural = "s" if len(unknown) > 1 else ""
        choices = f"installed: {', '.join(installed)}" if installed else "no plugin is installed"
        warnings.warn(
            f"{ENV_LOAD} names {names}, which match{'' if plural else 'es'} no installed plugin "
            f"({choices}); use entry-point or distribution names from `pip list`, or unset it",
            CollapseGuardWarning,
            stacklevel=2,
        )


def plugin_label(plugin: str) -> str:
    """How to name a plugin to a user: its distribution name when it came from an entry point
    (what ``pip`` shows), else the name it was registered under."""
    return _DISTRIBUTIONS.get(plugin, plugin)


def restricted_plugins_hint() -> str:
    """A hint for "unknown name" errors when COLLAPSE_GUARD_LOAD_PLUGINS restricts the plugins
    loaded ("" when it is not set): the name may belong to a plugin that was left out."""
    value = os.environ.get(ENV_LOAD)
    if value is None:
        return ""
    left_out = sorted(_LEFT_OUT)
    which = (
        f", which left out the installed plugin{'s' if len(left_out) > 1 else ''} {', '.join(left_out)}"
        if left_out
        else ""
    )
    return (
        f"; only the plugins named in {ENV_LOAD}={value!r} were loaded{which}: if the name comes "
        f"from a plugin, add the plugin there or unset {ENV_LOAD}"
    )


def get_plugin_manager(
    load_entry_points: bool = True, extra: tuple[object, ...] = ()
) -> pluggy.PluginManager:
    """Build a fresh plugin manager: specs, built-ins, entry points, then validation."""
    pm = pluggy.PluginManager("collapse_guard")
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # an optional built-in that is not part of this installation
            raise
        pm.register(module, name=module_name)
    if load_entry_points:
        _load_entry_points(pm)
    for plugin in extra:
        pm.register(plugin)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        name = pm.get_name(exc.plugin) or repr(exc.plugin)
        raise PluginError(
            f"plugin {name!r} implements a hook that does not exist ({exc}); "
            "check the hook name against the plugin docs (docs/plugins.md)"
        ) from None
    if os.environ.get("COLLAPSE_GUARD_TRACE_PLUGINS") == "1":
        pm.trace.root.setwriter(lambda msg: sys.stderr.write(str(msg)))
        pm.enable_tracing()
    return pm


@dataclass(frozen=True)
class Registry:
    """Everything the plugins registered, keyed by name (sorted, for stable output)."""

    checks: dict[str, Check]
    readers: dict[str, Reader]
    reporters: dict[str, Reporter]
    owners: dict[tuple[str, str], str]


def _collect(
    pm: pluggy.PluginManager, hook: str, kind: str, required: tuple[str, ...]
) -> tuple[dict[str, Any], dict[tuple[str, str], str]]:
    items: dict[str, Any] = {}
    owners: dict[tuple[str, str], str] = {}
    calling = ""

    def register_for(_plugin: str) -> dict[str, Any]:
        nonlocal calling
        calling = _plugin
        label = plugin_label(_plugin)

        def register(obj: Any) -> None:
            for attr in required:
                if not hasattr(obj, attr):
                    raise PluginError(
                        f"plugin {label!r} registered a {kind} without {attr!r}: {obj!r}; "
                        f"see docs/plugins.md for what a {kind} must provide"
                    )
            name = obj.name
            if kind == "check":
                try:
                    validate_check(obj)
                except ValueError as exc:
                    raise PluginError(
                        f"plugin {label!r} registered an invalid check: {exc}; see docs/plugins.md "
                        "for what a check must provide"
                    ) from None
            if name in items:
                raise PluginError(
                    f"plugin {label!r} registered {kind} {name!r}, which plugin "
                    f"{plugin_label(owners[(kind, name)])!r} already registered; rename one of them"
                )
            items[name] = obj
            owners[(kind, name)] = _plugin
            _REGISTERED_BY[id(obj)] = (obj, _plugin)

        return {"register": register}

    try:
        call_each_plugin(pm, hook, register_for)
    except CollapseGuardError:
        raise
    except Exception as exc:
        if calling in DEFAULT_PLUGINS:
            raise  # collapse-guard's own bug: an internal error
        # Usually a MetricSpec refused while the hook builds a check (specs built at import time
        # fail in ep.load() instead, also naming the plugin).
        raise PluginError(
            f"plugin {plugin_label(calling)!r} failed in {hook}: {type(exc).__name__}: {exc}; "
            f"fix or uninstall it, or exclude it with {ENV_LOAD}"
        ) from exc
    return dict(sorted(items.items())), owners


# The plugin that registered each object, for messages about an object met without its registry
# (a reader handed to ``iter_chunks``). Keyed by id; the object is kept so the id stays its own.
_REGISTERED_BY: dict[int, tuple[object, str]] = {}


def registered_by(obj: object) -> str | None:
    """The name of the plugin that registered ``obj`` (a check, reader or reporter), or None when
    no registry built in this process has it."""
    entry = _REGISTERED_BY.get(id(obj))
    return entry[1] if entry is not None and entry[0] is obj else None


def render_report(reporter: Any, report: Any, *, show_traceback: bool | None = None) -> str:
    """``reporter.render(report)``; a third-party reporter's crash becomes a ``PluginCrashError``
    naming the format and its plugin (exit 2), not an internal error of collapse-guard.

    ``show_traceback`` says whether the traceback is shown anyway (``--traceback``), so that the
    message does not advise it; None reads it from ``errors.tracebacks_shown``, which the command
    line sets.
    """
    try:
        return str(reporter.render(report))
    except CollapseGuardError:
        raise
    except Exception as exc:
        owner = registered_by(reporter)
        if owner is None or owner in DEFAULT_PLUGINS:
            raise  # collapse-guard's own reporter: an internal error
        name = getattr(reporter, "name", type(reporter).__name__)
        traced = tracebacks_are_shown() if show_traceback is None else show_traceback
        advice = (
            "or choose another --format" if traced else "choose another --format, or rerun with --traceback"
        )
        raise PluginCrashError(
            f"report format {name!r} (plugin {plugin_label(owner)}) crashed: {type(exc).__name__}: {exc}; "
            f"report it to the plugin's authors, {advice}"
        ) from exc


def call_each_plugin(
    pm: pluggy.PluginManager,
    hook: str,
    arguments: Callable[[str], dict[str, Any]],
    after: Callable[[str], None] | None = None,
) -> None:
    """Call ``hook`` one plugin at a time, each with ``arguments(plugin_name)``, then
    ``after(plugin_name)``.

    A registration needs to know which plugin made it (for the errors that name it), so the
    implementations are called apart; through pluggy's hook callers, not directly, so that
    ``COLLAPSE_GUARD_TRACE_PLUGINS=1`` shows every call.
    """
    impls = getattr(pm.hook, hook).get_hookimpls()
    for impl in impls:
        others = [other.plugin for other in impls if other is not impl]
        pm.subset_hook_caller(hook, remove_plugins=others)(**arguments(impl.plugin_name))
        if after is not None:
            after(impl.plugin_name)


def build_registry(pm: pluggy.PluginManager) -> Registry:
    """Call the three registration hooks and validate what they return."""
    checks, o1 = _collect(
        pm, "register_checks", "check", ("name", "description", "metrics", "options", "run")
    )
    readers, o2 = _collect(pm, "register_readers", "reader", ("name", "suffixes", "read"))
    reporters, o3 = _collect(pm, "register_reporters", "reporter", ("name", "description", "render"))
    suffix_owner: dict[str, str] = {}
    for name, reader in readers.items():
        for suffix in reader.suffixes:
            if suffix.lower() in suffix_owner:
                raise PluginError(
                    f"reader {name!r} (plugin {o2[('reader', name)]!r}) claims suffix {suffix!r}, which "
                    f"reader {suffix_owner[suffix.lower()]!r} already reads; remove one of them"
                )
            suffix_owner[suffix.lower()] = name
    return Registry(checks, readers, reporters, {**o1, **o2, **o3})


@lru_cache(maxsize=1)
def default_plugin_manager() -> pluggy.PluginManager:
    """The plugin manager used by the CLI and the Python API (built once per process)."""
    return get_plugin_manager()


def third_party_plugins() -> list[str]:
    """Names of the plugins from outside collapse-guard that this process has loaded so far."""
    if not default_plugin_manager.cache_info().currsize:
        return []
    return [name for name, _ in default_plugin_manager().list_name_plugin() if name not in DEFAULT_PLUGINS]


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The registry used by the CLI and the Python API (built once per process)."""
    return build_registry(default_plugin_manager())


def get_checks() -> dict[str, Check]:
    return default_registry().checks


def get_readers() -> dict[str, Reader]:
    return default_registry().readers


def get_reporters() -> dict[str, Reporter]:
    return default_registry().reporters


RegisterFn = Callable[[Any], None]
