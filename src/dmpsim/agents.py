"""The two kinds of agent: commissioners (public authorities) and practitioner organisations.

Agents hold state; the decisions they take are the pure functions in `procurement`, `contracts`
and `dynamics`, which the model calls with the state below. Derived quantities (anxiety, craft,
red-flag skill, financial security, dependence) are properties so that they always follow the
state they come from.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from .contracts import Contract

UNKNOWN_TRUST = 0.3
"""Trust between a commissioner and a practitioner that have not worked together."""


class Commissioner(mesa.Agent):
    """A public authority that commissions deliberative mini-publics.

    [P]: "most commissioning bodies have little experience of how they actually work"; "fear about
    public backlash related to mini-publics and their high political stakes, which can lead to
    attempts to control a process".
    """

    def __init__(
        self,
        model: mesa.Model,
        level: str,
        stakes: float,
        desire: float,
        honesty: float,
        transparency: float,
        wash: float,
        commitment: float,
        experience: float,
        budget_adequacy: float,
    ) -> None:
        super().__init__(model)
        self.level = level
        self.stakes = stakes
        self.desire = desire
        self.honesty = honesty
        self.transparency = transparency
        self.wash = wash
        self.commitment = commitment
        self.experience = experience
        self.budget_adequacy = budget_adequacy
        self.trust: dict[int, float] = {}
        self.busy = False
        self.last_experience_good: bool | None = None

    @property
    def anxiety(self) -> float:
        """Stakes felt by a body that does not yet know how mini-publics behave."""
        return self.stakes * math.exp(-self.experience / self.model.p.commissioners.anxiety_scale)

    @property
    def hazard(self) -> float:
        """How likely this body is to press a practitioner, in [0, 1] (hidden from practitioners)."""
        return min(
            1.0,
            0.30 * self.stakes
            + 0.20 * self.anxiety
            + 0.25 * self.desire
            + 0.15 * self.wash
            + 0.10 * (1.0 - self.transparency)
            + 0.15 * max(0.0, 1.0 - self.budget_adequacy),
        )

    def trust_in(self, practitioner: Practitioner) -> float:
        """Trust from working together, or the practitioner's familiarity before that."""
        return self.trust.get(practitioner.unique_id, practitioner.familiarity)


class Practitioner(mesa.Agent):
    """A practitioner organisation: independent non-profit, independent commercial, freelancer
    or large consulting/polling firm.

    [P]: "practitioners also vary in terms of their experience and reputation that can be leveraged
    to resist pressure"; "having an external backer or philanthropic funder gives practitioners a
    financial safety net".
    """

    def __init__(
        self,
        model: mesa.Model,
        kind: str,
        experience: float,
        reputation: float,
        values: float,
        openness: float,
        reserves: float,
        overhead: float,
        capacity: int,
        markup: float,
        government_dependence: float,
        other_income: float,
        safety_net_funding: float,
        learning: float = 1.0,
        tender_skill: float = 0.0,
        familiarity: float = UNKNOWN_TRUST,
    ) -> None:
        super().__init__(model)
        self.kind = kind
        self.experience = experience
        self.reputation = reputation
        self.values = values
        self.openness = openness
        self.reserves = reserves
        self.initial_reserves = reserves
        self.overhead = overhead
        self.capacity = capacity
        self.markup = markup
        self.government_dependence = government_dependence
        self.other_income = other_income
        self.safety_net_funding = safety_net_funding
        # Experience gained per process delivered: below 1 where DMPs are not the core business.
        self.learning = learning
        # How experienced its bids look on paper (bid teams), whatever its DMP experience.
        self.tender_skill = tender_skill
        # Commissioners' trust in it before working together (other government work).
        self.familiarity = familiarity
        self.active = True
        self.entered_step = model.steps
        self.exited_step: int | None = None
        self.contracts: list[Contract] = []
        self.lessons = 0.0
        self.pool_seen = 0.0
        self.memory: dict[int, float] = {}
        self.months_negative = 0
        # Career tallies for the per-practitioner table and patterns PT1 and PT3.
        self.delivered = 0
        self.won = 0
        self.episodes_met = 0
        self.withdrawals = 0
        self.threats = 0
        self.declines = 0
        self.income = 0.0

    @property
    def has_safety_net(self) -> bool:
        return self.safety_net_funding > 0

    @property
    def is_independent(self) -> bool:
        return self.kind != "large_firm"

    @property
    def load(self) -> int:
        return len(self.contracts)

    @property
    def craft(self) -> float:
        """Skill in designing and defending a process, from processes delivered, in [0, 1)."""
        return 1.0 - math.exp(-self.experience / self.model.p.integrity.experience_scale)

    @property
    def red_flag_skill(self) -> float:
        """Accuracy in reading red flags, learned from its own and the field's bad experiences."""
        return 1.0 - math.exp(-(self.lessons + self.pool_seen) / self.model.p.learning.lesson_scale)

    @property
    def security(self) -> float:
        """Financial runway: a year of reserves, grants and other income against a year of costs."""
        yearly_cost = 12.0 * self.overhead
        if yearly_cost <= 0:
            return 1.0
        cover = max(0.0, self.reserves) + 12.0 * (self.safety_net_funding + self.other_income)
        return min(1.0, cover / yearly_cost)

    @property
    def dependence(self) -> float:
        """What displeasing a government client puts at risk, in [0, 1].

        A large firm's dependence is its other government work; an independent's is its need for
        commissioned income, which a safety net eases.
        """
        return max(self.government_dependence, 1.0 - self.security)

    def trust_in(self, commissioner_id: int) -> float:
        return self.memory.get(commissioner_id, UNKNOWN_TRUST)
