"""Defects found by a newcomer's review of the command line, its messages and its docs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import EXAMPLES, ROOT, assert_one_line_error, human_frame

import collapse_guard as cg
from collapse_guard.config import load_config, parse_config
from collapse_guard.errors import ConfigError, PluginCrashError, tracebacks_shown
from collapse_guard.own_files import own_output_kind
from collapse_guard.plugins import Registry, default_registry, get_reporters
from collapse_guard.readers import iter_chunks

Run = Callable[..., tuple[int, str, str]]
README = (ROOT / "README.md").read_text()
FAST = ("--select", "tail-shrinkage")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A human reference (outside the data folder) and a small synthetic-marked profile."""
    root = tmp_path_factory.mktemp("review")
    human = human_frame(1500, seed=3)[["gauss", "category"]]
    ref = root / "reference.json"
    cg.profile(human).save(ref)
    synthetic = root / "machine.json"
    cg.profile(human_frame(600, seed=4)[["gauss", "category"]], synthetic=True).save(synthetic)
    return {"root": root, "ref": ref, "synthetic": synthetic}


def _batch_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    human_frame(800, seed=5)[["gauss", "category"]].to_csv(folder / "batch.csv", index=False)
    return folder


# ----- 1. check and profile pass over their own output -----------------------------------------


@pytest.mark.parametrize("name", ["report.md", "report.txt"])
def test_check_writing_its_report_into_the_data_folder_runs_again(
    run_cli: Run, world: dict[str, Path], tmp_path: Path, name: str
) -> None:
    folder = _batch_folder(tmp_path)
    report = folder / name
    for _ in range(2):
        code, _, err = run_cli("check", folder, "-r", world["ref"], "-o", report, *FAST)
        assert code in (0, 1), err
    code, out, err = run_cli("check", folder, "-r", world["ref"], "--format", "json", *FAST)
    assert json.loads(out)["batch"]["rows"] == 800, err  # the report was not read as data


def test_a_folder_of_documents_leaves_out_the_report_written_into_it(run_cli: Run, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(3):
        (docs / f"d{i}.txt").write_text(f"document number {i} with a few words in it\n")
    ref = tmp_path / "ref.json"
    assert run_cli("profile", docs, "-o", ref)[0] == 0
    for _ in range(2):
        code, _, err = run_cli("check", docs, "-r", ref, "-o", docs / "report.md", *FAST)
        assert code in (0, 1), err
    code, out, err = run_cli("check", docs, "-r", ref, "--format", "json", *FAST)
    assert json.loads(out)["batch"]["rows"] == 3, err
    assert run_cli("profile", docs, "-o", tmp_path / "again.json")[0] == 0
    assert cg.Profile.load(tmp_path / "again.json").rows == 3


def test_every_plain_report_format_is_recognised_as_collapse_guards_own(tmp_path: Path) -> None:
    report = cg.check(
        human_frame(400, seed=6)[["gauss"]], cg.profile(human_frame(1500)[["gauss"]]), select="tail-shrinkage"
    )
    reporters = get_reporters()
    for fmt in ("text", "markdown", "github", "json", "sarif"):
        for suffix in (".txt", ".md"):
            path = tmp_path / f"{fmt}{suffix}"
            path.write_text(reporters[fmt].render(report), encoding="utf-8")
            assert own_output_kind(path) == "collapse-guard report", path.name
    # A multi-file check's annotations name no file: they start with their title.
    both = [tmp_path / "a.csv", tmp_path / "b.csv"]
    for i, path in enumerate(both):
        human_frame(3000, seed=7 + i)[["gauss"]].clip(-1, 1).to_csv(path, index=False)  # no tails
    multi = cg.check_files(both, cg.profile(human_frame(1500)[["gauss"]]), select="tail-shrinkage")
    github = reporters["github"].render(multi)
    assert github.startswith("::") and "file=" not in github.splitlines()[0]
    (tmp_path / "multi.txt").write_text(github, encoding="utf-8")
    assert own_output_kind(tmp_path / "multi.txt") == "collapse-guard report"
    for text in ("collapse-guard is a tool\n", "## collapse-guards of the realm\n", "::notice file=x::y\n"):
        (tmp_path / "note.md").write_text(text)
        assert own_output_kind(tmp_path / "note.md") is None, text


def test_the_commands_own_output_is_left_out_of_the_folders_read(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "a.csv").write_text("v\n1\n2\n")
    (folder / "out.csv").write_text("other\nx\n")  # a plugin's report, say: not recognisable
    chunks = list(iter_chunks([folder], default_registry().readers, skip=[folder / "out.csv"]))
    assert [p.name for p, _ in chunks] == ["a.csv"]
    ref = cg.profile(pd.DataFrame({"v": [1.0, 2.0, 3.0, 4.0]}))
    report = cg.check_files(folder, ref, select="tail-shrinkage", output=folder / "out.csv")
    assert report.batch["rows"] == 2


def test_profile_with_its_output_inside_the_input_folder_runs_again(run_cli: Run, tmp_path: Path) -> None:
    folder = _batch_folder(tmp_path)
    for _ in range(2):
        code, _, err = run_cli("profile", folder, "-o", folder / "reference.json.gz")
        assert code == 0 and "800 rows" in err, err


# ----- 2. the --synthetic mark is read -------------------------------------------------------------


def test_a_synthetic_profile_is_refused_as_the_reference(
    run_cli: Run, world: dict[str, Path], tmp_path: Path
) -> None:
    folder = _batch_folder(tmp_path)
    synthetic = str(world["synthetic"])
    for command in ("check", "scan"):
        assert_one_line_error(
            run_cli(command, folder, "-r", synthetic, *FAST), synthetic, "--synthetic-reference"
        )
    with pytest.raises(cg.InputError, match="machine-generated"):
        cg.check_files(folder, synthetic)
    with pytest.raises(cg.InputError, match="synthetic_reference="):
        cg.check(pd.DataFrame({"gauss": [1.0]}), cg.Profile.load(synthetic))


def test_a_human_reference_is_refused_as_the_synthetic_reference(
    run_cli: Run, world: dict[str, Path], tmp_path: Path
) -> None:
    folder = _batch_folder(tmp_path)
    ref = str(world["ref"])
    assert_one_line_error(
        run_cli("check", folder, "-r", ref, "--synthetic-reference", ref, *FAST),
        f"{ref}: is a human reference profile",
        "profile --synthetic",
    )
    with pytest.raises(cg.InputError, match="human reference"):
        cg.check_files(folder, ref, synthetic_reference=ref)
    report = cg.check_files(folder, ref, synthetic_reference=world["synthetic"], select="tail-shrinkage")
    assert report.status in ("pass", "warn", "fail")  # a marked sample is still accepted


# ----- 4, 15. help text per command ----------------------------------------------------------------


def test_check_help_says_column_only_ignores_and_profile_help_fits_profile(run_cli: Run) -> None:
    _, check_help, _ = run_cli("check", "--help")
    assert "Ignore a column (NAME=ignore)" in check_help and "Set a column's kind" not in check_help
    _, scan_help, _ = run_cli("scan", "--help")
    assert "only ignore has an effect" in re.sub(r"\s+", " ", scan_help)
    _, profile_help, _ = run_cli("profile", "--help")
    flat = re.sub(r"\s+", " ", profile_help)
    assert "Set a column's kind" in flat
    assert "check that crashes" not in flat and "nulls" not in flat


# ----- 5. --config with a [tool.collapse-guard] table -------------------------------------------


def test_a_tool_table_in_a_config_not_named_pyproject_gets_a_hint(run_cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "pp.toml"
    path.write_text(
        '[tool.collapse-guard]\nalpha = 0.02\n\n[tool.collapse-guard.columns.x]\nkind = "ignore"\n'
    )
    with pytest.raises(ConfigError, match=r"move the \[tool\.collapse-guard\] table's keys up"):
        load_config(path)
    assert_one_line_error(
        run_cli("check", tmp_path, "-r", tmp_path / "r.json", "--config", path), str(path), "top level"
    )
    (tmp_path / "fixed.toml").write_text('alpha = 0.02\n\n[columns.x]\nkind = "ignore"\n')
    assert load_config(tmp_path / "fixed.toml").alpha == 0.02


# ----- 12. a crashing reader under --traceback ----------------------------------------------------


class _CrashingReader:
    name = "loose"
    suffixes = (".loose",)

    def read(self, path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
        yield pd.DataFrame({"a": [1.0]})
        raise AttributeError("no attribute 'frame'")


def test_a_reader_crash_asks_for_traceback_only_when_it_is_off(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "d.loose"
    path.write_text("x")
    with tracebacks_shown(), pytest.raises(PluginCrashError) as caught:
        list(iter_chunks([path], [_CrashingReader()]))
    assert str(caught.value).endswith("report it to the reader's authors")

    real = default_registry()
    registry = Registry(
        real.checks, {**real.readers, "loose": _CrashingReader()}, real.reporters, real.owners
    )
    monkeypatch.setattr("collapse_guard.api.default_registry", lambda: registry)
    args = ("profile", path, "-o", tmp_path / "out.json")
    assert "or rerun with --traceback" in assert_one_line_error(run_cli(*args), "crashed")
    code, _, err = run_cli(*args, "--traceback")
    assert code == 2 and "Traceback" in err
    assert "crashed: AttributeError: no attribute 'frame'; report it to the reader's authors\n" in err
    assert "rerun with --traceback" not in err


# ----- 13, 14. README ---------------------------------------------------------------------------


def test_readme_json_example_shows_the_real_p_values(example_reference: Path) -> None:
    example = re.search(r"## JSON report\n.*?```json\n(.+?)\n```", README, re.S)
    assert example
    shown = re.search(r'"p_value": ([0-9.e+-]+), "p_adjusted": ([0-9.e+-]+)', example.group(1))
    assert shown, "the README's JSON example lacks p_value and p_adjusted"
    # p_adjusted is over every finding of the run: run every check, as the README's run does.
    report = cg.check_files(EXAMPLES / "collapsed_batch.csv", example_reference).to_dict()
    entry = next(
        f for f in report["findings"] if f["column"] == "income" and f["metric"] == "upper_tail_mass_q99"
    )
    assert f"{entry['p_value']:.1e}" == shown.group(1)
    assert f"{entry['p_adjusted']:.1e}" == shown.group(2)


def test_the_reference_hash_depends_on_the_path_typed_and_the_readme_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "human.csv"
    human_frame(300)[["gauss"]].to_csv(data, index=False)
    monkeypatch.chdir(tmp_path)
    relative = cg.profile_files("human.csv").save(tmp_path / "a.json")
    absolute = cg.profile_files(data).save(tmp_path / "b.json")
    assert relative != absolute
    flat = re.sub(r"\s+", " ", README)
    assert "The hashed content includes the source paths as they were typed" in flat


# ----- 16, 17, 18, 19 ----------------------------------------------------------------------------


def test_the_text_format_is_described_as_the_default_everywhere(run_cli: Run) -> None:
    _, out, _ = run_cli("reporters")
    assert "default on a terminal" not in out and "(the default)" in out


def test_an_out_of_range_max_line_bytes_names_the_flag(run_cli: Run, tmp_path: Path) -> None:
    folder = _batch_folder(tmp_path)
    line = assert_one_line_error(run_cli("scan", folder, "--max-line-bytes", "4G"), "--max-line-bytes", "4G")
    assert "read.max_line_bytes" not in line and "between 1 byte and 2 GiB" in line
    line = assert_one_line_error(run_cli("scan", folder, "--max-decompressed-bytes", "0"))
    assert "--max-decompressed-bytes" in line and "read.max_decompressed_bytes" not in line


@pytest.mark.parametrize("name", ["ref.txt", "ref.csv", "ref.gz", "ref"])
def test_profile_refuses_an_output_that_is_not_json(run_cli: Run, tmp_path: Path, name: str) -> None:
    data = tmp_path / "human.csv"
    human_frame(200)[["gauss"]].to_csv(data, index=False)
    out = tmp_path / name
    assert_one_line_error(run_cli("profile", data, "-o", out), f"--output {out}", ".json.gz")
    assert not out.exists()
    assert run_cli("profile", data, "-o", tmp_path / "ref.JSON")[0] == 0


def test_the_threads_maximum_is_documented_and_enforced() -> None:
    row = next(
        line
        for line in (ROOT / "docs" / "configuration.md").read_text().splitlines()
        if line.startswith("| `threads`")
    )
    assert "at most `64`" in row
    assert parse_config({"threads": 64}, "t").threads == 64
    with pytest.raises(ConfigError, match="threads"):
        parse_config({"threads": 65}, "t")
