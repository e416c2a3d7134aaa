"""``python -m collapse_guard``."""

from .entry import run

run()
