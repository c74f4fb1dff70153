"""A served index that changes under the tests: the sample city's FAQ table, a new entry to publish into it,
waiting for the watcher, and copies of a built index that publishing may touch."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from fastapi.testclient import TestClient

from indexer.store import IndexStore
from knowledge.core.settings import SAMPLE_CITY, Settings

Found = TypeVar("Found")

BASE = SAMPLE_CITY / "faq" / "resident-services.csv"


HEADER = ("id,question,alt_questions,answer,category,department,contact,url,audience,valid_from,valid_"
          "until,owner\n")


DRONE = (HEADER + "N001,公園でドローンを飛ばしてもよいですか。,公園でドローンを使いたい|ドローン 公園 禁止,"
         "市の公園では、ほかの利用者の安全のため、ドローンを飛ばすことを禁止しています。撮影で使いたいときは、"
         "公園緑地課に事前にご相談ください。,公園,公園緑地課,公園緑地課 電話 0123-45-1234,"
         "https://www.city.minato.example.jp/park/drone,resident,,,公園緑地課\n")


DRONE_QUESTION = "公園でドローンを飛ばしてもいいですか"


def version(client: TestClient) -> str:
    return client.get("/healthz").json()["index_version"]


def ask(client: TestClient, text: str) -> dict:
    response = client.post("/api/v1/ask", json={"text": text})
    assert response.status_code == 200, response.text
    return response.json()


def wait_for(condition: Callable[[], bool], seconds: float = 60.0) -> None:
    """Until the watcher thread has done its part (a generous bound; what is asserted is not the time)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the watcher did not act"
        time.sleep(0.05)


def wait_until(check: Callable[[], Found], seconds: float = 20.0) -> Found:
    """The first truthy result of `check` within `seconds`, else its last one (the caller asserts it)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.05)
    return check()


def copy_index(source: Path, target: Path) -> Path:
    """The live version of a built index in a folder of its own, so publishing into it touches no other
    test."""
    live = IndexStore(source).current_version()
    shutil.copytree(source / "versions" / live, target / "versions" / live)
    (target / "CURRENT").write_text(live + "\n", encoding="utf-8")
    return target


def sample_settings(index_dir: Path, **overrides: Any) -> Settings:
    """Settings as the CLI would make them for an index directory; `overrides` are any other fields, each
    validated by pydantic as it validates the CLI's."""
    return Settings(index_dir=index_dir, **overrides)
