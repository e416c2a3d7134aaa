"""Profiles: merge, determinism, round trip, validation on load, privacy, bad columns."""

from __future__ import annotations

import copy
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


def _without_samples(content: dict) -> dict:
    content = dict(content, sample=None, columns=[dict(c) for c in content["columns"]])
    for c in content["columns"]:
        c.pop("sample", None)
    return content


def test_merge_equals_profile_of_concatenation(human: pd.DataFrame) -> None:
    """Counts, moments, categories and length histograms merge exactly; the merged samples are a
    uniform sample of the union of the same size (the same distribution, not the same rows)."""
    whole = build_profile([human], settings=SMALL)
    a = build_profile([human.iloc[:2500]], settings=SMALL)
    b = build_profile([human.iloc[2500:]], settings=SMALL)
    for merged in (a.merge(b), b.merge(a)):
        _assert_same(_without_samples(_content(merged)), _without_samples(_content(whole)))
        assert len(merged.sample) == len(whole.sample) == 500
        union = set(a.column("gauss").values) | set(b.column("gauss").values)
        assert set(merged.column("gauss").values) <= union
        assert merged.column("text").sample.n_tokens <= 2500
    # Both parts contribute in proportion to their size (2500 vs 3500 rows).
    from_a = np.isin(a.merge(b).column("gauss").values, a.column("gauss").values).mean()
    assert 0.3 < from_a < 0.55


def test_duplicate_rows_are_sampled_independently() -> None:
    """A content-only priority would keep or drop every copy of a row together."""
    rng = np.random.default_rng(0)
    ages = pd.DataFrame({"age": rng.integers(18, 91, 200_000)})
    values = build_profile([ages], settings=ProfileSettings.reference()).column("age").values
    assert len(np.unique(values)) == 73
    assert np.quantile(values, [0.01, 0.99]).tolist() == pytest.approx([18, 90], abs=1)


def test_float_category_labels_do_not_depend_on_the_chunk() -> None:
    frame = pd.DataFrame({"r": [1.0, 2.0, 2.5, 1.0, 2.0, 3.0] * 50})
    prof = build_profile([frame.iloc[:150], frame.iloc[150:]], kinds={"r": Kind.CATEGORICAL})
    assert prof.column("r").counts == {"1": 100, "2": 100, "2.5": 50, "3": 50}


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
    b = build_profile([human], settings=SMALL)
    assert len(a.sample) == 500
    assert a.column("text").sample.n_tokens <= 2500
    assert np.array_equal(a.column("gauss").values, b.column("gauss").values)  # seeded
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
    with_values = frame.assign(value=np.random.default_rng(0).normal(size=500))
    prof = cg.profile(with_values)
    assert "id" not in prof.columns and "identifier" in prof.skipped["id"]
    assert list(prof.columns) == ["value"]
    # nothing left to profile: an error naming every skipped column, not an empty reference
    with pytest.raises(InputError, match=r"no column can be profiled \('id' looks like an identifier.*'x'"):
        cg.profile(frame)


def test_batch_is_read_with_the_reference_kinds(human: pd.DataFrame) -> None:
    ref = cg.profile(human)
    batch = human_frame(300, seed=9)
    batch["category"] = "c07"
    prof = build_profile([batch], settings=ProfileSettings.batch(), reference=ref)
    assert prof.column("category").kind is Kind.CATEGORICAL
    assert prof.column("category").counts == {"c07": 300}
    # Numbers against reference categories that are all words are the wrong file or column
    # (they were counted as 300 new categories); numbers still match numeric-looking codes.
    batch["category"] = 7
    with pytest.raises(
        InputError, match="holds only numbers here, but its reference categories are all words"
    ):
        build_profile([batch], settings=ProfileSettings.batch(), reference=ref)
    coded = cg.profile(
        human.assign(category=np.arange(len(human)) % 9 + 1), columns={"category": "categorical"}
    )
    prof = build_profile([batch], settings=ProfileSettings.batch(), reference=coded)
    assert prof.column("category").counts == {"7": 300}
    with pytest.raises(InputError, match="no column 'gauss'"):
        build_profile([batch.drop(columns="gauss")], settings=ProfileSettings.batch(), reference=ref)


def test_identifiers_timestamps_codes_and_numeric_strings() -> None:
    rng = np.random.default_rng(0)
    n = 3000
    times = pd.date_range("2024-01-01", periods=n, freq="h")
    frame = pd.DataFrame(
        {
            "row": np.arange(n),
            "user_id": rng.permutation(n) + 10**6,
            "ts": times,
            "ts_text": times.strftime("%Y-%m-%d %H:%M:%S"),
            "stars": rng.integers(1, 6, n),
            "amount_text": [f"{v:.3f}" for v in rng.normal(size=n)],
            "income": rng.integers(20_000, 200_000, n),
        }
    )
    prof = cg.profile(frame)
    assert set(prof.skipped) == {"row", "user_id", "ts", "ts_text"}
    assert "identifier" in prof.skipped["row"] and "timestamps" in prof.skipped["ts_text"]
    assert prof.kinds() == {"stars": Kind.CATEGORICAL, "amount_text": Kind.NUMERIC, "income": Kind.NUMERIC}
    assert cg.profile(frame, columns={"row": "numeric"}).column("row").kind is Kind.NUMERIC


def test_tokenizer_unicode() -> None:
    from collapse_guard.text import token_hash, tokenize

    tok = tokenize(["हिन्दी भाषा", "cafe\u0301 café", "Don't STOP", None, "   "])
    assert tok.lengths.tolist() == [2, 2, 2, 0, 0]
    assert sorted(set(tok.vocab.values())) == ["café", "dont", "stop", "भाषा", "हिन्दी"]
    assert token_hash(["CAFÉ"])[0] in tok.vocab and token_hash(["Don't"])[0] in tok.vocab


def test_edited_file_with_a_recomputed_hash_is_still_refused(human: pd.DataFrame, tmp_path: Path) -> None:
    from collapse_guard.profile.io import content_sha256

    path = tmp_path / "ref.json"
    cg.profile(human).save(path)
    for edit in (
        lambda c: c["columns"][0].update(count=-5),
        lambda c: c["settings"].update(sample_rows="many"),
        lambda c: c["columns"].append(dict(c["columns"][0])),
    ):
        doc = json.loads(path.read_text())
        edit(doc["content"])
        doc["sha256"] = content_sha256(doc["content"])
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps(doc))
        with pytest.raises(ReferenceFileError, match="malformed content"):
            cg.Profile.load(bad)


def _mixed_frame(n: int, seed: int) -> pd.DataFrame:
    """Every kind and the awkward values: nulls, NaN, -0.0, unicode, empty strings, codes."""
    frame = human_frame(n, seed)
    rng = np.random.default_rng(seed)
    gauss = frame["gauss"].to_numpy().copy()
    gauss[::17] = np.nan
    gauss[5] = -0.0
    category = frame["category"].astype(object)
    category[::13] = None
    category[7] = ""
    category[8] = "café ☕"
    return frame.assign(
        gauss=gauss,
        category=category,
        code=rng.integers(1, 6, n).astype(float),  # integer codes: categorical
        flag=rng.choice(["yes", "no"], n),
    )


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_arrow_chunks_profile_like_the_same_pandas_chunks(tmp_path: Path, suffix: str) -> None:
    """Readers hand the builder Arrow tables; plugins and the API hand it pandas. Same profile,
    same sample, whether as a reference or as a batch read with a reference's kinds."""
    from collapse_guard.readers import iter_chunks
    from collapse_guard.readers.builtin import register_readers

    frame = _mixed_frame(3000, seed=4)
    path = tmp_path / f"data{suffix}"
    if suffix == ".parquet":
        frame.to_parquet(path)
    elif suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True)
    readers: list = []
    register_readers(readers.append)

    def both(reference: cg.Profile | None = None) -> tuple[dict, dict]:
        # Small chunks: neither path may depend on chunking.
        arrow, pandas = (
            _content(
                build_profile(
                    iter_chunks([path], readers, chunk_rows=700, arrow=flag),
                    settings=SMALL,
                    reference=reference,
                )
            )
            for flag in (True, False)
        )
        return arrow, pandas

    arrow, pandas = both()
    _assert_same(copy.deepcopy(arrow), pandas)
    if suffix == ".parquet":  # Parquet keeps every value as it was: the DataFrame's own profile
        direct = _content(build_profile([frame], settings=SMALL))
        direct["source"] = arrow["source"]
        _assert_same(arrow, direct)
    reference = build_profile([frame], settings=SMALL)
    _assert_same(*both(reference))


def test_column_hashes_combine_to_pandas_row_hashes() -> None:
    """Samples stay the rows earlier versions chose: the builder's per-column row hash equals
    pandas' hash_pandas_object of the whole frame, which it used to call."""
    from collapse_guard.hashing import _HASH_KEY, coded_hashes, combine_columns, value_hashes

    frame = _mixed_frame(500, seed=2)
    frame["category"] = frame["category"].astype("str")
    expected = pd.util.hash_pandas_object(frame, index=False, hash_key=_HASH_KEY).to_numpy(np.uint64)
    columns = []
    for name in frame.columns:
        s = frame[name]
        if name == "category":  # the Arrow path: dictionary codes of a string column
            codes, distinct = pd.factorize(s, use_na_sentinel=True)
            columns.append(coded_hashes(codes, np.asarray(distinct, dtype=object)))
        else:
            columns.append(value_hashes(s.array))
    assert np.array_equal(combine_columns(columns, len(frame)), expected)
    assert np.array_equal(combine_columns([], 3), np.zeros(3, np.uint64))


def test_a_float_column_with_nan_values_declared_text_counts_them_as_missing(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    x = np.random.default_rng(0).normal(size=300)
    x[::7] = np.nan  # NaN stored as a value: Arrow calls it valid, pandas missing
    pq.write_table(pa.table({"t": x}), tmp_path / "t.parquet")
    prof = cg.profile_files([tmp_path / "t.parquet"], columns={"t": "text"})
    col = prof.columns["t"]
    assert col.kind is Kind.TEXT
    assert (col.docs, col.nulls) == (257, 43)  # it crashed with an IndexError


def test_a_column_the_reference_skipped_is_noted_with_the_references_reason() -> None:
    rng = np.random.default_rng(0)

    def frame(n: int) -> pd.DataFrame:
        days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
        return pd.DataFrame({"amount": rng.lognormal(size=n), "day": days.strftime("%Y-%m-%d")})

    reference = cg.profile(frame(2_000))
    assert "day" in reference.skipped and "day" not in reference.columns
    notes = cg.check(frame(1_000), reference, select=["tail-shrinkage"]).notes
    (note,) = [n for n in notes if "'day'" in n]
    assert f"the reference skipped it too: {reference.skipped['day']}" in note


def test_unused_levels_of_a_category_column_are_not_categories() -> None:
    rng = np.random.default_rng(0)
    full = pd.Series(rng.choice(list("abcdefgh"), 3000)).astype("category")
    kept = pd.DataFrame({"c": full[full.isin(list("abc"))]})  # the dtype keeps all 8 levels
    as_text = kept.assign(c=kept["c"].astype(str))
    assert cg.profile(kept).columns["c"].counts == cg.profile(as_text).columns["c"].counts
    assert set(cg.profile(kept).columns["c"].counts) == {"a", "b", "c"}


def test_merging_parts_that_differ_names_the_difference_and_the_fix() -> None:
    rng = np.random.default_rng(1)
    names = np.array([f"name {i}" for i in range(300)])
    big = pd.DataFrame({"x": rng.normal(size=2_000), "who": rng.choice(names, 2_000)})
    whole = cg.profile(big)
    as_text = cg.profile(big.head(300), columns={"who": "text"})
    with pytest.raises(InputError) as err:
        whole.merge(as_text)
    message = str(err.value)
    assert "cannot merge profiles whose columns differ: 'who': categorical vs text;" in message
    assert "columns={'who': 'categorical'}" in message and "{<" not in message  # no dict dumps
    with pytest.raises(InputError, match="'who': categorical vs absent"):
        whole.merge(cg.profile(big.head(300)[["x"]]))
    assert whole.merge(cg.profile(big.head(300), columns={"who": "categorical"})).rows == 2_300
    reseeded = cg.profile(big.head(500), config={"seed": 7})
    with pytest.raises(InputError, match=r"different settings \(seed 0 vs 7\)"):
        cg.profile(big.head(500)).merge(reseeded)
    machine = cg.profile(big.head(500), synthetic=True)
    with pytest.raises(InputError, match="cannot merge a human reference with a machine-generated"):
        cg.profile(big.head(500)).merge(machine)


def test_partitions_with_an_empty_part_and_a_column_missing_in_one_part_merge() -> None:
    """The Spark/Dask pattern: profile each partition with part=True, merge on the driver."""
    rng = np.random.default_rng(2)
    whole = pd.DataFrame({"x": rng.normal(size=3000), "c": rng.choice(list("abc"), 3000)})
    parts = [whole.iloc[:1000], whole.iloc[1000:1000], whole.iloc[1000:]]
    parts[0] = parts[0].assign(x=np.nan)  # a sparse column with no value in this partition
    kinds = {"x": "numeric", "c": "categorical"}
    profiles = [cg.profile(p, columns=kinds, part=True) for p in parts]
    assert profiles[1].rows == 0 and profiles[0].columns["x"].count == 0
    merged = profiles[0].merge(profiles[1]).merge(profiles[2])
    assert merged.rows == 3000 and merged.columns["x"].count == 2000 and merged.columns["x"].nulls == 1000
    expected = cg.profile(pd.concat(parts), columns=kinds).columns["x"]
    assert merged.columns["x"].mean == pytest.approx(expected.mean, rel=1e-12)
    assert merged.columns["c"].counts == expected_counts(whole["c"])
    # Without part=True, or without a declared kind, the same part is refused with the fix.
    with pytest.raises(InputError, match="no data rows"):
        cg.profile(parts[1])
    with pytest.raises(InputError, match=r"no values in this part.*columns=\{'x': 'numeric'\}"):
        cg.profile(parts[0], part=True)
    # A column empty in every part, or every part empty, cannot become a reference.
    empty_x = profiles[0].merge(profiles[1])
    with pytest.raises(InputError, match=r"column 'x' has no values in any part"):
        cg.check(whole, empty_x)
    with pytest.raises(InputError, match="no values in any part"):
        empty_x.save(Path("unused.json"))
    with pytest.raises(InputError, match="every part was empty"):
        profiles[1].save(Path("unused.json"))
    # Merging an empty part into a loaded profile gives a new profile, not that file.
    loaded = cg.profile(whole)
    loaded.sha256, loaded.path = "f" * 64, "reference.json"
    assert loaded.merge(profiles[1]).sha256 is None and profiles[1].merge(loaded).path is None


def expected_counts(values: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in values.value_counts().items()}
