"""Profiles: merge, determinism, round trip, validation on load, privacy, bad columns."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import human_frame

import collapse_guard as cg
from collapse_guard.errors import InputError, ReferenceFileError
from collapse_guard.kinds import Kind
from collapse_guard.profile import ProfileSettings, build_profile
from collapse_guard.profile.io import profile_content

SMALL = ProfileSettings.reference(sample_rows=500, text_docs=300, text_tokens=2500)


def _content(p: cg.Profile) -> dict:
    return json.loads(json.dumps(profile_content(p)))


def _assert_same(a: dict, b: dict) -> None:
    """Equal, except float rounding in the streaming mean/m2 (documented as such)."""
    for ca, cb in zip(a["columns"], b["columns"], strict=True):
        for key in ("mean", "m2"):
            if key in ca:
                assert ca.pop(key) == pytest.approx(cb.pop(key), rel=1e-12)
    assert a == b


def test_kinds_are_inferred(human: pd.DataFrame) -> None:
    prof = cg.profile(human)
    assert prof.kinds() == {
        "gauss": Kind.NUMERIC,
        "lognormal": Kind.NUMERIC,
        "pareto": Kind.NUMERIC,
        "category": Kind.CATEGORICAL,
        "text": Kind.TEXT,
    }


def test_kind_override(human: pd.DataFrame) -> None:
    prof = cg.profile(human, columns={"category": "text", "pareto": "ignore"})
    assert prof.column("category").kind is Kind.TEXT
    assert "pareto" not in prof.columns


def test_merge_equals_profile_of_concatenation(human: pd.DataFrame) -> None:
    whole = build_profile([human], settings=SMALL)
    a = build_profile([human.iloc[:2500]], settings=SMALL)
    b = build_profile([human.iloc[2500:]], settings=SMALL)
    _assert_same(_content(a.merge(b)), _content(whole))
    _assert_same(_content(b.merge(a)), _content(whole))


def test_chunking_does_not_change_the_profile(human: pd.DataFrame) -> None:
    whole = build_profile([human], settings=SMALL)
    chunked = build_profile([human.iloc[i : i + 700] for i in range(0, len(human), 700)], settings=SMALL)
    _assert_same(_content(chunked), _content(whole))


def test_exact_summaries(human: pd.DataFrame) -> None:
    prof = cg.profile(human)
    gauss = prof.column("gauss")
    assert gauss.count == len(human)
    assert gauss.mean == pytest.approx(human["gauss"].mean(), rel=1e-12)
    assert gauss.std == pytest.approx(human["gauss"].std(ddof=1), rel=1e-10)
    assert gauss.min == human["gauss"].min() and gauss.max == human["gauss"].max()
    assert prof.column("category").counts == human["category"].value_counts().to_dict()
    text = prof.column("text")
    assert text.tokens == 12 * len(human)
    assert text.length_counts == {12: len(human)}


def test_samples_are_bounded_and_seeded(human: pd.DataFrame) -> None:
    a = build_profile([human], settings=SMALL)
    b = build_profile([human.sample(frac=1.0, random_state=3)], settings=SMALL)
    assert len(a.sample) == 500
    assert a.column("text").sample.n_tokens <= 2500
    # Sampling depends on row content, not on row order.
    assert sorted(a.column("gauss").values) == sorted(b.column("gauss").values)
    c = build_profile([human], settings=ProfileSettings.reference(sample_rows=500, seed=7))
    assert not np.array_equal(a.column("gauss").values, c.column("gauss").values)


def test_row_sample_can_be_turned_off(human: pd.DataFrame) -> None:
    prof = build_profile([human], settings=ProfileSettings.reference(sample_rows=0))
    assert prof.sample is None
    assert len(prof.column("gauss").values) == 0


def test_save_is_byte_identical_and_round_trips(human: pd.DataFrame, tmp_path: Path) -> None:
    for name in ("ref.json", "ref.json.gz"):
        p1, p2 = tmp_path / ("a" + name), tmp_path / ("b" + name)
        cg.profile(human).save(p1)
        cg.profile(human).save(p2)
        assert p1.read_bytes() == p2.read_bytes()
        loaded = cg.Profile.load(p1)
        assert loaded.sha256 and loaded.kinds() == cg.profile(human).kinds()
        assert _content(loaded) == _content(cg.Profile.load(p2))
        np.testing.assert_array_equal(
            loaded.column("pareto").values, cg.profile(human).column("pareto").values
        )


def test_reference_keeps_no_raw_text(tmp_path: Path) -> None:
    docs = [f"common words here and a secretword{i}" for i in range(50)] + ["shared rare"] * 4
    prof = cg.profile(pd.DataFrame({"body": docs}))
    prof.save(tmp_path / "r.json")
    raw = (tmp_path / "r.json").read_text()
    assert "secretword1" not in raw and "common words here" not in raw
    saved = cg.Profile.load(tmp_path / "r.json").column("body").sample.vocab.values()
    assert "common" in saved  # used by >= 5 documents
    assert "rare" not in saved  # used by only 4
    assert cg.Profile.load(tmp_path / "r.json").column("body").sample.texts is None


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.update(format_version=99), "newer than this collapse-guard"),
        (lambda d: d["content"].update(rows=1), "does not match its sha256"),
        (lambda d: d.update(format="something-else"), "not a collapse-guard reference file"),
    ],
)
def test_bad_reference_files(human: pd.DataFrame, tmp_path: Path, mutate, message: str) -> None:
    path = tmp_path / "ref.json"
    cg.profile(human).save(path)
    doc = json.loads(path.read_text())
    mutate(doc)
    path.write_text(json.dumps(doc))
    with pytest.raises(ReferenceFileError, match=message):
        cg.Profile.load(path)


def test_corrupt_and_foreign_reference_files(human: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "ref.json"
    cg.profile(human).save(path)
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(ReferenceFileError, match="corrupt"):
        cg.Profile.load(path)
    gz = tmp_path / "ref.json.gz"
    gz.write_bytes(gzip.compress(b'{"format": "collapse-guard-profile"')[:-6])
    with pytest.raises(ReferenceFileError, match="corrupt"):
        cg.Profile.load(gz)
    csv = tmp_path / "data.csv"
    human.to_csv(csv, index=False)
    with pytest.raises(ReferenceFileError, match="not a collapse-guard reference file"):
        cg.Profile.load(csv)


def test_constant_reference_column_is_not_an_error() -> None:
    prof = cg.profile(pd.DataFrame({"x": [3.0] * 200, "y": np.arange(200.0)}))
    assert prof.column("x").is_constant


@pytest.mark.parametrize(
    "frame, message",
    [
        (pd.DataFrame({"x": [1.0, np.inf, 2.0]}), "infinite"),
        (pd.DataFrame({"x": [None, None, None], "y": [1, 2, 3]}), "no values"),
        (pd.DataFrame({"x": ["1", "2", "3", "4", "oops"]}), "mixes numbers and text"),
        (pd.DataFrame({"x": []}), "no data rows"),
    ],
)
def test_bad_columns_are_input_errors(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(InputError, match=message):
        cg.profile(frame)


def test_identifier_columns_are_skipped_with_a_reason() -> None:
    frame = pd.DataFrame({"id": [f"u{i:05d}" for i in range(500)], "x": np.arange(500.0)})
    prof = cg.profile(frame)
    assert "id" not in prof.columns and "identifier" in prof.skipped["id"]


def test_batch_is_read_with_the_reference_kinds(human: pd.DataFrame) -> None:
    ref = cg.profile(human)
    batch = human_frame(300, seed=9)
    batch["category"] = 7  # numbers in a categorical column are categories
    prof = build_profile([batch], settings=ProfileSettings.batch(), reference=ref)
    assert prof.column("category").kind is Kind.CATEGORICAL
    assert prof.column("category").counts == {"7": 300}
    with pytest.raises(InputError, match="no column 'gauss'"):
        build_profile([batch.drop(columns="gauss")], settings=ProfileSettings.batch(), reference=ref)
