"""``python -m collapse_guard``."""

from .cli import run

run()
