"""What a write to the readings store did."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class WriteResult:
    """What one call to :meth:`ReadingStore.add` did."""

    inserted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    reasons: list[str] = field(default_factory=list)
    # Signal readings inserted per technology, and how many of them hold an NR RSRP.
    technologies: dict[str, int] = field(default_factory=dict)
    nr_values: int = 0

    @classmethod
    def total(cls, results: Iterable["WriteResult"]):
        """The sum of several calls' results (of several layers), as one ``cls``."""
        summed = cls()
        for result in results:
            summed.inserted += result.inserted
            summed.duplicates += result.duplicates
            summed.quarantined += result.quarantined
            summed.reasons += result.reasons
            for technology, n in result.technologies.items():
                summed.technologies[technology] = summed.technologies.get(technology, 0) + n
            summed.nr_values += result.nr_values
        return summed
