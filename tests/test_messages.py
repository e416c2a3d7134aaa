"""Wording of the checks' messages: readable numbers at any magnitude, changes that rounding would
hide, no empty message on insufficient-data findings, and a complete reason for ``scan`` without
a reference."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from collapse_guard import api
from collapse_guard.checks.formatting import moved, num, num_pair
from collapse_guard.cli import main
from collapse_guard.results import Status

WORDS = np.array(["the", "a", "river", "dog", "ran", "quietly", "under", "old", "green", "bridge"])


def _table(rng: np.random.Generator, n: int) -> pd.DataFrame:
    cats = [f"c{i}" for i in range(8)]
    p = np.r_[np.full(4, 0.2), np.full(4, 0.05)]
    return pd.DataFrame(
        {
            "x": rng.normal(50, 10, n),
            "y": rng.lognormal(3, 1, n),
            "cat": rng.choice(cats, n, p=p),
            "text": [" ".join(rng.choice(WORDS, rng.integers(5, 25))) for _ in range(n)],
        }
    )


# ----- the number formatter ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "shown"),
    [
        (1e160, "1e+160"),
        (1.7e308, "1.7e+308"),
        (-1.7e308, "-1.7e+308"),
        (-1e-300, "-1e-300"),
        (1234567.891, "1,234,568"),
        (0.000123, "0.000123"),
        (73.16, "73.16"),
        (999.99, "1,000"),  # "g" alone would round it to "1000", without the separator
    ],
)
def test_num_is_readable_at_any_magnitude(x: float, shown: str) -> None:
    assert num(x) == shown


def test_num_never_prints_a_long_run_of_digits() -> None:
    for exp in range(-320, 309, 7):
        for x in (1.2345 * 10.0**exp, -9.87 * 10.0**exp):
            text = num(x)
            assert len(text) <= 25, (x, text)
            assert float(text.replace(",", "")) == pytest.approx(x, rel=1e-3)


def test_num_pair_shows_enough_digits_to_tell_values_apart() -> None:
    assert num_pair(73.16, 73.1612) == ("73.160", "73.161")
    assert num_pair(25.82, 35.02) == ("25.82", "35.02")  # ordinary values are left alone
    assert num_pair(5.0, 5.0) == ("5", "5")
    a, b = num_pair(1.7e308, 1.7000001e308)
    assert a != b and "e+308" in a and "e+308" in b
    a, b = num_pair(73160.0, 73160.3)
    assert (a, b) == ("73,160.0", "73,160.3")
    # Float noise is not dressed up as a difference: 17 digits would be no help to anyone.
    assert num_pair(1.0, 1.0 + 2**-52) == ("1", "1")


def test_moved_wording() -> None:
    assert moved(25.82, 35.02) == "rose from 25.82 to 35.02"
    assert moved(73.16, 69.17) == "fell from 73.16 to 69.17"
    assert moved(73.16, 73.1612) == "rose slightly from 73.160 to 73.161"
    assert moved(73.1612, 73.16) == "fell slightly from 73.161 to 73.160"
    assert moved(5.0, 5.0) == "stayed at 5"  # never "stayed from"
    assert moved(2.0, 3.0, up="grew") == "grew from 2 to 3"
    assert moved(73.16, 73.16 + 1e-12) == "barely moved from 73.16 (rose by 9.9e-13)"
    assert moved(1e160, 1.0001e160) == "rose slightly from 1.0000e+160 to 1.0001e+160"


# ----- the wording in real reports ---------------------------------------------------------------


@pytest.fixture(scope="module")
def reference() -> tuple[pd.DataFrame, object]:
    df = _table(np.random.default_rng(7), 3000)
    return df, api.profile(df)


def test_near_equal_tail_quantile_is_not_printed_twice(reference: tuple[pd.DataFrame, object]) -> None:
    df, ref = reference
    batch = df.copy()
    # Each tail quantile lands a few thousandths away from the reference's threshold: closer than
    # four significant digits show.
    batch["x"] = batch["x"] + 1e-6
    report = api.check(batch, ref, select=["tail-shrinkage"])  # type: ignore[arg-type]
    by_metric = {f.metric: f.message for f in report.findings if f.column == "x"}
    for metric in ("upper_tail_mass_q99", "lower_tail_mass_q01"):
        message = by_metric[metric]
        found = re.search(r"(rose|fell) slightly from (\S+) to (\S+?);", message)
        assert found, message
        assert found.group(2) != found.group(3), message
        assert "stayed from" not in message


def test_huge_values_print_in_scientific_notation() -> None:
    rng = np.random.default_rng(3)

    def frame(n: int) -> pd.DataFrame:
        return pd.DataFrame({"big": rng.uniform(-1, 1, n) * 1.7e308, "huge": rng.normal(1e160, 1e158, n)})

    ref_df, bat_df = frame(3000), frame(500)
    with np.errstate(all="ignore"):
        report = api.check(bat_df, api.profile(ref_df), select=["tail-shrinkage"])
    assert report.findings
    for f in report.findings:
        assert f.message, f
        assert not re.search(r"\d{5}|(\d{1,3},){6}", f.message), f.message


def test_tiny_batch_insufficient_findings_say_why(reference: tuple[pd.DataFrame, object]) -> None:
    _, ref = reference
    batch = _table(np.random.default_rng(11), 10)
    report = api.check(batch, ref)  # type: ignore[arg-type]
    insufficient = [f for f in report.findings if f.status is Status.INSUFFICIENT]
    assert insufficient
    for f in report.findings:
        assert f.message.strip(), f"{f.check} {f.column} {f.metric} has an empty message"
    for f in insufficient:
        assert f.measurement.insufficient, f
    by_metric = {(f.check, f.metric): f.message for f in report.findings if f.column is None}
    unexplained = by_metric[("synthetic-contamination", "unexplained_share")]
    assert "10 rows" in unexplained and "at least 50" in unexplained
    headline = by_metric[("synthetic-contamination", "synthetic_share")]
    assert "cannot be estimated" in headline and "at least 50" in headline
    # The measured-but-underpowered tail findings name the batch size they would need.
    upper = next(f for f in insufficient if f.column == "x" and f.metric == "upper_tail_mass_q99")
    assert re.search(r"needs about [\d,]+ rows", upper.message), upper.message


def test_scan_without_reference_gives_a_complete_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    rng = np.random.default_rng(5)
    _table(rng, 100).drop(columns="text").to_csv(folder / "numbers.csv", index=False)
    main(["scan", str(folder), "--format", "json", "--select", "synthetic-contamination,tail-shrinkage"])
    out = json.loads(capsys.readouterr().out)
    files = {f["path"]: f for f in out["files"]}
    result = files[next(p for p in files if p.endswith("numbers.csv"))]
    reason = result["reason"]
    assert reason.startswith("no finding could be tested: ")
    assert not reason.rstrip().endswith(":")
    assert "there is no reference to compare rows with" in reason and "no text column" in reason
    for finding in result["findings"]:
        assert finding["message"], finding
