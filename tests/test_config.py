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
        with_overrides(Config(), columns={"x": "words"})
