"""The agents' search through the desk, server side, on the real city's FAQ (1,786 entries), one core.

    python -m bench.desk_search [--data-dir DIR] [--faq ../shared/eval/localgovfaq]

Builds an index of ../shared/eval/localgovfaq/faq.csv (read from there, never copied in), serves the app
in-process (TestClient: routing, the desk's session check in SQLite, ranking, matched terms, the department
directory and the template, no network), signs in an agent, and asks `GET /desk/search/results` what results
as you type ask: each dev question whole and its first half (a debounced request mid-sentence). Prints
p50/p95/max of wall and CPU milliseconds per request for BENCHMARKS.md. Skips if the data is absent.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from fastapi.testclient import TestClient  # noqa: E402

from bench.timing import collector_paused  # noqa: E402
from bot.labelled import read_labelled  # noqa: E402
from bot.service.publishing import build_from_settings  # noqa: E402
from bot.store import ConversationStore  # noqa: E402
from bot.store.accounts import Accounts  # noqa: E402
from channels.server import create_app  # noqa: E402
from knowledge.core.settings import Settings  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "localgovfaq"
PASSWORD = "minato-desk-search-2026"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
WARM_UP = 20


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(int(round(share * len(ordered))) - 1, 0)]


def signed_in(client: TestClient) -> None:
    """Through the login form, as an agent's browser does."""
    token = CSRF.search(client.get("/desk/login").text)
    assert token
    client.post("/desk/login", data={"username": "agent1", "password": PASSWORD, "csrf": token.group(1),
                                     "next": "/desk/search"})


def questions(data: Path) -> list[str]:
    """Every dev question whole, then each one's first half."""
    texts = [q.text for q in read_labelled(data / "queries.jsonl")]
    return texts + [t[: max(len(t) // 2, 2)] for t in texts]


def timed_requests(client: TestClient, texts: list[str]) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of each request, in order."""
    wall, cpu = [], []
    for text in texts:
        with collector_paused():
            started, started_cpu = time.perf_counter(), time.process_time()
            reply = client.get("/desk/search/results", params={"q": text})
            cpu.append((time.process_time() - started_cpu) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
        assert reply.status_code == 200, reply.text[:300]
    return wall, cpu


def main() -> None:
    """Build, serve, sign in, time, print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, default=None, help="Where the built model lives.")
    parser.add_argument("--faq", type=Path, default=DATA, help="Folder of faq.csv and queries.jsonl.")
    args = parser.parse_args()
    if not (args.faq / "faq.csv").exists():
        print(f"skipped: evaluation data not found at {args.faq}")
        return
    import torch

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings() if args.data_dir is None else Settings(data_dir=args.data_dir)
        settings = Settings(data_dir=base.data_dir, index_dir=Path(tmp) / "index",
                            sources=[args.faq / "faq.csv"], database_url=f"sqlite:///{tmp}/store.db",
                            index_poll_seconds=0)
        build_from_settings(settings)
        store = ConversationStore(settings.resolved_database_url).migrate()
        Accounts.from_settings(store, settings).create("agent1", PASSWORD, "agent", "bench")
        texts = questions(args.faq)
        with TestClient(create_app(settings)) as client:
            signed_in(client)
            entries = len(client.app.state.madoguchi.bot.runtime.index.records)  # type: ignore[attr-defined]
            timed_requests(client, texts[:WARM_UP])
            wall, cpu = timed_requests(client, texts)
    print(f"GET /desk/search/results, {len(wall)} requests ({len(wall) // 2} dev questions whole and "
          f"half-typed), {entries} entries, one core, in-process:")
    print("| | p50 | p95 | max |\n|---|---:|---:|---:|")
    for name, values in (("wall ms", wall), ("CPU ms", cpu)):
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {max(values):.1f} |")


if __name__ == "__main__":
    main()
