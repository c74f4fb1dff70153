"""The text path under atheris for a bounded number of inputs (longer runs: see tests/fuzz_text.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.system  # fuzzes the text pipeline in a subprocess

HARNESS = Path(__file__).with_name("fuzz_text.py")


def test_text_path_survives_fuzzing() -> None:
    result = subprocess.run([sys.executable, str(HARNESS), "-runs=1000", "-seed=1"], capture_output=True,
                            text=True, timeout=600, cwd=HARNESS.parents[1])
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Done 1000 runs" in result.stderr
