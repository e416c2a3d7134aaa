"""The pre-commit hook and the GitHub Action, run for real against temporary repositories."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from collapse_guard.api import profile_files
from collapse_guard.config import Config

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / ".pre-commit-hooks.yaml"
ACTION = REPO / "action.yml"
WORKFLOW = REPO / ".github" / "workflows" / "self-check.yml"
# Fast checks only: the hook plumbing is under test here, not the statistics. The projects carry
# it in their own config file, as users do.
CONFIG_TOML = 'select = ["tail-shrinkage"]\n'


def _env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    # The hook runs `collapse-guard` from this interpreter's environment.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PRE_COMMIT_HOME"] = str(tmp / "pre-commit-home")
    env.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.org",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.org",
    )
    env.pop("GITHUB_STEP_SUMMARY", None)
    return env


# pre-commit runs hooks inside a git repository: without git there is nothing to test.
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs the git program")


def _git(cwd: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("pc-data")
    rng = np.random.default_rng(3)
    human = pd.DataFrame({"income": rng.lognormal(10, 1, 4000).round(2)})
    human.to_csv(root / "human.csv", index=False)
    profile_files([root / "human.csv"], config=Config()).save(root / "reference.json.gz")
    pd.DataFrame({"income": rng.lognormal(10, 1, 1500).round(2)}).to_csv(root / "clean.csv", index=False)
    lo, hi = np.quantile(human["income"], [0.2, 0.8])
    pd.DataFrame({"income": rng.lognormal(10, 1, 1500).clip(lo, hi).round(2)}).to_csv(
        root / "collapsed.csv", index=False
    )
    return {
        "ref": root / "reference.json.gz",
        "clean": root / "clean.csv",
        "collapsed": root / "collapsed.csv",
    }


def test_manifest_is_valid() -> None:
    from pre_commit.clientlib import load_manifest

    hook, whole = load_manifest(str(MANIFEST))
    assert hook["id"] == "collapse-guard"
    assert hook["entry"] == "collapse-guard scan"
    assert hook["language"] == "python"
    # pre-commit runs entry + args + file names: the `--` keeps a file named `-o.csv` a file.
    assert hook["args"] == ["--"] and hook["pass_filenames"]
    import re

    files = re.compile(hook["files"])
    for name in ("a.csv", "b.tsv", "c.parquet", "d.jsonl", "e.ndjson", "f.csv.gz", "dir/x y.csv"):
        assert files.search(name), name
    for name in ("README.md", "notes.txt", "package.json", "x.py", "reference.json.gz"):
        assert not files.search(name), name

    assert whole["id"] == "collapse-guard-all"
    assert whole["entry"] == "collapse-guard scan" and whole["language"] == "python"
    assert not whole["pass_filenames"] and whole["require_serial"]
    files = re.compile(whole["files"])
    for name in ("a.csv", "c.parquet", "f.csv.gz", "data/reference.json.gz"):
        assert files.search(name), name
    for name in ("README.md", "package.json", "x.py"):
        assert not files.search(name), name


def test_documented_hook_args_end_with_double_dash() -> None:
    """Every `args` the docs show for the per-file hook ends with `--` (user args replace the
    manifest's), and the folder hook's name a folder after it."""
    import re

    for doc in (REPO / "docs" / "ci.md", MANIFEST):
        text = doc.read_text(encoding="utf-8")
        shown = re.findall(r"id: (collapse-guard(?:-all)?)\n\s*#?\s*args: (\[.*\])", text)
        assert shown, doc
        for hook_id, args in shown:
            parsed = yaml.safe_load(args)
            if hook_id == "collapse-guard":
                assert parsed[-1] == "--", (doc, args)
            else:
                assert "--" in parsed and parsed.index("--") < len(parsed) - 1, (doc, args)


def _hook_repo(tmp: Path, env: dict[str, str]) -> Path:
    """A git repository holding the real manifest, run with the current environment.

    `language: python` would build a fresh virtualenv with numpy, pandas and scipy for the hook,
    which is what users get (and what the self-check workflow runs) but far too slow for a unit
    test; `language: system` runs the same entry from this environment. The reference comes in
    through `args`, as in a user's config.
    """
    repo = tmp / "hook-repo"
    repo.mkdir()
    hooks = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    for hook in hooks:
        hook["language"] = "system"
    (repo / ".pre-commit-hooks.yaml").write_text(yaml.safe_dump(hooks), encoding="utf-8")
    _git(repo, env, "init", "-q")
    _git(repo, env, "add", ".")
    _git(repo, env, "commit", "-q", "-m", "hook")
    return repo


def _project(tmp: Path, env: dict[str, str], data: dict[str, Path]) -> Path:
    project = tmp / "project with space"
    (project / "data").mkdir(parents=True)
    shutil.copy(data["ref"], project / "reference.json.gz")
    (project / "collapse-guard.toml").write_text(CONFIG_TOML, encoding="utf-8")
    _git(project, env, "init", "-q")
    return project


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=180, check=False)


@needs_git
def test_try_repo_passes_clean_and_fails_collapsed(tmp_path: Path, data: dict[str, Path]) -> None:
    env = _env(tmp_path)
    hook_repo = _hook_repo(tmp_path, env)
    project = _project(tmp_path, env, data)
    # try-repo takes no hook args, so the reference comes from the environment variable the
    # `scan` command reads (`--reference` has envvar COLLAPSE_GUARD_REFERENCE).
    env["COLLAPSE_GUARD_REFERENCE"] = str(project / "reference.json.gz")
    pre_commit = [
        sys.executable,
        "-m",
        "pre_commit",
        "try-repo",
        str(hook_repo),
        "collapse-guard",
        "--verbose",
    ]

    shutil.copy(data["clean"], project / "data" / "clean batch.csv")
    _git(project, env, "add", "data/clean batch.csv")
    ok = _run(pre_commit, project, env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Passed" in ok.stdout
    assert "data/clean batch.csv" in ok.stdout

    shutil.copy(data["collapsed"], project / "data" / "collapsed.csv")
    _git(project, env, "add", "data/collapsed.csv")
    bad = _run(pre_commit, project, env)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout
    assert "data/collapsed.csv" in bad.stdout and "fail" in bad.stdout
    assert "p99 fell" in bad.stdout or "p1 rose" in bad.stdout


@needs_git
def test_user_config_with_args(tmp_path: Path, data: dict[str, Path]) -> None:
    env = _env(tmp_path)
    env.pop("COLLAPSE_GUARD_REFERENCE", None)
    hook_repo = tmp_path / "real-hook-repo"
    hook_repo.mkdir()
    shutil.copy(MANIFEST, hook_repo / ".pre-commit-hooks.yaml")  # unmodified
    _git(hook_repo, env, "init", "-q")
    _git(hook_repo, env, "add", ".")
    _git(hook_repo, env, "commit", "-q", "-m", "hook")
    rev = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=hook_repo, env=env, text=True, capture_output=True, check=True
    ).stdout.strip()
    project = _project(tmp_path, env, data)
    config = {
        "repos": [
            {
                "repo": str(hook_repo),
                "rev": rev,
                "hooks": [
                    {
                        "id": "collapse-guard",
                        "language": "system",  # see _hook_repo: skips building the hook's own virtualenv
                        "args": ["--reference", "reference.json.gz", "--"],
                    }
                ],
            }
        ]
    }
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    shutil.copy(data["collapsed"], project / "data" / "collapsed.csv")
    (project / "README.md").write_text("not data\n")
    _git(project, env, "add", ".")
    result = _run([sys.executable, "-m", "pre_commit", "run"], project, env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "data/collapsed.csv" in result.stdout
    assert "README.md" not in result.stdout


def test_action_and_workflow_validate() -> None:
    for schema, path in (("vendor.github-actions", ACTION), ("vendor.github-workflows", WORKFLOW)):
        proc = subprocess.run(
            [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    assert {"paths", "reference", "fail-on", "format"} <= set(action["inputs"])
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    assert any(s.get("uses") == "./" and "examples" in s["with"]["paths"] for s in steps)


def test_action_run_step(tmp_path: Path, data: dict[str, Path]) -> None:
    """Run the action's own shell step with inputs as GitHub passes them (environment)."""
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "run")
    folder = tmp_path / "in put"
    folder.mkdir()
    shutil.copy(data["clean"], folder / "clean.csv")
    shutil.copy(data["collapsed"], folder / "collapsed.csv")
    (folder / "skip-me.csv").write_text("bad\n")
    out = tmp_path / "github_output"
    env = _env(tmp_path)
    env.update(
        CG_PATHS=f"{folder}\n\n",
        CG_REFERENCE=str(data["ref"]),
        CG_FAIL_ON="fail",
        CG_FORMAT="github",
        CG_OUTPUT="",
        CG_EXCLUDE="skip-*.csv\n",
        GITHUB_OUTPUT=str(out),
    )
    (tmp_path / "collapse-guard.toml").write_text(CONFIG_TOML, encoding="utf-8")
    proc = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert out.read_text() == "exit-code=1\n"
    assert "::error file=" in proc.stdout and "collapsed.csv" in proc.stdout
    assert "skip-me.csv" not in proc.stdout


def test_the_hook_takes_every_table_suffix_the_readers_read_and_no_prose() -> None:
    import re

    from collapse_guard.plugins import default_registry

    pattern = re.compile(yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))[0]["files"])
    suffixes = {s for reader in default_registry().readers.values() for s in reader.suffixes}
    prose = {s for s in suffixes if s.split(".")[1] in ("txt", "md", "json")}
    assert prose, "the readers' text and plain-JSON suffixes moved: update this test"
    for suffix in sorted(suffixes - prose):
        assert pattern.search(f"data/part-1{suffix}"), f"the hook's files regex misses {suffix}"
    for suffix in sorted(prose):
        assert not pattern.search(f"docs/README{suffix}"), f"the hook's files regex takes {suffix}"


def _rev(repo: Path, env: dict[str, str]) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, env=env, text=True, capture_output=True, check=True
    ).stdout.strip()


def _configure(project: Path, hook_repo: Path, env: dict[str, str], hooks: list[dict[str, object]]) -> None:
    # `language: system`: see _hook_repo (skips building the hook's own virtualenv).
    config = {
        "repos": [
            {
                "repo": str(hook_repo),
                "rev": _rev(hook_repo, env),
                "hooks": [{**h, "language": "system"} for h in hooks],
            }
        ]
    }
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


@needs_git
def test_a_file_named_like_an_option_is_checked_as_a_file(tmp_path: Path, data: dict[str, Path]) -> None:
    env = _env(tmp_path)
    env.pop("COLLAPSE_GUARD_REFERENCE", None)
    hook_repo = _hook_repo(tmp_path, env)
    project = _project(tmp_path, env, data)
    args = ["--reference", "reference.json.gz", "--"]
    _configure(project, hook_repo, env, [{"id": "collapse-guard", "args": args}])
    # At the repository's root pre-commit passes the bare name: without `--`, click would read
    # `-o.csv` as `-o .csv` and write the report to a file named `.csv`.
    shutil.copy(data["collapsed"], project / "-o.csv")
    _git(
        project,
        env,
        "add",
        "--",
        "-o.csv",
        ".pre-commit-config.yaml",
        "collapse-guard.toml",
        "reference.json.gz",
    )
    result = _run([sys.executable, "-m", "pre_commit", "run", "--verbose"], project, env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "-o.csv" in result.stdout and "fail" in result.stdout
    assert not (project / ".csv").exists()


@needs_git
def test_all_data_hook_runs_when_only_the_reference_changes(tmp_path: Path, data: dict[str, Path]) -> None:
    env = _env(tmp_path)
    env.pop("COLLAPSE_GUARD_REFERENCE", None)
    hook_repo = _hook_repo(tmp_path, env)
    project = _project(tmp_path, env, data)
    (project / "data" / "reference.json.gz").write_bytes(data["ref"].read_bytes())
    _configure(
        project,
        hook_repo,
        env,
        [
            {"id": "collapse-guard", "args": ["--reference", "data/reference.json.gz", "--"]},
            {"id": "collapse-guard-all", "args": ["--reference", "data/reference.json.gz", "--", "data/"]},
        ],
    )
    shutil.copy(data["collapsed"], project / "data" / "collapsed.csv")
    _git(project, env, "add", ".")
    _git(project, env, "commit", "-q", "--no-verify", "-m", "data committed without the hook")

    # A new reference (another sample of the same human data) and nothing else staged.
    rng = np.random.default_rng(11)
    fresh = project / "human2.csv"
    pd.DataFrame({"income": rng.lognormal(10, 1, 3000).round(2)}).to_csv(fresh, index=False)
    profile_files([fresh], config=Config()).save(project / "data" / "reference.json.gz")
    fresh.unlink()
    _git(project, env, "add", "data/reference.json.gz")
    result = _run([sys.executable, "-m", "pre_commit", "run", "--verbose"], project, env)
    assert result.returncode == 1, result.stdout + result.stderr
    # pre-commit's status lines: "collapse-guard....(no files to check)Skipped", "... Failed".
    per_file, whole = (
        line for line in result.stdout.splitlines() if line.startswith("collapse-guard") and "..." in line
    )
    assert "Skipped" in per_file  # no staged data file
    assert "Failed" in whole
    assert "data/collapsed.csv" in result.stdout  # the committed file, re-checked
