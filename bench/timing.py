"""Timing one call at a time on a machine whose two cores are shared with other people's work.

Latency is taken as the CPU time the call spends (`time.process_time`): the code under test is
single-threaded (torch, FAISS and BLAS pinned to one thread), so on an idle core that is its wall time,
while on a busy machine wall time mostly measures the neighbours. Wall time is kept beside it. Each call
is repeated and the median kept, with a `fresh` hook run (untimed) before every repeat so that caches
meant for other things (Sudachi's line cache) cannot turn repeats into lookups. Python's garbage collector
is paused while a call is timed, as `timeit` does: when systems are timed in turn, a collection set off by
one system's allocations would otherwise land in whichever call happens to allocate next.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

REPEATS = 3
T = TypeVar("T")


def nothing() -> None:
    """The default `fresh` hook."""


def timed(call: Callable[[], T], fresh: Callable[[], None] = nothing,
          repeats: int = REPEATS) -> tuple[float, float, T]:
    """Median CPU and wall milliseconds of `repeats` calls, and the last call's result."""
    cpu, wall = [], []
    for _ in range(repeats):
        fresh()
        with collector_paused():
            started, started_cpu = time.perf_counter(), time.process_time()
            result = call()
            cpu.append((time.process_time() - started_cpu) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
    return statistics.median(cpu), statistics.median(wall), result


@contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection inside the block (as `timeit` times); the collector's state is restored."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(slots=True)
class Latencies:
    """Per-call milliseconds, CPU and wall."""

    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)

    def add(self, cpu: float, wall: float) -> None:
        """One call's times."""
        self.cpu.append(cpu)
        self.wall.append(wall)

    def p50(self) -> float:
        """Median CPU milliseconds."""
        return statistics.median(self.cpu)

    def p95(self, wall: bool = False) -> float:
        """95th percentile, CPU by default."""
        return float(np.percentile(self.wall if wall else self.cpu, 95))
