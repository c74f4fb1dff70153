"""The department directory for 「担当課へ転送」: every department the knowledge base names, with its contact.

Built from the live index, so it follows what the city publishes: a department's contact is the one its
entries give most often. An agent who may not see staff entries gets a directory made without them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.records import Audience, Record


@dataclass(frozen=True, slots=True)
class Department:
    """One line of the directory."""

    name: str
    contact: str
    entries: int


def directory(records: Iterable[Record], audience: Audience) -> list[Department]:
    """Departments of the records this audience may see, sorted by name."""
    contacts: dict[str, Counter[str]] = defaultdict(Counter)
    for record in records:
        name = record.department.strip()
        if name and record.audience.visible_to(audience):
            contacts[name][record.contact.strip()] += 1
    found = [Department(name, _usual(counted), sum(counted.values())) for name, counted in contacts.items()]
    return sorted(found, key=lambda d: d.name)


def _usual(contacts: Counter[str]) -> str:
    """The contact given most often (a department's entries sometimes leave it out)."""
    given = [(n, c) for c, n in contacts.items() if c]
    return max(given)[1] if given else ""
