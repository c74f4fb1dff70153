"""Index build speed, peak memory, first model build and a cold `madoguchi search`, one NumPy thread (a large
city's build also starts its parsing worker, indexer/parse_ahead.py).

    python -m bench.index_build            # sample city, and ../shared/eval/localgovfaq if present
    LOCALGOVFAQ=/path/to/faq.csv python -m bench.index_build    # from a checkout elsewhere

Prints a Markdown table for BENCHMARKS.md. Each build runs in a fresh process so that peak memory
and cold-start times are those a city's server would see. "build CPU s" is the process's CPU time for the
same part as "index build s", its parsing worker's included (the cores are shared: wall time also counts the
neighbours' work).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from knowledge.core.settings import SAMPLE_CITY

BESIDE = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "localgovfaq" / "faq.csv"
LOCALGOVFAQ = Path(os.environ.get("LOCALGOVFAQ", BESIDE))
ONE_CORE = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}

_CHILD = """
import json, resource, sys, time, torch
torch.set_num_threads(1)
from indexer.build import IndexBuilder
from bot.service.publishing import build_from_settings
from knowledge.core.settings import Settings
cpu, assemble = [], IndexBuilder.assemble
def children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
def timed(self, *args, **kwargs):
    started, before = time.process_time(), children()
    try:
        return assemble(self, *args, **kwargs)
    finally:
        cpu.append(time.process_time() - started + children() - before)
IndexBuilder.assemble = timed
started = time.perf_counter()
report = build_from_settings(Settings(sources=[sys.argv[1]]))
total = time.perf_counter() - started
print(json.dumps({"records": report.manifest["counts"]["records"], "build_seconds": report.manifest["build_seconds"],
                  "build_cpu_seconds": sum(cpu), "total_seconds": total,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""  # noqa: E501 (a script kept as it runs)


def run_build(source: Path, data_dir: Path) -> dict:
    """One build in a child process; returns its own measurements."""
    env = {**os.environ, **ONE_CORE, "MADOGUCHI_DATA_DIR": str(data_dir)}
    out = subprocess.run([sys.executable, "-c", _CHILD, str(source)], env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cold_search(data_dir: Path) -> float:
    """Seconds for a whole `madoguchi search` process, model and index loaded from disk."""
    env = {**os.environ, **ONE_CORE, "MADOGUCHI_DATA_DIR": str(data_dir)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "channels.cli", "search", "住民票の写し", "--json"], env=env,
                   capture_output=True, check=True)
    return time.perf_counter() - started


def main() -> None:
    """Measure and print the table."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        first = run_build(SAMPLE_CITY, data_dir)
        rows.append(("sample city (first run: builds the model too)", first))
        rows.append(("sample city (model cached)", run_build(SAMPLE_CITY, data_dir)))
        search_seconds = cold_search(data_dir)
        if LOCALGOVFAQ.exists():
            rows.append(("localgovfaq faq.csv", run_build(LOCALGOVFAQ, data_dir)))
        else:
            print(f"(skipped localgovfaq: {LOCALGOVFAQ} not found)", file=sys.stderr)
    print("| corpus | records | index build s | records/s | build CPU s | records/CPU s | whole process s "
          "| peak RSS MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, m in rows:
        rate, cpu_rate = m["records"] / m["build_seconds"], m["records"] / m["build_cpu_seconds"]
        print(f"| {name} | {m['records']} | {m['build_seconds']:.2f} | {rate:,.0f} | "
              f"{m['build_cpu_seconds']:.2f} | {cpu_rate:,.0f} | {m['total_seconds']:.1f} | "
              f"{m['peak_mb']:.0f} |")
    print(f"\ncold `madoguchi search` (new process, model and index from disk): {search_seconds:.1f} s")


if __name__ == "__main__":
    main()
