"""Docs stay true: every setting is documented, and every command in the README exists."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup

from channels.cli.app import app
from knowledge.core.settings import Settings

pytestmark = pytest.mark.system  # runs the README's commands in a shell

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
MAKEFILE = (Path(__file__).parents[1] / "Makefile").read_text(encoding="utf-8")


def test_every_setting_is_documented_in_the_readme() -> None:
    missing = [name for name in Settings.model_fields if f"MADOGUCHI_{name.upper()}" not in README]
    assert not missing, f"document these settings in README.md: {missing}"


def test_every_madoguchi_command_in_the_readme_exists() -> None:
    commands = set(re.findall(r"(?:^|`)madoguchi ([a-z-]+(?: [a-z-]+){0,2})", README, re.M))
    for command in sorted(commands):
        current = typer.main.get_command(app)
        for word in command.split():  # down the groups; the first word under a plain command is an argument
            if not isinstance(current, TyperGroup):
                break
            assert word in current.commands, f"README mentions `madoguchi {command}`: no command `{word}`"
            current = current.commands[word]


def _command_lines() -> list[str]:
    """Every line of the README's shell blocks, in order."""
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    return [line.split("  #")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_the_readme_puts_madoguchi_on_the_path_before_its_first_command() -> None:
    lines = _command_lines()
    first = next(i for i, line in enumerate(lines) if line.startswith("madoguchi "))
    assert ". .venv/bin/activate" in lines[:first], "say how `madoguchi` is found before the first command"
    assert re.search(r"^VENV \?= \.venv$", MAKEFILE, re.M), "make start must make the .venv the README names"


@pytest.mark.skipif(not (Path(sys.prefix) / "bin" / "activate").exists(),
                    reason="tests run outside a virtualenv")
def test_the_readme_commands_run_as_written_in_a_new_terminal(tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(sys.prefix)  # what `make start` left in the folder
    lines = _command_lines()
    activate = next(line for line in lines if "activate" in line)
    script = f"{activate}\nmadoguchi desk user list\nmadoguchi index info --help\n"
    environment = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV",)}
    environment["PATH"] = "/usr/bin:/bin"  # a fresh terminal: no virtualenv on the PATH
    environment["MADOGUCHI_DATA_DIR"] = str(tmp_path / "data")
    ran = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=environment, capture_output=True,
                         text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "command not found" not in ran.stderr
