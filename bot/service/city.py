"""The city as every channel and the desk see it: the one object adapters call, as slack-bolt's `App` is.

Adapters translate their platform's input into a `Message` and call `handle`, `feedback` or `contact`; the
city answers, deduplicates, limits, masks, stores or spools, and remembers what it offered. It is built
once per worker (per city on a server of many) by `channels.server.city.build_city`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from bot import Answer, Bot
from bot.service import conversation, followups, readings
from bot.service.conversation import Composed
from bot.service.desk import DeskServices
from bot.service.identity import WEB, Conversation, ConversationIds
from bot.service.offers import Offers, RecentOffers
from bot.service.outage import StoreOutage
from bot.service.ports import Limiter, OutboxWorker
from bot.service.publishing import build_knowledge_index, new_builder
from bot.service.turn_queue import TurnQueue
from bot.store import ConversationStore, StoredTurn
from bot.store.entries import EntryStore
from bot.store.preferences import ReadingPreferences
from bot.store.routes import ReplyRoute
from bot.store.spool import Spool
from indexer.build import IndexBuilder
from indexer.embedding import LentEmbedder
from indexer.index import KnowledgeIndex
from indexer.runtime import BuildReport, IndexWatcher
from knowledge.core.settings import Settings
from knowledge.records import Audience


@dataclass(frozen=True, slots=True)
class Message:
    """One message from a resident or a member of staff, as any channel received it: typed text, or the id
    of a choice the last turn offered; `route` is how an agent's reply can reach them later, `language`
    the language the channel last saw them write (a pick carries no text to detect it from)."""

    channel: str
    conversation: Conversation
    audience: Audience
    text: str = ""
    choice: str | None = None
    route: ReplyRoute | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """What the city said, and the turn as stored (or spooled) before the channel replies."""

    answer: Answer
    turn: StoredTurn


@dataclass(slots=True)
class City:
    """The bot, the store (with the spool behind it), the per-person limits and the background workers of one
    city."""

    settings: Settings
    bot: Bot
    store: ConversationStore
    per_session: Limiter
    per_chat_user: Limiter
    watcher: IndexWatcher
    dispatcher: OutboxWorker | None = None
    spool: Spool | None = None
    offers: Offers = field(default_factory=RecentOffers)
    readings: ReadingPreferences = field(default_factory=ReadingPreferences)
    desk: DeskServices = field(init=False)
    turns: TurnQueue = field(init=False)
    outage: StoreOutage = field(init=False)

    def __post_init__(self) -> None:
        """The desk's services, the turn writer and the outage memory over this city's store, built once with
        the city."""
        self.desk = DeskServices.of(self.store, self.settings)
        self.outage = StoreOutage(self.store.ping)
        self.turns = TurnQueue(partial(conversation.keep_turns, self),
                               partial(conversation.keep_late, self),
                               self.settings.database_statement_timeout_seconds)

    @property
    def index(self) -> KnowledgeIndex:
        """The served index version: records, what was learned, the manifest. Read it once per use (a
        publish may replace it between two reads), and keep the version it came from."""
        return self.bot.runtime.index

    @property
    def ids(self) -> ConversationIds:
        """The city's conversation ids (keyed with its secret)."""
        return ConversationIds(self.settings)

    def handle(self, message: Message) -> Reply:
        """Answer the message and keep the turn (store, else spool) before the channel replies."""
        return Reply(*conversation.converse(self, message))

    def answers_at_once(self, message: Message) -> bool:
        """True when answering reads nothing from the store, Redis or a drafting model, so it may run on an
        event loop (`compose`, then `await keep`): a typed question, per-person limits counted here, no
        drafting. A choice picked by click or number reads the last offer, and goes to `handle`."""
        limiter = self._limiter(message.channel)
        return not limiter.waits and self.bot.grounded is None and \
            not followups.picks_a_choice(message.text, message.choice)

    def compose(self, message: Message) -> Composed:
        """The reply and its turn's facts, on the calling thread; `keep` then keeps the turn."""
        return conversation.compose(self, message)

    async def keep(self, composed: Composed) -> Reply:
        """Keep the composed turn through the city's turn writer (store, else spool) before the reply."""
        return Reply(*conversation.kept(self, composed, await self.turns.keep(composed.facts)))

    def record_event_once(self, channel: str, event_id: str) -> bool:
        """False when the platform delivers an event again (LINE and Slack retry): it was handled once."""
        return self.store.record_event_once(channel, event_id)

    def admit(self, channel: str, person: str) -> None:
        """Count a request of one person (`Conversation.person`): a widget session, a LINE user, a Slack user
        across their threads. RateLimitedError when over; the web answers it with 429 and Retry-After, LINE
        and Slack send its friendly sentence. Counted here, not by each adapter, so that every channel's
        people are limited the same way and with one Redis; only the client address, which is HTTP's, is
        counted by the web adapter."""
        self._limiter(channel).check(person)

    def _limiter(self, channel: str) -> Limiter:
        return self.per_session if channel == WEB else self.per_chat_user

    def feedback(self, conversation_id: str, turn_id: int, helpful: bool, comment: str = "") -> None:
        """👍/👎 on one of the conversation's turns, stored or spooled."""
        followups.leave_feedback(self, conversation_id, turn_id, helpful, comment)

    def contact(self, conversation_id: str, escalation_id: str, details: dict[str, str]) -> None:
        """How a person handed over wants the answer (name, email, phone, preferred), stored or spooled."""
        followups.leave_contact(self, conversation_id, escalation_id, details)

    def furigana_asked(self, message: Message) -> str | None:
        """If the message asks for furigana on or off: remember it for the person, return the confirmation."""
        if message.choice is not None:
            return None
        return readings.toggle(self, message.conversation.person, message.channel, message.audience.value,
                               message.text)

    def writer(self, person: str, reply: Answer | None = None) -> Callable[[str], str]:
        """How texts are written for this person: with readings in parentheses, or as they are."""
        return readings.writer_for(self, person, reply)

    def publish(self, builder: IndexBuilder | None = None) -> BuildReport:
        """Build files + the desk's entries into a new live version (every worker's watcher then serves it);
        without `builder`, with the serving model lent a slice at a time."""
        builder = builder or new_builder(self.settings, embedder=LentEmbedder(self.bot.runtime.embedder))
        return build_knowledge_index(self.settings, EntryStore(self.store), builder=builder)

    def wake_outbox(self) -> None:
        """Deliver newly committed replies now instead of at the dispatcher's next tick."""
        if self.dispatcher is not None:
            self.dispatcher.wake()

    def stop(self) -> None:
        """Stop following the index, delivering and writing turns, and close the store's connections."""
        self.watcher.stop()
        self.outage.stop()
        self.turns.stop()
        if self.dispatcher is not None:
            self.dispatcher.stop()
        self.store.engine.dispose()
