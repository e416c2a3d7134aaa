"""JSON-safe encoding of numpy arrays (base64 of little-endian bytes) for profile files."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

_DTYPES = {"float64": "<f8", "uint64": "<u8", "int64": "<i8", "uint32": "<u4", "int32": "<i4"}


def encode_array(arr: np.ndarray) -> dict[str, Any]:
    name = str(arr.dtype)
    if name not in _DTYPES:
        raise ValueError(f"cannot encode dtype {name!r}")
    data = np.ascontiguousarray(arr, dtype=_DTYPES[name]).tobytes()
    return {"dtype": name, "n": int(arr.size), "b64": base64.b64encode(data).decode("ascii")}


def decode_array(obj: dict[str, Any]) -> np.ndarray:
    name = obj["dtype"]
    if name not in _DTYPES:
        raise ValueError(f"unknown array dtype {name!r}")
    raw = base64.b64decode(obj["b64"].encode("ascii"), validate=True)
    arr = np.frombuffer(raw, dtype=_DTYPES[name]).astype(name)
    if arr.size != int(obj["n"]):
        raise ValueError("array length does not match its header")
    return arr
