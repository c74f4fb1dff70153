"""Soak: ten one-minute wrk runs back to back against one server, with feedback, escalations and a reindex.

    python -m bench.soak [--minutes 10] [--connections 8] [--workers 2] [--store postgresql|sqlite]

The sample city behind `madoguchi serve`; wrk (a second process on loopback) asks rotating questions,
sends 👍/👎 on the turn it was just given and asks for a person now and then (an escalation, stored
with its outbox row). Half-way through, `madoguchi index build` publishes a new version that every
worker swaps in. Reported per minute: requests, errors, p95; overall: memory (RSS of the whole server
process tree) after the first minute and at the end. Writes its section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.http_load import POSTGRES, free_port, postgres_schema, wait_healthy
from bench.report import provenance, replace_section, table

LUA = r"""
local questions = {"転入届に必要なものは？", "ソファを捨てたい", "児童手当はいつ振り込まれる？", "住民票の写しがほしい",
                   "保育園に入りたい", "避難所はどこ", "人と話したい", "マイナンバーカードをなくした"}
local n, turn, session = 0, nil, "soak-" .. math.random(1, 1e9)
request = function()
  n = n + 1
  if turn and n % 5 == 0 then
    local body = '{"session_id": "' .. session .. '", "turn_id": ' .. turn .. ', "helpful": ' .. (n % 2 == 0 and "true" or "false") .. '}'
    turn = nil
    return wrk.format("POST", "/api/v1/feedback", {["Content-Type"] = "application/json"}, body)
  end
  local body = '{"text": "' .. questions[(n % #questions) + 1] .. '", "session_id": "soak-' .. math.random(1, 1e9) .. '"}'
  return wrk.format("POST", "/api/v1/ask", {["Content-Type"] = "application/json"}, body)
end
response = function(status, headers, body)
  local found = body and string.match(body, '"turn_id":(%d+)')
  local owner = body and string.match(body, '"session_id":"([^"]+)"')
  if found and found ~= "0" and owner then turn, session = found, owner end
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d non2xx=%d errors=%d p50=%.1f p95=%.1f\n", summary.requests,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000))
end
"""  # noqa: E501 (a script kept as it runs)
HEADER = ["minute", "requests", "non-2xx", "socket errors", "p50 ms", "p95 ms", "note"]


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, AttributeError):
            continue
    return total / 1024


def one_minute(port: int, script: Path, connections: int) -> dict[str, float]:
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", "-d60s", "--timeout", "10s", "-s", str(script),
                          f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True)
    line = next(line for line in out.stdout.splitlines() if line.startswith("RESULT"))
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)}


def soak(minutes: int, connections: int, workers: int,
         store: str) -> tuple[list[list[str]], dict[str, float]]:
    url, schema = postgres_schema() if store == "postgresql" else ("", None)
    try:
        return soak_in(minutes, connections, workers, url)
    finally:
        if schema:
            with create_engine(POSTGRES).begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def soak_in(minutes: int, connections: int, workers: int,
            url: str) -> tuple[list[list[str]], dict[str, float]]:
    """One server on a temporary data dir (and SQLite file when no database URL is given)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MADOGUCHI_DATA_DIR": tmp, "MADOGUCHI_RATE_PER_SESSION": "100000",
               "MADOGUCHI_RATE_PER_ADDRESS": "10000000", "OMP_NUM_THREADS": "1",
               "MADOGUCHI_DATABASE_URL": url or f"sqlite:///{tmp}/soak.db"}
        script = Path(tmp) / "soak.lua"
        script.write_text(LUA, encoding="utf-8")
        subprocess.run([sys.executable, "-m", "channels.cli", "index", "build"], env=env, check=True,
                       capture_output=True)
        port = free_port()
        log = Path(tmp) / "server.log"
        with open(log, "wb") as sink:
            server = subprocess.Popen([sys.executable, "-m", "channels.cli", "serve", "--port", str(port),
                                       "--workers", str(workers)], env=env, stdout=sink,
                                      stderr=subprocess.STDOUT)
        try:
            wait_healthy(port, log)
            return run_minutes(server.pid, port, script, connections, minutes, env)
        finally:
            server.terminate()
            server.wait(timeout=60)


def run_minutes(pid: int, port: int, script: Path, connections: int, minutes: int,
                env: dict[str, str]) -> tuple[list[list[str]], dict[str, float]]:
    rows, memory, reindex = [], {}, None
    for minute in range(1, minutes + 1):
        if minute == minutes // 2 + 1:
            reindex = subprocess.Popen([sys.executable, "-m", "channels.cli", "index", "build"], env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        m = one_minute(port, script, connections)
        note = "reindex published during this minute" if minute == minutes // 2 + 1 else ""
        rows.append([str(minute), f"{m['requests']:.0f}", f"{m['non2xx']:.0f}", f"{m['errors']:.0f}",
                     f"{m['p50']:.1f}", f"{m['p95']:.1f}", note])
        print("  " + " | ".join(rows[-1]), file=sys.stderr, flush=True)
        if minute == 1:
            memory["first"] = tree_rss_mb(pid)
    memory["last"] = tree_rss_mb(pid)
    if reindex is not None:
        memory["reindex_exit"] = float(reindex.wait(timeout=600))
    return rows, memory


def section(rows: list[list[str]], memory: dict[str, float], command: str) -> str:
    total = sum(int(r[1]) for r in rows)
    failed = sum(int(r[2]) + int(r[3]) for r in rows)
    drift = float(rows[-1][5]) / float(rows[0][5])
    growth = memory["last"] / memory["first"] - 1
    summary = (f"**{total:,} requests, {failed} failed** (target 0). p95 drift last/first minute: "
               f"**{drift:.2f}×**. Memory of the server tree: {memory['first']:.0f} MB after minute 1, "
               f"{memory['last']:.0f} MB at the end (**{growth:+.1%}**, target < 10%). Reindex exit code "
               f"{memory.get('reindex_exit', 0):.0f}.")
    return "\n\n".join(["## Soak: ten minutes with feedback, escalations and a reindex (issue 8)",
                        provenance(command), summary, table(HEADER, rows)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--store", choices=["postgresql", "sqlite"], default="postgresql")
    args = parser.parse_args()
    rows, memory = soak(args.minutes, args.connections, args.workers, args.store)
    command = (f"python -m bench.soak --minutes {args.minutes} --connections {args.connections} "
               f"--workers {args.workers} --store {args.store}")
    replace_section("soak", section(rows, memory, command))


if __name__ == "__main__":
    main()
