"""Shared fixtures: small data built in code, a CLI runner, a fresh plugin registry."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "data"


def assert_one_line_error(result: tuple[int, str, str], *needles: str) -> str:
    """The bad-input contract on a ``run_cli`` result: exit 2, nothing on stdout, one line on
    stderr (no traceback, no "internal error") holding every needle; returns that line."""
    code, out, err = result
    assert code == 2, f"exit {code}, stderr: {err!r}"
    assert out == "", "nothing may go to stdout on an error"
    assert "Traceback" not in err and "internal error" not in err
    lines = err.rstrip("\n").split("\n")
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    for needle in needles:
        assert needle in err, f"{needle!r} not in {err!r}"
    return err


def human_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """Human-like table: light, skewed and heavy tails, a Zipf categorical, short free text."""
    rng = np.random.default_rng(seed)
    ranks = np.arange(1, 41)
    p = ranks**-1.2 / (ranks**-1.2).sum()
    words = np.array([f"w{i}" for i in range(3000)])
    zipf = rng.zipf(1.3, size=(n, 12)) % 3000
    return pd.DataFrame(
        {
            "gauss": rng.normal(50, 10, n),
            "lognormal": rng.lognormal(3, 0.8, n),
            "pareto": (rng.pareto(2.5, n) + 1) * 100,
            "category": rng.choice([f"c{i:02d}" for i in ranks], size=n, p=p),
            "text": [" ".join(words[row]) for row in zipf],
        }
    )


@pytest.fixture
def human() -> pd.DataFrame:
    return human_frame(6000, seed=1)


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run the CLI in-process: returns (exit code, stdout, stderr)."""
    from collapse_guard.cli import main

    def _run(*args: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return int(code), out, err

    return _run


@pytest.fixture
def example_reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reference profile of examples/data/human.csv."""
    import collapse_guard as cg

    path = tmp_path_factory.mktemp("ref") / "reference.json"
    cg.profile_files([EXAMPLES / "human.csv"]).save(path)
    return path


def python() -> str:
    return sys.executable


class CrashingCheck:
    """A check plugin object whose run always raises (for the runner's crash handling)."""

    name = "crashy"
    description = "always crashes"
    default_enabled = True
    options: dict[str, object] = {}

    def __init__(self) -> None:
        import collapse_guard as cg

        self.metrics = {"x": cg.MetricSpec("x", worse="lower", warn=0.5, fail=0.2)}

    def run(self, ctx: object) -> list[object]:
        raise ZeroDivisionError("boom")
