"""Memory of one serve worker: many cities on one server, and one city after 1,000 requests.

    python -m bench.cities [--cities 1 10 50] [--entries 2000] [--requests 1000] [--work DIR]

Cities: a synthetic city of 2,000 FAQ entries (questions and answers recombined from the sample city's
sentences, bench/synthetic.py) is built once; every city of the tenants file gets its own copy of that index
and its own SQLite store, as a prefecture hosting its cities would run them. For each count, `madoguchi serve`
(one worker) starts with the file, each city answers one question on its own host name, and the worker's
resident memory (VmRSS, with its anonymous and file-backed parts) is read from /proc. Requests: the sample
city alone, `--requests` questions posted one after another, RSS read after them.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.http_load import free_port, wait_healthy
from bench.synthetic import passage_plan, passage_text, sentence_pool

QUESTIONS = ["転入届に必要なものは？", "ソファを捨てたい", "児童手当はいつ振り込まれる？",
             "住民票の写しがほしい",
             "保育園に入りたい", "避難所はどこ", "マイナンバーカードをなくした", "犬の登録をしたい"]
# one client, many asks
UNLIMITED = {"MADOGUCHI_RATE_PER_ADDRESS": "1000000", "MADOGUCHI_RATE_PER_SESSION": "1000000"}


def write_city_table(path: Path, entries: int) -> Path:
    """A FAQ table of `entries` rows: a question sentence and a two-to-five sentence answer each."""
    sentences = sentence_pool()
    plan = passage_plan(len(sentences), entries)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "question", "answer", "department"])
        for number, row in enumerate(plan):
            question = sentences[int(row[0])]
            writer.writerow([f"S{number:05d}", question, passage_text(row, sentences), "総合窓口"])
    return path


def build_city_index(work: Path, entries: int) -> Path:
    """The synthetic city's index, built once through the command line."""
    index = work / "city-index"
    if not (index / "CURRENT").exists():
        table = write_city_table(work / "city.csv", entries)
        run([sys.executable, "-m", "channels.cli", "index", "build", str(table), "--index-dir", str(index)])
    return index


def tenants_file(work: Path, cities: int, index: Path) -> Path:
    """`cities` cities, each with its own copy of the index and its own SQLite store."""
    folder = work / f"cities-{cities}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    lines = ["tenants:"]
    for number in range(cities):
        shutil.copytree(index, folder / f"index-{number}")
        lines += [f"  - id: city{number}", f"    city_name: 市{number}",
                  f"    hosts: [city{number}.example.jp]",
                  f"    sources: [{work / 'city.csv'}]", f"    index_dir: index-{number}",
                  f"    database_url: sqlite:///{folder / f'city{number}.db'}"]
    (folder / "tenants.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder / "tenants.yaml"


def run(command: list[str], env: dict[str, str] | None = None) -> None:
    subprocess.run(command, check=True, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL)


def ask(port: int, text: str, host: str = "127.0.0.1") -> None:
    body = json.dumps({"text": text}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/ask", body,
                                     {"Content-Type": "application/json", "Host": host})
    with urllib.request.urlopen(request, timeout=60) as reply:
        reply.read()


def memory(pid: int) -> dict[str, int]:
    """VmRSS, RssAnon and RssFile of a process, in MB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile"):
            found[key] = int(value.split()[0]) // 1024
    return found


def serve(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, int]:
    """`madoguchi serve` with one worker on a free port, healthy."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "channels.cli", "serve", "--host", "127.0.0.1", "--port",
                               str(port), "--workers", "1"], env={**os.environ, **env},
                              stdout=log.open("w"), stderr=subprocess.STDOUT)
    return server, port


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def city_memory(work: Path, cities: int, index: Path) -> dict[str, float]:
    """RSS of one worker serving `cities` cities, after each has answered one question."""
    env = {"MADOGUCHI_TENANTS_FILE": str(tenants_file(work, cities, index)),
           "MADOGUCHI_INDEX_POLL_SECONDS": "0", **UNLIMITED}
    server, port = serve(env, work / f"serve-{cities}.log")
    try:
        started = time.monotonic()
        wait_for_city(port, "city0.example.jp", work / f"serve-{cities}.log")
        for number in range(cities):
            wait_for_city(port, f"city{number}.example.jp", work / f"serve-{cities}.log")
            ask(port, QUESTIONS[number % len(QUESTIONS)], f"city{number}.example.jp")
        return {**memory(server.pid), "seconds": time.monotonic() - started}
    finally:
        stop(server)


def wait_for_city(port: int, host: str, log: Path, seconds: float = 900) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            ask(port, "住民票", host)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{host} never answered:\n{log.read_text(errors='replace')[-2000:]}")


def after_requests(work: Path, requests: int) -> dict[str, float]:
    """RSS of one worker serving the sample city, after healthz, and after `requests` questions."""
    env = {"MADOGUCHI_INDEX_DIR": str(work / "sample-index"), "MADOGUCHI_INDEX_POLL_SECONDS": "0",
           "MADOGUCHI_DATABASE_URL": f"sqlite:///{work / 'sample.db'}",
           "MADOGUCHI_CITY_DIR": str(work / "sample"), **UNLIMITED}
    server, port = serve(env, work / "serve-sample.log")
    try:
        wait_healthy(port, work / "serve-sample.log", 900)
        ask(port, QUESTIONS[0])
        first = memory(server.pid)
        for number in range(requests):
            ask(port, f"{QUESTIONS[number % len(QUESTIONS)]} {number}")
        return {"first": first["VmRSS"], **memory(server.pid)}
    finally:
        stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cities", type=int, nargs="*", default=[1, 10, 50])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="madoguchi-cities-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.requests:
        print(json.dumps({"requests": args.requests, **after_requests(work, args.requests)}), flush=True)
    if args.cities:
        index = build_city_index(work, args.entries)
        for cities in args.cities:
            print(json.dumps({"cities": cities, "entries": args.entries, **city_memory(work, cities, index)}),
                  flush=True)


if __name__ == "__main__":
    main()
