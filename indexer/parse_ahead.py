"""A second process that parses a build's lines from the last one back while the build parses from the first.

SudachiPy holds the GIL while it walks a line, so a thread cannot share the parsing; a process can. The
worker parses with the same splitter (dictionary, split mode, fields) and sends each line's units and reading
back in chunks; the build takes a line from the worker when it has arrived and parses it itself otherwise, so
it never waits and a worker that is slow, dead or never started changes nothing but the time. Once the build
meets the worker's lines, every line still ahead of it has arrived and the worker is stopped.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from indexer.sudachi import Morph, Parsed, SudachiSplitter, Unit, pieces, shared_splitter

# Fewer characters than this parse in-process: the worker needs 0.1-0.2 s to start and parses about 600,000
# characters a second, so a smaller build (the sample city: 75,000) would be done before it helped. The real
# city of 1,786 entries has 747,000.
MIN_CHARS = 250_000
WORKER = ["-m", "indexer.parse_ahead"]  # run with this interpreter
CHUNK = 64  # lines per message: small enough that little is parsed twice where the two sides meet
PlainUnit = tuple[tuple[str, str, str], tuple[tuple[str, str, str], ...]]
_new = tuple.__new__


@contextmanager
def parsed_ahead(texts: Iterable[str], fine_mode: str) -> Iterator[None]:
    """While the block runs, a worker parses these texts' lines (in the order the block will ask for them)
    for the shared splitter of this mode, if there are enough of them; its parses stay with the splitter until
    `forget_lines` or the next worker's. The worker starts first: it loads its dictionary while the lines are
    cut here."""
    from indexer.normalise import normalise_width  # not in the worker, which needs only Sudachi

    unique = list(dict.fromkeys(texts))
    try:
        ahead = ParseAhead(fine_mode) if sum(map(len, unique)) >= MIN_CHARS else None
    except OSError:
        ahead = None  # no interpreter to start (an embedded Python): this process parses alone
    if ahead is None:
        yield
        return
    shared_splitter(fine_mode).ahead = ahead
    try:
        ahead.send(list(dict.fromkeys(line for text in unique for line in pieces(normalise_width(text)))))
        yield
    finally:
        ahead.close()


class ParseAhead:
    """The worker and the lines it has sent; `get` is what the splitter asks before it parses a line."""

    def __init__(self, fine_mode: str) -> None:
        self._fine_mode, self._lines = fine_mode, list[str]()
        self._arrived, self._table = dict[str, Parsed](), list[Unit]()
        # the worker imports this madoguchi, wherever it was found, not another one on the path
        found_at = [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, found_at))}
        self._worker = subprocess.Popen([sys.executable, *WORKER], env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._reader = threading.Thread(target=self._talk, daemon=True)

    def send(self, lines: list[str]) -> None:
        """The lines to parse, in the order this process will ask for them."""
        self._lines = lines
        self._reader.start()

    def get(self, line: str) -> Parsed | None:
        """The worker's parse of a line, if it has arrived. The first one that has means the build reached the
        worker's lines (it asks in the order of `lines`): the rest have arrived too, so the worker stops."""
        found = self._arrived.get(line)
        if found is not None and self._worker.returncode is None:
            self.close()
        return found

    def close(self) -> None:
        """Stop the worker (what it has not sent yet, the build parsed itself) and wait for it."""
        if self._worker.returncode is None:
            self._worker.terminate()
            self._worker.wait()
        if self._reader.is_alive():
            self._reader.join()
        for pipe in (self._worker.stdin, self._worker.stdout):
            if pipe is not None and not pipe.closed:
                pipe.close()

    def _talk(self) -> None:
        """In a thread: the request would block until the worker has started, the answers until it sends."""
        sink, source = self._worker.stdin, self._worker.stdout
        assert sink is not None and source is not None
        try:
            with sink:
                pickle.dump((self._fine_mode, self._lines), sink, protocol=pickle.HIGHEST_PROTOCOL)
            with source:
                while True:
                    self._take(*pickle.load(source))
        except (EOFError, OSError, pickle.UnpicklingError, TypeError, ValueError, IndexError):
            return  # the worker finished, failed, was stopped or sent something else

    def _take(self, start: int, new: list[PlainUnit], rows: list[list[int]], readings: list[str]) -> None:
        table = self._table
        table.extend(_new(Unit, (_new(Morph, whole), tuple([_new(Morph, p) for p in parts])))
                     for whole, parts in new)
        lines = self._lines[start:start + len(rows)]
        for line, row, reading in zip(lines, rows, readings, strict=True):
            self._arrived[line] = (tuple(map(table.__getitem__, row)), reading)


def serve(source: BinaryIO, sink: BinaryIO) -> None:
    """The worker: parse the lines from the last one back, CHUNK at a time, and send each chunk at once."""
    fine_mode, lines = pickle.load(source)
    splitter, numbers = SudachiSplitter(fine_mode), dict[Unit, int]()
    for end in range(len(lines), 0, -CHUNK):
        start = max(0, end - CHUNK)
        chunk = (start, *_chunk(splitter, numbers, lines[start:end]))
        pickle.dump(chunk, sink, protocol=pickle.HIGHEST_PROTOCOL)
        sink.flush()


def _chunk(splitter: SudachiSplitter, numbers: dict[Unit, int],
           lines: list[str]) -> tuple[list[PlainUnit], list[list[int]], list[str]]:
    """The units first seen in these lines (as plain tuples), each line's units by number, and its reading:
    a unit is sent once, then named by its number."""
    new, rows, readings = list[PlainUnit](), list[list[int]](), list[str]()
    for line in lines:
        units, reading = splitter.parse(line)
        row = []
        for unit in units:
            if (number := numbers.get(unit)) is None:
                number = numbers[unit] = len(numbers)
                new.append((tuple(unit.whole), tuple(map(tuple, unit.parts))))  # type: ignore[arg-type]
            row.append(number)
        rows.append(row)
        readings.append(reading)
    return new, rows, readings


def main() -> None:
    """`python -m indexer.parse_ahead`: the answers go to the real stdout, anything printed to stderr; Ctrl-C
    is the build's to handle (it stops the worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sink, sys.stdout = sys.stdout.buffer, sys.stderr
    serve(sys.stdin.buffer, sink)


if __name__ == "__main__":
    main()
