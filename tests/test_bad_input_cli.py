"""Bad input found by fuzzing the command line and the Python API (review items 9-31).

Command line: exit 2 and one line on stderr naming the file or option and the fix. Python API: a
collapse-guard error (InputError, ConfigError) or a TypeError saying what to pass.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import assert_one_line_error

import collapse_guard as cg
from collapse_guard.errors import CollapseGuardWarning, ConfigError, InputError

Run = Callable[..., tuple[int, str, str]]
N = 600
FAST = ("--select", "tail-shrinkage")


def frame(n: int = N, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"x": rng.normal(size=n), "y": rng.lognormal(size=n), "c": rng.choice(list("abcdef"), n)}
    )


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bad_input_cli")
    frame(2000).to_csv(root / "human.csv", index=False)
    data = root / "data"
    data.mkdir()
    frame(N, seed=1).to_csv(data / "batch.csv", index=False)
    frame(N, seed=2).to_csv(data / "other.csv", index=False)
    cg.profile(frame(2000)).save(root / "ref.json")
    cg.profile(frame(2000), columns={"y": "ignore"}).save(root / "ref_no_y.json")
    return root


@pytest.fixture(scope="module")
def reference(work: Path) -> cg.Profile:
    return cg.Profile.load(work / "ref.json")


@pytest.fixture
def in_data(work: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current folder is one holding data: an empty path there would read it and pass."""
    monkeypatch.chdir(work / "data")
    return work


# ----- 9: an empty path -----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "scan", "profile"])
def test_an_empty_path_is_refused(run_cli: Run, in_data: Path, command: str) -> None:
    extra = {"check": ("-r", in_data / "ref.json"), "scan": (), "profile": ("-o", in_data / "out.json")}
    err = assert_one_line_error(run_cli(command, "", *extra[command]), "an empty path", "unset variable")
    assert "pass a file or folder" in err


@pytest.mark.parametrize("option", ["-r", "--synthetic-reference", "--config", "-o"])
def test_an_empty_option_path_is_refused(run_cli: Run, in_data: Path, option: str) -> None:
    args: list[str | Path] = ["check", in_data / "data" / "batch.csv"]
    if option != "-r":
        args += ["-r", in_data / "ref.json"]
    assert_one_line_error(run_cli(*args, option, ""), "an empty path", "unset variable")


def test_an_empty_path_in_the_api(in_data: Path, reference: cg.Profile) -> None:
    with pytest.raises(InputError, match="an empty path was given"):
        cg.check_files([""], reference)
    with pytest.raises(InputError, match="an empty path was given"):
        cg.check_files("", reference)
    with pytest.raises(InputError, match="an empty path was given"):
        cg.profile_files([""])
    from collapse_guard.scan import scan_paths

    with pytest.raises(InputError, match="an empty path was given"):
        scan_paths([""])


# ----- 12: scan given the same file twice ---------------------------------------------------------


def test_scan_refuses_a_folder_given_twice(run_cli: Run, work: Path) -> None:
    data = work / "data"
    assert_one_line_error(run_cli("scan", data, data), str(data), "given twice", "once")


def test_scan_refuses_a_folder_and_a_file_inside_it(run_cli: Run, work: Path) -> None:
    data = work / "data"
    err = assert_one_line_error(run_cli("scan", data, data / "batch.csv"), "batch.csv", "given twice")
    assert f"from folder {data}" in err


def test_scan_refuses_the_same_file_under_two_names(
    run_cli: Run, work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(work)
    assert_one_line_error(run_cli("scan", "data/batch.csv", "./data/batch.csv"), "given twice")


def test_scan_of_two_different_files_still_runs(run_cli: Run, work: Path) -> None:
    data = work / "data"
    code, out, _ = run_cli("scan", data / "batch.csv", data / "other.csv", *FAST, "--format", "json")
    assert code in (0, 1) and json.loads(out)["summary"]["files"] == 2


# ----- 13: an empty --select ------------------------------------------------------------------


@pytest.mark.parametrize("value", [",,,", "", " , "])
@pytest.mark.parametrize("command", ["check", "scan"])
def test_an_empty_select_is_refused(run_cli: Run, work: Path, command: str, value: str) -> None:
    ref = ("-r", work / "ref.json") if command == "check" else ()
    err = assert_one_line_error(
        run_cli(command, work / "data" / "batch.csv", *ref, "--select", value), "--select"
    )
    assert "no check would run" in err


@pytest.mark.parametrize("select", [[], (), "", [" "]])
def test_an_empty_select_is_refused_in_the_api(reference: cg.Profile, select: object) -> None:
    with pytest.raises(ConfigError, match="no check would run"):
        cg.check(frame(), reference, select=select)  # type: ignore[arg-type]


# ----- 14: conflicting --column -----------------------------------------------------------------


def test_conflicting_column_kinds_are_refused(run_cli: Run, work: Path) -> None:
    result = run_cli(
        "check",
        work / "data" / "batch.csv",
        "-r",
        work / "ref.json",
        "--column",
        "x=ignore",
        "--column",
        "x=numeric",
    )
    assert_one_line_error(result, "--column", "x=ignore", "x=numeric")


def test_the_same_column_kind_twice_is_fine(run_cli: Run, work: Path) -> None:
    args = ("--column", "x=ignore", "--column", "x = IGNORE")
    code, _, err = run_cli("check", work / "data" / "batch.csv", "-r", work / "ref.json", *FAST, *args)
    assert code in (0, 1), err


# ----- 15: a --column kind for a column the reference has no profile of ---------------------------


def test_a_column_kind_the_reference_cannot_apply_is_refused(run_cli: Run, work: Path) -> None:
    result = run_cli(
        "check", work / "data" / "batch.csv", "-r", work / "ref_no_y.json", "--column", "y=numeric"
    )
    err = assert_one_line_error(result, "--column y=numeric", "no profile of column 'y'", "re-profile")
    assert "[columns]" not in err


def test_a_column_kind_the_reference_cannot_apply_in_the_api(work: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"columns=\{'y': 'numeric'\}: the reference .* no profile of column 'y'"
    ):
        cg.check(frame(), work / "ref_no_y.json", columns={"y": "numeric"})


def test_ignoring_a_column_the_reference_lacks_does_not_warn_about_the_config(
    run_cli: Run, work: Path
) -> None:
    code, _, err = run_cli(
        "check", work / "data" / "batch.csv", "-r", work / "ref_no_y.json", *FAST, "--column", "y=ignore"
    )
    assert code in (0, 1) and "[columns]" not in err


def test_a_config_column_the_reference_lacks_still_warns(work: Path, tmp_path: Path) -> None:
    config = tmp_path / "cg.toml"
    config.write_text('select = ["tail-shrinkage"]\n[columns.yy]\nkind = "ignore"\n')
    with pytest.warns(CollapseGuardWarning, match=r"\[columns\] names column 'yy'"):
        cg.check(frame(), work / "ref.json", config=config)


def test_scan_warns_about_a_column_option_the_reference_lacks(run_cli: Run, work: Path) -> None:
    code, _, err = run_cli(
        "scan", work / "data" / "batch.csv", "-r", work / "ref.json", *FAST, "--column", "xx=ignore"
    )
    assert code in (0, 1)
    assert "collapse-guard: warning: --column xx=ignore names a column the reference" in err


# ----- 21: scan's reasons carry the fix -------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_scan_reasons_for_a_dangling_link_and_a_fifo_say_the_fix(run_cli: Run, tmp_path: Path) -> None:
    from collapse_guard.scan import scan_paths

    frame().to_csv(tmp_path / "ok.csv", index=False)
    os.symlink("gone.csv", tmp_path / "dangling.csv")
    os.mkfifo(tmp_path / "pipe.csv")
    reasons = {f.path.rsplit("/", 1)[-1]: f.reason for f in scan_paths([tmp_path]).files}
    assert "symbolic link to a missing file" in reasons["dangling.csv"]
    assert "remove the broken link or point it at a file" in reasons["dangling.csv"]
    assert "FIFO (named pipe), not a regular file" in reasons["pipe.csv"]
    assert "write the data to a regular file" in reasons["pipe.csv"]
    # given directly, the same reasons (scan still reports on stdout: the file is an error row)
    for name, needle in (
        ("dangling.csv", "remove the broken link"),
        ("pipe.csv", "write the data to a regular"),
    ):
        code, _, err = run_cli("scan", tmp_path / name)
        assert code == 2 and err.count("\n") == 1 and name in err and needle in err, err
        assert "no such file" not in err and "Traceback" not in err


# ----- 23: a config file with a byte-order mark --------------------------------------------------------


def test_a_config_file_with_a_utf8_bom_is_read(tmp_path: Path) -> None:
    from collapse_guard.config import load_config

    path = tmp_path / "collapse-guard.toml"
    path.write_bytes(b'\xef\xbb\xbfalpha = 0.02\nselect = ["tail-shrinkage"]\n')
    cfg = load_config(path)
    assert cfg.alpha == 0.02 and cfg.select == ("tail-shrinkage",)


def test_a_config_file_that_is_not_utf8_says_so(run_cli: Run, work: Path, tmp_path: Path) -> None:
    path = tmp_path / "cg.toml"
    path.write_bytes("alpha = 0.02\n".encode("utf-16"))
    result = run_cli("check", work / "data" / "batch.csv", "-r", work / "ref.json", "--config", path)
    assert_one_line_error(result, str(path), "UTF-8")


# ----- 25-29: the Python API's arguments ---------------------------------------------------------


def test_columns_must_be_a_mapping(reference: cg.Profile) -> None:
    with pytest.raises(TypeError, match=r"columns= must be a mapping of column name to kind"):
        cg.check(frame(), reference, columns=["x"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"columns= must be a mapping"):
        cg.profile(frame(), columns=["x"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"columns= values must be kinds"):
        cg.profile(frame(), columns={"x": 3})  # type: ignore[dict-item]


def test_a_bad_column_kind_in_the_api_names_columns_not_the_option(reference: cg.Profile) -> None:
    with pytest.raises(ConfigError, match=r"^columns=\{'x': 'float'\}: unknown column kind"):
        cg.check(frame(), reference, columns={"x": "float"})


def test_check_files_given_a_frame_says_to_use_check(reference: cg.Profile) -> None:
    with pytest.raises(TypeError, match=r"use cg\.check\(df, reference\)"):
        cg.check_files(frame(), reference)
    with pytest.raises(TypeError, match=r"use cg\.profile\(df\)"):
        cg.profile_files(frame())  # type: ignore[arg-type]


def test_save_into_a_folder_or_a_missing_folder_is_refused(reference: cg.Profile, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder; give a file name"):
        reference.save(tmp_path)
    missing = tmp_path / "nope" / "ref.json"
    with pytest.raises(InputError, match=r"folder .*nope does not exist; create it first"):
        reference.save(missing)
    assert not missing.parent.exists()
    with pytest.raises(InputError, match="an empty path"):
        reference.save("")
    # As `profile -o`: a reference named like data would be read as data by the next scan.
    for name in ("ref.csv", "ref.parquet", "ref"):
        with pytest.raises(InputError, match=r"a profile file is JSON; name it \.json, or \.json\.gz"):
            reference.save(tmp_path / name)
        assert not (tmp_path / name).exists()


def test_a_numpy_integer_seed_is_accepted(reference: cg.Profile) -> None:
    numpy_seed = cg.check(frame(), reference, seed=np.int64(3), select="tail-shrinkage")
    plain = cg.check(frame(), reference, seed=3, select="tail-shrinkage")
    assert numpy_seed.to_dict()["findings"] == plain.to_dict()["findings"]
    for bad in (True, -1, 1.5, np.float64(2.0)):
        with pytest.raises(TypeError, match="seed must be a whole number"):
            cg.check(frame(), reference, seed=bad)  # type: ignore[arg-type]


def test_arguments_of_the_wrong_type_say_what_to_pass(reference: cg.Profile) -> None:
    with pytest.raises(TypeError, match=r"select= must be a check name or a list of check names.*got an int"):
        cg.check(frame(), reference, select=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"ignore= must be a check name"):
        cg.check(frame(), reference, ignore=5)  # type: ignore[arg-type]
    with pytest.raises(
        TypeError, match=r"profile_files takes a file or folder path or a list of them, got a NoneType"
    ):
        cg.profile_files(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"takes file or folder paths \(str or pathlib.Path\), got an int"):
        cg.profile_files([1, 2])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"synthetic_reference must be a cg\.Profile.*got an int"):
        cg.check(frame(), reference, synthetic_reference=5, select="tail-shrinkage")  # type: ignore[arg-type]


# ----- 31: -o - -------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "scan"])
def test_output_dash_is_stdout(
    run_cli: Run, work: Path, command: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    ref = ("-r", work / "ref.json")
    code, out, err = run_cli(command, work / "data" / "batch.csv", *ref, *FAST, "-o", "-", "--format", "json")
    assert code in (0, 1), err
    assert out.lstrip().startswith("{") and "report written" not in err
    assert not (tmp_path / "-").exists()


def test_profile_output_dash_is_refused(
    run_cli: Run, work: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(
        run_cli("profile", work / "human.csv", "-o", "-"), "--output -", "not stdout", ".json"
    )
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("command", ["check", "scan"])
def test_output_help_documents_dash(run_cli: Run, command: str) -> None:
    code, out, _ = run_cli(command, "--help")
    assert code == 0 and "'-' is stdout" in out


def test_a_kind_against_the_reference_names_where_it_was_given(run_cli: Run, work: Path) -> None:
    result = run_cli(
        "check", work / "data" / "batch.csv", "-r", work / "ref.json", "--column", "x=categorical"
    )
    assert_one_line_error(result, "--column x=categorical", "is numeric in the reference", "rebuild")
    with pytest.raises(ConfigError, match=r"^\[columns\.x\] kind = \"text\" in the config passed"):
        cg.check(frame(), work / "ref.json", config={"columns": {"x": {"kind": "text"}}})
