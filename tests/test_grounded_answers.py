"""Optional grounded answers: a manual passage may be composed into a short cited answer; FAQs never are.

The answer threshold is set to 0 so the bot answers with its best candidate, which for the question below
is a manual passage (no labelled sample query reaches a passage answer at the shipped thresholds): only the
manual says the letter of attorney may be in any form, so no FAQ entry outranks it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from typer.testing import CliRunner

from bot import Bot, Decision, Session, compose
from bot.drafting import GroundedComposer
from bot.grounding import SupportCheck
from bot.labelled import read_labelled
from channels.cli.app import app
from knowledge.core.errors import ConfigurationError
from knowledge.core.settings import PACKAGE_DIR, Settings
from knowledge.records import Audience, Record
from testing.drafting import COMPLETIONS, completion
from testing.recorder import Recorder, free_port

pytestmark = pytest.mark.integration

PASSAGE_QUESTION = "転入届の委任状は自由な様式でもいい？"
SUPPORTED = ("別の世帯の方が届け出るときは、本人が自分で書いた委任状が必要です[1]。"
             "同じ世帯の方は委任状は不要です[1]。")
LABELLED = PACKAGE_DIR / "samples" / "labelled" / "minato.jsonl"


@pytest.fixture(scope="module")
def plain(sample_index_dir: Path) -> Bot:
    return Bot.from_settings(Settings(index_dir=sample_index_dir, answer_threshold=0.0))


@pytest.fixture(scope="module")
def passage(plain: Bot) -> Record:
    reply = plain.answer(PASSAGE_QUESTION)
    assert reply.decision is Decision.ANSWER and reply.record and reply.record.kind == "passage"
    return reply.record


def grounded(plain: Bot, *replies: str) -> tuple[Bot, FakeListChatModel]:
    chat = FakeListChatModel(responses=list(replies))
    return Bot(plain.runtime, plain.model,
               GroundedComposer(chat, SupportCheck(plain.runtime.normaliser))), chat


def ask(cli: CliRunner, index_dir: Path, question: str, **env: str) -> str:
    settings = {"MADOGUCHI_ANSWER_THRESHOLD": "0", **env}
    result = cli.invoke(app, ["ask", question, "--index-dir", str(index_dir)], env=settings)
    assert result.exit_code == 0, result.output
    return result.output.replace("\n", "")  # the console wraps long lines


def test_off_by_default_the_passage_is_answered_verbatim(cli: CliRunner, sample_index_dir: Path,
                                                         passage: Record) -> None:
    output = ask(cli, sample_index_dir, PASSAGE_QUESTION)
    assert passage.answer.splitlines()[-1] in output
    assert Bot.from_settings(Settings(index_dir=sample_index_dir)).grounded is None


def test_passage_answer_is_composed_from_the_passage_with_its_citation(
        cli: CliRunner, sample_index_dir: Path, passage: Record, recorder: Recorder) -> None:
    recorder.overrides[COMPLETIONS] = completion(SUPPORTED)
    output = ask(cli, sample_index_dir, PASSAGE_QUESTION, MADOGUCHI_GROUNDED_ANSWERS="1",
                 MADOGUCHI_DRAFT_MODEL_URL=f"{recorder.url}/v1")
    assert "本人が自分で書いた委任状が必要です。同じ世帯の方は委任状は不要です。" in output
    assert f"出典: {' > '.join(passage.section_path)}" in output and passage.url in output
    assert passage.answer.splitlines()[-1] not in output and "[1]" not in output
    prompt = recorder.wait_for(COMPLETIONS)[-1].body["messages"][1]["content"]
    assert "[1]" in prompt and "[2]" not in prompt and passage.answer[:40] in prompt


def test_one_unsupported_sentence_rejects_the_whole_composition(plain: Bot, passage: Record) -> None:
    bot, _ = grounded(plain, f"{SUPPORTED}代理人の手数料は3000円です[1]。")
    reply = bot.answer(PASSAGE_QUESTION)
    assert reply.record == passage and reply.message == compose.answer_text(passage)


def test_uncited_or_invented_citations_reject_the_composition(plain: Bot, passage: Record) -> None:
    for invented in ("同じ世帯の方は委任状は不要です。", "同じ世帯の方は委任状は不要です[2]。"):
        bot, _ = grounded(plain, invented)
        assert bot.answer(PASSAGE_QUESTION).message == compose.answer_text(passage)


def test_unreachable_model_falls_back_to_the_passage(cli: CliRunner, sample_index_dir: Path,
                                                     passage: Record) -> None:
    output = ask(cli, sample_index_dir, PASSAGE_QUESTION, MADOGUCHI_GROUNDED_ANSWERS="1",
                 MADOGUCHI_DRAFT_MODEL_URL=f"http://127.0.0.1:{free_port()}/v1")
    assert passage.answer.splitlines()[-1] in output


def test_faq_answers_are_never_rewritten(plain: Bot) -> None:
    bot, chat = grounded(plain, "住民票はどこでも無料で取れます[1]。")
    answered = 0
    for query in read_labelled(LABELLED)[:60]:
        reply = bot.answer(query.text, query.audience, session=Session())
        if reply.decision is Decision.ANSWER and reply.record and reply.record.kind == "faq":
            answered += 1
            assert reply.record == plain.runtime.index.record(reply.record.id)
            assert reply.message == compose.answer_text(reply.record)
    assert answered >= 30 and chat.i == 0, "the model is never even asked about an FAQ answer"


def test_a_passage_chosen_from_the_choices_is_composed_too(plain: Bot, passage: Record) -> None:
    bot, _ = grounded(plain, SUPPORTED)
    reply = bot.answer("1", Audience.RESIDENT, session=Session(offered=(passage.id,)))
    assert reply.record is not None and reply.record.id == passage.id
    assert reply.record.answer == ("別の世帯の方が届け出るときは、本人が自分で書いた委任状が必要です。"
                                   "同じ世帯の方は委任状は不要です。")


def test_grounded_answers_without_a_model_stop_at_start(cli: CliRunner, sample_index_dir: Path) -> None:
    result = cli.invoke(app, ["ask", PASSAGE_QUESTION, "--index-dir", str(sample_index_dir)],
                        env={"MADOGUCHI_GROUNDED_ANSWERS": "1"})
    assert isinstance(result.exception, ConfigurationError)
    assert "MADOGUCHI_DRAFT_MODEL_URL" in str(result.exception)


@pytest.mark.parametrize(("sentence", "supported"), [
    ("別の世帯の方が代理で届け出るときは、本人が自分で書いた委任状が必要です。", True),
    ("同じ世帯の方なら委任状はいりません。", True),
    ("代理人の方も本人確認書類をお持ちください。", True),
    ("委任状の様式は市のホームページから印刷できます。", True),
    ("お問い合わせは市民課 市民窓口係（電話 0123-45-1101）へ。", True),
    ("代理人による届出はできません。", False),
    ("委任状は必要ありません。", False),
    ("郵送でも届け出ることができます。", False),
    ("委任状は市役所の窓口でしか受け取れません。", False),
    ("平日 9:00〜18:00 に受け付けます。", False),
    ("お問い合わせは 0123-45-9999 へ。", False),
])
def test_support_check_keeps_paraphrases_and_rejects_what_the_passage_does_not_say(
        plain: Bot, passage: Record, sentence: str, supported: bool) -> None:
    bot, _ = grounded(plain, f"{sentence}[1]")
    reply = bot.answer(PASSAGE_QUESTION)
    assert (reply.record != passage) is supported, reply.message
