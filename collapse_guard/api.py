"""The Python API: the same core the CLI, GX expectations and the pre-commit hook use."""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from .config import Config, column_option, load_config, parse_config, with_overrides
from .errors import EMPTY_PATH, ConfigError, InputError
from .kinds import Kind
from .plugins import Registry, default_registry
from .profile import Profile, build_profile
from .profile.build import separator_hint
from .profile.columns import SHOWN_NAMES
from .profile.io import is_profile_file
from .provenance import provenance_filter
from .readahead import read_ahead
from .readers import documents_only, iter_chunks
from .readers.builtin import TextReader
from .results import Report
from .runner import run_checks

PathLike = str | Path
DataLike = pd.DataFrame | Iterable[pd.DataFrame]


def resolve_config(config: Config | Mapping[str, Any] | PathLike | None) -> Config:
    """A Config from a Config, a TOML-like dict, a file path, or None (built-in defaults)."""
    if config is None:
        return Config()
    if isinstance(config, Config):
        return config
    if isinstance(config, Mapping):
        return parse_config(config, "the config passed to the Python API")
    if not isinstance(config, (str, Path)):
        raise TypeError(
            f"config must be a cg.Config, a dict shaped like the TOML, or a config file path; "
            f"got {type(config).__name__}"
        )
    if isinstance(config, str) and not config:
        raise ConfigError(f"config: {EMPTY_PATH}; pass a config file, or leave config out for the defaults")
    return load_config(config)


def _chunks(data: DataLike) -> Iterable[pd.DataFrame | pa.Table]:
    """The data of cg.profile / cg.check as chunks: a frame, or an iterable of frames."""
    if isinstance(data, (pd.DataFrame, pa.Table)):
        return [data]
    if isinstance(data, (str, Path)):
        raise TypeError(
            f"got the path {str(data)!r}; pass a DataFrame here, or use cg.profile_files / "
            "cg.check_files for files and folders"
        )
    if isinstance(data, (pd.Series, Mapping)) or not isinstance(data, Iterable) or hasattr(data, "shape"):
        raise TypeError(
            f"got a {type(data).__name__}; pass a pandas DataFrame (or a pyarrow Table), or an "
            "iterable of them as chunks with the same columns"
        )
    return _frames(data)


def _frames(chunks: Iterable[Any]) -> Iterator[pd.DataFrame | pa.Table]:
    for i, chunk in enumerate(chunks):
        if not isinstance(chunk, (pd.DataFrame, pa.Table)):
            raise TypeError(
                f"chunk {i} is a {type(chunk).__name__}; every chunk must be a pandas DataFrame or a "
                "pyarrow Table"
            )
        yield chunk


def _a(obj: object) -> str:
    """``obj``'s type with its article: "an int", "a list"."""
    name = type(obj).__name__
    return ("an " if name[:1].lower() in "aeiou" else "a ") + name


def _names(option: str, names: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """select= / ignore= as check names: one name may be given as a plain string."""
    if names is None:
        return None
    if isinstance(names, str):
        return (names,) if names.strip() else ()
    if isinstance(names, Mapping) or not isinstance(names, Iterable):
        raise TypeError(
            f"{option}= must be a check name or a list of check names, e.g. {option}=['tail-shrinkage'], "
            f"got {_a(names)}"
        )
    names = list(names)
    if not all(isinstance(n, str) for n in names):
        raise TypeError(f"{option}= must be check names (strings), got {names!r}")
    return tuple(n for n in names if n.strip())


def _select(select: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """select= as check names; an empty one (``[]``, ``""``) would run no check, as ``select = []``
    in a config file would, and is refused the same way."""
    names = _names("select", select)
    if names is not None and not names:
        raise ConfigError(
            "select= (the Python API) is empty, so no check would run; list at least one check, or "
            "leave select out to run them all"
        )
    return names


def _seed(seed: int | None) -> int | None:
    """A seed: any whole number >= 0, numpy integers included (not a bool)."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(f"seed must be a whole number >= 0, got {seed!r}")
    return int(seed)


def _registry(config: Config) -> Registry:
    registry = default_registry()
    config.validate(registry.checks)
    return registry


def profile(
    data: DataLike,
    *,
    config: Config | Mapping[str, Any] | PathLike | None = None,
    columns: Mapping[str, str] | None = None,
    synthetic: bool = False,
    part: bool = False,
) -> Profile:
    """Profile a DataFrame (or an iterable of chunks) as a reference.

    ``part=True`` profiles one part of a dataset that is profiled part by part and merged (Spark
    or Dask partitions, ``Profile.merge``): an empty part, or a column without values in this
    part, is then allowed (declare kinds with ``columns=`` so every part reads a column the same
    way); the merged profile is refused if a column has no value in any part.
    """
    cfg = with_overrides(resolve_config(config), columns=columns)
    return _with_columns(
        build_profile(
            _chunks(data),
            settings=cfg.reference_settings(),
            kinds=cfg.column_kinds(),
            ignore=cfg.ignored_columns(),
            synthetic=synthetic,
            required=tuple(columns or ()),
            max_columns=cfg.max_columns(),
            part=part,
        )
    )


def profile_files(
    paths: Sequence[PathLike] | PathLike,
    *,
    config: Config | Mapping[str, Any] | PathLike | None = None,
    columns: Mapping[str, str] | None = None,
    synthetic: bool = False,
    output: PathLike | None = None,
) -> Profile:
    """Profile data files or folders as a reference.

    ``output`` is the file the profile will be saved to: left out of the folders read, so that
    a reference kept beside its data is not read as data the next time.
    """
    files = _paths(paths, "profile_files", "cg.profile(df)")
    cfg = with_overrides(resolve_config(config), columns=columns)
    registry = _registry(cfg)
    # Text documents make a text column whatever inference would say of a few short ones.
    by_format = {TextReader.column: Kind.TEXT} if documents_only(files) else {}
    return _with_columns(
        build_profile(
            _read_files(files, registry, cfg, output),
            settings=cfg.reference_settings(),
            kinds={**by_format, **cfg.column_kinds()},
            ignore=cfg.ignored_columns(),
            synthetic=synthetic,
            required=tuple(columns or ()),
            max_columns=cfg.max_columns(),
        )
    )


def _with_columns(prof: Profile) -> Profile:
    """A reference must have a column to compare; with every column skipped it has none, which
    a ';'-separated file read as CSV (one merged column) shows too."""
    if prof.columns or prof.rows == 0:  # rows == 0: an empty part (part=True), merged away
        return prof
    where = ", ".join(prof.source) if prof.source else "the data"
    shown = list(prof.skipped.items())[:SHOWN_NAMES]
    reasons = "; ".join(f"{name!r} {why}" for name, why in shown)
    if len(prof.skipped) > SHOWN_NAMES:
        reasons += f"; ... and {len(prof.skipped) - SHOWN_NAMES:,} more"
    hint = separator_hint(list(prof.skipped)) or "declare a column's kind with --column NAME=KIND"
    raise InputError(f"{where}: no column can be profiled ({reasons}); {hint}")


def _read_files(
    paths: list[Path], registry: Registry, cfg: Config, output: PathLike | None = None
) -> Iterator[tuple[Path, Any]]:
    """Chunks of the files for the profile builder: Arrow tables, read a chunk ahead; ``output``
    (the file the command writes) is left out of folders."""
    skip = () if output is None else (output,)
    return read_ahead(iter_chunks(paths, registry.readers, limits=cfg.read_limits(), arrow=True, skip=skip))


def _paths(paths: Sequence[PathLike] | PathLike, option: str, frames: str) -> list[Path]:
    """``paths`` (one path or a list of them) as Paths. ``option`` names the argument and
    ``frames`` the function that takes a DataFrame instead, for the TypeError.

    An empty string is refused: ``Path("")`` is the current folder, so ``check_files([""])``
    (an unset variable) would read everything under it.
    """
    if isinstance(paths, (pd.DataFrame, pa.Table, pd.Series)):
        raise TypeError(f"{option} takes file or folder paths, got {_a(paths)}; use {frames}")
    if isinstance(paths, (str, os.PathLike)):
        items: list[Any] = [paths]
    elif isinstance(paths, Iterable) and not isinstance(paths, (bytes, Mapping)):
        items = list(paths)
    else:
        raise TypeError(f"{option} takes a file or folder path or a list of them, got {_a(paths)}")
    out = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            raise TypeError(
                f"{option} takes file or folder paths (str or pathlib.Path), got {_a(item)} in "
                "the list" + (f"; use {frames}" if isinstance(item, (pd.DataFrame, pa.Table)) else "")
            )
        if isinstance(item, str) and not item:
            raise InputError(f"{EMPTY_PATH}; pass a file or folder")
        out.append(Path(item))
    return out


def load_reference(reference: Profile | PathLike) -> Profile:
    """A Profile, or load one from a path; a profile of machine-generated data is refused.

    Raises
    ------
    InputError
        When the profile was made with ``profile --synthetic`` (``synthetic=True``): compared
        with it, the batch would be judged against machine text as if it were human.
    """
    if isinstance(reference, Profile):
        prof = reference
        prof.refuse_unusable("the reference")
    elif isinstance(reference, str) and not reference:
        raise InputError(f"reference: {EMPTY_PATH}; pass a reference file")
    elif not isinstance(reference, (str, Path)):
        raise TypeError(
            f"reference must be a cg.Profile or the path of a reference file, got a "
            f"{type(reference).__name__}; build one with cg.profile(human_df)"
        )
    else:
        prof = Profile.load(reference)
    if prof.synthetic:
        if isinstance(reference, Profile):
            raise InputError(
                "the reference profile was built with synthetic=True (a machine-generated sample); "
                "pass it as synthetic_reference=, and build the reference from human data"
            )
        raise InputError(
            f"{reference}: is a profile of machine-generated data (made with `profile --synthetic`), "
            "not a human reference; pass it as --synthetic-reference, and build the reference from "
            "human data without --synthetic"
        )
    return prof


def load_synthetic(
    synthetic: Profile | pd.DataFrame | PathLike | Sequence[PathLike] | None, cfg: Config
) -> Profile | None:
    """A synthetic-sample profile from a profile, a DataFrame, a profile file or data files."""
    if synthetic is None or isinstance(synthetic, Profile):
        return synthetic
    if isinstance(synthetic, pd.DataFrame):
        return build_profile([synthetic], settings=cfg.reference_settings(), synthetic=True)
    if not isinstance(synthetic, (str, os.PathLike, Sequence)) or isinstance(synthetic, bytes):
        raise TypeError(
            "synthetic_reference must be a cg.Profile built with synthetic=True, a DataFrame of "
            "machine-generated data, or the path(s) of a --synthetic profile or of data files; got "
            f"{_a(synthetic)}"
        )
    paths = _paths(synthetic, "synthetic_reference", "a DataFrame directly")
    if len(paths) == 1 and paths[0].is_file() and is_profile_file(paths[0]):
        prof = Profile.load(paths[0])
        if not prof.synthetic:
            # Only the file's mark tells a human reference from a machine sample: the data is gone.
            raise InputError(
                f"{paths[0]}: is a human reference profile, not a machine-generated sample; pass "
                "a profile made with `collapse-guard profile --synthetic`, or the machine-generated "
                "data files, as --synthetic-reference"
            )
        return prof
    registry = default_registry()
    return build_profile(
        _read_files(paths, registry, cfg),
        settings=cfg.reference_settings(),
        synthetic=True,
        max_columns=cfg.max_columns(),
    )


def _check(
    chunks: Iterable[Any],
    reference: Profile | PathLike,
    cfg: Config,
    synthetic_reference: Any,
    paths: list[str] | None,
    show_tracebacks: bool,
    required: Sequence[str] = (),
) -> Report:
    registry = _registry(cfg)
    if not any(cfg.check_enabled(c) for c in registry.checks.values()):
        raise ConfigError("no check is left to run after --select/--ignore and config; enable at least one")
    ref = load_reference(reference)
    kinds = cfg.column_kinds()
    unknown = [c for c in kinds if c in ref.columns and ref.columns[c].kind != kinds[c]]
    if unknown:
        name = unknown[0]
        origin = cfg.column_origins.get(name)
        option = column_option(name, kinds[name].value, origin)
        given = option if origin is not None else f"{option} in {cfg.source}"
        raise ConfigError(
            f"{given}: column {name!r} is {ref.columns[name].kind} in the reference; a batch is "
            "always read with the reference's kinds, so rebuild the reference with "
            f"`profile --column {name}={kinds[name].value}`, or drop the kind"
        )
    _refuse_kinds_without_profile(cfg, ref, required)
    # A --column naming a reference column is fine even when the batch lacks it (=ignore is the
    # advertised way out); one that neither side has is a typo.
    typed = [c for c in required if c not in ref.columns and c not in ref.skipped]
    # Before the batch is read: a wrong synthetic profile file should not cost a whole read.
    synthetic = load_synthetic(synthetic_reference, cfg)
    batch = build_profile(
        chunks,
        settings=cfg.batch_settings(),
        reference=ref,
        ignore=cfg.ignored_columns(),
        required=typed,
        max_columns=cfg.max_columns(),
        keep_unreferenced=provenance_filter(cfg, registry.checks),
    )
    return run_checks(
        ref,
        batch,
        registry.checks,
        cfg,
        synthetic=synthetic,
        batch_paths=paths,
        show_tracebacks=show_tracebacks,
    )


def _refuse_kinds_without_profile(cfg: Config, ref: Profile, required: Sequence[str]) -> None:
    """A kind given on ``check`` (``--column``, ``columns=``) for a column the reference has no
    profile of (ignored or skipped when it was built, or not in its data) cannot take effect: a
    batch is read with the reference's kinds. Only ``ignore`` can apply to such a column."""
    kinds = cfg.column_kinds()
    for name in required:
        if name not in kinds or name in ref.columns:
            continue
        option = column_option(name, kinds[name].value, cfg.column_origins.get(name))
        where = f" {ref.path}" if ref.path else ""
        why = (
            f"it was skipped when profiled: {ref.skipped[name]}"
            if name in ref.skipped
            else "it was ignored or absent when the reference was built"
        )
        raise ConfigError(
            f"{option}: the reference{where} has no profile of column {name!r} ({why}), and a batch "
            f"is read with the reference's kinds; re-profile the human data with {option}, or check "
            "the column name"
        )


def check(
    data: DataLike,
    reference: Profile | PathLike,
    *,
    config: Config | Mapping[str, Any] | PathLike | None = None,
    select: str | Sequence[str] | None = None,
    ignore: str | Sequence[str] = (),
    columns: Mapping[str, str] | None = None,
    synthetic_reference: Profile | pd.DataFrame | PathLike | None = None,
    seed: int | None = None,
) -> Report:
    """Check a DataFrame (or chunks) against a reference profile (or its path)."""
    cfg = with_overrides(
        resolve_config(config),
        select=_select(select),
        ignore=_names("ignore", ignore) or (),
        columns=columns,
        seed=_seed(seed),
    )
    return _check(
        _chunks(data), reference, cfg, synthetic_reference, ["<DataFrame>"], False, tuple(columns or ())
    )


def check_files(
    paths: Sequence[PathLike] | PathLike,
    reference: Profile | PathLike,
    *,
    config: Config | Mapping[str, Any] | PathLike | None = None,
    select: str | Sequence[str] | None = None,
    ignore: str | Sequence[str] = (),
    columns: Mapping[str, str] | None = None,
    synthetic_reference: Profile | pd.DataFrame | PathLike | Sequence[PathLike] | None = None,
    seed: int | None = None,
    show_tracebacks: bool = False,
    output: PathLike | None = None,
) -> Report:
    """Check data files or folders against a reference profile (or its path).

    ``show_tracebacks`` writes the traceback of a check that crashed to stderr (``--traceback``);
    the crash is an ``error`` finding either way. ``output`` is the file the report will be
    written to: left out of the folders read, so that a report kept beside the data (``check
    data/ -o data/report.md``) is not read as data the next time.
    """
    files = _paths(paths, "check_files", "cg.check(df, reference)")
    cfg = with_overrides(
        resolve_config(config),
        select=_select(select),
        ignore=_names("ignore", ignore) or (),
        columns=columns,
        seed=_seed(seed),
    )
    registry = _registry(cfg)
    return _check(
        _read_files(files, registry, cfg, output),
        reference,
        cfg,
        synthetic_reference,
        [str(p) for p in files],
        show_tracebacks,
        tuple(columns or ()),
    )
