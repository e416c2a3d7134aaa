"""Profiles: the reference (and each batch) as mergeable per-column summaries plus bounded samples."""

from __future__ import annotations

from .build import build_profile
from .categorical import CategoricalProfile
from .model import ColumnProfile, Profile
from .numeric import NumericProfile
from .settings import ProfileSettings
from .text import TextProfile, TokenSample

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
