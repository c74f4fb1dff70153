"""Turning a decision into words residents and staff read. Plain, polite Japanese."""

from __future__ import annotations

from bot.answer import NONE_OF_THESE, Choice
from knowledge.core.settings import Settings
from knowledge.records import Record

CLARIFY_PROMPT = "次のどれに近いですか？番号か項目を選んでください。"
CLARIFY_ONE_PROMPT = "お探しの内容はこちらですか？番号か項目を選んでください。"  # one entry and the way out
NONE_LABEL = "どれにも当てはまらない（担当者につなぐ）"


def answer_text(record: Record) -> str:
    """The approved answer verbatim, then where it comes from and whom to ask."""
    lines = [record.answer.strip()]
    if record.kind == "passage" and record.section_path:
        lines.append(f"（出典: {' > '.join(record.section_path)}"
                     + (f"、{record.page}ページ）" if record.page else "）"))
    if record.department or record.contact:
        lines.append(f"お問い合わせ: {record.contact or record.department}")
    if record.url:
        lines.append(f"詳しくは: {record.url}")
    return "\n".join(lines)


LABEL_CONTEXT = 10  # a heading shorter than this (その他, 申込方法) is shown under the headings above it


def choice_label(record: Record) -> str:
    """A question-like label: the FAQ question, or the headings of a manual passage from the last up until
    they say what it is about: a choice 「その他」 told a resident nothing (粗大ごみの出し方ガイド >
    出せないもの > その他 is shown as 「出せないもの > その他」)."""
    path = record.section_path if record.kind == "passage" else ()
    shown: list[str] = []
    for heading in reversed(path):
        if sum(map(len, shown)) >= LABEL_CONTEXT:
            break
        shown.insert(0, heading)
    return " > ".join(shown) or record.question or record.answer[:40]


def clarify_choices(records: list[Record]) -> tuple[Choice, ...]:
    """Numbered candidates plus the way out to a person."""
    return (*(Choice(r.id, choice_label(r)) for r in records), Choice(NONE_OF_THESE, NONE_LABEL))


def clarify_text(choices: tuple[Choice, ...]) -> str:
    """「次のどれに近いですか？」 with numbered options; 「お探しの内容はこちらですか？」 when one entry
    is offered besides the way to a person."""
    prompt = CLARIFY_ONE_PROMPT if len(choices) == 2 else CLARIFY_PROMPT
    return "\n".join([prompt, *(f"{n}. {c.label}" for n, c in enumerate(choices, start=1))])


def offer_again_text(choices: tuple[Choice, ...]) -> str:
    """After a number that was not on the list: which numbers there are."""
    return "\n".join([f"1〜{len(choices)}の番号か、項目を選んでください。",
                      *(f"{n}. {c.label}" for n, c in enumerate(choices, start=1))])


def escalate_text(settings: Settings, asked_for_person: bool) -> str:
    """Honest about what happens next and when."""
    first = ("担当者におつなぎします。" if asked_for_person
             else "申し訳ありません。このご質問にお答えできる情報が見つかりませんでした。"
                  "担当者におつなぎします。")
    return f"{first}\n受付時間: {settings.call_center_hours}\nお急ぎの場合: {settings.call_center_contact}"


def joined_text(settings: Settings) -> str:
    """What a resident reads when what they wrote joins the hand-over already waiting for a person: not a
    second 「おつなぎします」 as if nothing had been passed on yet."""
    return ("このご質問も、先に担当者へお伝えしたお問い合わせに加えました。"
            f"担当者からの返信をお待ちください。\n受付時間: {settings.call_center_hours}")


def greeting_text(settings: Settings) -> str:
    """Reply to a greeting."""
    return f"こんにちは。{settings.city_name}の問い合わせ窓口です。ご質問を短い文で入力してください。"


THANKS_TEXT = "どういたしまして。ほかにもご質問があれば、どうぞ入力してください。"
NUMBER_ALONE_TEXT = ("番号だけでは、どの選択肢のことか分かりませんでした。"
                     "選択肢はその一覧のボタンで選べます。ご質問は、文章で入力してください。")
