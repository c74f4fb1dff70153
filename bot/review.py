"""The review queue: questions the bot handled badly, grouped into clusters of the same need.

Two questions are the same need when ½·(cosine of their embeddings, centred) + ½·(overlap of their
search terms) reaches THRESHOLD, joined by average linkage. Centring removes the direction every
sentence vector of a mean-of-word-vectors model shares (raw cosines of unrelated questions sit
around 0.4); the term overlap keeps 「粗大ごみ」 and 「ごみの分別」 apart when their vectors are close.
THRESHOLD was chosen on the sample city (`python -m bench.review_clusters`, figures in BENCHMARKS.md):
the best B-cubed F1 on paraphrase pools among thresholds whose precision is ≥ 0.9 both there and on the
labelled queries (nearly all different needs), because merging two needs hides one from the editors
while splitting one only shows it twice. A held-out real city agrees (F1 0.761, best 0.770).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.engine import Bot
from bot.review_match import EXAMPLES, EntryMatch, entry_matches
from bot.store.insights import ReviewTurn
from bot.store.states import Channel, TurnDecision
from indexer.normalise import normalise_width

THRESHOLD = 0.40
DENSE_WEIGHT = 0.5

Encode = Callable[[list[str]], np.ndarray]


def centred(vectors: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Unit vectors after removing the model's common direction."""
    moved = np.asarray(vectors, dtype=np.float64) - np.asarray(centre, dtype=np.float64)
    return moved / np.maximum(np.linalg.norm(moved, axis=1, keepdims=True), 1e-9)


def term_overlap(terms: Sequence[frozenset[str]]) -> np.ndarray:
    """Jaccard similarity of every pair of term sets (sparse, so thousands of questions stay cheap)."""
    from scipy.sparse import csr_matrix  # the review queue only, not every worker

    vocabulary = {term: n for n, term in enumerate(sorted(set().union(*terms)))} if terms else {}
    rows = [i for i, found in enumerate(terms) for _ in found]
    columns = [vocabulary[t] for found in terms for t in found]
    incidence = csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(len(terms), max(len(vocabulary), 1)))
    shared = (incidence @ incidence.T).toarray()
    sizes = np.array([len(found) for found in terms], dtype=np.float64)
    union = sizes[:, None] + sizes[None, :] - shared
    return np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)


def similarity(vectors: np.ndarray, centre: np.ndarray, terms: Sequence[frozenset[str]]) -> np.ndarray:
    """How alike each pair of questions is, from 0 (unrelated) to 1 (the same words, the same meaning)."""
    unit = centred(vectors, centre)
    return DENSE_WEIGHT * (unit @ unit.T) + (1 - DENSE_WEIGHT) * term_overlap(terms)


def group(alike: np.ndarray, threshold: float = THRESHOLD) -> list[list[int]]:
    """Average-linkage clusters of a similarity matrix: biggest first, each led by its most central member."""
    count = len(alike)
    if count < 2:
        return [[0]] if count else []
    from scipy.cluster.hierarchy import fcluster, linkage  # the review queue only, not every worker
    from scipy.spatial.distance import squareform

    distance = np.clip(1.0 - (alike + alike.T) / 2, 0.0, None)
    np.fill_diagonal(distance, 0.0)
    labels = fcluster(linkage(squareform(distance, checks=False), "average"), t=1.0 - threshold,
                      criterion="distance")
    members: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        members.setdefault(int(label), []).append(index)
    ordered = [sorted(m, key=lambda i: (-alike[i, m].sum(), i)) for m in members.values()]
    return sorted(ordered, key=lambda m: (-len(m), m[0]))


def cluster_questions(texts: Sequence[str], vectors: np.ndarray, centre: np.ndarray,
                      terms: Sequence[frozenset[str]], threshold: float = THRESHOLD) -> list[list[int]]:
    """The pure core of the review queue: indices of `texts` grouped by need."""
    if len(texts) != len(vectors) or len(texts) != len(terms):
        raise ValueError("texts, vectors and terms must describe the same questions")
    return group(similarity(vectors, centre, terms), threshold) if len(texts) else []


def most_common(values: Sequence[str], fallback: str = "") -> str:
    """The most frequent non-empty value (first seen wins a tie), else `fallback`."""
    counted = Counter(v for v in values if v)
    return max(counted, key=lambda v: (counted[v], -values.index(v))) if counted else fallback


CHUNK = 128
SHOWN = 50
CENTRE_SAMPLE = 2000
REASONS: dict[str, str] = {TurnDecision.CLARIFY: "聞き返し", TurnDecision.ESCALATE: "引き継ぎ",
                           TurnDecision.FORWARD: "電話で転送"}
PHONE_UNRESOLVED = "電話で対応できず"  # as the desk's button 「対応できず」 and an escalation's reason
_CENTRES: dict[str, np.ndarray] = {}


@dataclass(frozen=True, slots=True)
class ReviewCluster:
    """Questions of one need, the most central first."""

    audience: str
    turns: tuple[ReviewTurn, ...]
    entry: EntryMatch | None
    department: str
    answered_by: EntryMatch | None = None

    @property
    def count(self) -> int:
        """How many times the need was asked in the period."""
        return len(self.turns)

    @property
    def examples(self) -> list[str]:
        """A few distinct wordings (masked, as stored), the most typical first."""
        return list(dict.fromkeys(t.question.strip() for t in self.turns))[:EXAMPLES]

    @property
    def reasons(self) -> dict[str, int]:
        """Why its questions are here: 聞き返し, 引き継ぎ, 低い信頼度, 👎."""
        counted = Counter(reason_of(t) for t in self.turns)
        return dict(counted.most_common())


def reason_of(turn: ReviewTurn) -> str:
    """Why one question is in the review queue, as editors read it; calls say they were calls."""
    if turn.unhelpful:
        return "👎"
    if turn.channel == Channel.PHONE and turn.decision == TurnDecision.ESCALATE:
        return PHONE_UNRESOLVED
    return REASONS.get(turn.decision, "低い信頼度")


def embed(bot: Bot, texts: Sequence[str]) -> tuple[np.ndarray, list[frozenset[str]]]:
    """Vectors and search terms, a chunk at a time so an answer needing the model waits at most one chunk."""
    runtime = bot.runtime  # one index version's model and normaliser throughout
    vectors: list[np.ndarray] = []
    terms: list[frozenset[str]] = []
    for start in range(0, len(texts), CHUNK):
        chunk = [normalise_width(t) for t in texts[start:start + CHUNK]]
        vectors.append(runtime.embedder.encode_queries(chunk))
        terms.extend(frozenset(runtime.normaliser.run(t).search_terms) for t in chunk)
    return (np.vstack(vectors) if vectors else np.zeros((0, 1), dtype=np.float32)), terms


def common_direction(bot: Bot) -> np.ndarray:
    """Mean query vector of the index's own questions, computed once per index version."""
    records = bot.runtime.index.records
    version = str(bot.runtime.index.manifest.get("version", ""))
    if version not in _CENTRES:
        step = max(1, len(records) // CENTRE_SAMPLE)
        vectors, _ = embed(bot, [r.question for r in records[::step]])
        _CENTRES.clear()
        _CENTRES[version] = vectors.mean(axis=0)
    return _CENTRES[version]


def suggested_department(bot: Bot, turns: Sequence[ReviewTurn], entry: EntryMatch | None) -> str:
    """The department most of the questions' best candidates belong to; the nearest entry's wins a tie."""
    departments = [entry.department] if entry else []
    for turn in turns:
        record = bot.runtime.index.record(str(turn.candidates[0].get("id"))) if turn.candidates else None
        departments.append(record.department if record else "")
    return most_common(departments)


def grouped_turns(bot: Bot, turns: Sequence[ReviewTurn],
                  threshold: float = THRESHOLD) -> list[tuple[str, tuple[ReviewTurn, ...]]]:
    """(audience, questions) per need, biggest first; each audience apart, so a resident's need never
    lands on a staff entry."""
    found: list[tuple[str, tuple[ReviewTurn, ...]]] = []
    for audience in sorted({t.audience for t in turns}):
        members = [t for t in turns if t.audience == audience]
        texts = [t.question for t in members]
        vectors, terms = embed(bot, texts)
        for indices in cluster_questions(texts, vectors, common_direction(bot), terms, threshold):
            found.append((audience, tuple(members[i] for i in indices)))
    return sorted(found, key=lambda pair: -len(pair[1]))


def review_clusters(bot: Bot, turns: Sequence[ReviewTurn], limit: int = SHOWN,
                    threshold: float = THRESHOLD) -> list[ReviewCluster]:
    """The `limit` biggest clusters with their nearest entry and department (looking entries up is the
    slow part: one ranking per cluster), those the bot already answers last among equals."""
    clusters = []
    for audience, grouped in grouped_turns(bot, turns, threshold)[:limit]:
        channel = most_common([t.channel for t in grouped], "default")
        entry, answered = entry_matches(bot, grouped, audience, channel)
        clusters.append(ReviewCluster(audience, grouped, entry, suggested_department(bot, grouped, entry),
                                      answered))
    return sorted(clusters, key=lambda c: (c.answered_by is not None, -c.count,
                                           c.entry is not None and c.entry.answers_now))
