"""read_ahead: same items in the same order, errors where they happened, early stops clean up."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from collapse_guard.errors import InputError
from collapse_guard.readahead import read_ahead


def test_items_arrive_in_order_from_another_thread() -> None:
    producers: set[str] = set()

    def numbers() -> Iterator[int]:
        for i in range(50):
            producers.add(threading.current_thread().name)
            yield i

    assert list(read_ahead(numbers(), depth=3)) == list(range(50))
    assert producers == {"collapse-guard-read-ahead"}


def test_an_error_is_raised_after_the_items_before_it() -> None:
    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise InputError("data.csv: line 3 is malformed; fix that line")

    got: list[int] = []
    with pytest.raises(InputError, match="line 3"):
        for item in read_ahead(failing()):
            got.append(item)
    assert got == [1, 2]


def test_stopping_early_closes_the_source() -> None:
    closed = threading.Event()

    def endless() -> Iterator[int]:
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    items = read_ahead(endless(), depth=2)
    assert [next(items) for _ in range(3)] == [0, 1, 2]
    items.close()
    assert closed.wait(5)


def test_depth_must_be_positive() -> None:
    with pytest.raises(ValueError, match="depth"):
        list(read_ahead(iter([1]), depth=0))


def test_a_file_profiles_the_same_with_and_without_reading_ahead(tmp_path: Path) -> None:
    from collapse_guard.plugins import get_readers
    from collapse_guard.profile.build import build_profile
    from collapse_guard.readers import iter_chunks

    # 100-row chunks, so the reader thread runs well ahead of the builder.
    frame = pd.DataFrame(
        {"x": [float(i % 97) for i in range(3000)], "c": [f"k{i % 13}" for i in range(3000)]}
    )
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)

    def chunks() -> Iterator[tuple[Path, object]]:
        return iter_chunks([path], get_readers(), chunk_rows=100, arrow=True)

    ahead = build_profile(read_ahead(chunks(), depth=2))
    plain = build_profile(chunks())
    assert ahead.to_json() == plain.to_json()
    assert ahead.rows == 3000


def test_a_failed_profile_stops_the_reader_while_its_error_lives_on() -> None:
    from collapse_guard.profile.build import build_profile

    closed = threading.Event()

    def chunks() -> Iterator[pd.DataFrame]:
        try:
            yield pd.DataFrame({"x": [1.0, 2.0, 3.0]})
            yield pd.DataFrame({"y": [1.0, 2.0, 3.0]})  # a column the first chunk did not have
            yield pd.DataFrame({"x": [4.0]})
        finally:
            closed.set()

    with pytest.raises(InputError, match="no column 'x'") as kept:
        build_profile(read_ahead(chunks()))
    assert kept.value is not None  # the exception (and its traceback) is still referenced
    assert closed.is_set()
    alive = [t for t in threading.enumerate() if t.name == "collapse-guard-read-ahead"]
    assert not alive
