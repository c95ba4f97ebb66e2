"""Players: people who take a practitioner's decisions in place of its rule (ODD §7.13).

In a class game (play mode) a student takes a practitioner's seat. When a commissioner presses
that practitioner's contract, or a tender is offered to it, the market describes the situation in
a `Dilemma` or an `Offer` and asks the seated `Player`; a player that answers ``None`` (no
answer in time, or nobody in the seat) leaves the decision to the model's own rule. The random
draws of the rule are made all the same, so a run with players shares its random numbers with the
run of the same seed without them (ODD §4) and the rule's own choice can be shown beside the
person's in a debrief.

Nothing here knows how the person is reached: the app implements `Player`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Dilemma:
    """One decision a pressed practitioner faces, in the terms a person needs to take it.

    `stage` is ``"respond"`` for the first response to a pressure episode (ODD §7.4: comply,
    negotiate, push back, threaten to withdraw, withdraw), ``"escalated"`` once the commissioner
    threatens not to pay (concede, hold, withdraw) and ``"insisted"`` once it insists on a method
    (concede, withdraw). `rule_choice` is what the model's rule picks with this episode's draw;
    `probabilities` are the rule's chances of each option, in the order of `options`.
    """

    step: int
    stage: str
    practitioner: int
    practitioner_kind: str
    contract: int
    commissioner: int
    commissioner_kind: str
    commissioner_level: str
    pressure: str
    phase: str
    integrity_at_stake: float
    price: float
    funded_by_commissioner: bool
    reserves: float
    runway_months: float
    reputation: float
    has_safety_net: bool
    last_time: str
    options: tuple[str, ...]
    probabilities: tuple[float, ...]
    rule_choice: str


@dataclass(frozen=True)
class Offer:
    """A tender a practitioner is offered (ODD §7.2): whether to bid is its decision.

    `red_flags` is the commissioner's hazard as this practitioner reads it (0 none, 1 many);
    `rule_choice` is whether the model's screening rule would bid.
    """

    step: int
    practitioner: int
    practitioner_kind: str
    commissioner: int
    commissioner_kind: str
    commissioner_level: str
    budget: float
    red_flags: float
    reserves: float
    runway_months: float
    last_time: str
    rule_choice: bool


class Player(Protocol):
    """Someone who takes one practitioner's decisions; ``None`` leaves a decision to the rule."""

    def respond(self, dilemma: Dilemma) -> str | None: ...

    def bid(self, offer: Offer) -> bool | None: ...


def runway_months(cover: float, overhead: float) -> float:
    """Months the organisation could pay its overheads from reserves, grants and other income
    without this client; infinite when it has no overheads."""
    return cover / overhead if overhead > 0 else float("inf")


def last_time(trust: float | None) -> str:
    """What happened the last time this practitioner worked for this commissioner, in words."""
    if trust is None:
        return "never worked for them"
    if trust <= 0.0:
        return "walked out last time"
    if trust < 0.5:
        return "it went badly"
    return "it went well"
