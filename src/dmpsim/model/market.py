"""DMPMarket: the market for deliberative mini-publics, one step a month.

`DMPMarket.step` is the schedule of ODD §3, one call per line. The decision rules it calls are
the pure functions of `demand`, `procurement`, `pressure`, `response`, `completion`,
`confidence` and `dynamics`, one module per ODD §7 submodel; docs/ODD.md gives their equations.
"""

from __future__ import annotations

import math
import numbers
from collections import Counter, deque
from typing import Any

import mesa
import numpy as np
from scipy.special import betaincinv

from ..errors import InputError
from . import completion, confidence, demand, dynamics, observation, pressure, procurement
from . import response as ladder
from .agents import Commissioner, Practitioner
from .contract import DIMENSION_OF_PRESSURE, PHASE_OF_PRESSURE, PHASES, STAKE, Contract
from .params import (
    CONTROL_PRESSURES,
    DIMENSIONS,
    INDEPENDENT_KINDS,
    LEVELS,
    PRESSURE_TYPES,
    RESPONSES,
    build_params,
    resolve,
)
from .players import Dilemma, Offer, Player, last_time, runway_months
from .series import MarketSeries
from .streams import Streams

EFFICIENCY_SD = 0.08
"""Spread of a bidder's efficiency on this tender: its price is cost x markup x exp(N(0, sd))
(ODD §7.2); an assumption, a few per cent either way."""

# Which mechanism switch (ODD §7.12) removes each pressure type.
PRESSURE_SWITCH = {
    "time_resources": "time_pressure",
    "method": "method_insistence",
    "experts_information": "experts_pressure",
    "secrecy": "secrecy",
    "report_content": "output_pressure",
    "outcome": "output_pressure",
    "stakeholder": "stakeholders",
}


def _beta(rng: np.random.Generator, mean: float, size: int, concentration: float = 6.0) -> np.ndarray:
    """Beta draws with the given mean; degenerate means give constants."""
    if mean <= 0.0 or mean >= 1.0:
        return np.full(size, float(min(1.0, max(0.0, mean))))
    return rng.beta(mean * concentration, (1.0 - mean) * concentration, size)


def _check_seed(rng: Any) -> Any:
    if rng is None or isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and int(rng) >= 0:
        return int(rng)
    raise InputError(f"expected a whole number >= 0 or a numpy Generator, got {rng!r}", key="rng")


class DMPMarket(mesa.Model):
    """The market for deliberative mini-publics.

    Args:
        parameters: dotted-key parameter values (``{"procurement.rule": "price"}``) over the
            defaults; a scenario file's values and any overrides, already merged. Keyword
            arguments are added to them, so ``DMPMarket(**{"procurement.rule": "price"})`` and
            ``mesa.batch_run`` both work.
        rng: seed (a whole number) or numpy generator; every random draw of the run comes from
            the streams spawned from it (ODD §4).
    """

    def __init__(self, parameters: dict[str, Any] | None = None, *, rng: Any = None,
                 **more_parameters: Any) -> None:
        if parameters is not None and not isinstance(parameters, dict):
            raise InputError(f"expected a dict of dotted-key values, got {parameters!r}",
                             key="parameters")
        seed = _check_seed(rng)
        super().__init__(rng=seed)
        values = resolve({**(parameters or {}), **more_parameters})
        self.values = values
        self.p = build_params(values)
        self.mech = self.p.mechanisms
        # The pressures that can arise in this run: (kind, base rate, phase, is control), ODD §7.3.
        # Method demands stay when insistence is knocked out (§7.12); they are negotiated instead.
        self.pressure_kinds = [(kind, getattr(self.p.pressure, kind), PHASE_OF_PRESSURE[kind],
                                kind in CONTROL_PRESSURES) for kind in PRESSURE_TYPES
                               if kind == "method" or getattr(self.mech, PRESSURE_SWITCH[kind])]
        self.streams = Streams(seed, commissioners=self.p.market.n_commissioners)
        self.confidence = self.p.confidence.initial
        self.pool = 0.0
        self.next_contract_id = 0
        self.large_firms_entered = False
        self.active_contracts: list[Contract] = []
        # (month due, contract), in the order due: the delay is the same for every contract.
        self.pending_responses: deque[tuple[int, Contract]] = deque()
        self.contract_rows: list[dict[str, Any]] = []
        self.episode_rows: list[tuple] = []
        self.practitioner_rows: list[dict[str, Any]] = []
        self.all_contracts: list[Contract] = []
        self.unmet = deque([0] * 12, maxlen=12)
        self.awards_by_kind = deque([Counter() for _ in range(12)], maxlen=12)
        self.awards_by_org = deque([Counter() for _ in range(12)], maxlen=12)
        self.bidders_per_tender = 0.0
        self.ledger = Counter()
        self.exits = 0
        self.entries = 0
        self.tenders_total = 0
        self.month: Counter = Counter()
        self.practitioners: list[Practitioner] = []
        self.practitioner_by_id: dict[int, Practitioner] = {}
        # People in practitioners' seats (play mode, ODD §7.13), by practitioner id.
        self.players: dict[int, Player] = {}
        self._create_commissioners()
        for kind in INDEPENDENT_KINDS:
            self._create_practitioners(kind, getattr(self.p.practitioners, kind).count)
        self.datacollector = MarketSeries()
        self.running = True

    # -- set-up (ODD §5) ---------------------------------------------------------------------

    def _create_commissioners(self) -> None:
        c, m, kinds = self.p.commissioners, self.p.market, self.p.commissioner_kinds
        rng = self.streams.market.numpy
        n = m.n_commissioners
        shares = [m.share_local, m.share_regional, m.share_national]
        shares.append(max(0.0, 1.0 - sum(shares)))
        levels = rng.choice(len(LEVELS), size=n, p=np.array(shares) / sum(shares))
        kind_u = rng.random(n)
        stakes_mean = np.array([getattr(c, f"stakes_{lv}") for lv in LEVELS])[levels]
        stakes = np.array([_beta(rng, s, 1)[0] for s in stakes_mean])
        # Traits are drawn around the kind's mean: the overall mean shifted by the kind (M1).
        base = {"desire_for_outcome": c.desire_for_outcome, "honesty": c.honesty,
                "transparency": c.transparency, "commitment": c.commitment}
        draws = {trait: rng.random(n) for trait in base}
        kind_names = [_commissioner_kind(LEVELS[levels[i]], kind_u[i], kinds) for i in range(n)]
        traits = {}
        for trait, mean in base.items():
            shifts = np.array([getattr(getattr(kinds, k), trait) for k in kind_names])
            if not self.mech.commissioner_kinds:
                shifts[:] = 0.0
            traits[trait] = _beta_quantiles(np.clip(mean + shifts, 0.02, 0.98), draws[trait])
        wash = _beta(rng, c.participation_wash, n)
        experience = rng.poisson(c.experience, n) + self.p.governance.capacity_building
        adequacy = np.clip(rng.normal(c.budget_adequacy, c.budget_adequacy_sd, n), 0.3, 3.0)
        adopted = rng.random(n) < c.initial_adopters
        self.commissioners: list[Commissioner] = []
        for i in range(n):
            body = Commissioner(
                self, kind_names[i], LEVELS[levels[i]], float(stakes[i]),
                float(traits["desire_for_outcome"][i]), float(traits["honesty"][i]),
                float(traits["transparency"][i]), float(wash[i]), float(traits["commitment"][i]),
                float(experience[i]), float(adequacy[i]), i, self.streams,
            )
            self.commissioners.append(body)
        self.level_index = levels
        self.level_sizes = np.bincount(levels, minlength=len(LEVELS))
        self.c_busy = np.zeros(n, dtype=bool)
        self.c_adopted = adopted.copy()
        self.c_last = np.zeros(n, dtype=np.int8)  # +1 last process went well, -1 badly, 0 none

    def _create_practitioners(self, kind: str, count: int, newcomer: bool = False) -> list[Practitioner]:
        k = getattr(self.p.practitioners, kind)
        rng, scalar = self.streams.market.numpy, self.streams.market.scalar
        made = []
        for _ in range(count):
            funded = scalar.random() < k.safety_net_share
            experience = float(rng.poisson(1.0 if newcomer else k.experience))
            reputation = 0.4 if newcomer else float(_beta(rng, k.reputation, 1, 10.0)[0])
            p = Practitioner(
                self, kind, experience=experience, reputation=reputation,
                values=float(_beta(rng, k.values, 1, 10.0)[0]),
                openness=float(_beta(rng, k.openness, 1, 6.0)[0]),
                reserves=k.reserves_months * k.overhead, overhead=k.overhead,
                capacity=k.capacity, markup=k.markup,
                government_dependence=k.government_dependence, other_income=k.other_income,
                # With the safety net knocked out (ODD §7.12) no organisation has a funder.
                safety_net_funding=k.safety_net_funding if funded and self.mech.safety_net else 0.0,
                learning=k.learning, tender_skill=k.tender_skill, familiarity=k.familiarity,
                reserve_cap=k.reserve_cap_months * k.overhead, staff_turnover=k.staff_turnover,
            )
            self.practitioners.append(p)
            self.practitioner_by_id[p.unique_id] = p
            made.append(p)
        return made

    def seat(self, practitioner_id: int, player: Player | None) -> None:
        """Put a person in a practitioner's seat (ODD §7.13), or with None give it back to the rule."""
        if practitioner_id not in self.practitioner_by_id:
            raise InputError(f"no practitioner with id {practitioner_id}", key="practitioner_id")
        if player is None:
            self.players.pop(practitioner_id, None)
        else:
            self.players[practitioner_id] = player

    # -- the schedule (ODD §3) ---------------------------------------------------------------

    def step(self) -> None:
        self.open_month()                   # §3   this month's tallies and award windows
        self.adopt()                        # §7.1 bodies take up mini-publics (the wave)
        tenders = self.commission()         # §7.1 bodies decide to commission
        self.procure(tenders)               # §7.2 tenders, screening, clarity up front
        self.deliver()                      # §7.3-7.6 phases, pressure, responses, completion
        self.respond_to_recommendations()   # §7.7 follow-through
        self.update_public_confidence()     # §7.8 public confidence
        self.settle_finances()              # §7.9 overheads, grants, other income, pay-outs
        self.turn_over_staff()              # §7.9 experience held by people fades
        self.learn_from_field()             # §7.9 the shared pool of lessons
        self.exit_and_enter()               # §7.9 exits, new independents
        self.large_firm_entry()             # §7.9 large firms enter when the scenario says
        self.observe()                      # §9   series, and the yearly practitioner rows

    def open_month(self) -> None:
        self.month = Counter()
        # This month's awards open the 12-month windows that shares and concentration read.
        self.awards_by_kind.append(Counter())
        self.awards_by_org.append(Counter())

    # §7.1 -------------------------------------------------------------------------------------

    def _peers(self) -> tuple[np.ndarray, np.ndarray]:
        """Per level: the share of bodies whose last process went well, and went badly."""
        sizes = np.maximum(1, self.level_sizes)
        good = np.bincount(self.level_index, weights=self.c_last == 1, minlength=len(LEVELS))
        bad = np.bincount(self.level_index, weights=self.c_last == -1, minlength=len(LEVELS))
        return good / sizes, bad / sizes

    def adopt(self) -> None:
        """Bodies that do not yet use mini-publics take them up (Bass diffusion)."""
        c = self.p.commissioners
        good, _bad = self._peers()
        u = self.streams.commissioning.numpy.random(len(self.commissioners))
        # The same for every body at a level: worked out per level, then given to each body.
        chance = demand.adoption_chance(c.innovation, c.imitation, good)[self.level_index]
        self.c_adopted |= u < chance

    def commission(self) -> list[Commissioner]:
        """Adopting commissioners decide whether to commission a process this month."""
        c, conf = self.p.commissioners, self.p.confidence
        good, bad = self._peers()
        felt = self.confidence if self.mech.confidence else conf.initial
        chance = demand.commission_chance(c.commission_rate, felt, conf.initial,
                                          conf.demand_elasticity, conf.wave_strength,
                                          good - bad)[self.level_index]
        u = self.streams.commissioning.numpy.random(len(self.commissioners))
        chosen = np.flatnonzero((u < chance) & self.c_adopted & ~self.c_busy)
        self.month["tenders"] = len(chosen)
        self.tenders_total += len(chosen)
        return [self.commissioners[i] for i in chosen]

    # §7.2 -------------------------------------------------------------------------------------

    def procure(self, tenders: list[Commissioner]) -> None:
        """Run each tender under the rule in force and sign the contract."""
        pr = self.p.procurement
        self.streams.procurement.scalar.shuffle(tenders)
        free = [p for p in self.practitioners if p.active and p.load < p.capacity]
        independents = [p for p in free if p.is_independent]
        firms = [p for p in free if not p.is_independent]
        freelancers = [p for p in free if p.kind == "freelancer"]
        bidder_counts = []
        for body in tenders:
            need = getattr(self.p.commissioners, f"cost_{body.level}")
            budget = need * body.budget_adequacy
            lead = self._direct_award(body) if pr.rule == "direct" else None
            partner = None
            if lead is None:
                bids = self._collect_bids(body, need, budget, independents, firms)
                bidder_counts.append(len(bids))
                lead, partner, price = self._award(bids, pr.rule)
            else:
                price = procurement.bid_price(need, budget, lead.markup, "direct", 0.0,
                                              self._efficiency())
            if lead is None:
                self.month["unmet"] += 1
                continue
            self._sign(body, lead, partner, price, need, freelancers)
        if bidder_counts:
            # Competition for tenders, in [0, 1], makes sharing lessons less likely.
            # Large firms bid on top of the independents who see a tender, hence the cap.
            self.bidders_per_tender = min(1.0, sum(bidder_counts) / len(bidder_counts)
                                          / max(1, pr.max_bidders))

    def _efficiency(self) -> float:
        return math.exp(self.streams.procurement.scalar.gauss(0.0, EFFICIENCY_SD))

    def _direct_award(self, body: Commissioner) -> Practitioner | None:
        best, best_trust = None, self.p.procurement.direct_trust
        for pid, trust in body.trust.items():
            if trust >= best_trust:
                p = self.practitioner_by_id[pid]
                if p.active and p.load < p.capacity:
                    best, best_trust = p, trust
        return best

    def _honesty_seen(self, body: Commissioner) -> float:
        """Honesty about the politics as it acts in the model: all of it when M13 is off."""
        return body.honesty if self.mech.hidden_politics else 1.0

    def _skill(self, p: Practitioner) -> float:
        return p.red_flag_skill(self.p.learning.lesson_scale)

    def _craft(self, p: Practitioner) -> float:
        return p.craft(self.p.integrity.experience_scale)

    def _anxiety(self, body: Commissioner) -> float:
        return body.anxiety(self.p.commissioners.anxiety_scale) if self.mech.anxiety else 0.0

    def _collect_bids(self, body: Commissioner, need: float, budget: float,
                      independents: list[Practitioner], firms: list[Practitioner]) -> list[procurement.Bid]:
        pr, sc, mech = self.p.procurement, self.p.screening, self.mech
        lesson_scale, experience_scale = self.p.learning.lesson_scale, self.p.integrity.experience_scale
        draw = self.streams.procurement.scalar
        # Bound once: this loop runs for every bidder of every tender (ODD §7.2).
        gauss, perceived_hazard, will_bid, bid_price = (draw.gauss, procurement.perceived_hazard,
                                                        procurement.will_bid, procurement.bid_price)
        seen = draw.sample(independents, min(pr.max_bidders, len(independents)))
        if firms:
            bid_rate = self.p.large_firms.bid_rate
            seen += [f for f in firms if draw.random() < bid_rate]
        hazard = body.hazard(self._anxiety(body), show_wash=mech.participation_wash,
                             show_secrecy=mech.secrecy)
        honesty = self._honesty_seen(body)
        local = body.level == "local"
        players, body_id = self.players, body.unique_id
        rule, shading, signal_noise, judgement_noise = (pr.rule, pr.price_shading, sc.signal_noise,
                                                        pr.evaluation_noise)
        bids = []
        for p in seen:
            noise = gauss(0.0, signal_noise)
            if len(p.contracts) >= p.capacity or (not local and p.kind == "freelancer"):
                continue
            seated = bool(players) and p.unique_id in players
            if mech.screening:
                perceived = perceived_hazard(hazard, honesty, p.red_flag_skill(lesson_scale), noise)
                # Only a commissioner it has worked for can be remembered badly.
                remembered = p.memory.get(body_id, 1.0) if mech.learning else 1.0
                security = p.security if mech.income_reliance else 1.0
                bidding = will_bid(perceived, security, remembered, sc)
                if seated:
                    bidding = self._ask_bid(p, body, budget, perceived, bidding)
            elif seated:
                bidding = self._ask_bid(p, body, budget, perceived_hazard(
                    hazard, honesty, p.red_flag_skill(lesson_scale), noise), True)
            else:
                bidding = True
            if not bidding:
                p.declines += 1
                self.month["declines"] += 1
                continue
            price = bid_price(need, budget, p.markup, rule, shading,
                              math.exp(gauss(0.0, EFFICIENCY_SD)))
            on_paper = max(p.craft(experience_scale), p.tender_skill)
            # Past performance with this body counts beside standing in the field (Spagnolo 2012).
            seen_reputation = 0.5 * p.reputation + 0.5 * body.trust_in(p)
            bids.append(procurement.Bid(p, price, on_paper, seen_reputation, p.experience,
                                        gauss(0.0, judgement_noise)))
        return bids

    def _award(self, bids: list[procurement.Bid], rule: str):
        pr = self.p.procurement
        draw = self.streams.procurement.scalar
        scoring = "price" if rule == "price" else "quality"
        remaining = list(bids)
        while remaining:
            best = procurement.winner(remaining, scoring, weight_price=pr.weight_price,
                                      weight_experience=pr.weight_experience,
                                      weight_reputation=pr.weight_reputation,
                                      tie_breaks=[draw.random() for _ in remaining])
            if rule != "consortium" or best.experience >= pr.consortium_experience:
                return best.practitioner, None, best.price
            partner = self._consortium_partner(best.practitioner, remaining)
            if partner is not None:
                return best.practitioner, partner, best.price
            remaining.remove(best)
        return None, None, 0.0

    def _consortium_partner(self, lead: Practitioner, bids: list[procurement.Bid]) -> Practitioner | None:
        """An experienced independent with room, preferring those that bid for this tender."""
        threshold = self.p.procurement.consortium_experience
        pool = [b.practitioner for b in bids] + self.streams.procurement.scalar.sample(
            self.practitioners, min(10, len(self.practitioners)))
        for p in pool:
            if (p is not lead and p.active and p.is_independent and p.kind != "freelancer"
                    and p.experience >= threshold and p.load < p.capacity):
                return p
        return None

    def _sign(self, body: Commissioner, lead: Practitioner, partner: Practitioner | None,
              price: float, need: float, freelancers: list[Practitioner]) -> None:
        pr, gov = self.p.procurement, self.p.governance
        draw = self.streams.procurement.scalar
        funded_by_commissioner = draw.random() >= gov.separate_funder_share
        contract = Contract(
            id=self.next_contract_id, commissioner=body, lead=lead, level=body.level,
            award_step=self.steps, duration=self.p.commissioners.duration, price=price, need=need,
            funded_by_commissioner=funded_by_commissioner, rule=pr.rule,
            commissioner_kind=body.kind, honesty=body.honesty, trust_at_award=body.trust_in(lead),
            lead_reliant=lead.reliant, partner=partner, reputation_at_award=lead.reputation,
            experience_at_award=lead.experience,
        )
        self.next_contract_id += 1
        if lead.kind != "freelancer":
            rate = 1.0 if not lead.is_independent else pr.subcontract_rate
            if freelancers and draw.random() < rate:
                choice = draw.choice(freelancers)
                if choice.active and choice.load < choice.capacity:
                    contract.freelancer = choice
        # This commissioner's k-th process draws the same numbers whoever runs it (ODD §4).
        pressure_stream, response_stream, discovery_stream = body.streams
        clarity_u = pressure_stream.random()
        contract.pressure_u = {kind: pressure_stream.random() for kind in PRESSURE_TYPES}
        contract.response_seed = response_stream.getrandbits(64)
        contract.discovery_u = (discovery_stream.random(), discovery_stream.random(),
                                discovery_stream.random())
        # Step 3 of ODD §3: roles, terms and conditions settled up front.
        if self.mech.clarity:
            skill = max(self._skill(m) for m in (lead, partner) if m is not None)
            contract.clarity = clarity_u < pressure.clarity_chance(
                skill, self._honesty_seen(body), body.experience, self.p.learning.clarity_max)
        for member in contract.team:
            member.contracts.append(contract)
        lead.won += 1
        self.c_busy[body.index] = True
        self.active_contracts.append(contract)
        self.all_contracts.append(contract)
        self.awards_by_kind[-1][lead.kind] += price
        self.awards_by_org[-1][lead.unique_id] += price
        self.month["awarded"] += 1
        self.month[f"awarded_{lead.kind}"] += 1
        self.month[f"value_{lead.kind}"] += price

    # §7.3-7.6 ---------------------------------------------------------------------------------

    def deliver(self) -> None:
        """Move each running process through its phases; pressure arises phase by phase."""
        still_running = []
        share, step = self.p.market.delivery_cost_share, self.steps
        for contract in self.active_contracts:
            # The lead pays for delivery as the process runs; payment comes at the end.
            cost = share * min(contract.price, contract.need) / contract.duration
            contract.lead.reserves -= cost
            self.ledger["delivery_costs"] += cost
            target = contract.phase_at(step)
            while contract.phase < target and contract.status == "active":
                contract.phase += 1
                self._phase(contract)
            if contract.status == "active" and step >= contract.award_step + contract.duration - 1:
                self._complete(contract)
            if contract.status == "active":
                still_running.append(contract)
        self.active_contracts = still_running

    def _phase(self, contract: Contract) -> None:
        """§7.3: the pressures of this phase arise, or are headed off, or do not."""
        if contract.chances is None:
            contract.chances = self._pressure_chances(contract)
        lead, partner = contract.lead, contract.partner
        skill = self._skill(lead) if partner is None else max(self._skill(lead), self._skill(partner))
        pre_empt = self.p.pressure.pre_empt
        for kind, chance, control in contract.chances[contract.phase]:
            headed_off = pressure.heads_off(chance, skill, pre_empt) if control else 0.0
            u = contract.pressure_u[kind]
            if u < chance - headed_off:
                self._episode(contract, kind)
                if contract.status != "active":
                    return
            elif u < chance:
                contract.pre_empted += 1
                self.month["pre_empted"] += 1

    def _pressure_chances(self, contract: Contract) -> tuple[tuple[tuple[str, float, bool], ...], ...]:
        """§7.3: for each phase, the chance of each pressure that can arise in it.

        What drives and shields against pressure is the commissioner and the contract as they
        stand from award to completion: a commissioner runs one process at a time, so its
        experience (anxiety), honesty and trust in the lead do not change while this one runs.
        The chances are therefore worked out once, when the first phase begins.
        """
        body, lead = contract.commissioner, contract.lead
        pp, gov, mech = self.p.pressure, self.p.governance, self.mech
        situation = pressure.Situation(
            stakes=body.stakes, anxiety=self._anxiety(body), desire=body.desire,
            honesty=self._honesty_seen(body), transparency=body.transparency, wash=body.wash,
            adequacy=contract.adequacy, trust=body.trust_in(lead), clarity=contract.clarity,
            funded_elsewhere=not contract.funded_by_commissioner,
        )
        by_phase: tuple[list[tuple[str, float, bool]], ...] = tuple([] for _ in PHASES)
        for kind, base, phase, control in self.pressure_kinds:
            chance = pressure.pressure_chance(kind, base, situation, pp, gov, mech)
            by_phase[phase].append((kind, chance, control))
        # Tuples of numbers and names only: Python's garbage collector stops tracking them, so
        # the full collections of a large market do not walk every contract's chances.
        return tuple(tuple(chances) for chances in by_phase)

    def _standing(self, contract: Contract, kind: str) -> tuple[ladder.Standing, float, float]:
        """§7.4: what the team brings to this dispute, with its reputation and craft."""
        body, lead, partner = contract.commissioner, contract.lead, contract.partner
        rp, mech = self.p.response, self.mech
        team = [m for m in (lead, partner) if m is not None]
        values = max(m.values for m in team)
        craft = max(self._craft(m) for m in team)
        reputation = max(m.reputation for m in team) if mech.reputation else 0.5
        # What refusing can cost: this payment (unless someone else pays) and future work from
        # this commissioner and its peers (M3).
        at_stake = contract.price * (rp.future_work + (1.0 if contract.funded_by_commissioner
                                                       or not mech.funder_separation else 0.0))
        if mech.income_reliance:
            dependence, security = lead.dependence(at_stake), lead.security
        else:
            dependence, security = lead.government_dependence, 1.0
        at_risk = 0.0
        if kind in CONTROL_PRESSURES and mech.reputation:
            # What discovery would cost: only giving in to control counts as manipulation.
            gov = self.p.governance
            at_risk = rp.discovery_weight * reputation * completion.expected_discovery(
                body.transparency, gov.transparency_mandate, gov.oversight_board,
                self.p.discovery, publication=mech.publication)
        leverage = (reputation + craft + security) / 3.0
        standing = ladder.Standing(STAKE[kind], values, leverage, dependence, craft, security, at_risk)
        return standing, reputation, craft

    def _episode(self, contract: Contract, kind: str) -> None:
        """§7.4-7.5: one pressure episode, the practitioner's response and the reply."""
        body = contract.commissioner
        rp, mech = self.p.response, self.mech
        draw = contract.response_rng
        standing, reputation, craft = self._standing(contract, kind)
        reply = "none"
        if kind == "stakeholder":
            # Third parties reaching participants: experienced teams protect them.
            protect = draw.random() < 0.3 + 0.7 * craft
            response, outcome = ("push_back", "upheld") if protect else ("comply", "complied")
        elif not mech.response_ladder:
            draw.random()
            response, outcome = "comply", "complied"
        else:
            probabilities = ladder.choice_probabilities(ladder.response_utilities(standing, rp),
                                                        rp.temperature)
            response = RESPONSES[ladder.pick(probabilities, draw.random())]
            if self.players and contract.lead.unique_id in self.players:
                response = self._ask(contract, kind, "respond", RESPONSES, probabilities, response)
            if response == "comply":
                outcome = "complied"
            elif response == "withdraw":
                outcome = "withdrawn"
            else:
                backs_down = draw.random() < ladder.back_down_chance(
                    reputation, craft, body.stakes, body.desire, response == "threaten",
                    self.p.governance.oversight_board, rp)
                if backs_down:
                    reply, outcome = "back_down", "upheld"
                elif kind == "method" and mech.method_insistence:
                    reply = "insist"
                    hardened = self._hardened(standing)
                    final = ladder.after_insistence(hardened, draw.random())
                    if self.players and contract.lead.unique_id in self.players:
                        final = self._ask(contract, kind, "insisted", ("concede", "withdraw"),
                                          (hardened[0], hardened[-1]), final)
                    response, outcome = (("withdraw", "withdrawn") if final == "withdraw"
                                         else (response, "conceded"))
                elif (response != "negotiate" and contract.funded_by_commissioner
                      and mech.nonpayment_threat and draw.random() < rp.escalate_share):
                    reply = "escalate"
                    contract.escalated = True
                    hardened = self._hardened(standing)
                    final = ladder.after_escalation(hardened, draw.random())
                    if self.players and contract.lead.unique_id in self.players:
                        final = self._ask(contract, kind, "escalated", ("concede", "hold", "withdraw"),
                                          (hardened[0], hardened[2], hardened[4]), final)
                    if final == "hold":
                        outcome = "upheld"
                        contract.withheld = max(contract.withheld, rp.nonpayment_share * contract.price)
                    elif final == "withdraw":
                        response, outcome = "withdraw", "withdrawn"
                    else:
                        outcome = "conceded"
                else:
                    reply, outcome = "settle", "settled"
        self._record_episode(contract, kind, response, reply, outcome)

    def _ask(self, contract: Contract, kind: str, stage: str, options: tuple[str, ...],
             probabilities: Any, rule_choice: str) -> str:
        """§7.13: the seated person's choice at this stage of an episode, or the rule's."""
        lead, body = contract.lead, contract.commissioner
        total = sum(probabilities)
        dilemma = Dilemma(
            step=self.steps, stage=stage, practitioner=lead.unique_id,
            practitioner_kind=lead.kind, contract=contract.id, commissioner=body.unique_id,
            commissioner_kind=body.kind, commissioner_level=body.level, pressure=kind,
            phase=PHASES[contract.phase], integrity_at_stake=STAKE[kind], price=contract.price,
            funded_by_commissioner=contract.funded_by_commissioner, reserves=lead.reserves,
            runway_months=runway_months(lead.cover, lead.overhead), reputation=lead.reputation,
            has_safety_net=lead.has_safety_net, last_time=last_time(lead.memory.get(body.unique_id)),
            options=options, probabilities=tuple(float(q) / total for q in probabilities),
            rule_choice=rule_choice,
        )
        answer = self.players[lead.unique_id].respond(dilemma)
        if answer is None:
            return rule_choice
        if answer not in options:
            raise InputError(f"expected one of {', '.join(options)}, got {answer!r}",
                             key=f"player {lead.unique_id} {stage}")
        return answer

    def _ask_bid(self, p: Practitioner, body: Commissioner, budget: float, red_flags: float,
                 rule_choice: bool) -> bool:
        """§7.13: whether the seated person bids for this tender, or what the rule says."""
        offer = Offer(
            step=self.steps, practitioner=p.unique_id, practitioner_kind=p.kind,
            commissioner=body.unique_id, commissioner_kind=body.kind,
            commissioner_level=body.level, budget=budget,
            red_flags=min(1.0, max(0.0, red_flags)), reserves=p.reserves,
            runway_months=runway_months(p.cover, p.overhead),
            last_time=last_time(p.memory.get(body.unique_id)), rule_choice=bool(rule_choice),
        )
        answer = self.players[p.unique_id].bid(offer)
        if answer is None:
            return bool(rule_choice)
        if not isinstance(answer, bool):
            raise InputError(f"expected True, False or None, got {answer!r}",
                             key=f"player {p.unique_id} bid")
        return answer

    def _hardened(self, standing: ladder.Standing) -> list[float]:
        """The ladder's probabilities once the commissioner escalates or insists: walking away
        costs only `escalated_withdraw_cost` of what it did (ODD §7.4)."""
        rp = self.p.response
        return ladder.choice_probabilities(
            ladder.response_utilities(standing, rp, rp.escalated_withdraw_cost), rp.temperature)

    def _record_episode(self, contract: Contract, kind: str, response: str, reply: str,
                        outcome: str) -> None:
        """§7.5: what the episode did to the process, and what the practitioner learned."""
        body, lead = contract.commissioner, contract.lead
        contract.n_episodes += 1
        lead.episodes_met += 1
        if self.mech.learning:
            # Negative experiences are where red flags are learned; the worst teach most.
            lead.lessons += 1.0 + (1.0 if reply in ("escalate", "insist") else 0.0)
        if response == "threaten":
            lead.threats += 1
        if response in ("push_back", "threaten") and outcome == "upheld":
            contract.refused += 1
        if outcome in completion.GIVEN_IN:
            lead.complied += 1
            if kind in CONTROL_PRESSURES:
                contract.manipulated = True
        harm = completion.damage(outcome, STAKE[kind], self.p.integrity)
        for dim in DIMENSION_OF_PRESSURE[kind]:
            contract.dimensions[dim] *= 1.0 - harm
        self.episode_rows.append((contract.id, self.steps, PHASES[contract.phase], kind,
                                  response, reply, outcome, lead.unique_id, lead.kind,
                                  body.unique_id, lead.reliant, lead.has_safety_net))
        self.month[f"episodes_{kind}"] += 1
        self.month[f"response_{response}"] += 1
        if outcome == "withdrawn":
            lead.withdrawals += 1
            if self.mech.learning:
                lead.lessons += 1.0
            self._end(contract, "withdrawn")

    def _complete(self, contract: Contract) -> None:
        """§7.6: score integrity, discover manipulation, pay, and let everyone learn."""
        body, lead = contract.commissioner, contract.lead
        ip, dp, gov, mech = self.p.integrity, self.p.discovery, self.p.governance, self.mech
        team = contract.team
        craft = max(self._craft(m) for m in team if m is not contract.freelancer)
        floor = completion.craft_floor(craft, ip.craft_weight)
        dims = contract.dimensions
        for dim in DIMENSIONS:
            dims[dim] *= floor
        dims["adequacy"] *= contract.adequacy
        dims["representativeness"] *= 0.85 + 0.15 * contract.adequacy
        secrecy_won = dims["transparency"] < floor
        u_publish, u_discover, _ = contract.discovery_u
        contract.published = mech.publication and (
            gov.transparency_mandate or u_publish < body.transparency * (0.5 if secrecy_won else 1.0))
        if not contract.published:
            dims["transparency"] *= ip.unpublished
        contract.integrity = completion.integrity_score(dims)
        if contract.manipulated:
            chance = completion.discovery_chance(contract.published, body.transparency,
                                                 gov.oversight_board, dp)
            contract.discovered = u_discover < chance
        self._pay(contract)
        lr = self.p.learning
        for member in team:
            member.experience += member.learning
            member.delivered += 1
        for member in (lead, contract.partner):
            if member is None:
                continue
            member.reputation += lr.reputation_rate * (contract.integrity - member.reputation)
            if contract.discovered:
                member.reputation = max(0.0, member.reputation - dp.reputation_hit)
        # The commissioner likes a good process but not being refused.
        satisfaction = 0.6 + 0.4 * contract.integrity - 0.3 * min(1.0, contract.refused) * (
            0.5 * body.desire + 0.5 * body.stakes)
        self._update_trust(body, lead, satisfaction, contract)
        body.experience += 1.0
        self.c_last[body.index] = 1 if contract.integrity >= 0.6 and not contract.discovered else -1
        competition = self.bidders_per_tender if mech.competition else 0.0
        shared = dynamics.sharing(lead.openness, competition, lr.competition_penalty)
        self.pool += shared * contract.n_episodes
        self.pending_responses.append((self.steps + self.p.commissioners.response_delay, contract))
        self.month["completed"] += 1
        self.month["integrity_sum"] += contract.integrity
        self.month["pressured"] += 1 if contract.n_episodes else 0
        if contract.discovered:
            self.month["scandals"] += 1
            self.month["scandal_integrity_sum"] += contract.integrity
        self._end(contract, "completed")

    def _update_trust(self, body: Commissioner, lead: Practitioner, satisfaction: float,
                      contract: Contract) -> None:
        rate = self.p.commissioners.trust_rate
        old = body.trust_in(lead)
        body.trust[lead.unique_id] = old + rate * (satisfaction - old)
        quality = max(0.0, 1.0 - 0.15 * contract.n_episodes - 0.4 * contract.escalated)
        seen = lead.trust_in(body.unique_id)
        lead.memory[body.unique_id] = seen + 0.5 * (quality - seen)

    def _pay(self, contract: Contract) -> None:
        """The payer (commissioner or separate funder) pays the team; money is conserved."""
        paid = contract.price - contract.withheld
        self.ledger["paid_by_commissioners" if contract.funded_by_commissioner else "paid_by_funders"] += paid
        pr = self.p.procurement
        shares = {}
        if contract.freelancer is not None:
            # The lead covers its subcontractors even when the commissioner withholds.
            shares[contract.freelancer] = pr.freelancer_share * contract.price
        if contract.partner is not None:
            shares[contract.partner] = pr.partner_share * paid
        shares[contract.lead] = paid - sum(shares.values())
        for member, amount in shares.items():
            member.reserves += amount
            member.income += amount
            self.ledger["received_by_practitioners"] += amount

    def _end(self, contract: Contract, status: str) -> None:
        contract.status = status
        contract.end_step = self.steps
        contract.release_delivery_draws()
        self.c_busy[contract.commissioner.index] = False
        for member in contract.team:
            member.contracts.remove(contract)
        if status == "withdrawn":
            body, lead = contract.commissioner, contract.lead
            body.trust[lead.unique_id] = 0.0
            lead.memory[body.unique_id] = 0.0
            self.c_last[body.index] = -1
            self.month["withdrawn"] += 1
        contract.row = len(self.contract_rows)
        self.contract_rows.append(observation.contract_row(contract))

    # §7.7-7.8 ---------------------------------------------------------------------------------

    def respond_to_recommendations(self) -> None:
        """Commissioners respond to recommendations once the delay has passed."""
        pending = self.pending_responses
        while pending and pending[0][0] <= self.steps:
            contract = pending.popleft()[1]
            score = confidence.follow_through(contract.commissioner.commitment, contract.integrity,
                                              self.p.governance.upfront_commitment,
                                              contract.discovery_u[2])
            contract.response = {1.0: "implemented", 0.5: "partly", 0.0: "ignored"}[score]
            self.contract_rows[contract.row]["response"] = contract.response
            if not self.mech.follow_through:
                continue
            self.month["responses"] += 1
            self.month["implementation_sum"] += score
            if score == 0.0:
                self.c_last[contract.commissioner.index] = -1

    def update_public_confidence(self) -> None:
        """Confidence follows the integrity of what is completed, scandals and follow-through."""
        m = self.month
        signals, weights = [], []
        if m["completed"]:
            clean = m["completed"] - m["scandals"]
            if clean:
                signals.append((m["integrity_sum"] - m["scandal_integrity_sum"]) / clean)
                weights.append(clean)
            if m["scandals"]:
                signals.append(0.0)
                weights.append(m["scandals"] * self.p.discovery.scandal_weight)
        if m["responses"]:
            signals.append(m["implementation_sum"] / m["responses"])
            weights.append(m["responses"])
        self.confidence = confidence.confidence_step(self.confidence, signals, weights,
                                                     self.p.confidence.rate)

    # §7.9 -------------------------------------------------------------------------------------

    def settle_finances(self) -> None:
        """Overheads are paid; grants and other income come in; reserves above the cap go out."""
        ledger = self.ledger
        # The ledger's sums, added to in the same order as one practitioner after another.
        grants, other_income = ledger["grants"], ledger["other_income"]
        overheads, paid_out = ledger["overheads"], ledger["paid_out"]
        for p in self.practitioners:
            if not p.active:
                continue
            grant = p.safety_net_funding
            p.reserves += grant + p.other_income - p.overhead
            out = dynamics.paid_out(p.reserves, p.reserve_cap)
            p.reserves -= out
            grants += grant
            other_income += p.other_income
            overheads += p.overhead
            paid_out += out
            p.months_negative = p.months_negative + 1 if p.reserves < 0 else 0
        ledger["grants"], ledger["other_income"] = grants, other_income
        ledger["overheads"], ledger["paid_out"] = overheads, paid_out

    def turn_over_staff(self) -> None:
        """People leave, retire or are hired away: experience that work does not renew fades."""
        if not self.mech.staff_turnover:
            return
        for p in self.practitioners:
            if p.active and p.staff_turnover > 0:
                p.experience *= dynamics.retained(p.staff_turnover)

    def learn_from_field(self) -> None:
        """Organisations take in lessons from the field's shared pool."""
        if not self.mech.field_pool:
            return
        absorption = self.p.learning.pool_absorption
        for p in self.practitioners:
            if p.active:
                p.pool_seen += dynamics.absorb(self.pool, p.pool_seen, absorption)

    def exit_and_enter(self) -> None:
        """Organisations that cannot pay their way exit; large firms leave DMP work that costs
        them money or their name; new independents start where tenders go unmet."""
        dyn, lf = self.p.dynamics, self.p.large_firms
        for p in self.practitioners:
            if not p.active:
                continue
            if dynamics.should_exit(p.months_negative, dyn.exit_months, p.load):
                self._exit(p, "insolvent" if p.is_independent else "losses")
            elif not p.is_independent and p.load == 0 and p.reputation < lf.reputation_floor:
                self._exit(p, "reputation")
        self.unmet.append(self.month["unmet"])
        market = self.streams.market.scalar
        if market.random() < dynamics.entry_chance(dyn.entry_rate, sum(self.unmet)):
            kinds = [k for k in INDEPENDENT_KINDS if getattr(self.p.practitioners, k).count > 0]
            weights = [getattr(self.p.practitioners, k).count for k in kinds]
            if kinds:
                kind = market.choices(kinds, weights)[0]
                self._create_practitioners(kind, 1, newcomer=True)
                self.entries += 1
                self.month["entries"] += 1

    def _exit(self, p: Practitioner, reason: str) -> None:
        p.active = False
        p.exited_step = self.steps
        p.exit_reason = reason
        self.exits += 1
        self.month["exits"] += 1
        self.month[f"exits_{p.kind}"] += 1
        others = [o for o in self.practitioners if o.active]
        if others:
            # Some of its people are hired by others: part of its experience stays in the field.
            hired = self.p.dynamics.hire_share if self.mech.staff_turnover else 1.0
            self.streams.market.scalar.choice(others).experience += hired * p.experience

    def large_firm_entry(self) -> None:
        lf = self.p.large_firms
        if not lf.enabled or not self.mech.large_firms or self.large_firms_entered:
            return
        if lf.entry_value_threshold > 0:
            yearly_value = sum(sum(c.values()) for c in self.awards_by_kind)
            due = yearly_value >= lf.entry_value_threshold
        else:
            due = self.steps >= lf.entry_step
        if due:
            self._create_practitioners("large_firm", self.p.practitioners.large_firm.count)
            self.large_firms_entered = True
            self.month["large_firm_entry"] = 1

    # §9 ---------------------------------------------------------------------------------------

    def observe(self) -> None:
        self.datacollector.collect(self)
        if self.steps % 12 == 0:
            self.record_practitioners()

    def record_practitioners(self) -> None:
        year = -(-self.steps // 12)  # a partial year counts as the year it falls in
        for p in self.practitioners:
            if p.active or p.exited_step is not None and p.exited_step > self.steps - 12:
                self.practitioner_rows.append(observation.practitioner_row(p, year))

    def field_experience(self) -> float:
        return sum(p.experience for p in self.practitioners if p.active)

    def active_count(self, kind: str) -> int:
        return sum(1 for p in self.practitioners if p.active and p.kind == kind)

    def value_share(self, kind: str) -> float:
        total = sum(sum(c.values()) for c in self.awards_by_kind)
        return sum(c[kind] for c in self.awards_by_kind) / total if total else math.nan

    def hhi(self) -> float:
        """Herfindahl-Hirschman index of the value awarded to each organisation over the last
        12 months (a plain dict merge: the sums of `Counter.update`, without its per-call cost)."""
        merged: dict[int, float] = {}
        for month in self.awards_by_org:
            for org, value in month.items():
                merged[org] = value + merged[org] if org in merged else value
        total = sum(merged.values())
        return sum((v / total) ** 2 for v in merged.values()) if total else math.nan

    @property
    def adopters(self) -> float:
        n = len(self.c_adopted)
        return int(np.count_nonzero(self.c_adopted)) / n if n else math.nan


def _commissioner_kind(level: str, u: float, kinds: Any) -> str:
    """The kind of a body at this level (ODD §5): councils are local, other bodies 'other';
    a regional or national body is a department, a legislature, or else the government."""
    if level == "local":
        return "council"
    if level == "other":
        return "other_body"
    if u < kinds.department.share:
        return "department"
    if u < kinds.department.share + kinds.legislature.share:
        return "legislature"
    return f"{level}_government"


def _beta_quantiles(mean: np.ndarray, u: np.ndarray, concentration: float = 6.0) -> np.ndarray:
    """Beta(mean) traits from uniforms, so that a kind's shift (or a lever on the mean) moves the
    same body's trait rather than redrawing it (common random numbers, ODD §4)."""
    return betaincinv(mean * concentration, (1.0 - mean) * concentration, u)


__all__ = ["DMPMarket"]
