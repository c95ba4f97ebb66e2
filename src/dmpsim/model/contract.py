"""The contract: one commissioned process, from award to the response to its recommendations
(ODD §2.3), and the constants that tie each pressure type to a phase, a stake and a dimension."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .params import DIMENSIONS

PHASES = ("design_recruitment", "learning", "deliberation", "report")

PHASE_OF_PRESSURE = {
    "time_resources": 0,
    "method": 0,
    "secrecy": 0,
    "experts_information": 1,
    "stakeholder": 2,
    "outcome": 2,
    "report_content": 3,
}
"""The phase in which each kind of pressure arises: experts and information are chosen in the
learning phase, the report is written at the end."""

STAKE = {
    "time_resources": 0.35,
    "method": 0.8,
    "secrecy": 0.6,
    "experts_information": 0.7,
    "stakeholder": 0.5,
    "report_content": 0.9,
    "outcome": 1.0,
}
"""Integrity at stake in each kind of pressure, in [0, 1]: the share of the pressed dimension lost
when the demand is met in full (ODD §7.5). Demands on the outcome strike at the heart of a
mini-public: "it's not my job to engineer you an outcome" [P]; an unsuitable method is one where
"there was nothing that we could do to crawl back those integrity-based measures" [P]."""

DIMENSION_OF_PRESSURE = {
    "time_resources": ("adequacy",),
    "method": ("representativeness", "authorship"),
    "secrecy": ("transparency",),
    "experts_information": ("independence",),
    "stakeholder": ("independence",),
    "report_content": ("authorship",),
    "outcome": ("authorship", "independence"),
}
"""Which integrity dimension each pressure harms (OECD 2020 good-practice principles)."""


@dataclass(slots=True)
class Contract:
    """One commissioned process, from award to the response to its recommendations."""

    id: int
    commissioner: object
    lead: object
    level: str
    award_step: int
    duration: int
    price: float
    need: float
    funded_by_commissioner: bool
    rule: str
    commissioner_kind: str = ""
    honesty: float = 0.0
    trust_at_award: float = 0.0
    lead_reliant: bool = False
    partner: object | None = None
    freelancer: object | None = None
    clarity: bool = False
    reputation_at_award: float = 0.0
    experience_at_award: float = 0.0
    phase: int = -1
    status: str = "active"
    n_episodes: int = 0
    pre_empted: int = 0
    manipulated: bool = False
    refused: int = 0
    escalated: bool = False
    withheld: float = 0.0
    published: bool = False
    discovered: bool = False
    integrity: float = float("nan")
    dimensions: dict[str, float] = field(default_factory=lambda: dict.fromkeys(DIMENSIONS, 1.0))
    end_step: int | None = None
    response: str = "pending"
    row: int = -1
    # Its own random numbers (ODD §4): one uniform per pressure type, a stream for the replies,
    # and the draws of publication, discovery and follow-through.
    pressure_u: dict[str, float] = field(default_factory=dict)
    response_seed: int = 0
    _response_rng: random.Random | None = None
    discovery_u: tuple[float, float, float] = (0.0, 0.0, 0.0)
    # Chances of each pressure, by phase, worked out when the first phase begins (ODD §7.3).
    chances: tuple | None = None

    @property
    def response_rng(self) -> random.Random:
        """The stream of its replies, seeded at award; made at its first episode, since most
        contracts have none (seeding a generator costs as much as a month of the contract)."""
        if self._response_rng is None:
            self._response_rng = random.Random(self.response_seed)
        return self._response_rng

    def release_delivery_draws(self) -> None:
        """Let go of what only delivery reads (the replies' generator, the pressure chances)
        once the process has ended: a market keeps every contract for its tables, and a
        generator's state is 2.5 kB."""
        self._response_rng = None
        self.chances = None

    @property
    def team(self) -> list:
        return [m for m in (self.lead, self.partner, self.freelancer) if m is not None]

    @property
    def adequacy(self) -> float:
        """Resources relative to what an adequate design needs, capped at 1."""
        return min(1.0, self.price / self.need)

    def phase_at(self, step: int) -> int:
        return min(len(PHASES) - 1, (step - self.award_step) * len(PHASES) // self.duration)


