"""Configuration: ``[tool.collapse-guard]`` in pyproject.toml or ``collapse-guard.toml``.

Every key is validated; an unknown key or an out-of-range value raises ConfigError naming the key,
the file and the fix. Check-level keys are validated against the registered checks. Column names
(``[columns.NAME]``) cannot be validated here: a run warns about those its reference lacks
(``runner.warn_unknown_columns``).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import EMPTY_PATH, ConfigError
from .kinds import Kind, parse_kind
from .profile.settings import ProfileSettings
from .protocols import Check, MetricSpec

TOP_KEYS = {
    "alpha",
    "warn_alpha",
    "fail_on",
    "seed",
    "threads",
    "select",
    "ignore",
    "profile",
    "read",
    "checks",
    "columns",
}
PROFILE_KEYS = {"sample_rows", "text_docs", "text_tokens", "store_text", "max_categories"}
READ_KEYS = {"max_decompressed_bytes", "max_compression_ratio", "max_line_bytes", "max_columns"}
COLUMN_KEYS = {"kind", "ignore", "checks"}
IGNORE_KIND = "ignore"


@dataclass
class Config:
    """Validated settings for one run (defaults are the documented defaults)."""

    alpha: float = 0.01
    warn_alpha: float = 0.05
    fail_on: str = "fail"
    seed: int = 0
    threads: int = 0
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    profile: dict[str, Any] = field(default_factory=dict)
    read: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = "defaults"
    # Where select and ignore names came from when not from ``source`` (e.g. "--select"), so that
    # an unknown name is reported where the user typed it; set by ``with_overrides``.
    select_origin: str | None = None
    ignore_origins: dict[str, str] = field(default_factory=dict)
    # Where a column's kind came from when not from ``source``: "--column" or "columns= (the
    # Python API)"; set by ``with_overrides``.
    column_origins: dict[str, str] = field(default_factory=dict)

    # ----- derived views -------------------------------------------------------------------------
    def column_kinds(self) -> dict[str, Kind]:
        return {
            name: parse_kind(c["kind"])
            for name, c in self.columns.items()
            if "kind" in c and c["kind"] != IGNORE_KIND
        }

    def ignored_columns(self) -> set[str]:
        return {name for name, c in self.columns.items() if c.get("ignore") or c.get("kind") == IGNORE_KIND}

    def reference_settings(self) -> ProfileSettings:
        return ProfileSettings.reference(seed=self.seed, **self.profile)

    def batch_settings(self) -> ProfileSettings:
        caps = {k: v for k, v in self.profile.items() if k == "max_categories"}
        return ProfileSettings.batch(seed=self.seed, **caps)

    def read_limits(self) -> Any:
        """The reader limits (``[read]``) as a ``ReadLimits``."""
        from .readers import ReadLimits

        return ReadLimits(**self.read)

    def max_columns(self) -> int:
        """Widest table read and profiled (``[read] max_columns``)."""
        from .profile.settings import MAX_COLUMNS

        return int(self.read.get("max_columns", MAX_COLUMNS))

    def check_enabled(self, check: Check) -> bool:
        if check.name in self.ignore:
            return False
        if self.select is not None:
            return check.name in self.select
        return bool(self.checks.get(check.name, {}).get("enabled", getattr(check, "default_enabled", True)))

    def unknown_columns(self, known: Iterable[str]) -> list[str]:
        """Column names of the config file (``[columns.NAME]``) not among ``known``, in config
        order. Columns given on the command line or to the API (``--column``, ``columns=``) are
        left out: ``check`` refuses a kind its reference cannot apply, and the warning this feeds
        speaks of ``[columns]``."""
        have = set(known)
        return [name for name in self.columns if name not in have and name not in self.column_origins]

    def column_enabled(self, check: str, column: str) -> bool:
        per_col = self.columns.get(column, {}).get("checks", {}).get(check, {})
        return bool(per_col.get("enabled", True))

    def option(self, check: Check, name: str, column: str | None = None) -> Any:
        if name not in check.options:
            raise KeyError(f"check {check.name!r} has no option {name!r}")
        if column is not None:
            per_col = self.columns.get(column, {}).get("checks", {}).get(check.name, {})
            if name in per_col:
                return per_col[name]
        return self.checks.get(check.name, {}).get(name, check.options[name].default)

    def thresholds(self, check: Check, metric: str, column: str | None) -> tuple[float, float]:
        spec = check.metrics[metric]
        warn, fail = spec.warn, spec.fail
        levels = [self.checks.get(check.name, {}).get("thresholds", {}).get(metric, {})]
        if column is not None:
            per_col = self.columns.get(column, {}).get("checks", {}).get(check.name, {})
            levels.append(per_col.get("thresholds", {}).get(metric, {}))
        for level in levels:
            warn = level.get("warn", warn)
            fail = level.get("fail", fail)
        return float(warn), float(fail)

    # ----- validation against registered checks ---------------------------------------------------
    def validate(self, checks: Mapping[str, Check]) -> None:
        """Check names, options and thresholds against the registered checks."""
        where = self.source
        named = [(n, self.select_origin or f"select ({where})") for n in self.select or ()]
        named += [(n, self.ignore_origins.get(n, f"ignore ({where})")) for n in self.ignore]
        for name, origin in named:
            if name not in checks:
                raise _unknown_check(name, origin, checks)
        for name, table in self.checks.items():
            if name not in checks:
                raise _unknown_check(name, f"[checks] ({where})", checks)
            _validate_check_table(checks[name], table, f"checks.{name}", where)
        for col, table in self.columns.items():
            for name, sub in table.get("checks", {}).items():
                if name not in checks:
                    raise _unknown_check(name, f"columns.{col}.checks ({where})", checks)
                _validate_check_table(checks[name], sub, f"columns.{col}.checks.{name}", where)


def _unknown_check(name: str, origin: str, checks: Mapping[str, Check]) -> ConfigError:
    """The error for a check name no plugin registered; it says where the name was given and,
    when COLLAPSE_GUARD_LOAD_PLUGINS restricted the plugins, that its plugin may be left out."""
    from .plugins import restricted_plugins_hint

    return ConfigError(
        f"unknown check {name!r} in {origin}; known checks: {', '.join(sorted(checks))}"
        + restricted_plugins_hint()
    )


def _validate_check_table(check: Check, table: Mapping[str, Any], prefix: str, where: str) -> None:
    for key, value in table.items():
        if key == "enabled":
            if not isinstance(value, bool):
                raise ConfigError(f"{prefix}.enabled must be true or false, {_got(value)} ({where})")
        elif key == "thresholds":
            if not isinstance(value, Mapping):
                raise ConfigError(f"{prefix}.thresholds must be a table, {_got(value)} ({where})")
            for metric, levels in value.items():
                if metric not in check.metrics:
                    raise ConfigError(
                        f"unknown metric {metric!r} in {prefix}.thresholds ({where}); "
                        f"{check.name} metrics: " + ", ".join(sorted(check.metrics))
                    )
                _validate_levels(check.metrics[metric], levels, f"{prefix}.thresholds.{metric}", where)
        elif key in check.options:
            spec = check.options[key]
            if not spec.validate(value):
                raise ConfigError(f"{prefix}.{key} = {value!r} is invalid ({where}); expected {spec.expect}")
        else:
            known = ["enabled", "thresholds", *sorted(check.options)]
            raise ConfigError(f"unknown key {key!r} in {prefix} ({where}); known keys: " + ", ".join(known))


def _float_like(value: float) -> bool:
    """Not NaN, and (for a TOML integer) small enough to be a float."""
    try:
        return not math.isnan(float(value))
    except OverflowError:
        return False


def _validate_levels(spec: MetricSpec, levels: Any, prefix: str, where: str) -> None:
    if not isinstance(levels, Mapping):
        raise ConfigError(
            f"{prefix} must be a table like {{warn = 0.7, fail = 0.5}}, {_got(levels)} ({where})"
        )
    for key, value in levels.items():
        if key not in ("warn", "fail"):
            raise ConfigError(f"unknown key {key!r} in {prefix} ({where}); use warn and fail")
        if not _is_number(value) or not _float_like(value):
            raise ConfigError(f"{prefix}.{key} must be a number, {_got(value)} ({where})")
        lo, hi = spec.bounds
        if not lo <= value <= hi:
            raise ConfigError(f"{prefix}.{key} = {value} is out of range [{lo}, {hi}] ({where})")
    warn = levels.get("warn", spec.warn)
    fail = levels.get("fail", spec.fail)
    if not spec.beyond(fail, warn):
        relation = "<=" if spec.worse == "lower" else ">="
        raise ConfigError(
            f"{prefix}: fail ({fail}) must be {relation} warn ({warn}) because "
            f"{'lower' if spec.worse == 'lower' else 'higher'} values are worse ({where})"
        )


_TYPE_NAMES = {
    bool: "a boolean",
    int: "an integer",
    float: "a float",
    str: "a string",
    list: "an array",
    tuple: "an array",
}


def _type_name(value: Any) -> str:
    """How TOML calls the type of a parsed value."""
    if isinstance(value, Mapping):
        return "a table"
    return _TYPE_NAMES.get(
        type(value), "a date or time" if hasattr(value, "isoformat") else type(value).__name__
    )


def _got(value: Any) -> str:
    """'got VALUE', with its TOML type when that is not a number (the usual mistake: quotes)."""
    if isinstance(value, bool):
        return f"got {str(value).lower()} (a boolean)"
    if isinstance(value, (int, float)):
        return f"got {value!r}"
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"got {shown} ({_type_name(value)})"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(table: Mapping[str, Any], key: str, lo: float, hi: float, where: str) -> float | None:
    if key not in table:
        return None
    value = table[key]
    if not _is_number(value):
        raise ConfigError(f"{key} must be a number in ({lo}, {hi}], {_got(value)} ({where})")
    if not lo < value <= hi:
        raise ConfigError(f"{key} = {value!r} is out of range ({lo}, {hi}] ({where})")
    return float(value)


def _string_list(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...] | None:
    """A list of check names. A bare string is refused rather than guessed at (a TOML string is
    not a list, and "a, b" would silently name one unknown check)."""
    if key not in table:
        return None
    value = table[key]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            f'{key} must be a list of check names, e.g. {key} = ["tail-shrinkage"], {_got(value)} ({where})'
        )
    return tuple(value)


# Allowed ranges of the integer settings: (lowest, highest or None, what the value means).
PROFILE_INT_RANGES: dict[str, tuple[int, int | None, str]] = {
    "sample_rows": (0, None, "rows; 0 turns the row sample off"),
    "text_docs": (1, None, "documents"),
    "text_tokens": (1, None, "tokens"),
    "max_categories": (1, None, "distinct values"),
}
READ_INT_RANGES: dict[str, tuple[int, int | None, str]] = {
    "max_decompressed_bytes": (1, None, "bytes"),
    "max_line_bytes": (1, 2**31 - 1, "bytes"),
}


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:([kmgt])i?)?b?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
SIZE_EXAMPLES = "500M or 10G"


def parse_size(text: str) -> int:
    """Bytes in a size such as ``4096``, ``512K``, ``4M``, ``1.5G``, ``10GiB`` or ``64kb``.

    Units are binary (K = 1024) and case-insensitive; a trailing ``B`` or ``iB`` is optional.
    The one parser of sizes: ``scan --max-line-bytes``/``--max-decompressed-bytes`` and the
    config's ``[read]`` sizes both use it. Raises ValueError (saying what a size looks like).
    """
    from decimal import Decimal

    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a size such as {SIZE_EXAMPLES}")
    unit = _SIZE_UNITS[(match.group(2) or "").lower()]
    return int(Decimal(match.group(1)) * unit)  # exact: no float rounding of large sizes


def _integer_in_range(
    value: Any, key: str, bounds: tuple[int, int | None, str], where: str, size: bool = False
) -> int:
    """``value`` as an integer within ``bounds``; with ``size``, a size string such as "4M"
    (``parse_size``) is accepted too."""
    lo, hi, unit = bounds
    allowed = f"from {lo:,} to {hi:,}" if hi is not None else f"of at least {lo:,}"
    expect = f"{key} must be an integer {allowed} ({unit})"
    if size:
        expect += ' or a size such as "4M"'
    got = _got(value)
    number = value
    if size and isinstance(value, str):
        try:
            number = parse_size(value)
        except ValueError:
            number = None
        else:
            got = f"got {value!r} ({number:,} bytes)"
    if not _is_int(number) or number < lo or (hi is not None and number > hi):
        raise ConfigError(f"{expect}, {got} ({where})")
    return int(number)


def parse_config(table: Mapping[str, Any], source: str) -> Config:
    """Build a Config from a TOML table; raises ConfigError on unknown keys or bad values."""
    for key in table:
        if key not in TOP_KEYS:
            raise ConfigError(f"unknown key {key!r} in {source}; known keys: " + ", ".join(sorted(TOP_KEYS)))
    cfg = Config(source=source)
    alpha = _number(table, "alpha", 0.0, 0.5, source)
    warn_alpha = _number(table, "warn_alpha", 0.0, 0.5, source)
    cfg.alpha = alpha if alpha is not None else cfg.alpha
    cfg.warn_alpha = warn_alpha if warn_alpha is not None else max(cfg.warn_alpha, cfg.alpha)
    if cfg.warn_alpha < cfg.alpha:
        raise ConfigError(f"warn_alpha ({cfg.warn_alpha}) must be >= alpha ({cfg.alpha}) ({source})")
    if "fail_on" in table:
        if not isinstance(table["fail_on"], str) or table["fail_on"] not in ("fail", "warn"):
            raise ConfigError(f'fail_on must be "fail" or "warn", got {table["fail_on"]!r} ({source})')
        cfg.fail_on = table["fail_on"]
    if "seed" in table:
        if not _is_int(table["seed"]) or table["seed"] < 0:
            raise ConfigError(f"seed must be a non-negative integer, {_got(table['seed'])} ({source})")
        cfg.seed = table["seed"]
    if "threads" in table:
        threads = table["threads"]
        if not _is_int(threads) or not 0 <= threads <= 64:
            raise ConfigError(
                f"threads must be an integer from 0 (one per CPU) to 64, {_got(threads)} ({source})"
            )
        cfg.threads = threads
    for key in ("profile", "read", "checks", "columns"):
        if key in table and not isinstance(table[key], Mapping):
            raise ConfigError(
                f"{key} must be a table ([{key}] or {key} = {{...}}), {_got(table[key])} ({source})"
            )
    cfg.select = _string_list(table, "select", source)
    if cfg.select is not None and not cfg.select:
        raise ConfigError(f"select is empty, so no check would run ({source}); list at least one check")
    cfg.ignore = _string_list(table, "ignore", source) or ()
    profile = table.get("profile", {})
    for key, value in profile.items():
        if key not in PROFILE_KEYS:
            raise ConfigError(
                f"unknown key {key!r} in [profile] ({source}); known keys: " + ", ".join(sorted(PROFILE_KEYS))
            )
        if key == "store_text":
            if not isinstance(value, bool):
                raise ConfigError(f"profile.store_text must be true or false, {_got(value)} ({source})")
        else:
            _integer_in_range(value, f"profile.{key}", PROFILE_INT_RANGES[key], source)
    cfg.profile = dict(profile)
    read = table.get("read", {})
    for key, value in read.items():
        if key not in READ_KEYS:
            raise ConfigError(
                f"unknown key {key!r} in [read] ({source}); known keys: " + ", ".join(sorted(READ_KEYS))
            )
        if key == "max_columns":
            cfg.read[key] = _integer_in_range(value, f"read.{key}", (1, None, "columns"), source)
        elif key in READ_INT_RANGES:  # sizes in bytes: an integer or "4M", as on the command line
            cfg.read[key] = _integer_in_range(value, f"read.{key}", READ_INT_RANGES[key], source, size=True)
        elif not _is_number(value) or not value > 1:  # max_compression_ratio (NaN fails too)
            raise ConfigError(f"read.{key} must be a number greater than 1, {_got(value)} ({source})")
        else:
            cfg.read[key] = value
    checks = table.get("checks", {})
    for name, sub in checks.items():
        if not isinstance(sub, Mapping):
            raise ConfigError(
                f"checks.{name} must be a table ([checks.{name}]) of that check's settings, "
                f"{_got(sub)} ({source})"
            )
    cfg.checks = {k: dict(v) for k, v in checks.items()}
    columns = table.get("columns", {})
    for name, col in columns.items():
        if not isinstance(col, Mapping):
            raise ConfigError(f"columns.{name} must be a table ([columns.{name}]), {_got(col)} ({source})")
        for key in col:
            if key not in COLUMN_KEYS:
                raise ConfigError(
                    f"unknown key {key!r} in columns.{name} ({source}); known keys: "
                    + ", ".join(sorted(COLUMN_KEYS))
                )
        per_check = col.get("checks", {})
        if not isinstance(per_check, Mapping):
            raise ConfigError(
                f"columns.{name}.checks must be a table of per-check tables, {_got(per_check)} ({source})"
            )
        for check, sub in per_check.items():
            if not isinstance(sub, Mapping):
                raise ConfigError(
                    f"columns.{name}.checks.{check} must be a table ([columns.{name}.checks.{check}]), "
                    f"{_got(sub)} ({source})"
                )
        if "ignore" in col and not isinstance(col["ignore"], bool):
            raise ConfigError(
                f"columns.{name}.ignore must be true or false, {_got(col['ignore'])} ({source})"
            )
        if "kind" in col and not isinstance(col["kind"], str):
            raise ConfigError(
                f'columns.{name}.kind must be a string: "numeric", "categorical", "text" or "ignore", '
                f"{_got(col['kind'])} ({source})"
            )
        if "kind" in col and col["kind"] != IGNORE_KIND:
            try:
                parse_kind(str(col["kind"]))
            except ValueError as exc:
                raise ConfigError(f"columns.{name}.kind: {exc} ({source})") from None
    cfg.columns = {k: dict(v) for k, v in columns.items()}
    return cfg


def load_config(path: str | Path | None = None, cwd: str | Path | None = None) -> Config:
    """Load the config from ``path``, else ``collapse-guard.toml`` or ``pyproject.toml`` in ``cwd``."""
    if path is not None:
        if isinstance(path, str) and not path:
            raise ConfigError(f"--config: {EMPTY_PATH}; pass a config file, or leave --config out")
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"config file {p} not found; check the --config path")
        return _load_file(p)
    base = Path(cwd) if cwd is not None else Path.cwd()
    own = base / "collapse-guard.toml"
    if own.is_file():
        return _load_file(own)
    pyproject = base / "pyproject.toml"
    if pyproject.is_file():
        return _load_file(pyproject)
    return Config()


def _load_file(path: Path) -> Config:
    try:
        # utf-8-sig: a byte-order mark, which many Windows editors write, is dropped.
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc}); save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the syntax") from None
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        table = tool.get("collapse-guard", {}) if isinstance(tool, Mapping) else {}
        if not isinstance(table, Mapping):
            raise ConfigError(
                f"tool.collapse-guard in {path} must be a table ([tool.collapse-guard]), {_got(table)}"
            )
        return parse_config(table, f"[tool.collapse-guard] in {path}")
    tool = data.get("tool")
    if isinstance(tool, Mapping) and "collapse-guard" in tool:
        # Only a file named pyproject.toml is read from [tool.collapse-guard]; a copy of that
        # table in another file would otherwise fail with a bare "unknown key 'tool'".
        raise ConfigError(
            f"unknown key 'tool' in {path}; a config file not named pyproject.toml is read from its "
            "top level: move the [tool.collapse-guard] table's keys up (drop the 'tool.collapse-guard' "
            "prefix of its table names), or name the file pyproject.toml"
        )
    return parse_config(data, str(path))


API_COLUMNS = "columns= (the Python API)"


def with_overrides(
    cfg: Config,
    *,
    fail_on: str | None = None,
    select: tuple[str, ...] | None = None,
    ignore: tuple[str, ...] = (),
    columns: Mapping[str, str] | None = None,
    seed: int | None = None,
    select_origin: str = "select= (the Python API)",
    ignore_origin: str = "ignore= (the Python API)",
    column_origin: str = API_COLUMNS,
) -> Config:
    """Apply command-line options (or the Python API's arguments) on top of a loaded config.

    ``select_origin``/``ignore_origin``/``column_origin`` say where ``select``/``ignore``/
    ``columns`` were given (the command line passes ``"--select"``/``"--ignore"``/
    ``"--column"``), for the errors about them. An empty ``select`` (not None) is refused, as
    ``select = []`` in a config file is: no check would run.
    """
    from dataclasses import replace

    if columns is not None and not isinstance(columns, Mapping):
        raise TypeError(
            "columns= must be a mapping of column name to kind (numeric, categorical, text or "
            f"ignore), e.g. columns={{'user_id': 'ignore'}}; got {type(columns).__name__}"
        )
    new = replace(
        cfg,
        columns={k: dict(v) for k, v in cfg.columns.items()},
        ignore_origins=dict(cfg.ignore_origins),
        column_origins=dict(cfg.column_origins),
    )
    if fail_on is not None:
        new.fail_on = fail_on
    if select is not None and not select:
        raise ConfigError(
            f"{select_origin} is empty, so no check would run; list at least one check, or leave it "
            "out to run them all"
        )
    if select:
        new.select = tuple(select)
        new.select_origin = select_origin
    if ignore:
        new.ignore = tuple(cfg.ignore) + tuple(ignore)
        for name in ignore:
            if name not in cfg.ignore:
                new.ignore_origins.setdefault(name, ignore_origin)
    if seed is not None:
        new.seed = seed
    for name, kind in (columns or {}).items():
        if not isinstance(name, str):
            raise TypeError(f"columns= keys must be column names (strings), got {name!r}")
        origin = new.column_origins.setdefault(name, column_origin)
        if isinstance(kind, Kind):
            kind = kind.value
        if not isinstance(kind, str):
            raise TypeError(
                f"columns= values must be kinds: 'numeric', 'categorical', 'text' or 'ignore', got "
                f"{kind!r} for {name!r}"
            )
        if kind != IGNORE_KIND:
            try:
                parse_kind(kind)
            except ValueError as exc:
                raise ConfigError(f"{column_option(name, kind, origin)}: {exc} (or 'ignore')") from None
        new.columns.setdefault(name, {})["kind"] = kind
    return new


def column_option(name: str, kind: str, origin: str | None) -> str:
    """How a column's kind was given, for a message: ``--column x=numeric``,
    ``columns={'x': 'numeric'}`` (the Python API) or ``[columns.x] kind = "numeric"``."""
    if origin == "--column":
        return f"--column {name}={kind}"
    if origin == API_COLUMNS:
        return f"columns={{{name!r}: {kind!r}}}"
    return f'[columns.{name}] kind = "{kind}"'
