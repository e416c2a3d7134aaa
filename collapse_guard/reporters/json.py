"""The ``json`` reporter: the stable JSON report (README.md, "JSON report"): ``Report.to_dict()``.

Messages are kept raw (Markdown code spans included); an ``insufficient-data`` finding's reason is
its own key, ``insufficient``."""

from __future__ import annotations

import json as _json
from collections.abc import Callable
from typing import Any

from ..hookspecs import hookimpl
from ..results import Report


class JsonReporter:
    name = "json"
    description = "machine-readable report (stable schema, byte-identical across runs)"

    def render(self, report: Report) -> str:
        return _json.dumps(report.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


@hookimpl
def register_reporters(register: Callable[[Any], None]) -> None:
    register(JsonReporter())
