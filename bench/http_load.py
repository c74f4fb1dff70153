"""End-to-end HTTP load on `POST /api/v1/ask`: wrk from a second process on loopback.

    python -m bench.http_load [--duration 60] [--connections 50] [--workers 1 2] [--stores sqlite postgresql]

Starts `madoguchi serve` on the sample city for each (store, workers) pair, waits for /healthz, runs wrk
with a Lua script that posts a rotating set of resident questions with a fresh session per request, and
prints a Markdown table (requests/s, p50/p95/p99 latency, non-2xx responses, socket errors). Rate limits
are raised for the run: one load generator on one address would otherwise be (rightly) throttled.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
QUESTIONS = ["転入届に必要なものは？", "ソファを捨てたい", "児童手当はいつ振り込まれる？", "マイナンバーカードをなくした",
             "住民票の写しがほしい", "人と話したい", "保育園に入りたい", "固定資産税の支払い方法", "避難所はどこ", "こんにちは"]
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
"""


def postgres_schema() -> tuple[str, str]:
    """A fresh schema for one run, so runs never see each other's rows."""
    schema = f"madoguchi_load_{uuid.uuid4().hex[:8]}"
    with create_engine(POSTGRES).begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    return f"{POSTGRES}?options=-csearch_path%3D{schema}", schema


def wait_healthy(port: int, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("server did not become healthy")


def run(store: str, workers: int, data_dir: Path, args: argparse.Namespace, script: Path, port: int) -> str:
    """One server, one wrk run; returns the wrk RESULT line."""
    env = {**os.environ, "MADOGUCHI_DATA_DIR": str(data_dir), "MADOGUCHI_RATE_PER_SESSION": "100000",
           "MADOGUCHI_RATE_PER_ADDRESS": "10000000", "OMP_NUM_THREADS": "1"}
    schema = None
    if store == "postgresql":
        env["MADOGUCHI_DATABASE_URL"], schema = postgres_schema()
    else:
        env["MADOGUCHI_DATABASE_URL"] = f"sqlite:///{data_dir / f'load-{workers}.db'}"
    server = subprocess.Popen([sys.executable, "-m", "channels.cli", "serve", "--port", str(port), "--workers",
                               str(workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_healthy(port)
        out = subprocess.run(["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}s", "--timeout", "10s",
                              "-s", str(script), f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True)
        return next(line for line in out.stdout.splitlines() if line.startswith("RESULT"))
    finally:
        server.terminate()
        server.wait(timeout=30)
        if schema:
            with create_engine(POSTGRES).begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    print("| store | workers | requests/s | p50 ms | p95 ms | p99 ms | non-2xx | socket errors |\n|---|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "ask.lua"
        script.write_text(LUA % ", ".join(f'"{q}"' for q in QUESTIONS), encoding="utf-8")
        subprocess.run([sys.executable, "-m", "channels.cli", "index", "build"], check=True, capture_output=True,
                       env={**os.environ, "MADOGUCHI_DATA_DIR": tmp})
        for store in args.stores:
            for workers in args.workers:
                line = run(store, workers, Path(tmp), args, script, 8800 + workers)
                m = dict(re.findall(r"(\w+)=([\d.]+)", line))
                rate = float(m["requests"]) / float(m["seconds"])
                print(f"| {store} | {workers} | {rate:.0f} | {m['p50']} | {m['p95']} | {m['p99']} | {m['non2xx']} | {m['errors']} |",
                      flush=True)


if __name__ == "__main__":
    main()
