"""From an editor's approval to the bot answering with it, on the sample city, one core.

    python -m bench.publish_latency [--rounds 5]

Each round drafts and approves a new desk entry, lets the desk's background publisher rebuild the index
(files + desk entries) and then makes a loaded bot swap the new version in (what every worker's index
watcher does, minus its poll interval, `MADOGUCHI_INDEX_POLL_SECONDS`, 2 s by default). Prints, per
round: rebuild seconds (the first includes loading the publisher's normaliser), swap seconds, and
whether the bot then answers the new question. The publisher builds with the bot's model, lent a slice at
a time, as the desk's does. Prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from bot.engine import Bot  # noqa: E402
from bot.service.publisher import Publisher  # noqa: E402
from bot.service.publishing import build_from_settings  # noqa: E402
from bot.store import ConversationStore  # noqa: E402
from bot.store.entries import EntryStore  # noqa: E402
from bot.store.entry_fields import EntryFields  # noqa: E402
from indexer.embedding import LentEmbedder  # noqa: E402
from knowledge.core.settings import Settings  # noqa: E402

QUESTIONS = ("公園でドローンを飛ばしてもいいですか", "市営プールに浮き輪を持ち込めますか",
             "マンホールカードはどこでもらえますか",
             "図書館で古い新聞を読めますか", "市役所の食堂は一般の人も使えますか",
             "花火をしてよい公園はありますか")


def one_round(bot: Bot, publisher: Publisher, entries: EntryStore,
              question: str) -> tuple[float, float, bool]:
    """Approve an entry; seconds to rebuild, seconds to swap, and whether the bot now answers it."""
    draft = entries.new_entry(EntryFields(question, f"{question}への窓口の回答です。", (question,)), "bench")
    entries.approve(draft.entry_id, "bench")
    started = time.perf_counter()
    publisher.request("bench")
    assert publisher.wait(600), "publishing did not finish"
    built = time.perf_counter()
    bot.reload_if_changed()
    swapped = time.perf_counter()
    reply = bot.answer(question)
    return built - started, swapped - built, reply.record is not None and reply.record.id == draft.entry_id


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = min(parser.parse_args().rounds, len(QUESTIONS))
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(index_dir=Path(tmp) / "index", database_url=f"sqlite:///{tmp}/store.db")
        entries = EntryStore(ConversationStore(settings.resolved_database_url).migrate())
        build_from_settings(settings)
        bot = Bot.from_settings(settings)
        publisher = Publisher(settings, entries, LentEmbedder(bot.runtime.embedder))
        print("| round | rebuild s | swap s | answered |\n|---:|---:|---:|:---:|")
        for number, question in enumerate(QUESTIONS[:rounds], start=1):
            build, swap, answered = one_round(bot, publisher, entries, question)
            print(f"| {number} | {build:.2f} | {swap:.2f} | {'yes' if answered else 'no'} |")
        print(f"\npeak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
              "(bot + the publisher's normaliser; the model is the bot's)")


if __name__ == "__main__":
    main()
