"""Paths the readers refuse: broken entries, files given twice, and text in the wrong encoding.

Each case runs the real CLI (in-process, through the ``run_cli`` fixture) and expects the bad-input
contract: exit 2, nothing on stdout, one line on stderr naming the file and the fix. A folder used
to drop a dangling link or a FIFO silently, and a file given twice was read twice, so both runs
passed (or failed) on data other than what the user gave.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import assert_one_line_error

import collapse_guard as cg
from collapse_guard.cli import main

Run = Callable[..., tuple[int, str, str]]
LINK_FIX = "remove the broken link or point it at a file"
N = 1_000

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")


def frame(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(size=N), "c": rng.choice(list("abcdef"), N)})


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reference from the same distribution as the folders below, but other rows.

    (Rows shared with the reference would be reported as copies of it.)
    """
    folder = tmp_path_factory.mktemp("reference")
    data = folder / "human.csv"
    pd.concat([frame(10), frame(11), frame(12)]).to_csv(data, index=False)
    ref = folder / "reference.json"
    assert main(["profile", str(data), "-o", str(ref)]) == 0
    return ref


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A data folder of two CSV files and a README that no reader claims."""
    path = tmp_path / "batch"
    path.mkdir()
    frame(0).to_csv(path / "a.csv", index=False)
    frame(1).to_csv(path / "b.csv", index=False)
    (path / "README").write_text("not data\n")
    return path


def run(cli: Run, command: str, reference: Path, *paths: Path) -> tuple[int, str, str]:
    """``profile PATHS -o OUT`` or ``check PATHS -r REFERENCE``."""
    if command == "profile":
        return cli("profile", *paths, "-o", reference.parent / "out.json")
    return cli("check", *paths, "-r", reference)


# ----- broken entries ----------------------------------------------------------------------------


def make_dangling(path: Path) -> tuple[str, ...]:
    path.symlink_to(path.parent / "nonexistent.csv")
    return "symbolic link to a missing file", "nonexistent.csv", LINK_FIX


def make_self_loop(path: Path) -> tuple[str, ...]:
    path.symlink_to(path.name)
    return "symbolic link that points to itself", LINK_FIX


def make_fifo(path: Path) -> tuple[str, ...]:
    os.mkfifo(path)
    return "FIFO", "not a regular file", "write the data to a regular file"


BROKEN = [
    pytest.param(make_dangling, id="dangling-link"),
    pytest.param(make_self_loop, id="self-loop-link"),
    pytest.param(make_fifo, id="fifo", marks=needs_fifo),
]


@pytest.mark.parametrize("command", ["profile", "check"])
@pytest.mark.parametrize("make", BROKEN)
def test_broken_entry_in_a_folder_is_an_error(
    run_cli: Run, reference: Path, folder: Path, command: str, make: Callable[[Path], tuple[str, ...]]
) -> None:
    entry = folder / "c.csv"
    needles = make(entry)
    assert_one_line_error(run(run_cli, command, reference, folder), str(entry), *needles)


@pytest.mark.parametrize("make", BROKEN)
def test_broken_entry_in_a_text_folder_is_an_error(
    run_cli: Run, reference: Path, tmp_path: Path, make: Callable[[Path], tuple[str, ...]]
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("a document\n")
    entry = docs / "b.txt"
    needles = make(entry)
    assert_one_line_error(run(run_cli, "profile", reference, docs), str(entry), *needles)


@pytest.mark.parametrize("make", BROKEN)
def test_broken_entry_given_directly_says_what_it_is(
    run_cli: Run, reference: Path, tmp_path: Path, make: Callable[[Path], tuple[str, ...]]
) -> None:
    entry = tmp_path / "c.csv"
    needles = make(entry)
    err = assert_one_line_error(run(run_cli, "check", reference, entry), str(entry), *needles)
    assert "no such file" not in err


def test_hidden_and_unclaimed_broken_entries_stay_skipped(
    run_cli: Run, reference: Path, folder: Path
) -> None:
    # Documented: hidden files and files no reader claims are not data, broken or not.
    (folder / ".cache.csv").symlink_to(folder / "gone.csv")
    (folder / "notes").symlink_to(folder / "gone")
    (folder / "loop").symlink_to("loop")
    code, _, err = run(run_cli, "profile", reference, folder)
    assert code == 0, err


# ----- files given twice -------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["profile", "check"])
def test_same_file_twice_is_an_error(run_cli: Run, reference: Path, folder: Path, command: str) -> None:
    path = folder / "a.csv"
    result = run(run_cli, command, reference, path, path)
    assert_one_line_error(result, f"{path}: is given twice", "give each file once")


@pytest.mark.parametrize("command", ["profile", "check"])
def test_folder_and_a_file_inside_it_is_an_error(
    run_cli: Run, reference: Path, folder: Path, command: str
) -> None:
    path = folder / "b.csv"
    result = run(run_cli, command, reference, folder, path)
    assert_one_line_error(result, str(path), f"from folder {folder}", "give each file once")


def test_link_to_a_file_of_the_same_folder_is_an_error(run_cli: Run, reference: Path, folder: Path) -> None:
    (folder / "latest.csv").symlink_to("b.csv")
    result = run(run_cli, "check", reference, folder)
    assert_one_line_error(result, "latest.csv", "b.csv", "the same file", "give each file once")


def test_text_folder_and_a_document_inside_it_is_an_error(
    run_cli: Run, reference: Path, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("first document\n")
    (docs / "b.md").write_text("second document\n")
    result = run(run_cli, "profile", reference, docs, docs / "a.txt")
    assert_one_line_error(result, str(docs / "a.txt"), "is given twice")


def test_same_file_through_a_different_spelling_is_an_error(
    run_cli: Run, reference: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(folder.parent)
    relative = Path("batch") / "a.csv"
    result = run(run_cli, "check", reference, relative, folder / "a.csv")
    assert_one_line_error(result, "is given twice", "the same file", "give each file once")


# ----- normal folders still work -----------------------------------------------------------------


def test_normal_folder_profiles_and_checks(run_cli: Run, reference: Path, folder: Path) -> None:
    out = reference.parent / "folder.json"
    code, _, err = run_cli("profile", folder, "-o", out)
    assert code == 0, err
    assert f"{2 * N:,} rows" in err or f"{2 * N} rows" in err
    code, out_text, err = run_cli("check", folder, "-r", reference)
    assert code == 0, out_text + err


def test_separate_files_of_one_folder_still_work(run_cli: Run, reference: Path, folder: Path) -> None:
    code, out, err = run_cli("check", folder / "a.csv", folder / "b.csv", "-r", reference)
    assert code == 0, out + err


# ----- encodings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "encoding", "hint"),
    [
        ("utf16.csv", "utf-16-le", "utf-16"),
        ("utf16be.tsv", "utf-16-be", "utf-16"),
        ("utf16.jsonl", "utf-16-le", "utf-16"),
        ("utf16.json", "utf-16-le", "utf-16"),
        ("utf16.txt", "utf-16-be", "utf-16"),
        ("utf32.csv", "utf-32-le", "utf-32"),
    ],
)
def test_utf16_and_utf32_files_suggest_the_right_iconv(
    run_cli: Run, reference: Path, tmp_path: Path, name: str, encoding: str, hint: str
) -> None:
    texts = {
        ".csv": "x,c\n1.5,é\n2.5,b\n",
        ".tsv": "x\tc\n1.5\té\n2.5\tb\n",
        ".jsonl": '{"x": 1.5, "c": "é"}\n',
        ".json": '[{"x": 1.5, "c": "é"}]',
        ".txt": "a document, é\n",
    }
    boms = {
        "utf-16-le": codecs.BOM_UTF16_LE,
        "utf-16-be": codecs.BOM_UTF16_BE,
        "utf-32-le": codecs.BOM_UTF32_LE,
    }
    path = tmp_path / name
    path.write_bytes(boms[encoding] + texts[path.suffix].encode(encoding))
    err = assert_one_line_error(
        run(run_cli, "profile", reference, path),
        str(path),
        f"{hint.upper()} byte-order mark",
        f"iconv -f {hint} -t utf-8",
    )
    assert "latin1" not in err


def test_latin1_file_keeps_the_latin1_hint(run_cli: Run, reference: Path, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("x,c\n1.5,café\n".encode("latin1"))
    assert_one_line_error(run(run_cli, "profile", reference, path), str(path), "iconv -f cp1252")


def test_latin1_header_is_located_not_a_decoder_message(
    run_cli: Run, reference: Path, tmp_path: Path
) -> None:
    path = tmp_path / "header.csv"
    path.write_bytes("café,x\na,1\n".encode("latin1"))
    err = assert_one_line_error(
        run(run_cli, "profile", reference, path), str(path), "line 1", "iconv -f cp1252"
    )
    assert "codec" not in err


def test_binary_parquet_column_does_not_suggest_iconv(run_cli: Run, reference: Path, tmp_path: Path) -> None:
    path = tmp_path / "binary.parquet"
    table = pa.table({"x": [1.0, 2.0, 3.0], "blob": [b"\x00\xff", b"\x01\xfe", b"\x02\xfd"]})
    pq.write_table(table, path)
    err = assert_one_line_error(
        run(run_cli, "profile", reference, path), str(path), "'blob'", "not UTF-8", "drop the column"
    )
    assert "iconv" not in err


def test_a_header_longer_than_max_line_bytes_is_named_not_called_empty(tmp_path: Path) -> None:
    from collapse_guard.errors import InputError
    from collapse_guard.plugins import get_readers
    from collapse_guard.readers import iter_chunks
    from collapse_guard.readers.builtin import ReadLimits

    data = tmp_path / "wide.csv"
    data.write_text("a_rather_long_column_name,another_long_column_name\n1,2\n3,4\n")
    limits = ReadLimits(max_line_bytes=40)
    with pytest.raises(InputError, match=r"line 1 is longer than 40 bytes"):
        list(iter_chunks([data], get_readers(), limits=limits))


def test_text_documents_profile_as_a_text_column_however_few(tmp_path: Path) -> None:
    """One short note (or one-word notes) would be inferred categorical; documents are text."""
    from collapse_guard.kinds import Kind
    from collapse_guard.readers import documents_only

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.txt").write_text("Just one short note.")
    prof = cg.profile_files(notes)
    assert prof.columns["text"].kind is Kind.TEXT
    assert documents_only([notes]) and documents_only([notes / "a.txt"])
    (tmp_path / "t.csv").write_text("text\nyes\nno\n")
    assert not documents_only([tmp_path / "t.csv"]) and not documents_only([tmp_path])  # a csv among them
    assert cg.profile_files(notes, columns={"text": "categorical"}).columns["text"].kind is Kind.CATEGORICAL
