"""Settings are strict, production settings pass `check --deploy`, and the console command works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k" + "Zx8#pQ2m!" * 7


def run_cli(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "DJANGO_SETTINGS_MODULE",
            "SECRET_KEY",
            "SHUANGSUIJI_DEBUG",
            "ALLOWED_HOSTS",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "DATABASE_URL",
        )
    }
    clean.update({"SHUANGSUIJI_DATA_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-m", "shuangsuiji.cli", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("value", ["maybe", "2", "tru"])
def test_a_mistyped_boolean_stops_start_up(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SHUANGSUIJI_DEBUG", value)
    with pytest.raises(ImproperlyConfigured, match="SHUANGSUIJI_DEBUG"):
        env_bool("SHUANGSUIJI_DEBUG", False)


def test_integers_and_lists_are_parsed_strictly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_INT", "30min")
    with pytest.raises(ImproperlyConfigured):
        env_int("X_INT", 1)
    monkeypatch.setenv("X_LIST", "a.gov.cn,,b.gov.cn")
    with pytest.raises(ImproperlyConfigured):
        env_list("X_LIST", [])
    monkeypatch.setenv("X_LIST", " a.gov.cn , b.gov.cn ")
    assert env_list("X_LIST", []) == ["a.gov.cn", "b.gov.cn"]


def test_production_without_a_secret_key_refuses_to_start(tmp_path: Path) -> None:
    result = run_cli("check", tmp_path=tmp_path)
    assert result.returncode == 2
    assert "未设置 SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


def test_an_unsupported_database_url_is_named(tmp_path: Path) -> None:
    result = run_cli("check", tmp_path=tmp_path, SHUANGSUIJI_DEBUG="1", DATABASE_URL="mysql://x@y/z")
    assert result.returncode == 2 and "DATABASE_URL" in result.stderr


def test_production_settings_pass_check_deploy(tmp_path: Path) -> None:
    result = run_cli(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        tmp_path=tmp_path,
        SECRET_KEY=STRONG_KEY,
        SHUANGSUIJI_DEBUG="0",
        ALLOWED_HOSTS="ssj.example.gov.cn",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_hyphenated_commands_reach_django(tmp_path: Path) -> None:
    result = run_cli("show-urls", tmp_path=tmp_path, SHUANGSUIJI_DEBUG="1")
    assert "Unknown command: 'show_urls'" in result.stderr  # mapped to the underscore name
    result = run_cli("help", "demo", tmp_path=tmp_path, SHUANGSUIJI_DEBUG="1")
    assert result.returncode == 0 and "--entities" in result.stdout


def test_the_entry_point_is_declared() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["shuangsuiji"] == "shuangsuiji.cli:main"


def test_the_console_command_draws_offline_and_verifies_without_django(tmp_path: Path) -> None:
    """`shuangsuiji draw-offline` then `shuangsuiji verify-draw`, with no settings and no database."""
    import shutil

    source = ROOT / "shuangsuiji/lottery/tests/golden/worked-example/input"
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("population.tsv", "exclusions.tsv", "pool.tsv", "conflicts.tsv", "draw.json"):
        if (source / name).exists():
            shutil.copy(source / name, inputs / name)
    assert (inputs / "draw.json").exists()
    bundle = tmp_path / "out.zip"
    drawn = run_cli("draw-offline", str(inputs), "--out", str(bundle), tmp_path=tmp_path)
    assert drawn.returncode == 0, drawn.stderr
    checked = run_cli("verify-draw", str(bundle), tmp_path=tmp_path)
    assert checked.returncode == 0 and checked.stdout.startswith("OK"), checked.stdout + checked.stderr
    import zipfile

    members = {}
    with zipfile.ZipFile(bundle) as source:
        members = {name: source.read(name) for name in source.namelist()}
    assert b"91410381MA9F475149" in members["result.json"]
    members["result.json"] = members["result.json"].replace(b"91410381MA9F475149", b"91410381MA44395950", 1)
    with zipfile.ZipFile(bundle, "w") as target:
        for name, content in members.items():
            target.writestr(name, content)
    tampered = run_cli("verify-draw", str(bundle), tmp_path=tmp_path)
    assert tampered.returncode == 1 and "OK" not in tampered.stdout
