"""What the bot knows: the city's files plus the desk's live entries, built into a new index version.

The index is always rebuilt from everything (files + desk), never patched, so `madoguchi index
build` and a rebuild after an approval in the desk give the same index. Builds are serialised by a
file lock in the index directory (several workers, the CLI on one server) and, with PostgreSQL, by a
database lock per index (several servers), so an older build never goes live after a newer one. This
module stays free of the web
app, so the command line can use it without loading the desk's pages.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path

from sqlalchemy import inspect

from bot.store.entries import EntryStore
from bot.store.index_versions import index_store, one_build_everywhere
from bot.store.repository import ConversationStore
from indexer.build import IndexBuilder, Progress, no_progress, publish_index
from indexer.embedding import Embedder, embedder_from_settings
from indexer.index import KnowledgeIndex
from indexer.runtime import BuildReport, normaliser_from_settings, summarise_sources
from knowledge.core.errors import ConfigurationError, IndexNotFoundError, IndexStoreError, MadoguchiError
from knowledge.core.settings import Settings
from knowledge.fields import FIELD_LABELS
from knowledge.records import LoadResult, Problem, Record

LOCK_FILE = ".publish.lock"


SHADOWED = ("{id} は窓口で承認した版で答えています。この行の{fields}は答えに使いません（この行を使うときは、"
            "このファイルを madoguchi kb import で読み込むか、窓口で直してください）")
COMPARED = ("question", "answer", "department", "contact", "url")


def merge_desk_entries(loaded: LoadResult, live: list[Record], retired: set[str]) -> LoadResult:
    """A desk entry replaces the file record with its id; a retired entry hides it. A file row the desk's
    version says otherwise than is warned of: after one Excel round trip, a town's later edits of its own
    file would otherwise change nothing without a word."""
    files = {record.id: record for record in loaded.records}
    live = [with_translations(record, files.get(record.id)) for record in live]
    hidden = {record.id for record in live} | retired
    kept = [record for record in loaded.records if record.id not in hidden]
    shadowed = [shadowed_row(files[record.id], record) for record in live if record.id in files]
    return LoadResult(kept + live, list(loaded.problems) + [p for p in shadowed if p is not None])


def shadowed_row(file: Record, desk: Record) -> Problem | None:
    """A warning on the file's row when the desk's version differs from it in what residents read."""
    differ = [name for name in COMPARED if getattr(file, name) != getattr(desk, name)]
    if not differ:
        return None
    fields = "・".join(FIELD_LABELS[name] for name in differ)
    return Problem(file.source, file.location, FIELD_LABELS[differ[0]],
                   SHADOWED.format(id=file.id, fields=fields), "warning")


def with_translations(desk: Record, file: Record | None) -> Record:
    """The desk edits no translations: a desk version keeps the file's while its question and answer are the
    ones they translate (a new department or contact). Once either changed, they would tell residents of
    another language the old text (「10点まで」 after the desk wrote 5), so they are left out; the entry page
    says so before anyone saves."""
    if file is None or desk.translations or not file.translations:
        return desk
    if (desk.question, desk.answer) != (file.question, file.answer):
        return desk
    return replace(desk, translations=file.translations)


@contextmanager
def desk_entries(settings: Settings) -> Iterator[EntryStore | None]:
    """The desk's entries while the block runs, its connections closed after; None when there is no database
    or no desk table yet (nothing is created)."""
    entries = _open_desk_entries(settings)
    try:
        yield entries
    finally:
        if entries is not None:
            entries.store.engine.dispose()


def _open_desk_entries(settings: Settings) -> EntryStore | None:
    url = settings.resolved_database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).expanduser().exists():
        return None
    store = ConversationStore(url)
    with store.guard():
        present = inspect(store.engine).has_table("entry_versions")
    if not present:
        store.engine.dispose()
        return None
    return EntryStore(store)


def load_knowledge(settings: Settings, entries: EntryStore | None, sources: list[Path] | None = None,
                   strict: bool = False, today: date | None = None) -> LoadResult:
    """Every record the bot should know: the city's files, then the desk's live entries over them."""
    from knowledge.sources import load_sources  # document parsers load with a build, not in every worker

    loaded = load_sources(sources or city_sources(settings), today=today, strict=strict)
    if entries is None:
        return loaded
    return merge_desk_entries(loaded, entries.live_records(), entries.retired_ids())


def city_sources(settings: Settings) -> list[Path]:
    """What a build given no files reads (`Settings.city_sources`): the live version's own when
    MADOGUCHI_SOURCES is not set."""
    if "sources" in settings.model_fields_set:
        return settings.sources
    store = index_store(settings)
    try:
        built_from = store.manifest().get("built_from", [])
    except IndexNotFoundError:
        if store.list_versions():  # built before, but the pointer names nothing: not a first start
            raise ConfigurationError(UNREADABLE_LIVE.format(why=f"no live version in {store.root}")) from None
        built_from = []  # the first build: the sample city
    except MadoguchiError as unreadable:  # a version not copied here yet, a damaged manifest
        raise ConfigurationError(UNREADABLE_LIVE.format(why=unreadable)) from unreadable
    return settings.city_sources(built_from)


# the city's files are those the live version was built from; without them a build must not fall back to
# the sample city and publish it over the city's own FAQ
UNREADABLE_LIVE = ("a build given no files reads those the live index version was built from, and it "
                   "cannot be read here ({why}); name the city's files (madoguchi index build FILE…) or "
                   "set MADOGUCHI_SOURCES")


def current_knowledge(settings: Settings, sources: list[Path] | None = None) -> LoadResult:
    """`load_knowledge` with the desk's entries whenever the database has any: what a build would index
    now."""
    with desk_entries(settings) as entries:
        return load_knowledge(settings, entries, sources)


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """One build at a time per index directory, across processes (an advisory lock file)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK_FILE, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def new_builder(settings: Settings, progress: Progress = no_progress,
                embedder: Embedder | None = None) -> IndexBuilder:
    """The same builder `madoguchi index build` uses, with its own normaliser (the bot's is in use), and its
    own model unless one is lent (`LentEmbedder`)."""
    return IndexBuilder(normaliser_from_settings(settings),
                        embedder or embedder_from_settings(settings).warm_up(), progress)


def build_knowledge_index(settings: Settings, entries: EntryStore | None, sources: list[Path] | None = None,
                          strict: bool = False, progress: Progress = no_progress,
                          builder: IndexBuilder | None = None, note: str = "built") -> BuildReport:
    """Load files + desk entries under the build locks, build a version and make it live; `note` is why, for
    `madoguchi index history`."""
    with build_lock(settings.resolved_index_dir), one_build_everywhere(settings):
        read = sources or city_sources(settings)
        loaded = load_knowledge(settings, entries, read, strict)
        per_source = summarise_sources(loaded)
        builder = builder or new_builder(settings, progress)
        summary = {name: dict(counts) for name, counts in per_source.items()}
        manifest = builder.run(loaded.records, index_store(settings), summary, keep=settings.keep_versions,
                               note=note, built_from=[str(path.resolve()) for path in read])
    return BuildReport(manifest, loaded, per_source)


def build_from_settings(settings: Settings, sources: list[Path] | None = None, strict: bool = False,
                        progress: Progress = no_progress) -> BuildReport:
    """What `madoguchi index build` runs: the desk's entries are included whenever the database has any."""
    with desk_entries(settings) as entries:
        return build_knowledge_index(settings, entries, sources, strict, progress)


def build_apart(settings: Settings) -> None:
    """`build_from_settings` in a child process, for a server's first start: with one worker the server
    answers in this very process, which should not keep what a build loads (document parsers, SciPy, a city's
    parses)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
        child.submit(_build_only, settings).result()


def _build_only(settings: Settings) -> None:
    build_from_settings(settings)


def publish_learned(settings: Settings, index: KnowledgeIndex, learned_from: str) -> dict:
    """Make live the version `madoguchi learn` assembled and judged, under the build locks; refused if
    another build made a different version live meanwhile (its entries were not judged)."""
    with build_lock(settings.resolved_index_dir), one_build_everywhere(settings):
        store = index_store(settings)
        if store.current_version() != learned_from:
            raise IndexStoreError(f"the live index changed while learning (was {learned_from}, now "
                                  f"{store.current_version()}); nothing was published, run "
                                  "madoguchi learn again")
        learned = index.learned
        note = f"learned: {len(learned.paraphrases)} paraphrases" + (", refitted model" if learned.model
                                                                     else "")
        return publish_index(index, store, settings.keep_versions, note)
