"""A static model's files read lean: the vocabulary as two small arrays, the vector table mapped, not copied.

A worker of a city's server holds the model once; the lighter it is held, the more workers and cities fit on a
small VM. chiVe's 480k-word vocabulary as a Python dict would be 130 MB per worker and its 24 MB table one
copy per worker; as sorted hashes and a read-only file mapping they are 6 MB and the pages questions touch,
shared by every worker through the page cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

VOCAB_FILE = "vocab.json"
# madoguchi's cache of a model's vocab.json, kept BESIDE the model folder:
LOOKUP_SUFFIX = ".vocab-lookup.npy"
# a file inside it would change the model's fingerprint, and so every index's match with it


def _word_key(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


class WordRows:
    """chiVe's 480k words → rows as two arrays, sorted 64-bit hashes of the words and their rows (8 MB),
    where a dict of them holds 130 MB in every worker of every server. No two words share a hash (checked
    when the arrays are made); a word outside the vocabulary matches one by chance with odds of 480k in
    2^64."""

    def __init__(self, keys: np.ndarray, rows: np.ndarray) -> None:
        self.keys, self.rows = keys, rows
        # an index build asks for the same words again and again
        self.get = lru_cache(maxsize=65_536)(self._find)

    def forget(self) -> None:
        """Drop the remembered look-ups (a benchmark times every question as new)."""
        self.get.cache_clear()

    def _find(self, word: str) -> int | None:
        key = _word_key(word)
        at = int(self.keys.searchsorted(np.uint64(key)))
        return int(self.rows[at]) if at < len(self.keys) and int(self.keys[at]) == key else None

    @classmethod
    def of(cls, vocab: dict[str, int]) -> WordRows | None:
        """The arrays for a vocabulary, or None in the (one in 10^8) case of two words with one hash."""
        keys = np.fromiter(map(_word_key, vocab), dtype=np.uint64, count=len(vocab))
        order = np.argsort(keys, kind="stable")
        keys, rows = keys[order], np.fromiter(vocab.values(), dtype=np.int32, count=len(vocab))[order]
        return None if bool(np.any(keys[1:] == keys[:-1])) else cls(keys, rows)


def word_rows(folder: Path) -> WordRows | dict[str, int]:
    """The vocabulary of a word-vector model, from madoguchi's cache of it when that is as new as vocab.json:
    parsing 10 MB of JSON and hashing it would be most of a cold `madoguchi ask`. The cache is one array (the
    stamp of vocab.json, the sorted hashes, their rows) mapped read-only: shared by every worker, and only
    the pages a look-up reads are resident."""
    source, cache = folder / VOCAB_FILE, folder.resolve().parent / (folder.resolve().name + LOOKUP_SUFFIX)
    stamp = np.array([source.stat().st_size, source.stat().st_mtime_ns], dtype=np.uint64)
    try:
        stored = np.load(cache, mmap_mode="r", allow_pickle=False)
        if stored.dtype == np.uint64 and stored.ndim == 1 and len(stored) % 2 == 0 and \
                np.array_equal(stored[:2], stamp):
            count = (len(stored) - 2) // 2
            return WordRows(stored[2:2 + count], stored[2 + count:])
    except (OSError, ValueError):
        pass
    vocab = json.loads(source.read_text(encoding="utf-8"))
    rows = WordRows.of(vocab)
    if rows is None:
        return vocab
    _save_quietly(cache, np.concatenate([stamp, rows.keys, rows.rows.astype(np.uint64)]))
    return rows


def _save_quietly(path: Path, array: np.ndarray) -> None:
    """Write atomically if the folder is writable; a read-only model folder only means no cache."""
    try:
        handle, staging = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as out:
            np.save(out, array)
        os.replace(staging, path)
    except OSError:
        Path(staging).unlink(missing_ok=True)


def mapped_table(path: Path, name: str = "embedding.weight") -> np.ndarray | None:
    """A float32 table of a safetensors file mapped read-only, not read: every worker shares the file's pages
    and only the rows questions use become resident (chiVe's whole table is 24 MB per worker). None if not
    float32."""
    with path.open("rb") as handle:
        size = int.from_bytes(handle.read(8), "little")
        entry = json.loads(handle.read(size)).get(name)
    if not entry or entry.get("dtype") != "F32" or sys.byteorder != "little":
        return None
    begin, _ = entry["data_offsets"]
    mapped = np.memmap(path, dtype=np.float32, mode="r", offset=8 + size + begin, shape=tuple(entry["shape"]))
    # the same pages; a plain array skips np.memmap's Python code on every row look-up
    return mapped.view(np.ndarray)
