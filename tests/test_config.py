"""Config loading and validation: unknown keys and out-of-range values name the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from collapse_guard.config import Config, load_config, parse_config, with_overrides
from collapse_guard.errors import ConfigError
from collapse_guard.plugins import get_checks


def _validated(table: dict) -> Config:
    cfg = parse_config(table, "test.toml")
    cfg.validate(get_checks())
    return cfg


def test_defaults() -> None:
    cfg = Config()
    assert (cfg.alpha, cfg.warn_alpha, cfg.fail_on, cfg.seed) == (0.01, 0.05, "fail", 0)


@pytest.mark.parametrize(
    "table, message",
    [
        ({"alpah": 0.01}, "unknown key 'alpah'"),
        ({"alpha": 0.9}, "alpha = 0.9 is out of range"),
        ({"alpha": 0.05, "warn_alpha": 0.01}, "warn_alpha"),
        ({"fail_on": "error"}, "fail_on"),
        ({"seed": -1}, "seed"),
        ({"threads": -2}, "threads must be an integer"),
        ({"threads": 1.5}, "threads must be an integer"),
        ({"profile": {"sample_row": 10}}, "unknown key 'sample_row' in \\[profile\\]"),
        ({"checks": {"tail-shrink": {}}}, "unknown check 'tail-shrink'"),
        ({"checks": {"tail-shrinkage": {"power": 2}}}, "tail-shrinkage.power = 2 is invalid"),
        ({"checks": {"tail-shrinkage": {"colour": 1}}}, "unknown key 'colour' in checks.tail-shrinkage"),
        ({"checks": {"tail-shrinkage": {"thresholds": {"nope": {"warn": 0.5}}}}}, "unknown metric 'nope'"),
        (
            {"checks": {"tail-shrinkage": {"thresholds": {"upper_tail_mass_q99": {"fail": 1.5}}}}},
            "out of range",
        ),
        (
            {
                "checks": {
                    "tail-shrinkage": {"thresholds": {"upper_tail_mass_q99": {"warn": 0.4, "fail": 0.6}}}
                }
            },
            "fail \\(0.6\\) must be <= warn \\(0.4\\)",
        ),
        (
            {"checks": {"tail-shrinkage": {"thresholds": {"upper_tail_mass_q99": {"warn": 10**400}}}}},
            "must be a number",
        ),
        ({"columns": {"x": {"kinds": "numeric"}}}, "unknown key 'kinds' in columns.x"),
        ({"columns": {"x": {"kind": "number"}}}, "unknown column kind"),
        ({"select": ["tail-shrinkage", "nope"]}, "unknown check 'nope'"),
    ],
)
def test_bad_config_names_the_key(table: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _validated(table)


def test_thresholds_resolve_per_column_then_check_then_default() -> None:
    cfg = _validated(
        {
            "checks": {"tail-shrinkage": {"thresholds": {"upper_tail_mass_q99": {"warn": 0.8}}}},
            "columns": {
                "income": {
                    "checks": {"tail-shrinkage": {"thresholds": {"upper_tail_mass_q99": {"fail": 0.3}}}}
                }
            },
        }
    )
    check = get_checks()["tail-shrinkage"]
    assert cfg.thresholds(check, "upper_tail_mass_q99", "other") == (0.8, 0.5)
    assert cfg.thresholds(check, "upper_tail_mass_q99", "income") == (0.8, 0.3)
    assert cfg.thresholds(check, "lower_tail_mass_q01", "income") == (0.7, 0.5)


def test_options_resolve_per_column() -> None:
    cfg = _validated({"columns": {"x": {"checks": {"tail-shrinkage": {"power": 0.9}}}}})
    check = get_checks()["tail-shrinkage"]
    assert cfg.option(check, "power", "x") == 0.9
    assert cfg.option(check, "power", "y") == 0.8


def test_select_ignore_and_enabled() -> None:
    checks = get_checks()
    cfg = _validated({"checks": {"tail-shrinkage": {"enabled": False}}})
    assert not cfg.check_enabled(checks["tail-shrinkage"])
    cfg = with_overrides(Config(), select=("tail-shrinkage",))
    assert cfg.check_enabled(checks["tail-shrinkage"])
    cfg = with_overrides(Config(), ignore=("tail-shrinkage",))
    assert not cfg.check_enabled(checks["tail-shrinkage"])


def test_load_from_pyproject_and_own_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.collapse-guard]\nalpha = 0.001\n")
    assert load_config(cwd=tmp_path).alpha == 0.001
    (tmp_path / "collapse-guard.toml").write_text("alpha = 0.002\n[columns.id]\nkind = 'ignore'\n")
    cfg = load_config(cwd=tmp_path)
    assert cfg.alpha == 0.002 and cfg.ignored_columns() == {"id"}
    (tmp_path / "bad.toml").write_text("alpha = [")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "bad.toml")
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")


def test_cli_column_override_is_validated() -> None:
    with pytest.raises(ConfigError, match="--column x=words"):
        with_overrides(Config(), columns={"x": "words"}, column_origin="--column")
    # from the Python API (the default origin), named as it was passed there
    with pytest.raises(ConfigError, match=r"columns=\{'x': 'words'\}"):
        with_overrides(Config(), columns={"x": "words"})


@pytest.mark.parametrize(
    "check, key, value",
    [
        ("tail-shrinkage", "hill_min_xi", True),  # TOML true is not the number 1
        ("tail-shrinkage", "text_null_draws", True),
        ("tail-shrinkage", "power", float("nan")),
        ("tail-shrinkage", "rare_mass", float("inf")),
        ("synthetic-contamination", "lm_order", 3.0),
        ("synthetic-contamination", "lm_order", True),
        ("synthetic-contamination", "max_rows", 0),
        ("synthetic-contamination", "classifier", "forest"),
        ("diversity-loss", "near_duplicate_threshold", 0.2),
        ("tail-shrinkage", "power", 10**400),  # TOML allows it; too large for a float
    ],
)
def test_every_check_option_refuses_values_of_the_wrong_kind(check: str, key: str, value: object) -> None:
    with pytest.raises(ConfigError, match=f"{check}.{key} = .* is invalid"):
        _validated({"checks": {check: {key: value}}})


def test_option_kinds_accept_their_bounds_and_say_what_they_expect() -> None:
    from collapse_guard.protocols import OptionSpec

    ints = OptionSpec.integer(5, "d", 1, 8)
    assert [ints.validate(v) for v in (1, 8, 0, 9, 2.0, False)] == [True, True, False, False, False, False]
    assert ints.expect == "an integer between 1 and 8"
    assert OptionSpec.integer(5, "d", 1).expect == "a positive integer"
    assert OptionSpec.integer(50, "d", 50).validate(10**9)
    open_range = OptionSpec.number(0.5, "d", 0, 1)
    assert [open_range.validate(v) for v in (0, 1, 0.5, 1e-9)] == [False, False, True, True]
    closed = OptionSpec.number(0.7, "d", 0.3, 1, inclusive=True)
    assert closed.validate(0.3) and closed.validate(1) and closed.expect == "a number between 0.3 and 1"
    pick = OptionSpec.choice("gbt", "d", ("gbt", "logistic"))
    assert pick.validate("logistic") and not pick.validate(["gbt"]) and pick.expect == "'gbt' or 'logistic'"
