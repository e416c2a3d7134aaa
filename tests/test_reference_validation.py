"""A reference edited by hand, with its sha256 recomputed, is refused on load when its numbers are
impossible; every reference the code itself writes still loads.

The contract for a bad reference at the command line: exit 2, one line on stderr naming the file and
the fix (rebuild it with ``collapse-guard profile``), never a traceback or an internal error.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import EXAMPLES, assert_one_line_error, human_frame

import collapse_guard as cg
from collapse_guard.errors import ReferenceFileError
from collapse_guard.profile.build import build_profile
from collapse_guard.profile.categorical import CategoricalProfile
from collapse_guard.profile.io import content_sha256, load_profile
from collapse_guard.profile.numeric import NumericProfile
from collapse_guard.profile.settings import ProfileSettings

Run = Callable[..., tuple[int, str, str]]
Edit = Callable[[dict[str, Any]], object]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reference_validation")


@pytest.fixture(scope="module")
def batch(workdir: Path) -> Path:
    path = workdir / "batch.csv"
    human_frame(800, seed=2).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def reference(workdir: Path) -> Path:
    """A reference with numeric, categorical and text columns and a few nulls."""
    frame = human_frame(1500, seed=1)
    frame.loc[::50, "gauss"] = np.nan
    frame.loc[::70, "category"] = None
    frame.loc[::90, "text"] = None
    data = workdir / "human.csv"
    frame.to_csv(data, index=False)
    path = workdir / "reference.json"
    cg.profile_files([data]).save(path)
    return path


def numeric(prof: cg.Profile, name: str) -> NumericProfile:
    col = prof.columns[name]
    assert isinstance(col, NumericProfile)
    return col


def categorical(prof: cg.Profile, name: str) -> CategoricalProfile:
    col = prof.columns[name]
    assert isinstance(col, CategoricalProfile)
    return col


def column(content: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in content["columns"] if c["name"] == name)


def hand_edited(reference: Path, target: Path, edit: Edit, rehash: bool = True) -> Path:
    """A copy of ``reference`` with ``edit`` applied to its content and the sha256 recomputed."""
    doc = json.loads(reference.read_text())
    content = copy.deepcopy(doc["content"])
    edit(content)
    doc["content"] = content
    if rehash:
        doc["sha256"] = content_sha256(content)
    target.write_text(json.dumps(doc))  # json.dumps writes NaN and Infinity as bare words
    return target


def _sample_values(content: dict[str, Any], name: str, change: Callable[[np.ndarray], None]) -> None:
    enc = content["sample"]["columns"][name]
    values = np.frombuffer(base64.b64decode(enc["b64"]), dtype="<f8").copy()
    change(values)
    enc["b64"] = base64.b64encode(values.astype("<f8").tobytes()).decode("ascii")


# ----- NaN and infinity in the content ---------------------------------------------------------


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_or_infinity_in_the_content_is_exit_2(
    run_cli: Run, workdir: Path, reference: Path, batch: Path, value: float
) -> None:
    bad = hand_edited(reference, workdir / "nan.json", lambda c: column(c, "gauss").update(mean=value), False)
    assert "NaN" in bad.read_text() or "Infinity" in bad.read_text()
    assert_one_line_error(
        run_cli("check", batch, "-r", bad),
        str(bad),
        "NaN or an infinite number",
        f"rebuild it with `collapse-guard profile HUMAN_DATA -o {bad}`",
    )


def test_a_number_too_large_for_a_float_is_refused(workdir: Path, reference: Path) -> None:
    bad = workdir / "huge.json"
    text = reference.read_text()
    bad.write_text(text.replace('"rows":', '"huge":1e400,"rows":', 1))
    with pytest.raises(ReferenceFileError, match="NaN or an infinite number"):
        load_profile(bad)


def test_an_integer_too_long_to_convert_is_refused(workdir: Path, reference: Path) -> None:
    bad = workdir / "digits.json"
    bad.write_text(reference.read_text().replace('"rows":', '"big":' + "9" * 5000 + ',"rows":', 1))
    with pytest.raises(ReferenceFileError, match="not valid JSON"):
        load_profile(bad)


# ----- impossible numbers, with a recomputed hash ------------------------------------------------


IMPOSSIBLE: list[tuple[str, Edit, str]] = [
    ("rows0", lambda c: c.update(rows=0), "rows = 0"),
    ("count0", lambda c: column(c, "gauss").update(count=0), "column 'gauss' has count = 0"),
    (
        "count_short",
        lambda c: column(c, "gauss").update(count=column(c, "gauss")["count"] - 1),
        "column 'gauss' has count + nulls",
    ),
    (
        "nulls_extra",
        lambda c: column(c, "category").update(nulls=10**6),
        "column 'category' has sum(counts) + nulls",
    ),
    ("rows_extra", lambda c: c.update(rows=c["rows"] + 1), "not min(rows, settings.sample_rows) = 1501"),
    ("m2_negative", lambda c: column(c, "gauss").update(m2=-5.0), "m2 = -5.0 < 0"),
    ("min_gt_max", lambda c: column(c, "gauss").update(min=1e9), "min = 1000000000.0 > max"),
    ("no_min", lambda c: column(c, "gauss").update(min=None), "no min or max"),
    ("mean_outside", lambda c: column(c, "gauss").update(mean=1e308), "mean = 1e+308 outside [min, max]"),
    (
        "counts_zero",
        lambda c: column(c, "category").update(counts={k: 0 for k in column(c, "category")["counts"]}),
        "column 'category' has sum(counts) = 0",
    ),
    ("counts_empty", lambda c: column(c, "category").update(counts={}), "sum(counts) = 0"),
    ("no_sample", lambda c: c.update(sample=None), "no row sample although settings.sample_rows = 20000"),
    ("docs0", lambda c: column(c, "text").update(docs=0), "column 'text' has docs = 0"),
    (
        "docs_extra",
        lambda c: column(c, "text").update(nulls=column(c, "text")["nulls"] + 1),
        "column 'text' has docs + nulls",
    ),
    ("empty_gt_docs", lambda c: column(c, "text").update(empty=10**6), "empty = 1000000 > docs"),
    (
        "lengths_vs_docs",
        lambda c: column(c, "text")["length_counts"].update({"999": 1}),
        "length_counts summing to",
    ),
    ("tokens", lambda c: column(c, "text").update(tokens=1), "not tokens = 1"),
    (
        "sample_outside",
        lambda c: _sample_values(c, "gauss", lambda v: v.__setitem__(0, 1e6)),
        "column 'gauss' has sampled values outside [min, max]",
    ),
    (
        "sample_inf",
        lambda c: _sample_values(c, "gauss", lambda v: v.__setitem__(0, -np.inf)),
        "sampled values outside",
    ),
    (
        "sample_rows",
        lambda c: c["settings"].update(sample_rows=10),
        "the row sample has 1500 rows, not min(rows, settings.sample_rows) = 10",
    ),
]


@pytest.mark.parametrize(("name", "edit", "detail"), IMPOSSIBLE, ids=[i[0] for i in IMPOSSIBLE])
def test_impossible_numbers_are_exit_2_naming_the_file_and_the_fix(
    run_cli: Run, workdir: Path, reference: Path, batch: Path, name: str, edit: Edit, detail: str
) -> None:
    bad = hand_edited(reference, workdir / f"{name}.json", edit)
    assert_one_line_error(
        run_cli("check", batch, "-r", bad),
        str(bad),
        "impossible content",
        detail,
        "do not edit reference files by hand",
        f"rebuild it with `collapse-guard profile HUMAN_DATA -o {bad}`",
    )


@pytest.mark.parametrize(
    ("edit", "detail"),
    [
        (lambda c: column(c, "category").update(name=5), "column names must be strings"),
        (lambda c: c.update(source="data.csv"), "source must be a list of strings"),
        (lambda c: c.update(synthetic="no"), "synthetic must be true or false"),
        (lambda c: c.update(columns=[column(c, "gauss")]), "is not a column of the profile"),
        (lambda c: c["sample"].update(rows=c["sample"]["rows"] + 1), "wrong length"),
    ],
)
def test_malformed_content_is_exit_2(
    run_cli: Run, workdir: Path, reference: Path, batch: Path, edit: Edit, detail: str
) -> None:
    bad = hand_edited(reference, workdir / "malformed.json", edit)
    assert_one_line_error(run_cli("check", batch, "-r", bad), str(bad), "malformed content", detail)


def test_the_tolerated_cases_load(workdir: Path) -> None:
    """What the code itself can write: a null mean and m2 (overflow), a category counted 0 times
    (an unused pandas category), and a text column short of documents (NaN in a float column read
    through Arrow and declared text is neither a document nor a null)."""
    reference = workdir / "small_text_sample.json"
    cg.profile(human_frame(600, seed=4), config={"profile": {"text_docs": 50}}).save(reference)

    def edit(c: dict[str, Any]) -> None:
        column(c, "gauss").update(mean=None, m2=None)
        column(c, "category")["counts"]["never seen"] = 0
        text = column(c, "text")
        text["docs"] -= 1
        lengths = text["length_counts"]
        longest = max(lengths, key=int)
        lengths[longest] -= 1
        if lengths[longest] == 0:
            del lengths[longest]
        text["tokens"] -= int(longest)

    prof = load_profile(hand_edited(reference, workdir / "tolerated.json", edit))
    assert numeric(prof, "gauss").m2 == float("inf")
    assert categorical(prof, "category").counts["never seen"] == 0


# ----- every reference the code writes loads -------------------------------------------------------


def _roundtrip(prof: cg.Profile, path: Path) -> cg.Profile:
    prof.save(path)
    back = load_profile(path)
    assert back.rows == prof.rows and back.kinds() == prof.kinds()
    return back


def test_references_from_the_examples_load(run_cli: Run, workdir: Path) -> None:
    """examples/data/*.csv (each has a text column), one by one and together, default and tiny caps."""
    tiny = workdir / "tiny.toml"
    tiny.write_text("[profile]\nsample_rows = 7\ntext_docs = 3\ntext_tokens = 5\n")
    off = workdir / "off.toml"
    off.write_text("[profile]\nsample_rows = 0\nstore_text = true\n")
    files = sorted(EXAMPLES.glob("*.csv"))
    runs: list[list[str | Path]] = [[f] for f in files]
    runs += [[*files], [files[0], "--config", tiny], [files[0], "--config", off]]
    for i, args in enumerate(runs):
        out = workdir / f"example{i}.json"
        code, _, err = run_cli("profile", *args, "-o", out)
        assert code == 0, err
        prof = load_profile(out)
        assert "review" in prof.columns and prof.columns["review"].kind is cg.Kind.TEXT


def test_parquet_with_nulls_and_late_kinds_loads(run_cli: Run, workdir: Path) -> None:
    """Nulls and NaN, a dictionary column, and columns all null in the first row groups (their
    kind is resolved late, their earlier rows counted as nulls)."""
    rng = np.random.default_rng(3)
    n = 3000
    num = rng.normal(size=n)
    num[rng.random(n) < 0.2] = np.nan
    words = ["alpha beta gamma delta", "one two three four five six", "", "lorem ipsum dolor sit amet"]
    text = [None if rng.random() < 0.1 else " ".join(rng.choice(words, 3)) for _ in range(n)]
    cat = [None if rng.random() < 0.3 else str(rng.choice(list("xyz"))) for _ in range(n)]
    late = np.arange(n) < 2000
    table = pa.table(
        {
            "nan_values": pa.array(num, from_pandas=False),
            "null_values": pa.array(num, from_pandas=True),
            "ints": pa.array([None if i % 7 == 0 else i % 50 for i in range(n)], pa.int64()),
            "late_num": pa.array(np.where(late, np.nan, num), from_pandas=True),
            "late_text": pa.array([None if late[i] else t for i, t in enumerate(text)], pa.string()),
            "late_cat": pa.array([None if late[i] else c for i, c in enumerate(cat)], pa.string()),
            "cat": pa.array(cat, pa.string()),
            "dict": pa.array(cat, pa.string()).dictionary_encode(),
            "text": pa.array(text, pa.string()),
            "flag": pa.array([None if i % 5 == 0 else bool(i % 2) for i in range(n)], pa.bool_()),
        }
    )
    data = workdir / "nulls.parquet"
    pq.write_table(table, data, row_group_size=400)
    out = workdir / "nulls.json"
    code, _, err = run_cli("profile", data, "-o", out, "--column", "ints=categorical")
    assert code == 0, err
    prof = load_profile(out)
    assert prof.columns["late_text"].kind is cg.Kind.TEXT
    assert prof.columns["late_text"].nulls >= 2000


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # +-1.7e308 on purpose
def test_merged_and_pandas_built_profiles_load(workdir: Path) -> None:
    human = pd.read_csv(EXAMPLES / "human.csv").head(3000)
    settings = ProfileSettings.reference(sample_rows=500, text_docs=200)
    first, second = (
        build_profile([part], settings=settings) for part in (human.iloc[:1000], human.iloc[1000:])
    )
    merged = _roundtrip(first.merge(second), workdir / "merged.json.gz")
    loaded = [_roundtrip(p, workdir / f"part{i}.json") for i, p in enumerate((first, second))]
    _roundtrip(loaded[0].merge(loaded[1]), workdir / "merged_loaded.json")
    _roundtrip(merged.merge(merged), workdir / "merged_twice.json")
    few = [
        build_profile([part.head(30)], settings=settings) for part in (human.iloc[:1000], human.iloc[1000:])
    ]
    _roundtrip(few[0].merge(few[1]), workdir / "merged_few.json")
    # kinds resolved late in pandas chunks
    chunks = [
        pd.DataFrame({"a": [None] * 3, "b": [None] * 3, "x": [1.0, 2.0, np.nan]}),
        pd.DataFrame({"a": ["the quick brown fox jumps over it", None], "b": ["u", "v"], "x": [3.0, 4.0]}),
    ]
    _roundtrip(cg.profile(iter(chunks)), workdir / "late.json")
    # unused categories, overflowing moments, a text-only profile
    cats = pd.Categorical(["a", "b", None, "a"] * 20, categories=["a", "b", "unused"])
    prof = _roundtrip(cg.profile(pd.DataFrame({"c": cats, "x": range(80)})), workdir / "unused.json")
    assert "unused" not in categorical(prof, "c").counts  # an unused level is not a category
    huge = pd.DataFrame({"v": [1.7e308] * 100 + [-1.7e308] * 100, "w": [0.1] * 200})
    prof = _roundtrip(cg.profile(huge), workdir / "huge.json")
    assert not np.isfinite(numeric(prof, "v").m2)


def test_a_text_only_reference_keeps_its_sample_length_and_merges_after_loading(workdir: Path) -> None:
    prof = cg.profile(pd.read_csv(EXAMPLES / "human.csv", usecols=["review"]).head(300))
    back = _roundtrip(prof, workdir / "text_only.json")
    assert back.sample is not None and len(back.sample) == len(back.sample_priority) == 300
    _roundtrip(back.merge(back), workdir / "text_only_merged.json")
