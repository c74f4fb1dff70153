"""Commands run in a new interpreter, and what that interpreter imported: an import made by any earlier
test in this process would hide one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "sentence_transformers", "transformers")

COMMANDS = """
import json, runpy, sys
for argv in json.loads(sys.argv[1]):
    sys.argv = ["madoguchi", *argv]
    try:
        runpy.run_module("channels.cli", run_name="__main__")
    except SystemExit as stop:
        assert not stop.code, (argv, stop.code)
print("MODULES " + json.dumps(sorted(sys.modules)))
"""


def run_fresh(code: str, *args: str, env: dict[str, str] | None = None) -> tuple[list[str], str]:
    """Run `code` in a new interpreter; the modules it had loaded at the end, and what it printed."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600,
                          env=environment, cwd=ROOT)
    lines = done.stdout.splitlines()
    modules = [line for line in lines if line.startswith("MODULES ")]
    assert modules, f"exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return json.loads(modules[-1].removeprefix("MODULES ")), done.stdout


def loaded(modules: list[str], *packages: str) -> list[str]:
    """Which of `packages` (or their submodules) were imported."""
    return sorted({p for p in packages for m in modules if m == p or m.startswith(p + ".")})
