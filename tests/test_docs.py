"""Docs stay true: every setting is documented, and every command in the README exists."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from channels.cli import app
from knowledge.settings import Settings

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_in_the_readme() -> None:
    missing = [name for name in Settings.model_fields if f"MADOGUCHI_{name.upper()}" not in README]
    assert not missing, f"document these settings in README.md: {missing}"


def test_every_madoguchi_command_in_the_readme_exists() -> None:
    commands = set(re.findall(r"^madoguchi ([a-z-]+(?: [a-z]+)?)", README, re.M))
    runner = CliRunner()
    for command in sorted(commands):
        words = command.split()
        result = runner.invoke(app, [*words, "--help"])
        if result.exit_code != 0:
            result = runner.invoke(app, [words[0], "--help"])
        assert result.exit_code == 0, f"README mentions `madoguchi {command}`, which does not exist"
