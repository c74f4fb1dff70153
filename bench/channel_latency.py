"""Time from a LINE webhook's receipt to the reply request leaving madoguchi, over signed events.

    python -m bench.channel_latency [--events 500]

A local HTTP server stands in for the LINE API and notes when each reply arrives; the app runs in-process
(TestClient, so background work finishes before the call returns) with the sample city and a SQLite store.
Prints p50/p95/max in milliseconds for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from fastapi.testclient import TestClient  # noqa: E402

from bot.service.publishing import build_from_settings  # noqa: E402
from channels.cli.chat import line_event, signed_line  # noqa: E402
from channels.server import create_app  # noqa: E402
from knowledge.core.settings import Settings  # noqa: E402
from testing.recorder import Recorder  # noqa: E402

QUESTIONS = ["転入届に必要なものは？", "ソファを捨てたい", "児童手当はいつ振り込まれる？",
             "マイナンバーカードをなくした",
             "住民票の写しがほしい", "人と話したい", "保育園に入りたい", "固定資産税の支払い方法",
             "避難所はどこ", "こんにちは"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=500)
    args = parser.parse_args()
    recorder = Recorder().start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=f"sqlite:///{tmp}/store.db",
                            line_channel_secret="bench",
                            line_channel_access_token="bench", line_api_base=recorder.url)
        build_from_settings(settings)
        times = []
        with TestClient(create_app(settings)) as client:
            for n in range(args.events):
                body = json.dumps(line_event(QUESTIONS[n % len(QUESTIONS)]), ensure_ascii=False)
                seen = len(recorder.requests)
                started = time.perf_counter()
                client.post("/callback/line", content=body.encode(),
                            headers={"Content-Type": "application/json", **signed_line(body, "bench")})
                while not any(r.path == "/v2/bot/message/reply" for r in recorder.requests[seen:]):
                    time.sleep(0.0005)
                times.append((time.perf_counter() - started) * 1000)
    recorder.stop()
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"LINE webhook → reply request: {len(times)} signed events, p50 {statistics.median(times):.1f} ms, "
          f"p95 {p95:.1f} ms, max {times[-1]:.1f} ms")


if __name__ == "__main__":
    main()
