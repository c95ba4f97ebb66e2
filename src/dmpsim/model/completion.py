"""Completion (ODD §7.5, §7.6): what an episode costs the process, the integrity score, and the
chance that manipulation comes to light."""

from __future__ import annotations

import math
from typing import Any

GIVEN_IN = ("complied", "conceded")


def damage(outcome: str, stake: float, ip: Any) -> float:
    """Share of the pressed dimension lost, by how the episode ended (ODD §7.5).

    A demand met in full costs the integrity at stake (scaled by `damage_comply`); one met in
    part costs a share of it; one resisted costs nothing. `ip` is the integrity section.
    """
    if outcome in GIVEN_IN:
        return ip.damage_comply * stake
    if outcome == "settled":
        return ip.damage_settle * stake
    return 0.0


def craft_floor(craft: float, craft_weight: float) -> float:
    """Integrity a practitioner's craft secures on every dimension before any pressure."""
    return 1.0 - craft_weight * (1.0 - craft)


def integrity_score(dimensions: dict[str, float]) -> float:
    """The process's integrity: the geometric mean of its five dimensions (ODD §7.6).

    The OECD Good Practice Principles (2020) are each necessary, not a menu: a process whose
    report participants did not write, or whose outcome was engineered, has no integrity however
    well it was resourced. A geometric mean lets no dimension buy off another's collapse, as the
    UNDP's Human Development Index has done since 2010 for the same reason.
    """
    product = 1.0
    for value in dimensions.values():
        product *= max(0.0, value)
    return product ** (1.0 / len(dimensions)) if dimensions else math.nan


def discovery_chance(published: bool, transparency: float, oversight: bool, dp: Any) -> float:
    """Chance that manipulation of a process comes to light. `dp` is the discovery section."""
    chance = dp.base + (dp.transparency * transparency if published else 0.0)
    if oversight:
        chance += dp.oversight
    return min(1.0, chance)


def expected_discovery(transparency: float, mandate: bool, oversight: bool, dp: Any,
                       publication: bool = True) -> float:
    """Chance, as a practitioner sees it while pressed, that giving in would come to light.

    The report is published for sure under a transparency mandate, otherwise with the
    commissioner's transparency as chance; `discovery_chance` does the rest. With publication
    knocked out (ODD §7.12) nothing is published.
    """
    published = 0.0 if not publication else 1.0 if mandate else transparency
    return (published * discovery_chance(True, transparency, oversight, dp)
            + (1.0 - published) * discovery_chance(False, transparency, oversight, dp))
