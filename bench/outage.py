"""Outage: residents keep asking while PostgreSQL is down, then while it is silent; nothing may be lost.

    python -m bench.outage [--phase-seconds 20] [--clients 4] [--workers 2] [--write]

`madoguchi serve` talks to the real PostgreSQL through a fault proxy (bench/fault_proxy.py). Phases:
pass, refuse (every connection closed: the database is down), pass, silent (connections accepted, never
answered), pass. Clients ask without pause, each ask in its own session; one in six asks for a person (an
escalation). Reported per phase: requests, served (200), failed, spooled (answered with a negative turn id),
p50/p95/max latency; then, once the spool is empty, how many spooled turns were replayed and how many
answered turns are missing from the database (lost; target 0). `--write` puts the section into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from bench.fault_proxy import FaultProxy
from bench.http_load import POSTGRES, free_port, postgres_schema, wait_healthy
from bench.report import provenance, replace_section, table

QUESTIONS = ["転入届に必要なものは？", "ソファを捨てたい", "児童手当はいつ振り込まれる？",
             "住民票の写しがほしい", "保育園に入りたい", "担当者と話したい"]
PHASES = ["pass", "refuse", "pass", "silent", "pass"]
HEADER = ["phase", "database", "requests", "served", "failed", "spooled", "p50 ms", "p95 ms", "max ms"]


@dataclass(slots=True)
class Outcome:
    phase: int
    session: str
    status: int
    seconds: float
    turn_id: int | None
    escalation: str | None


def ask_forever(port: int, phase: list[int], stop: threading.Event, outcomes: list[Outcome]) -> None:
    """One client: a new session per ask, so every answered turn can be looked for in the database."""
    with httpx.Client(timeout=60) as client:
        for n in range(10**9):
            if stop.is_set():
                return
            session, started, current = f"outage-{uuid.uuid4().hex}", time.monotonic(), phase[0]
            try:
                reply = client.post(f"http://127.0.0.1:{port}/api/v1/ask",
                                    json={"text": QUESTIONS[n % len(QUESTIONS)], "session_id": session})
                body = reply.json() if reply.status_code == 200 else {}
                status = reply.status_code
            except httpx.HTTPError:
                body, status = {}, 0
            outcomes.append(Outcome(current, session, status, time.monotonic() - started, body.get("turn_id"),
                                    (body.get("escalation") or {}).get("id")))


def health(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as reply:
        return json.loads(reply.read())


def drive(port: int, proxy: FaultProxy, seconds: float, clients: int) -> tuple[list[Outcome], float]:
    """Run the phases under load; then wait (at most two minutes) for the spool to empty."""
    phase, stop, outcomes = [0], threading.Event(), []  # type: ignore[var-annotated]
    threads = [threading.Thread(target=ask_forever, args=(port, phase, stop, outcomes))
               for _ in range(clients)]
    for thread in threads:
        thread.start()
    for number, mode in enumerate(PHASES):
        phase[0] = number
        {"pass": proxy.passing, "refuse": proxy.refusing, "silent": proxy.silent}[mode]()
        time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    started = time.monotonic()
    while health(port)["spooled"] and time.monotonic() - started < 120:
        time.sleep(0.5)
    return outcomes, time.monotonic() - started


def stored(url: str) -> tuple[set[str], set[str]]:
    """Conversations with a turn, and escalation ids, as the database has them."""
    engine = create_engine(url)
    with engine.connect() as connection:
        turns = {r[0] for r in connection.execute(text("SELECT DISTINCT conversation_id FROM turns"))}
        escalations = {r[0] for r in connection.execute(text("SELECT id FROM escalations"))}
    engine.dispose()
    return turns, escalations


def phase_rows(outcomes: list[Outcome]) -> list[list[str]]:
    rows = []
    for number, mode in enumerate(PHASES):
        mine = [o for o in outcomes if o.phase == number]
        ms = sorted(o.seconds * 1000 for o in mine) or [0.0]
        served = [o for o in mine if o.status == 200]
        rows.append([str(number + 1), mode, str(len(mine)), str(len(served)), str(len(mine) - len(served)),
                     str(sum(o.turn_id < 0 for o in served)), f"{statistics.median(ms):.0f}",
                     f"{ms[int(len(ms) * 0.95) - 1 if len(ms) > 1 else 0]:.0f}", f"{ms[-1]:.0f}"])
    return rows


def summary(outcomes: list[Outcome], url: str, drained: float, set_aside: int) -> str:
    turns, escalations = stored(url)
    served = [o for o in outcomes if o.status == 200]
    spooled = [o for o in served if o.turn_id < 0]
    lost = [o for o in served if f"web:{o.session}" not in turns]
    promised = {o.escalation for o in served if o.escalation}
    return (f"**{len(outcomes):,} requests: {len(served):,} served, {len(outcomes) - len(served)} failed, "
            f"{len(spooled)} spooled, {len(spooled) - len([o for o in lost if o.turn_id < 0])} replayed, "
            f"{len(lost)} lost** (target 0); escalations promised {len(promised)}, missing "
            f"{len(promised - escalations)}; set aside {set_aside}; spool empty {drained:.1f} s "
            "after the load.")


def run(seconds: float, clients: int, workers: int) -> tuple[list[list[str]], str]:
    url, schema = postgres_schema()
    proxy = FaultProxy(5432, hold_seconds=seconds * 3)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "MADOGUCHI_DATA_DIR": tmp, "MADOGUCHI_RATE_PER_SESSION": "100000",
                   "MADOGUCHI_RATE_PER_ADDRESS": "10000000", "OMP_NUM_THREADS": "1",
                   "MADOGUCHI_INDEX_POLL_SECONDS": "0", "MADOGUCHI_DATABASE_URL": proxy.url_for(url)}
            subprocess.run([sys.executable, "-m", "channels.cli", "index", "build"], env=env, check=True,
                           capture_output=True)
            port, log = free_port(), Path(tmp) / "server.log"
            with open(log, "wb") as sink:
                server = subprocess.Popen([sys.executable, "-m", "channels.cli", "serve", "--port", str(port),
                                           "--workers", str(workers)], env=env, stdout=sink,
                                          stderr=subprocess.STDOUT)
            try:
                wait_healthy(port, log, 600)  # two workers start slowly on a shared machine
                outcomes, drained = drive(port, proxy, seconds, clients)
                set_aside = health(port)["set_aside"]
            finally:
                server.terminate()
                server.wait(timeout=60)
        rows, totals = phase_rows(outcomes), summary(outcomes, url, drained, set_aside)
        print(totals, file=sys.stderr, flush=True)
        return rows, totals
    finally:
        proxy.close()
        with create_engine(POSTGRES).begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phase-seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="put the section into BENCHMARKS.md")
    args = parser.parse_args()
    rows, totals = run(args.phase_seconds, args.clients, args.workers)
    command = (f"python -m bench.outage --phase-seconds {args.phase_seconds:g} --clients {args.clients} "
               f"--workers {args.workers}")
    section = "\n\n".join(["## Outage: PostgreSQL down, then silent, under load (issue 15)",
                           provenance(command), totals, table(HEADER, rows)])
    print(section)
    if args.write:
        replace_section("outage", section)


if __name__ == "__main__":
    main()
