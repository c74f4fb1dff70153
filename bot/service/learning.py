"""One learning run, for the command line (`madoguchi learn`) and the desk's 「学習して公開」 alike: learn
from labelled questions, and publish what the guard chose unless it is a dry run.

The desk's labels are read from the conversation database (`bot.store.labels`); nothing is created there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import inspect

from bot.engine import Bot
from bot.labelled import LabelledQuery
from bot.learning.desk import desk_queries
from bot.learning.loop import LearnRun, learn
from bot.service.publishing import publish_learned
from bot.store.labels import LabelStore
from bot.store.repository import ConversationStore
from knowledge.core.errors import ConfigurationError, ConflictError
from knowledge.core.settings import Settings


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a run found, and the version it published ("" when it kept the serving one or was a dry run)."""

    run: LearnRun
    published: str


def stored_labels(store: ConversationStore) -> list[LabelledQuery]:
    """The desk's usable labels as labelled questions; refused when there are none to learn from."""
    with store.guard():
        present = inspect(store.engine).has_table("question_labels")
    queries = desk_queries(LabelStore(store)) if present else []
    if not queries:
        raise ConflictError("学習に使えるラベルがまだありません（the desk has no usable labels yet: mark "
                            "candidates on escalations, or accept questions on the 「学習した質問」 page）")
    return queries


def labels_from_database(settings: Settings) -> list[LabelledQuery]:
    """`--from-desk`: the labels in MADOGUCHI_DATABASE_URL's database."""
    url = settings.resolved_database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).expanduser().exists():
        raise ConfigurationError(f"no desk database at {url} (set MADOGUCHI_DATABASE_URL)")
    store = ConversationStore(url)
    try:
        return stored_labels(store)
    finally:
        store.engine.dispose()


def learn_and_publish(settings: Settings, bot: Bot, queries: list[LabelledQuery], source: str,
                      dry_run: bool = False, today: date | None = None) -> Outcome:
    """Learn, judge, and make the chosen version live (under the build locks), unless told not to."""
    run = learn(bot, queries, source, today)
    if run.chosen is None or dry_run:
        return Outcome(run, "")
    manifest = publish_learned(settings, run.chosen, run.learned_from)
    return Outcome(run, str(manifest["version"]))
