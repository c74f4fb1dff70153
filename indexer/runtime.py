"""Wiring the indexer's parts from the settings: what the CLI, the bot and the servers share."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from indexer.build import IndexBuilder, Progress, no_progress
from indexer.embedding import SentenceTransformerEmbedder, embedder_from_settings
from indexer.index import KnowledgeIndex, load_index
from indexer.normalise import TextNormaliser
from indexer.search import Retriever
from indexer.store import IndexStore
from knowledge.records import LoadResult
from knowledge.settings import Settings
from knowledge.sources import load_sources


@dataclass(slots=True)
class BuildReport:
    """What a build did, for the person who ran it."""

    manifest: dict[str, Any]
    loaded: LoadResult
    per_source: dict[str, Counter]


def normaliser_from_settings(settings: Settings) -> TextNormaliser:
    """The configured normaliser, warmed up."""
    return TextNormaliser(settings.split_mode, settings.synonym_files).warm_up()


def summarise_sources(loaded: LoadResult) -> dict[str, Counter]:
    """Records and problems per source file."""
    summary: dict[str, Counter] = defaultdict(Counter)
    for record in loaded.records:
        summary[record.source][record.kind] += 1
        summary[record.source][record.audience.value] += 1
    for problem in loaded.problems:
        summary[problem.source][problem.severity] += 1
    return dict(summary)


def build_index(settings: Settings, sources: list[Path] | None = None, strict: bool = False,
                progress: Progress = no_progress, today: date | None = None) -> BuildReport:
    """Load the sources, build a new version and make it live."""
    loaded = load_sources(sources or settings.sources, today=today, strict=strict)
    per_source = summarise_sources(loaded)
    builder = IndexBuilder(normaliser_from_settings(settings), embedder_from_settings(settings).warm_up(), progress)
    source_summary = {name: dict(counts) for name, counts in per_source.items()}
    store = IndexStore(settings.resolved_index_dir)
    manifest = builder.run(loaded.records, store, source_summary, keep=settings.keep_versions)
    return BuildReport(manifest, loaded, per_source)


@dataclass(slots=True)
class Runtime:
    """The loaded parts, built once per process."""

    settings: Settings
    normaliser: TextNormaliser
    embedder: SentenceTransformerEmbedder
    index: KnowledgeIndex
    retriever: Retriever


def load_runtime(settings: Settings) -> Runtime:
    """Load model, normaliser and the live index, refusing an incompatible index."""
    normaliser = normaliser_from_settings(settings)
    embedder = embedder_from_settings(settings).warm_up()
    index = load_index(IndexStore(settings.resolved_index_dir), embedder.describe(), normaliser.config())
    return Runtime(settings, normaliser, embedder, index, Retriever(index, normaliser, embedder))
