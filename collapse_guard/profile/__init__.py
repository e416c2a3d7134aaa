"""Profiles: the reference (and each batch) as mergeable per-column summaries plus bounded samples."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .build import build_profile
    from .categorical import CategoricalProfile
    from .model import ColumnProfile, Profile
    from .numeric import NumericProfile
    from .settings import ProfileSettings
    from .text import TextProfile, TokenSample

# Loaded on first use (PEP 562), like the package root: see collapse_guard/__init__.py.
_HOME = {
    "build_profile": "build",
    "CategoricalProfile": "categorical",
    "ColumnProfile": "model",
    "Profile": "model",
    "NumericProfile": "numeric",
    "ProfileSettings": "settings",
    "TextProfile": "text",
    "TokenSample": "text",
}


if not TYPE_CHECKING:  # see collapse_guard/__init__.py

    def __getattr__(name: str) -> Any:
        home = _HOME.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{home}", __name__), name)
        globals()[name] = value
        return value


__all__ = [
    "CategoricalProfile",
    "ColumnProfile",
    "NumericProfile",
    "Profile",
    "ProfileSettings",
    "TextProfile",
    "TokenSample",
    "build_profile",
]
