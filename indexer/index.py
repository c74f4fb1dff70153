"""A loaded index: records, the text units made from them, one BM25 per field and the dense vectors.

Each record gives units: its question, each paraphrase, and its answer (or passage). Fields are kept
apart so that retrieval can weigh a match on a question differently from one in a long answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from indexer.bm25 import BM25Index
from indexer.dense import FaissVectorIndex, VectorIndex
from indexer.expansion import TermNeighbours
from indexer.integrity import CHECKSUMS, file_checksums, verify_files, verify_records
from indexer.kana import KanaReadings
from indexer.learned import Learned
from indexer.store import IndexStore
from knowledge.core.errors import CorruptIndexError, IncompatibleIndexError
from knowledge.records import Record

FIELDS = ("question", "paraphrase", "answer")
READING = "reading"  # a lexical index over how questions and paraphrases are read (katakana bigrams)
BIGRAM = "bigram"  # a lexical index over the character bigrams of each answer unit (question + answer)
LEXICAL = (*FIELDS, READING, BIGRAM)
FORMAT_VERSION = 4


def record_units(record: Record, learned: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(field, text) units of one record; the answer unit carries its question too, as a page does.
    Paraphrases learned from labelled questions (indexer/learned.py) join the entry's own paraphrases."""
    return [("question", record.question),
            *(("paraphrase", text) for text in (*record.paraphrases, *learned)),
            ("answer", f"{record.question}\n{record.answer}")]


def city_wording(records: Iterable[Record], learned: Learned) -> Iterator[str]:
    """The records' questions, paraphrases (written then learned) and answers, in unit order: the words
    the city and its residents use. Kana-only typing is read into their compounds (indexer/kana.py):
    「ぼしてちょう」 as a paraphrase's 母子手帳, not as ぼし + 手帳; 「うんてんめんきょしょう」 as an answer's
    運転免許証."""
    return (text for record in records for _, text in record_units(record, learned.of(record.id)))


@dataclass(slots=True)
class KnowledgeIndex:
    """Everything retrieval needs, in memory."""

    manifest: dict[str, Any]
    records: list[Record]
    unit_record: np.ndarray
    unit_field: np.ndarray
    lexical: dict[str, BM25Index]
    dense: VectorIndex
    kana: KanaReadings
    learned: Learned = field(default_factory=Learned)
    neighbours: TermNeighbours = field(default_factory=TermNeighbours)

    by_id: dict[str, Record] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.by_id = {r.id: r for r in self.records}

    def record(self, record_id: str) -> Record | None:
        """The record with this id, if the index has it."""
        return self.by_id.get(record_id)

    def field_units(self, field: str) -> np.ndarray:
        """Unit numbers of one lexical index, in BM25 document order."""
        if field == READING:
            return np.flatnonzero(self.unit_field <= FIELDS.index("paraphrase"))
        if field == BIGRAM:
            return np.flatnonzero(self.unit_field == FIELDS.index("answer"))
        return np.flatnonzero(self.unit_field == FIELDS.index(field))

    def save(self, folder: Path) -> None:
        """Write every part into an (empty) version folder."""
        with open(folder / "records.jsonl", "w", encoding="utf-8") as handle:
            for record in self.records:
                handle.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
        np.savez(folder / "units.npz", record=self.unit_record, field=self.unit_field)
        for name, bm25 in self.lexical.items():
            bm25.save(folder, f"bm25-{name}")
        self.dense.save(folder / "dense.faiss")
        self.kana.save(folder)
        self.learned.save(folder)
        self.neighbours.save(folder)
        self.manifest[CHECKSUMS] = file_checksums(folder)
        (folder / "manifest.json").write_text(json.dumps(self.manifest, ensure_ascii=False, indent=2),
                                              encoding="utf-8")


def check_compatible(manifest: dict[str, Any], model: dict[str, Any], tokenizer: dict[str, str],
                     where: Path) -> None:
    """Refuse an index whose model or tokenizer differs from the running one, saying how to fix it."""
    rebuild = f"madoguchi index build --index-dir {where.parent.parent}"
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IncompatibleIndexError(f"{where} has index format {manifest.get('format_version')}, "
                                     f"this madoguchi reads {FORMAT_VERSION}", rebuild)
    built = manifest.get("model", {})
    for key in ("name", "fingerprint", "dimensions", "query_prompt", "document_prompt"):
        if built.get(key) != model.get(key):
            raise IncompatibleIndexError(f"{where} was built with model {key}={built.get(key)!r}, the "
                                         f"settings give {model.get(key)!r}", rebuild)
    differing = {k: (manifest.get("tokenizer", {}).get(k), v) for k, v in tokenizer.items()
                 if manifest.get("tokenizer", {}).get(k) != v}
    if differing:
        details = ", ".join(f"{k}: built {a!r}, now {b!r}" for k, (a, b) in differing.items())
        raise IncompatibleIndexError(f"{where} was built with other tokenizer settings ({details})", rebuild)


def read_records(folder: Path) -> list[Record]:
    """The records of a version folder, without the rest of its index."""
    with open(folder / "records.jsonl", encoding="utf-8") as handle:
        return [Record.from_json(json.loads(line)) for line in handle if line.strip()]


def load_index(store: IndexStore, model: dict[str, Any], tokenizer: dict[str, str]) -> KnowledgeIndex:
    """The live version, checked against the running model and tokenizer and against the checksums its build
    recorded (the pointer is read once, so a version activated meanwhile is not half read)."""
    version = store.current_version()
    folder = store.versions / version
    manifest = store.manifest(version)
    check_compatible(manifest, model, tokenizer, folder)
    verify_files(folder, manifest)
    try:
        records = read_records(folder)
        units = np.load(folder / "units.npz")
        lexical = {name: BM25Index.load(folder, f"bm25-{name}") for name in LEXICAL}
        dense = FaissVectorIndex.load(folder / "dense.faiss")
        learned = Learned.read(folder)
        kana = KanaReadings.load(folder, city_wording(records, learned), lexical["answer"])
        neighbours = TermNeighbours.load(folder)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise CorruptIndexError(f"{folder} is incomplete or damaged ({exc}); rebuild the index") from exc
    if len(records) != manifest["counts"]["records"] or dense.size != len(units["record"]):
        raise CorruptIndexError(f"{folder}: file sizes disagree with the manifest; rebuild the index")
    verify_records(folder, manifest, records)
    return KnowledgeIndex(manifest, records, units["record"], units["field"], lexical, dense, kana, learned,
                          neighbours)
