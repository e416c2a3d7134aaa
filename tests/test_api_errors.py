"""The Python API on the wrong kind of input: clear exceptions, never a raw pandas error or a silent pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from conftest import EXAMPLES

import collapse_guard as cg
from collapse_guard.errors import InputError


@pytest.fixture(scope="module")
def human() -> pd.DataFrame:
    return pd.read_csv(EXAMPLES / "human.csv").drop(columns="review").head(3000)


@pytest.fixture(scope="module")
def reference(human: pd.DataFrame) -> cg.Profile:
    return cg.profile(human)


def _fast() -> dict[str, object]:
    return {"select": ["tail-shrinkage"]}


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ("batch.csv", "cg.check_files"),
        (Path("batch.csv"), "cg.check_files"),
        (pd.Series([1.0, 2.0]), "got a Series"),
        (np.zeros((3, 2)), "got a ndarray"),
        ({"x": [1.0]}, "got a dict"),
        (None, "got a NoneType"),
    ],
)
def test_data_of_the_wrong_type_is_a_type_error_saying_what_to_pass(
    reference: cg.Profile, data: object, says: str
) -> None:
    with pytest.raises(TypeError, match=says):
        cg.check(data, reference, config=_fast())  # type: ignore[arg-type]


def test_every_chunk_must_be_a_frame(human: pd.DataFrame, reference: cg.Profile) -> None:
    with pytest.raises(TypeError, match="chunk 1 is a str"):
        cg.check([human.head(100), "not a frame"], reference, config=_fast())  # type: ignore[list-item]


def test_a_pyarrow_table_is_data(human: pd.DataFrame, reference: cg.Profile) -> None:
    from_table = cg.check(pa.Table.from_pandas(human.head(1000)), reference, config=_fast())
    from_frame = cg.check(human.head(1000), reference, config=_fast())
    assert from_table.to_dict()["findings"] == from_frame.to_dict()["findings"]


def test_reference_config_and_seed_of_the_wrong_type(human: pd.DataFrame, reference: cg.Profile) -> None:
    with pytest.raises(TypeError, match=r"reference must be a cg\.Profile or the path"):
        cg.check(human, human)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"config must be a cg\.Config"):
        cg.check(human, reference, config=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="seed must be a whole number"):
        cg.check(human, reference, seed="a")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="can only merge a Profile"):
        reference.merge(None)  # type: ignore[arg-type]


def test_select_may_be_one_name(human: pd.DataFrame, reference: cg.Profile) -> None:
    one = cg.check(human.head(1000), reference, select="tail-shrinkage")
    assert {f.check for f in one.findings} == {"tail-shrinkage"}  # not 't', 'a', 'i', ...


def test_column_names_that_cannot_address_one_column_each() -> None:
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(200, 2)))
    with pytest.raises(cg.InputError, match=r"duplicate column name\(s\) \['a'\]"):
        cg.profile(frame.set_axis(["a", "a"], axis=1))
    with pytest.raises(cg.InputError, match=r"duplicate column name\(s\) \['0'\]"):
        cg.profile(frame.set_axis([0, "0"], axis=1))
    with pytest.raises(cg.InputError, match="multi-level column index; flatten it first"):
        cg.profile(frame.set_axis(pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")]), axis=1))


def test_chunks_must_have_the_same_columns(human: pd.DataFrame) -> None:
    narrow, wide = human[["income", "country"]].head(500), human.iloc[500:1000]
    with pytest.raises(cg.InputError, match="has a column 'session_minutes' that earlier data lacks"):
        cg.profile(iter([narrow, wide]))
    with pytest.raises(cg.InputError, match="has no column 'session_minutes', which earlier data has"):
        cg.profile(iter([wide, narrow]))


def test_raise_for_status_follows_the_runs_fail_on_and_checks_its_argument(
    human: pd.DataFrame, reference: cg.Profile
) -> None:
    shifted = human.head(2000).assign(income=human["income"].head(2000).clip(upper=60_000))
    report = cg.check(shifted, reference, config={"fail_on": "warn", "select": ["tail-shrinkage"]})
    assert report.status in ("warn", "fail")
    with pytest.raises(cg.CheckFailed):
        report.raise_for_status()  # fail_on = "warn" from the run's config
    with pytest.raises(ValueError, match='fail_on must be "fail" or "warn"'):
        report.raise_for_status("Fail")
    with pytest.raises(ValueError, match="failed"):
        report.by_status("failed")  # a typo is an error, not an empty list
    assert report.by_status("warn") == report.by_status(cg.results.Status.WARN)
    # A warn because a check could test nothing says which check, not "0 finding(s); first: ".
    tiny = cg.check(human.head(3), reference)
    assert tiny.status == "warn" and not tiny.by_status("warn")
    tiny.raise_for_status()  # fail_on = "fail": a warn passes
    with pytest.raises(cg.CheckFailed, match=r"^collapse-guard: warn \(.*could test nothing: "):
        tiny.raise_for_status("warn")


def test_a_missing_column_message_gives_the_python_fix(human: pd.DataFrame, reference: cg.Profile) -> None:
    with pytest.raises(cg.InputError, match=r"columns=\{'rating': 'ignore'\}"):
        cg.check(human.drop(columns="rating"), reference, config=_fast())


def test_a_table_with_no_profilable_column_names_at_most_eight_reasons() -> None:
    # Twenty identifier columns (monotone whole numbers) are all left out of a reference.
    frame = pd.DataFrame({f"id_{i}": np.arange(100) + i for i in range(20)})
    with pytest.raises(InputError, match="no column can be profiled") as caught:
        cg.profile(frame)
    message = str(caught.value)
    assert "'id_7'" in message and "'id_8'" not in message
    assert "... and 12 more" in message and "\n" not in message


def test_an_empty_dataframe_gets_the_python_fix() -> None:
    fix = r"^the data: no data rows; pass a DataFrame with rows \(or .*part=True"
    with pytest.raises(cg.InputError, match=fix):
        cg.profile(pd.DataFrame({"x": []}))


def test_a_report_against_an_in_memory_reference_names_its_hash(
    human: pd.DataFrame, reference: cg.Profile, tmp_path: Path
) -> None:
    fresh = cg.profile(human.head(3000))
    report = cg.check(human.tail(2000), fresh, select="tail-shrinkage")
    digest = report.to_dict()["reference"]["sha256"]
    # The hash the profile's file will carry: the report names what it was checked against.
    assert digest is not None and digest == fresh.save(tmp_path / "ref.json")
    assert cg.Profile.load(tmp_path / "ref.json").content_hash() == digest


def test_dataframe_messages_name_the_python_fix() -> None:
    mixed = pd.DataFrame({"x": ["1", "2", "3", "4", "five", "6"] * 20})
    with pytest.raises(cg.InputError, match=r"declare it with columns=\{'x': 'categorical'\}$"):
        cg.profile(mixed)
    with pytest.raises(cg.InputError, match=r"leave it out with columns=\{'x': 'ignore'\}$"):
        cg.profile(pd.DataFrame({"x": [None, None, None], "y": [1.0, 2.0, 3.0]}).astype({"x": float}))
