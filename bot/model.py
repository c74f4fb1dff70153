"""The learned part of answering: fusion weights, two confidence models and default thresholds.

Stored as one JSON file so that `madoguchi train` and `madoguchi tune` produce something a city can
review, version and roll back. The two defaults shipped with madoguchi were learned on the sample city's
labelled queries (README, 「判定の学習としきい値」): one as its entries are written, with alternative
questions, and one as if they carried none. A city answers with the one learned on entries like its own
(`shipped_model_file`): the confidence models read the top entry's best match over its fields, on the sample
city mostly an alternative question, and on a city that writes none the model learned with them was too unsure
to answer directly (BENCHMARKS.md, 2026-12-05).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.features import CANDIDATE_FEATURES, QUERY_FEATURES
from bot.logistic import Logistic
from knowledge.core.errors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from knowledge.core.settings import Settings
    from knowledge.records import Record

log = logging.getLogger("madoguchi.bot")
DEFAULT_MODEL_FILE = Path(__file__).resolve().parent / "default_model.json"
WITHOUT_ALTERNATIVES_MODEL_FILE = Path(__file__).resolve().parent / "default_model_without_alternatives.json"
ALTERNATIVES_SHARE = 0.5  # a city writes alternative questions when at least half its FAQ entries carry some


def writes_alternatives(records: Sequence[Record]) -> bool:
    """Whether most of the city's FAQ entries carry alternative questions (a city of manuals alone counts as
    one that writes none)."""
    entries = [r for r in records if r.kind == "faq"]
    return bool(entries) and sum(bool(r.paraphrases) for r in entries) >= ALTERNATIVES_SHARE * len(entries)


def shipped_model_file(records: Sequence[Record]) -> Path:
    """The shipped model learned on entries like these: with alternative questions, or without."""
    return DEFAULT_MODEL_FILE if writes_alternatives(records) else WITHOUT_ALTERNATIVES_MODEL_FILE


def serving_model(settings: Settings, learned: dict[str, Any] | None, version: str,
                  records: Sequence[Record]) -> tuple[DecisionModel, str]:
    """The decision model that answers over an index version, and its name for `madoguchi index info`:
    MADOGUCHI_DECISION_MODEL when set; else the model `madoguchi learn` stored in the version; else the
    shipped one for entries like the city's. A stored model this madoguchi cannot read is logged, not
    fatal."""
    if chosen := settings.decision_model:
        return DecisionModel.load(chosen), f"MADOGUCHI_DECISION_MODEL: {chosen}"
    unread = ""
    if learned is not None:
        try:
            return (DecisionModel.from_json(learned, f"of index version {version}"),
                    "learned by madoguchi learn, stored in the index version")
        except ConfigurationError as exc:
            log.warning("%s; answering with the shipped model", exc)
            unread = f" (the model madoguchi learn stored cannot be used: {exc})"
    shipped = shipped_model_file(records)
    return DecisionModel.load(shipped), f"shipped: {shipped.name}{unread}"


@dataclass(slots=True)
class Thresholds:
    """answer when P(top 1 right) ≥ answer; otherwise clarify when P(right one in top 3) ≥ clarify."""

    answer: float = 0.8
    clarify: float = 0.5


@dataclass(slots=True)
class DecisionModel:
    """Ranker (fusion), `top1` and `top3` confidence models, and the thresholds tuned with them."""

    ranker: Logistic
    top1: Logistic
    top3: Logistic
    thresholds: Thresholds = field(default_factory=Thresholds)
    trained_on: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Everything, with feature names so a file from another version is refused, not misread."""
        return {"candidate_features": list(CANDIDATE_FEATURES), "query_features": list(QUERY_FEATURES),
                "ranker": self.ranker.to_json(), "top1": self.top1.to_json(), "top3": self.top3.to_json(),
                "thresholds": {"answer": self.thresholds.answer, "clarify": self.thresholds.clarify},
                "trained_on": self.trained_on}

    def save(self, path: Path) -> None:
        """Write the model file (replacing atomically)."""
        staging = path.with_suffix(".tmp")
        staging.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
        staging.replace(path)

    @classmethod
    def load(cls, path: Path) -> DecisionModel:
        """Read a model file, refusing one made for other features."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigurationError(f"decision model {path} cannot be read ({exc})") from exc
        return cls.from_json(data, str(path))

    @classmethod
    def from_json(cls, data: dict[str, Any], where: str) -> DecisionModel:
        """Inverse of :meth:`to_json`; `where` names the file or index version in the error."""
        if data.get("candidate_features") != list(CANDIDATE_FEATURES) or \
                data.get("query_features") != list(QUERY_FEATURES):
            raise ConfigurationError(f"decision model {where} was trained for other features; retrain it "
                                     "with madoguchi train --labelled FILE")
        try:
            return cls(Logistic.from_json(data["ranker"]), Logistic.from_json(data["top1"]),
                       Logistic.from_json(data["top3"]), Thresholds(**data["thresholds"]),
                       data.get("trained_on", {}))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigurationError(f"decision model {where} is incomplete ({exc})") from exc
