"""End-to-end HTTP load on `POST /api/v1/ask`: wrk from a second process on loopback.

    python -m bench --suite http [--duration 20] [--workers 1,2,4]          # SQLite; writes BENCHMARKS.md
    python -m bench.http_load [--duration 60] [--connections 50] [--workers 1 2] [--stores sqlite postgresql]

Starts `madoguchi serve` on the sample city for each (store, workers) pair on a free port, waits for
/healthz, runs wrk with a Lua script that posts a rotating set of resident questions with a fresh session
per request, and reports requests/s, p50/p95/p99 latency, non-2xx responses and socket errors. Rate limits
are raised for the run: one load generator on one address would otherwise be (rightly) throttled.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure
from sqlalchemy import create_engine, text

from bench.report import provenance, save_plot, table

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CONNECTIONS = 50
QUESTIONS = ["転入届に必要なものは？", "ソファを捨てたい", "児童手当はいつ振り込まれる？",
             "マイナンバーカードをなくした",
             "住民票の写しがほしい", "人と話したい", "保育園に入りたい", "固定資産税の支払い方法",
             "避難所はどこ", "こんにちは"]
LUA = """
local questions = {%s}
local n = 0
request = function()
  n = n + 1
  local body = '{"text": "' .. questions[(n %% #questions) + 1] .. '", "session_id": "load-session-' .. math.random(1, 1e9) .. '"}'
  return wrk.format("POST", "/api/v1/ask", {["Content-Type"] = "application/json"}, body)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%%d seconds=%%.2f non2xx=%%d errors=%%d p50=%%.1f p95=%%.1f p99=%%.1f\\n",
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""  # noqa: E501 (a script kept as it runs)
HEADER = ["store", "workers", "requests/s", "p50 ms", "p95 ms", "p99 ms", "non-2xx", "socket errors",
          "server CPU ms/request", "of it system", "server context switches/request"]


def postgres_schema() -> tuple[str, str]:
    """A fresh schema for one run, so runs never see each other's rows."""
    schema = f"madoguchi_load_{uuid.uuid4().hex[:8]}"
    with create_engine(POSTGRES).begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    return f"{POSTGRES}?options=-csearch_path%3D{schema}", schema


def free_port() -> int:
    """A port nobody listens on now (other people's servers share this machine)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_healthy(port: int, log: Path, seconds: float = 180) -> None:
    """Poll /healthz until the server answers; say where its log is if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"server did not become healthy:\n{log.read_text(errors='replace')[-2000:]}")


@dataclass(frozen=True, slots=True)
class Usage:
    """What a process tree has used so far: CPU seconds (user + system), system seconds, and its threads'
    context switches (voluntary and not), which count the hand-overs between threads."""

    cpu: float
    system: float
    switches: int

    def __sub__(self, before: Usage) -> Usage:
        return Usage(self.cpu - before.cpu, self.system - before.system, self.switches - before.switches)


def tree_usage(root: int) -> Usage:
    """The server's use of the machine so far, from /proc: its CPU per request is what a shared machine's
    other load moves least (requests/s moves with whatever else runs)."""
    parents: dict[int, int] = {}
    used: dict[int, tuple[float, float]] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        used[pid] = ((int(fields[11]) + int(fields[12])) / ticks, int(fields[12]) / ticks)
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree, grew = tree | more, bool(more)
    return Usage(sum(used.get(pid, (0.0, 0.0))[0] for pid in tree),
                 sum(used.get(pid, (0.0, 0.0))[1] for pid in tree), sum(map(thread_switches, tree)))


def thread_switches(pid: int) -> int:
    """Context switches of every thread of one process (0 if it has gone)."""
    total = 0
    for status in Path(f"/proc/{pid}/task").glob("*/status"):
        try:
            total += sum(int(n) for n in re.findall(r"ctxt_switches:\s+(\d+)", status.read_text()))
        except OSError:
            continue
    return total


def store_url(store: str, data_dir: Path, workers: int) -> tuple[str, str | None]:
    """Database URL for one run, and the PostgreSQL schema to drop afterwards."""
    if store == "postgresql":
        return postgres_schema()
    return f"sqlite:///{data_dir / f'load-{workers}-{uuid.uuid4().hex[:6]}.db'}", None


def run(store: str, workers: int, data_dir: Path, duration: int, connections: int,
        script: Path) -> dict[str, float]:
    """One server, one wrk run; returns wrk's numbers."""
    port, (url, schema) = free_port(), store_url(store, data_dir, workers)
    env = {**os.environ, "MADOGUCHI_DATA_DIR": str(data_dir), "MADOGUCHI_RATE_PER_SESSION": "100000",
           "MADOGUCHI_RATE_PER_ADDRESS": "10000000", "OMP_NUM_THREADS": "1", "MADOGUCHI_DATABASE_URL": url}
    log = data_dir / f"server-{store}-{workers}.log"
    with open(log, "wb") as sink:
        server = subprocess.Popen([sys.executable, "-m", "channels.cli", "serve", "--port", str(port),
                                   "--workers", str(workers)], env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_healthy(port, log)
        before = tree_usage(server.pid)
        out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s",
                              str(script), f"http://127.0.0.1:{port}"], capture_output=True, text=True,
                             check=True)
        used = tree_usage(server.pid) - before
        line = next(line for line in out.stdout.splitlines() if line.startswith("RESULT"))
        result = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)}
        requests = max(result["requests"], 1)
        return {**result, "cpu_ms": 1000 * used.cpu / requests, "system_ms": 1000 * used.system / requests,
                "switches": used.switches / requests}
    finally:
        server.terminate()
        server.wait(timeout=30)
        if schema:
            with create_engine(POSTGRES).begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def measure(stores: list[str], workers: list[int], duration: int,
            connections: int = CONNECTIONS) -> list[list[str]]:
    """Every (store, workers) pair against one sample-city index; table rows."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "ask.lua"
        script.write_text(LUA % ", ".join(f'"{q}"' for q in QUESTIONS), encoding="utf-8")
        subprocess.run([sys.executable, "-m", "channels.cli", "index", "build"], check=True,
                       capture_output=True, env={**os.environ, "MADOGUCHI_DATA_DIR": tmp})
        for store in stores:
            for count in workers:
                m = run(store, count, Path(tmp), duration, connections, script)
                latency = [f"{m[p]:.1f}" for p in ("p50", "p95", "p99")]
                rows.append([store, str(count), f"{m['requests'] / m['seconds']:.0f}", *latency,
                             f"{m['non2xx']:.0f}", f"{m['errors']:.0f}", f"{m['cpu_ms']:.2f}",
                             f"{m['system_ms']:.2f}", f"{m['switches']:.0f}"])
                print("  " + " | ".join(rows[-1]), file=sys.stderr, flush=True)
    return rows


def plot(rows: list[list[str]]) -> str:
    """Throughput and p95 against worker count."""
    figure = Figure(figsize=(8, 3.5))
    rate, tail = figure.subplots(1, 2)
    workers = [int(r[1]) for r in rows]
    rate.bar([str(w) for w in workers], [float(r[2]) for r in rows])
    rate.set(title="requests/s", xlabel="workers")
    tail.bar([str(w) for w in workers], [float(r[4]) for r in rows], color="tab:orange")
    tail.set(title="p95 ms (50 connections)", xlabel="workers")
    return save_plot(figure, "http")


def suite(workers: list[int], duration: int) -> str:
    """The `python -m bench --suite http` section: SQLite, the given worker counts."""
    rows = measure(["sqlite"], workers, duration)
    command = f"python -m bench --suite http --duration {duration} --workers {','.join(map(str, workers))}"
    return "\n\n".join([
        "## End-to-end HTTP load by worker count (issue 7)", provenance(command),
        (f"wrk on loopback: 2 threads, {CONNECTIONS} connections, {duration} s per run, no think time; "
         "`madoguchi serve --workers N` on the sample city, SQLite store; every request a new session, so "
         "every request also writes a conversation and a turn; rate limits raised for the run. Server "
         "workers and wrk share the same 2 cores, so 4 workers oversubscribe them: the point of more "
         "workers is more machines' cores, which this box does not have. SQLite lets one writer in at a "
         "time: with more than one worker the tail is writers waiting on its file lock (PostgreSQL: "
         "`python -m bench.http_load "
         "--stores postgresql --workers 1 2 4`)."),
        table(HEADER, rows), f"![throughput and p95 by workers]({plot(rows)})"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    print(table(HEADER, measure(args.stores, args.workers, args.duration, args.connections)))


if __name__ == "__main__":
    main()
