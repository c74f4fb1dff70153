"""Where benchmark results go: marked sections of BENCHMARKS.md and PNG plots in docs/bench/.

A suite's section sits between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`, so a rerun replaces its
own numbers in place and leaves every other section (and anything written by hand) as it was.
"""

from __future__ import annotations

import os
import platform
import re
from datetime import date
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "BENCHMARKS.md"
PLOTS = ROOT / "docs" / "bench"


def cpu_model() -> str:
    """The CPU's name as the kernel reports it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def ram_gib() -> float:
    """Total memory, from /proc/meminfo."""
    try:
        found = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
    except OSError:
        return 0.0
    return int(found.group(1)) / 1024 / 1024 if found else 0.0


def machine() -> str:
    """One line naming what the numbers were measured on."""
    return (f"{cpu_model()}, {os.cpu_count()} cores, {ram_gib():.1f} GiB RAM, Linux {platform.release()}, "
            f"Python {platform.python_version()}")


_suite_start = {"load": os.getloadavg()[0]}


def mark_suite_start() -> None:
    """Note the machine's load before a suite adds its own, for its provenance line."""
    _suite_start["load"] = os.getloadavg()[0]


def provenance(command: str) -> str:
    """The line every table starts with: how to reproduce it, when, and where."""
    load = _suite_start["load"]
    return (f"Command: `{command}` — {date.today().isoformat()} — machine: {machine()}; load average when "
            f"the suite started {load:.1f} (the cores are shared with other work).")


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table; the first column left-aligned, the rest right-aligned (numbers)."""
    rule = ["---"] + ["---:"] * (len(header) - 1)
    return "\n".join("| " + " | ".join(cells) + " |" for cells in [header, rule, *rows])


def replace_section(name: str, body: str, path: Path = BENCHMARKS) -> None:
    """Put `body` between this suite's markers, appending the marked section if it is not there yet."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{start}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def save_plot(figure: Figure, name: str) -> str:
    """Write a PNG into docs/bench/ and return its path relative to BENCHMARKS.md."""
    PLOTS.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(PLOTS / f"{name}.png", dpi=110)
    return f"docs/bench/{name}.png"
