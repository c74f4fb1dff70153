"""One command for the benchmark suites; each rewrites its own marked section of BENCHMARKS.md.

    python -m bench                                   # quality + scale (10k, 100k) + http (1, 2, 4 workers)
    python -m bench --suite quality                   # madoguchi vs the LangChain ensemble (localgovfaq)
    python -m bench --suite scale --sizes 10000,100000,1000000 --work /var/tmp/madoguchi-bench
    python -m bench --suite http --duration 20

Everything is pinned to one core (OMP, MKL, torch, FAISS). `--work` keeps generated vectors and run files
between runs (a million passages took 12–50 min to embed here, depending on load); otherwise a temporary
folder is used.
`--no-write` prints the sections and puts the plots in the work folder, leaving BENCHMARKS.md and docs/bench/
as they are.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bench import report  # noqa: E402

SUITES = ("quality", "scale", "http")


def parse(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options; defaults finish in well under an hour on two shared cores."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--suite", choices=(*SUITES, "all"), default="all")
    parser.add_argument("--sizes", default="10000,100000", help="passages per synthetic knowledge base")
    parser.add_argument("--work", type=Path, help="folder kept between runs (vectors, run files)")
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per HTTP run")
    parser.add_argument("--workers", default="1,2,4", help="worker counts for the HTTP suite")
    parser.add_argument("--no-write", action="store_true", help="print sections; plots go to the work folder")
    return parser.parse_args(argv)


def one_core() -> None:
    """Torch and FAISS read their thread counts at import; set them explicitly as well."""
    import faiss
    import torch

    torch.set_num_threads(1)
    faiss.omp_set_num_threads(1)


def run_suite(name: str, args: argparse.Namespace, work: Path) -> str | None:
    """Run one suite and return its section (None when it was skipped)."""
    if name == "quality":
        from bench import quality

        return quality.run(work if args.work else None)
    if name == "scale":
        from bench import scale

        return scale.run([int(s) for s in args.sizes.split(",")], work)
    from bench import http_load

    return http_load.suite([int(w) for w in args.workers.split(",")], args.duration)


def main(argv: list[str] | None = None) -> None:
    """Run the chosen suites and write (or print) their sections."""
    args = parse(argv)
    one_core()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if args.no_write:
            report.PLOTS = work / "plots"
        for name in SUITES if args.suite == "all" else (args.suite,):
            print(f"== {name}", file=sys.stderr, flush=True)
            report.mark_suite_start()
            body = run_suite(name, args, work)
            if body and args.no_write:
                print(body)
            elif body:
                report.replace_section(name, body)


if __name__ == "__main__":
    main()
