"""Past one machine: two worker processes, one PostgreSQL, limits in Redis, a reindex under load.

`madoguchi serve --workers 2` runs as a real process tree; residents keep asking from several threads
while `madoguchi index build` publishes a version with a new FAQ entry. No request may fail, and every
worker must answer the new entry afterwards without a restart, having learnt of it from PostgreSQL (the
index directory's own CURRENT file is left as it was).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest

from knowledge.core.settings import SAMPLE_CITY
from testing.database import postgres_schema_url
from testing.recorder import free_port
from testing.servers import start_server

pytestmark = pytest.mark.system  # two worker processes over PostgreSQL and Redis

NEW_FAQ = ("ID,質問,回答,担当課\n"
           "T001,ドローンを公園で飛ばしてもいいですか,市の公園ではドローンの飛行を禁止しています。,公園緑地課\n")
QUESTION = "ドローンを公園で飛ばしてもいいですか"


def keep_asking(base: str, stop: threading.Event, outcomes: Counter) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        while not stop.is_set():
            try:
                status = client.post("/api/v1/ask", json={"session_id": uuid.uuid4().hex,
                                                          "text": "粗大ごみの出し方"}).status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            outcomes[status] += 1


def test_reindex_under_load_on_two_workers_fails_no_request(sample_index_dir: Path, model_cache: Path,
                                                            tmp_path: Path, redis_service: str) -> None:
    schemas = postgres_schema_url()
    database = next(schemas)
    index_dir = tmp_path / "index"
    subprocess.run(["cp", "-r", str(sample_index_dir), str(index_dir)], check=True)
    (tmp_path / "new.csv").write_text(NEW_FAQ, encoding="utf-8")
    before = (index_dir / "CURRENT").read_text(encoding="utf-8")
    env = {**os.environ, "MADOGUCHI_INDEX_DIR": str(index_dir), "MADOGUCHI_DATA_DIR": str(model_cache),
           "MADOGUCHI_DATABASE_URL": database, "MADOGUCHI_REDIS_URL": redis_service,
           "MADOGUCHI_REDIS_PREFIX": f"madoguchi-test-{uuid.uuid4().hex[:8]}:",
           "MADOGUCHI_INDEX_POLL_SECONDS": "1",
           "MADOGUCHI_RATE_PER_ADDRESS": "100000", "MADOGUCHI_RATE_PER_SESSION": "1000"}
    port = free_port()
    server = start_server({**env, "MADOGUCHI_WORKERS": "2"}, port)
    base, stop, outcomes = f"http://127.0.0.1:{port}", threading.Event(), Counter()
    askers = [threading.Thread(target=keep_asking, args=(base, stop, outcomes)) for _ in range(4)]
    try:
        for asker in askers:
            asker.start()
        time.sleep(2)
        build = subprocess.run([sys.executable, "-m", "channels.cli", "index", "build", str(SAMPLE_CITY),
                                str(tmp_path / "new.csv")], env=env, capture_output=True, text=True,
                               timeout=300)
        assert build.returncode == 0, build.stderr[-2000:]
        unchanged = (index_dir / "CURRENT").read_text(encoding="utf-8") == before
        assert unchanged, "the new version must be named in PostgreSQL, not in the directory"
        time.sleep(4)
        stop.set()
        for asker in askers:
            asker.join()
        assert set(outcomes) == {200} and outcomes[200] > 20, outcomes
        answers = [httpx.post(f"{base}/api/v1/ask", json={"text": QUESTION}, timeout=30).json()
                   for _ in range(12)]
        assert all(a.get("answer", {}).get("id") == "T001"
                   for a in answers), "a worker did not pick up the new version"
    finally:
        stop.set()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        next(schemas, None)
