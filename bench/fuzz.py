"""Longer fuzzing than CI affords: atheris on the text path, schemathesis on the HTTP API.

    python -m bench.fuzz [--seconds 600] [--examples 2000]

CI runs both bounded (1,000 atheris inputs; 40 schemathesis examples per operation). This runs the same
harness (`tests/fuzz_text.py`) for a wall-clock budget and the same schema test with many more examples,
and writes what was tried and what failed into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from bench.report import provenance, replace_section, table

ROOT = Path(__file__).resolve().parents[1]


def atheris_run(seconds: int) -> list[str]:
    """Inputs executed and crashes found in `seconds` of coverage-guided fuzzing."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, "tests/fuzz_text.py", f"-max_total_time={seconds}", "-seed=7",
                             "-print_final_stats=1"], cwd=ROOT, capture_output=True, text=True)
    runs = re.findall(r"stat::number_of_executed_units:\s+(\d+)", result.stderr)
    coverage = re.findall(r"cov: (\d+)", result.stderr)
    return ["atheris: text path (masking, intents, normaliser)", f"{time.monotonic() - started:.0f} s",
            runs[-1] if runs else "?", coverage[-1] if coverage else "?",
            "none" if result.returncode == 0 else f"crash (exit {result.returncode})"]


def schema_run(examples: int) -> list[str]:
    """Every API operation with `examples` generated requests each: no 5xx, every response on schema."""
    started = time.monotonic()
    env = {**os.environ, "FUZZ_SCHEMA_EXAMPLES": str(examples)}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "tests/test_hostile_input.py", "-k",
                             "conforms_to_its_own_schema"], cwd=ROOT, env=env, capture_output=True, text=True)
    return ["schemathesis: every operation of /openapi.json", f"{time.monotonic() - started:.0f} s",
            f"{examples} per operation", "—",
            "none" if result.returncode == 0 else "failures: see pytest output"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--examples", type=int, default=2000)
    args = parser.parse_args()
    rows = [atheris_run(args.seconds), schema_run(args.examples)]
    body = "\n\n".join(["## Fuzzing, longer than CI (issue 8)",
                        provenance(f"python -m bench.fuzz --seconds {args.seconds} --examples "
                                   f"{args.examples}"),
                        table(["fuzzer", "wall time", "inputs", "coverage (edges)", "failures"], rows)])
    replace_section("fuzz", body)
    print(body)


if __name__ == "__main__":
    main()
