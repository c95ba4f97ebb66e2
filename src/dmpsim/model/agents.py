"""The two kinds of agent: commissioners (public authorities) and practitioner organisations
(ODD §2.1, §2.2).

Agents hold state; the decisions they take are the pure functions of the rule modules, which the
market calls with the state below. Derived quantities (anxiety, craft, red-flag skill, financial
security, dependence) are methods so that they always follow the state they come from.
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from .contract import Contract
    from .streams import Streams

UNKNOWN_TRUST = 0.3
"""Trust between a commissioner and a practitioner that have not worked together (ODD §7.10)."""


class Commissioner(mesa.Agent):
    """A public authority that commissions deliberative mini-publics (ODD §2.1).

    [P]: "local councils, state or national governments, specific government departments, or
    legislative bodies"; "most commissioning bodies have little experience of how they actually
    work"; "fear about public backlash related to mini-publics and their high political stakes,
    which can lead to attempts to control a process".
    """

    def __init__(
        self,
        model: mesa.Model,
        kind: str,
        level: str,
        stakes: float,
        desire: float,
        honesty: float,
        transparency: float,
        wash: float,
        commitment: float,
        experience: float,
        budget_adequacy: float,
        index: int,
        streams: Streams,
    ) -> None:
        super().__init__(model)
        self.kind = kind
        self.level = level
        self.stakes = stakes
        self.desire = desire
        self.honesty = honesty
        self.transparency = transparency
        self.wash = wash
        self.commitment = commitment
        self.experience = experience
        self.budget_adequacy = budget_adequacy
        self.index = index  # its place in the market's arrays (busy, adopted, last experience)
        self.trust: dict[int, float] = {}
        self._run_streams = streams
        self._own_streams: tuple[random.Random, random.Random, random.Random] | None = None

    @property
    def streams(self) -> tuple[random.Random, random.Random, random.Random]:
        """Its own streams for the draws of its processes (ODD §4): pressure, replies, discovery."""
        if self._own_streams is None:
            self._own_streams = self._run_streams.for_commissioner(self.index)
        return self._own_streams

    @property
    def busy(self) -> bool:
        """Running a process now (one at a time)."""
        return bool(self.model.c_busy[self.index])

    @property
    def adopted(self) -> bool:
        """Uses mini-publics (ODD §7.1)."""
        return bool(self.model.c_adopted[self.index])

    def anxiety(self, anxiety_scale: float) -> float:
        """Stakes felt by a body that does not yet know how mini-publics behave (ODD §7.3)."""
        return self.stakes * math.exp(-self.experience / anxiety_scale)

    def hazard(self, anxiety: float, show_wash: bool = True, show_secrecy: bool = True) -> float:
        """How likely this body is to press a practitioner, in [0, 1] (hidden, ODD §7.2).

        The red flags of [P] are among its parts: low transparency ("Wanting practitioners or
        participants to sign a non-disclosure agreement") and participation-wash; a knocked-out
        red flag (ODD §7.12) is no signal at all.
        """
        return min(
            1.0,
            0.30 * self.stakes
            + 0.20 * anxiety
            + 0.25 * self.desire
            + (0.15 * self.wash if show_wash else 0.0)
            + (0.10 * (1.0 - self.transparency) if show_secrecy else 0.0)
            + 0.15 * max(0.0, 1.0 - self.budget_adequacy),
        )

    def trust_in(self, practitioner: Practitioner) -> float:
        """Trust from working together, or the practitioner's familiarity before that."""
        return self.trust.get(practitioner.unique_id, practitioner.familiarity)


class Practitioner(mesa.Agent):
    """A practitioner organisation: independent non-profit, independent commercial, freelancer
    or large consulting/polling firm (ODD §2.2).

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
        reserve_cap: float = math.inf,
        staff_turnover: float = 0.0,
    ) -> None:
        super().__init__(model)
        self.kind = kind
        self.experience = experience
        self.reputation = reputation
        self.values = values
        self.openness = openness
        self.reserves = reserves
        self.initial_reserves = reserves
        self.reserve_cap = reserve_cap
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
        self.staff_turnover = staff_turnover
        self.active = True
        self.entered_step = model.steps
        self.exited_step: int | None = None
        self.exit_reason = ""
        self.contracts: list[Contract] = []
        self.lessons = 0.0
        self.pool_seen = 0.0
        self.memory: dict[int, float] = {}
        self.months_negative = 0
        # Career tallies for the per-practitioner table and patterns PT1, PT3 and PT6.
        self.delivered = 0
        self.won = 0
        self.episodes_met = 0
        self.complied = 0
        self.withdrawals = 0
        self.threats = 0
        self.declines = 0
        self.income = 0.0

    @property
    def has_safety_net(self) -> bool:
        return self.safety_net_funding > 0

    @property
    def reliant(self) -> bool:
        """Lives on commissioned income alone: neither a funder nor other income (PT6)."""
        return self.safety_net_funding <= 0 and self.other_income <= 0

    @property
    def is_independent(self) -> bool:
        return self.kind != "large_firm"

    @property
    def load(self) -> int:
        return len(self.contracts)

    def craft(self, experience_scale: float) -> float:
        """Skill in designing and defending a process, from experience, in [0, 1) (ODD §7.6)."""
        return 1.0 - math.exp(-self.experience / experience_scale)

    def red_flag_skill(self, lesson_scale: float) -> float:
        """Accuracy in reading red flags, learned from its own and the field's bad experiences
        (ODD §7.2): "learned from negative experiences to both improve their practice and know
        what—and who—to avoid in the future" [P]."""
        return 1.0 - math.exp(-(self.lessons + self.pool_seen) / lesson_scale)

    @property
    def cover(self) -> float:
        """What it can live on for a year without this client: reserves, grants, other income."""
        return max(0.0, self.reserves) + 12.0 * (self.safety_net_funding + self.other_income)

    @property
    def security(self) -> float:
        """Financial runway: a year's cover against a year of overheads, capped at 1 (ODD §7.4)."""
        yearly_cost = 12.0 * self.overhead
        return 1.0 if yearly_cost <= 0 else min(1.0, self.cover / yearly_cost)

    def dependence(self, at_stake: float) -> float:
        """What refusing this client puts at risk, in [0, 1] (ODD §7.4, M3).

        `at_stake` is the money a refusal can cost: this payment and the future work from this
        commissioner and its peers. It is weighed against the year's cover: an organisation with
        neither a funder nor other income and thin reserves is exposed ("practitioners who rely on
        commissioned processes alone for income are in a more vulnerable position" [P]). A large
        firm's dependence is at least its other government work.
        """
        financial = at_stake / (at_stake + self.cover) if at_stake > 0 else 0.0
        return max(self.government_dependence, financial)

    def trust_in(self, commissioner_id: int) -> float:
        return self.memory.get(commissioner_id, UNKNOWN_TRUST)
