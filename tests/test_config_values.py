"""Config values: a value of the wrong TOML type names the key and the type expected; an integer
setting that cannot work is refused with its allowed range, before any data is read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import assert_one_line_error, human_frame

from collapse_guard.config import Config, load_config, parse_config
from collapse_guard.errors import ConfigError
from collapse_guard.plugins import get_checks

Run = Callable[..., tuple[int, str, str]]


def validated(table: dict[str, Any]) -> Config:
    cfg = parse_config(table, "test.toml")
    cfg.validate(get_checks())
    return cfg


def refused(table: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        validated(table)
    message = str(info.value)
    assert "test.toml" in message and "\n" not in message
    return message


# ----- the reported cases ------------------------------------------------------------------------


def test_a_quoted_alpha_must_be_a_number() -> None:
    message = refused({"alpha": "0.01"})
    assert message == "alpha must be a number in (0.0, 0.5], got '0.01' (a string) (test.toml)"
    assert "out of range" not in message
    assert "warn_alpha must be a number" in refused({"warn_alpha": True})
    assert refused({"alpha": 0.9}) == "alpha = 0.9 is out of range (0.0, 0.5] (test.toml)"


@pytest.mark.parametrize("key", ["select", "ignore"])
def test_a_string_instead_of_a_list_of_checks_is_refused(key: str) -> None:
    message = refused({key: "tail-shrinkage"})
    assert message == (
        f'{key} must be a list of check names, e.g. {key} = ["tail-shrinkage"], '
        "got 'tail-shrinkage' (a string) (test.toml)"
    )
    assert "must be a list of check names" in refused({key: [1]})
    assert "must be a list of check names" in refused({key: 5})
    assert validated({key: ["tail-shrinkage"]}).__getattribute__(key) == ("tail-shrinkage",)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "max_categories",
            0,
            "profile.max_categories must be an integer of at least 1 (distinct values), got 0",
        ),
        ("text_docs", 0, "profile.text_docs must be an integer of at least 1 (documents), got 0"),
        ("text_tokens", 0, "profile.text_tokens must be an integer of at least 1 (tokens), got 0"),
        (
            "sample_rows",
            -5,
            "profile.sample_rows must be an integer of at least 0 (rows; 0 turns the row sample off), got -5",
        ),
        ("sample_rows", 2.5, "profile.sample_rows must be an integer of at least 0"),
        (
            "max_categories",
            "100",
            "profile.max_categories must be an integer of at least 1 (distinct values), got '100' (a string)",
        ),
        ("store_text", "yes", "profile.store_text must be true or false, got 'yes' (a string)"),
        ("store_text", 1, "profile.store_text must be true or false, got 1"),
    ],
)
def test_profile_values_that_cannot_work(key: str, value: object, message: str) -> None:
    assert refused({"profile": {key: value}}).startswith(message)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "max_line_bytes",
            0,
            'read.max_line_bytes must be an integer from 1 to 2,147,483,647 (bytes) or a size such as "4M", '
            "got 0",
        ),
        ("max_line_bytes", 2**31, "read.max_line_bytes must be an integer from 1 to 2,147,483,647"),
        (
            "max_line_bytes",
            "lots",
            'read.max_line_bytes must be an integer from 1 to 2,147,483,647 (bytes) or a size such as "4M", '
            "got 'lots' (a string)",
        ),
        (
            "max_line_bytes",
            "4G",
            'read.max_line_bytes must be an integer from 1 to 2,147,483,647 (bytes) or a size such as "4M", '
            "got '4G' (4,294,967,296 bytes)",
        ),
        ("max_line_bytes", "0K", "read.max_line_bytes must be an integer from 1"),
        ("max_line_bytes", "4 MB extra", "read.max_line_bytes must be an integer from 1"),
        ("max_decompressed_bytes", 0, "read.max_decompressed_bytes must be an integer of at least 1 (bytes)"),
        ("max_decompressed_bytes", "-1G", "read.max_decompressed_bytes must be an integer of at least 1"),
        ("max_decompressed_bytes", 1e9, "read.max_decompressed_bytes must be an integer of at least 1"),
        ("max_compression_ratio", 1, "read.max_compression_ratio must be a number greater than 1, got 1"),
        ("max_compression_ratio", float("nan"), "read.max_compression_ratio must be a number greater than 1"),
        ("max_compression_ratio", "9", "read.max_compression_ratio must be a number greater than 1, got '9'"),
    ],
)
def test_read_values_that_cannot_work(key: str, value: object, message: str) -> None:
    assert refused({"read": {key: value}}).startswith(message)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1M", 2**20),
        ("64K", 64 * 2**10),
        ("64kb", 64 * 2**10),
        ("1.5MiB", 3 * 2**19),
        (" 2 m ", 2 * 2**20),
        ("4096", 4096),
        (4096, 4096),
    ],
)
def test_read_sizes_accept_the_command_line_syntax(value: object, expected: int) -> None:
    """[read] sizes take what --max-line-bytes and --max-decompressed-bytes take (one parser)."""
    from collapse_guard.commands.scan import parse_size as cli_parse_size

    cfg = validated({"read": {"max_line_bytes": value, "max_decompressed_bytes": value}})
    limits = cfg.read_limits()
    assert limits.max_line_bytes == limits.max_decompressed_bytes == expected
    assert cfg.read == {"max_line_bytes": expected, "max_decompressed_bytes": expected}
    if isinstance(value, str):
        assert cli_parse_size(value) == expected


def test_boundary_values_are_accepted() -> None:
    cfg = validated(
        {
            "profile": {"sample_rows": 0, "text_docs": 1, "text_tokens": 1, "max_categories": 1},
            "read": {"max_line_bytes": 2**31 - 1, "max_decompressed_bytes": 1, "max_compression_ratio": 1.5},
        }
    )
    assert cfg.reference_settings().sample_rows == 0 and cfg.batch_settings().max_categories == 1
    assert cfg.read_limits().max_line_bytes == 2**31 - 1
    assert validated({"read": {"max_compression_ratio": float("inf")}}).read_limits()


# ----- every key: a wrong TOML type names the key and the type expected -------------------------

WRONG_TYPES: list[tuple[dict[str, Any], str]] = [
    ({"alpha": [0.01]}, "alpha must be a number"),
    ({"warn_alpha": dt.date(2024, 1, 1)}, "warn_alpha must be a number in (0.0, 0.5], got datetime.date"),
    ({"fail_on": 1}, 'fail_on must be "fail" or "warn", got 1'),
    ({"seed": "1"}, "seed must be a non-negative integer, got '1' (a string)"),
    ({"seed": True}, "seed must be a non-negative integer, got true (a boolean)"),
    ({"threads": "2"}, "threads must be an integer from 0 (one per CPU) to 64, got '2' (a string)"),
    ({"select": "tail-shrinkage"}, "select must be a list of check names"),
    (
        {"ignore": {"a": 1}},
        "ignore must be a list of check names, e.g. ignore = [\"tail-shrinkage\"], got {'a': 1} (a table)",
    ),
    ({"profile": []}, "profile must be a table ([profile] or profile = {...}), got [] (an array)"),
    ({"read": 5}, "read must be a table"),
    ({"checks": "x"}, "checks must be a table"),
    ({"columns": 1.5}, "columns must be a table"),
    ({"checks": {"tail-shrinkage": 5}}, "checks.tail-shrinkage must be a table ([checks.tail-shrinkage])"),
    (
        {"checks": {"tail-shrinkage": {"enabled": "yes"}}},
        "checks.tail-shrinkage.enabled must be true or false, got 'yes'",
    ),
    (
        {"checks": {"tail-shrinkage": {"thresholds": 5}}},
        "checks.tail-shrinkage.thresholds must be a table, got 5",
    ),
    (
        {"checks": {"tail-shrinkage": {"thresholds": {"upper_tail_mass_q99": 0.5}}}},
        "checks.tail-shrinkage.thresholds.upper_tail_mass_q99 must be a table like {warn = 0.7, fail = 0.5}",
    ),
    (
        {"checks": {"tail-shrinkage": {"thresholds": {"upper_tail_mass_q99": {"warn": "0.5"}}}}},
        "checks.tail-shrinkage.thresholds.upper_tail_mass_q99.warn must be a number, got '0.5' (a string)",
    ),
    ({"checks": {"tail-shrinkage": {"power": "0.9"}}}, "checks.tail-shrinkage.power = '0.9' is invalid"),
    ({"columns": {"x": 5}}, "columns.x must be a table ([columns.x]), got 5"),
    ({"columns": {"x": {"kind": 5}}}, 'columns.x.kind must be a string: "numeric", "categorical", "text" or'),
    ({"columns": {"x": {"ignore": "no"}}}, "columns.x.ignore must be true or false, got 'no' (a string)"),
    ({"columns": {"x": {"checks": 5}}}, "columns.x.checks must be a table of per-check tables, got 5"),
    (
        {"columns": {"x": {"checks": {"tail-shrinkage": True}}}},
        "columns.x.checks.tail-shrinkage must be a table ([columns.x.checks.tail-shrinkage]), got true",
    ),
]


@pytest.mark.parametrize(("table", "message"), WRONG_TYPES, ids=[m.split(" ")[0] for _, m in WRONG_TYPES])
def test_a_wrong_type_names_the_key_and_the_type_expected(table: dict[str, Any], message: str) -> None:
    assert refused(table).startswith(message)


def test_a_column_ignore_flag_is_a_boolean() -> None:
    """ignore = "no" used to ignore the column (any non-empty string is true)."""
    assert validated({"columns": {"x": {"ignore": False}}}).ignored_columns() == set()
    assert validated({"columns": {"x": {"ignore": True}}}).ignored_columns() == {"x"}


def test_tool_collapse_guard_must_be_a_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool]\ncollapse-guard = "strict"\n')
    with pytest.raises(ConfigError, match=r"tool.collapse-guard in .*pyproject.toml must be a table"):
        load_config(cwd=tmp_path)


# ----- the command line: exit 2, one line naming the file and the key ---------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    from collapse_guard.cli import main

    work = tmp_path_factory.mktemp("config_values")
    batch = work / "batch.csv"
    human_frame(600, seed=2).to_csv(batch, index=False)
    data = work / "human.csv"
    human_frame(600, seed=1).to_csv(data, index=False)
    reference = work / "reference.json"
    assert main(["profile", str(data), "-o", str(reference)]) == 0
    return work, data, reference


@pytest.mark.parametrize(
    ("toml", "needles"),
    [
        ('alpha = "0.01"\n', ("alpha must be a number", "(a string)")),
        ('select = "tail-shrinkage"\n', ('e.g. select = ["tail-shrinkage"]',)),
        ("[profile]\nmax_categories = 0\n", ("profile.max_categories", "at least 1")),
        (
            '[read]\nmax_line_bytes = "lots"\n',
            ("read.max_line_bytes must be an integer", 'size such as "4M"'),
        ),
        ('[columns.category]\nignore = "no"\n', ("columns.category.ignore must be true or false",)),
    ],
)
@pytest.mark.parametrize("command", ["check", "profile"])
def test_bad_values_exit_2_naming_the_file_and_the_key(
    run_cli: Run, files: tuple[Path, Path, Path], toml: str, needles: tuple[str, ...], command: str
) -> None:
    work, data, reference = files
    config = work / "collapse-guard.toml"
    config.write_text(toml)
    if command == "check":
        result = run_cli("check", data, "-r", reference, "--config", config)
    else:
        result = run_cli("profile", data, "-o", work / "out.json", "--config", config)
    err = assert_one_line_error(result, str(config), *needles)
    assert str(data) not in err  # the setting is at fault, not the data
