"""madoguchi as a LangChain retriever: inside a chain, sync and async, audience honoured."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough

from bot.langchain import MadoguchiRetriever
from knowledge.core.settings import Settings
from knowledge.records import Audience

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def resident(sample_index_dir: Path) -> MadoguchiRetriever:
    return MadoguchiRetriever.from_settings(Settings(index_dir=sample_index_dir), k=5)


def test_documents_carry_the_entry_and_its_metadata(resident: MadoguchiRetriever) -> None:
    docs = resident.invoke("児童手当はいつ振り込まれる？")
    assert len(docs) == 5 and docs[0].metadata["department"] and docs[0].metadata["url"].startswith("https://")
    assert "偶数月" in docs[0].page_content and 0 < docs[0].metadata["confidence"] <= 1
    scores = [d.metadata["score"] for d in docs]
    assert scores[:3] == sorted(scores[:3], reverse=True)  # later places go by recall (bot/fusion.py)


def test_resident_retriever_never_returns_staff_records(resident: MadoguchiRetriever) -> None:
    for query in ("年次有給休暇は何日", "出張の日当", "文書の保存年限", "職員向け 内部規程"):
        assert {d.metadata["audience"] for d in resident.invoke(query)} <= {"resident", "all"}


def test_staff_retriever_sees_staff_rules(resident: MadoguchiRetriever) -> None:
    staff = MadoguchiRetriever(bot=resident.bot, audience=Audience.STAFF, k=3)
    assert staff.invoke("年休の繰越")[0].metadata["audience"] == "staff"


def test_async_matches_sync(resident: MadoguchiRetriever) -> None:
    sync = [d.id for d in resident.invoke("ソファを捨てたい")]
    assert [d.id for d in asyncio.run(resident.ainvoke("ソファを捨てたい"))] == sync


def test_retriever_works_inside_a_chain(resident: MadoguchiRetriever) -> None:
    seen: list[str] = []

    def context(docs: list) -> str:  # type: ignore[type-arg]
        seen.append(docs[0].id)
        return "\n".join(f"[{d.id}] {d.page_content}" for d in docs)

    prompt = ChatPromptTemplate.from_messages([("system", "出典を示して答える。\n{context}"),
                                               ("human", "{question}")])
    chain = ({"context": resident | context, "question": RunnablePassthrough()} | prompt
             | FakeListChatModel(responses=["転入届には転出証明書が必要です [R001]"]) | StrOutputParser())
    assert chain.invoke("転入届に必要なものは？").endswith("[R001]")
    assert seen and seen[0].startswith("R")


def test_readme_example_runs(sample_index_dir: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture) -> None:
    import re

    from knowledge.core.settings import get_settings

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    example = re.search(r"## LangChain.*?```python\n(.*?)```", readme, re.S)
    assert example, "README has no LangChain example"
    monkeypatch.setenv("MADOGUCHI_INDEX_DIR", str(sample_index_dir))
    get_settings.cache_clear()
    exec(compile(example.group(1), "README.md", "exec"), {})
    get_settings.cache_clear()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and all("https://" in line for line in lines)
