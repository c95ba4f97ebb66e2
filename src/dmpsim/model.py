"""DMPMarket: the market for deliberative mini-publics, one step a month.

`DMPMarket.step` is the schedule of MODEL.md section 3, in its order. The decision rules it calls
live in `procurement`, `contracts` and `dynamics`; docs/ODD.md gives their equations.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from typing import Any

import mesa
import numpy as np

from . import contracts as rules
from . import dynamics, procurement
from .agents import Commissioner, Practitioner
from .contracts import Contract
from .params import (
    CONTROL_PRESSURES,
    DIMENSIONS,
    INDEPENDENT_KINDS,
    KINDS,
    LEVELS,
    PRESSURE_TYPES,
    RESPONSES,
    build_params,
    resolve,
)


def _beta(rng: np.random.Generator, mean: float, size: int, concentration: float = 6.0) -> np.ndarray:
    """Beta draws with the given mean; degenerate means give constants."""
    if mean <= 0.0 or mean >= 1.0:
        return np.full(size, float(min(1.0, max(0.0, mean))))
    return rng.beta(mean * concentration, (1.0 - mean) * concentration, size)


class DMPMarket(mesa.Model):
    """The market for deliberative mini-publics.

    Args:
        parameters: dotted-key parameter values (``{"procurement.rule": "price"}``) over the
            defaults; a scenario file's values and any overrides, already merged. Keyword
            arguments are added to them, so ``DMPMarket(**{"procurement.rule": "price"})`` and
            ``mesa.batch_run`` both work.
        rng: seed or numpy generator; every random draw of the run comes from it.
    """

    def __init__(self, parameters: dict[str, Any] | None = None, *, rng: Any = None,
                 **more_parameters: Any) -> None:
        super().__init__(rng=rng)
        values = resolve({**(parameters or {}), **more_parameters})
        self.values = values
        self.p = build_params(values)
        self.confidence = self.p.confidence.initial
        self.pool = 0.0
        self.next_contract_id = 0
        self.large_firms_entered = False
        self.active_contracts: list[Contract] = []
        self.pending_responses: list[tuple[int, Contract]] = []
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
        self.month: dict[str, float] = {}
        self.commissioners: list[Commissioner] = []
        self.practitioners: list[Practitioner] = []
        self.practitioner_by_id: dict[int, Practitioner] = {}
        self._create_commissioners()
        for kind in INDEPENDENT_KINDS:
            self._create_practitioners(kind, getattr(self.p.practitioners, kind).count)
        self.datacollector = mesa.DataCollector(
            model_reporters=dict(MODEL_SERIES)
        )
        self.running = True

    # -- set-up -------------------------------------------------------------------------------

    def _create_commissioners(self) -> None:
        c = self.p.commissioners
        m = self.p.market
        n = m.n_commissioners
        shares = [m.share_local, m.share_regional, m.share_national]
        shares.append(max(0.0, 1.0 - sum(shares)))
        levels = self.rng.choice(len(LEVELS), size=n, p=np.array(shares) / sum(shares))
        stakes_mean = np.array([getattr(c, f"stakes_{lv}") for lv in LEVELS])[levels]
        stakes = np.array([_beta(self.rng, s, 1)[0] for s in stakes_mean])
        desire = _beta(self.rng, c.desire_for_outcome, n)
        honesty = _beta(self.rng, c.honesty, n)
        transparency = _beta(self.rng, c.transparency, n)
        wash = _beta(self.rng, c.participation_wash, n)
        commitment = _beta(self.rng, c.commitment, n)
        experience = self.rng.poisson(c.experience, n) + self.p.governance.capacity_building
        adequacy = np.clip(self.rng.normal(c.budget_adequacy, c.budget_adequacy_sd, n), 0.3, 3.0)
        for i in range(n):
            self.commissioners.append(
                Commissioner(
                    self, LEVELS[levels[i]], float(stakes[i]), float(desire[i]), float(honesty[i]),
                    float(transparency[i]), float(wash[i]), float(commitment[i]),
                    float(experience[i]), float(adequacy[i]),
                )
            )
        self.by_level = {lv: [x for x in self.commissioners if x.level == lv] for lv in LEVELS}

    def _create_practitioners(self, kind: str, count: int, newcomer: bool = False) -> list[Practitioner]:
        k = getattr(self.p.practitioners, kind)
        made = []
        for _ in range(count):
            funded = self.random.random() < k.safety_net_share
            experience = float(self.rng.poisson(1.0 if newcomer else k.experience))
            reputation = 0.4 if newcomer else float(_beta(self.rng, k.reputation, 1, 10.0)[0])
            p = Practitioner(
                self,
                kind,
                experience=experience,
                reputation=reputation,
                values=float(_beta(self.rng, k.values, 1, 10.0)[0]),
                openness=float(_beta(self.rng, k.openness, 1, 6.0)[0]),
                reserves=k.reserves_months * k.overhead,
                overhead=k.overhead,
                capacity=k.capacity,
                markup=k.markup,
                government_dependence=k.government_dependence,
                other_income=k.other_income,
                safety_net_funding=k.safety_net_funding if funded else 0.0,
                learning=k.learning,
                tender_skill=k.tender_skill,
                familiarity=k.familiarity,
            )
            self.practitioners.append(p)
            self.practitioner_by_id[p.unique_id] = p
            made.append(p)
        return made

    # -- the schedule (MODEL.md section 3) ---------------------------------------------------

    def step(self) -> None:
        self.month = Counter()
        # This month's awards open the 12-month windows that shares and concentration read.
        self.awards_by_kind.append(Counter())
        self.awards_by_org.append(Counter())
        tenders = self.commission()                 # 1. commissioners decide
        self.procure(tenders)                       # 2-3. tenders, screening, up-front clarity
        self.deliver()                              # 4-6. phases, pressure, responses, completion
        self.respond_to_recommendations()           # 7. follow-through
        self.update_public_confidence()             # 7. confidence
        self.market_dynamics()                      # 8. finances, exit, entry, large firms
        self.datacollector.collect(self)
        if self.steps % 12 == 0:
            self.record_practitioners()

    # 1 ----------------------------------------------------------------------------------------
    def commission(self) -> list[Commissioner]:
        """Commissioners decide whether to commission a process this month."""
        c, conf = self.p.commissioners, self.p.confidence
        peers_good = {}
        for level, members in self.by_level.items():
            good = sum(1 for x in members if x.last_experience_good)
            bad = sum(1 for x in members if x.last_experience_good is False)
            peers_good[level] = (good - bad) / len(members) if members else 0.0
        tenders = []
        for body in self.commissioners:
            if body.busy:
                continue
            chance = dynamics.commission_chance(
                c.commission_rate, self.confidence, conf.initial, conf.demand_elasticity,
                conf.wave_strength, max(-1.0, peers_good[body.level]),
            )
            if self.random.random() < chance:
                tenders.append(body)
        self.month["tenders"] = len(tenders)
        return tenders

    # 2-3 --------------------------------------------------------------------------------------
    def procure(self, tenders: list[Commissioner]) -> None:
        """Run each tender under the rule in force and sign the contract."""
        pr = self.p.procurement
        self.random.shuffle(tenders)
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
            self.bidders_per_tender = min(1.0, float(np.mean(bidder_counts)) / max(1, pr.max_bidders))

    def _efficiency(self) -> float:
        return math.exp(self.random.gauss(0.0, 0.08))

    def _direct_award(self, body: Commissioner) -> Practitioner | None:
        best, best_trust = None, self.p.procurement.direct_trust
        for pid, trust in body.trust.items():
            if trust >= best_trust:
                p = self.practitioner_by_id[pid]
                if p.active and p.load < p.capacity:
                    best, best_trust = p, trust
        return best

    def _collect_bids(self, body: Commissioner, need: float, budget: float,
                      independents: list[Practitioner], firms: list[Practitioner]) -> list[procurement.Bid]:
        pr, sc = self.p.procurement, self.p.screening
        seen = self.random.sample(independents, min(pr.max_bidders, len(independents)))
        if firms:
            seen += [f for f in firms if self.random.random() < self.p.large_firms.bid_rate]
        bids = []
        for p in seen:
            if p.load >= p.capacity or (p.kind == "freelancer" and body.level != "local"):
                continue
            perceived = procurement.perceived_hazard(
                body.hazard, body.honesty, p.red_flag_skill, self.random.gauss(0.0, sc.signal_noise)
            )
            # Only a commissioner it has worked for can be remembered badly.
            remembered = p.memory.get(body.unique_id, 1.0)
            if not procurement.will_bid(perceived, p.security, remembered,
                                        threshold=sc.decline_threshold,
                                        need_lowers_bar=sc.need_lowers_bar,
                                        avoid_trust=sc.avoid_trust):
                p.declines += 1
                self.month["declines"] += 1
                continue
            price = procurement.bid_price(need, budget, p.markup, pr.rule, pr.price_shading,
                                          self._efficiency())
            on_paper = max(p.craft, p.tender_skill)
            # Past performance with this body counts beside standing in the field (Spagnolo 2012).
            seen_reputation = 0.5 * p.reputation + 0.5 * body.trust_in(p)
            bids.append(procurement.Bid(p, price, on_paper, seen_reputation, p.experience,
                                        self.random.gauss(0.0, pr.evaluation_noise)))
        return bids

    def _award(self, bids: list[procurement.Bid], rule: str):
        pr = self.p.procurement
        weights = {"weight_price": pr.weight_price, "weight_experience": pr.weight_experience,
                   "weight_reputation": pr.weight_reputation}
        remaining = list(bids)
        while remaining:
            best = procurement.winner(remaining, "price" if rule == "price" else "quality",
                                      tie_breaks=[self.random.random() for _ in remaining], **weights)
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
        pool = [b.practitioner for b in bids] + self.random.sample(
            self.practitioners, min(10, len(self.practitioners)))
        for p in pool:
            if (p is not lead and p.active and p.is_independent and p.kind != "freelancer"
                    and p.experience >= threshold and p.load < p.capacity):
                return p
        return None

    def _sign(self, body: Commissioner, lead: Practitioner, partner: Practitioner | None,
              price: float, need: float, freelancers: list[Practitioner]) -> None:
        pr = self.p.procurement
        funded_by_commissioner = self.random.random() >= self.p.governance.separate_funder_share
        contract = Contract(
            id=self.next_contract_id, commissioner=body, lead=lead, level=body.level,
            award_step=self.steps, duration=self.p.commissioners.duration, price=price, need=need,
            funded_by_commissioner=funded_by_commissioner, rule=self.p.procurement.rule,
            partner=partner, reputation_at_award=lead.reputation,
            experience_at_award=lead.experience,
        )
        self.next_contract_id += 1
        if lead.kind != "freelancer":
            rate = 1.0 if not lead.is_independent else pr.subcontract_rate
            if freelancers and self.random.random() < rate:
                choice = self.random.choice(freelancers)
                if choice.active and choice.load < choice.capacity:
                    contract.freelancer = choice
        craft = max(lead.craft, partner.craft if partner else 0.0)
        # 3. Up-front clarity on roles, terms and conditions before signing.
        contract.clarity = self.random.random() < rules.clarity_chance(craft, body.experience)
        for member in self._team(contract):
            member.contracts.append(contract)
        lead.won += 1
        body.busy = True
        self.active_contracts.append(contract)
        self.all_contracts.append(contract)
        self.awards_by_kind[-1][lead.kind] += price
        self.awards_by_org[-1][lead.unique_id] += price
        self.month["awarded"] += 1
        self.month[f"awarded_{lead.kind}"] += 1
        self.month[f"value_{lead.kind}"] += price

    @staticmethod
    def _team(contract: Contract) -> list[Practitioner]:
        return [m for m in (contract.lead, contract.partner, contract.freelancer) if m is not None]

    # 4-6 --------------------------------------------------------------------------------------
    def deliver(self) -> None:
        """Move each running process through its phases; pressure arises phase by phase."""
        still_running = []
        for contract in self.active_contracts:
            target = contract.phase_at(self.steps)
            while contract.phase < target and contract.status == "active":
                contract.phase += 1
                self._phase(contract)
            if contract.status == "active" and self.steps >= contract.award_step + contract.duration - 1:
                self._complete(contract)
            if contract.status == "active":
                still_running.append(contract)
        self.active_contracts = still_running

    def _phase(self, contract: Contract) -> None:
        body, lead = contract.commissioner, contract.lead
        pp, gov = self.p.pressure, self.p.governance
        trust = body.trust_in(lead)
        for kind in PRESSURE_TYPES:
            if rules.PHASE_OF_PRESSURE[kind] != contract.phase:
                continue
            chance = rules.pressure_chance(
                kind, getattr(pp, kind), body.stakes, body.anxiety, body.desire, body.honesty,
                body.transparency, body.wash, contract.adequacy, trust,
                budget_squeeze=pp.budget_squeeze, clarity=contract.clarity,
                clarity_effect=pp.clarity_effect, trust_effect=pp.trust_effect,
                funded_elsewhere=not contract.funded_by_commissioner, funder_effect=pp.funder_effect,
                participant_control=gov.participant_control, participant_effect=pp.participant_effect,
                mandate=gov.transparency_mandate, mandate_effect=pp.mandate_effect,
                oversight=gov.oversight_board, oversight_effect=pp.oversight_effect,
            )
            if self.random.random() < chance:
                self._episode(contract, kind)
                if contract.status != "active":
                    return

    def _episode(self, contract: Contract, kind: str) -> None:
        """One pressure episode: the practitioner's response and the commissioner's reply."""
        body, lead, partner = contract.commissioner, contract.lead, contract.partner
        rp = self.p.response
        stake = rules.STAKE[kind]
        values = max(lead.values, partner.values) if partner else lead.values
        craft = max(lead.craft, partner.craft) if partner else lead.craft
        reputation = max(lead.reputation, partner.reputation) if partner else lead.reputation
        security = lead.security
        dependence = lead.dependence
        if not contract.funded_by_commissioner:
            # The commissioner does not hold the purse: "this separation could also ease the pressure".
            dependence *= 1.0 - self.p.pressure.funder_effect
        reply = "none"
        if kind == "stakeholder":
            # Third parties reaching participants: experienced teams protect them.
            protect = self.random.random() < 0.3 + 0.7 * craft
            response, outcome = ("push_back", "upheld") if protect else ("comply", "complied")
        else:
            leverage = (reputation + craft + security) / 3.0
            at_risk = 0.0
            if kind in CONTROL_PRESSURES:
                # What discovery would cost: only giving in to control counts as manipulation.
                dp, gov = self.p.discovery, self.p.governance
                at_risk = rp.discovery_weight * reputation * rules.expected_discovery(
                    body.transparency, gov.transparency_mandate, gov.oversight_board,
                    base=dp.base, transparency_weight=dp.transparency,
                    oversight_weight=dp.oversight)
            utilities = rules.response_utilities(
                stake, values, leverage, dependence, craft, security,
                integrity_weight=rp.integrity_weight, leverage_weight=rp.leverage_weight,
                dependence_weight=rp.dependence_weight, threaten_cost=rp.threaten_cost,
                withdraw_cost=rp.withdraw_cost, reputation_at_risk=at_risk,
            )
            response = RESPONSES[rules.pick(rules.choice_probabilities(utilities, rp.temperature),
                                            self.random.random())]
            if response == "comply":
                outcome = "complied"
            elif response == "withdraw":
                outcome = "withdrawn"
            else:
                backs_down = self.random.random() < rules.back_down_chance(
                    reputation, craft, body.stakes, body.desire, response == "threaten",
                    self.p.governance.oversight_board, base=rp.back_down_base,
                    leverage_weight=rp.back_down_leverage, stakes_weight=rp.back_down_stakes,
                )
                if backs_down:
                    reply, outcome = "back_down", "upheld"
                elif (response != "negotiate" and contract.funded_by_commissioner
                      and self.random.random() < rp.escalate_share):
                    reply = "escalate"
                    contract.escalated = True
                    final = rules.after_escalation(
                        rules.choice_probabilities(
                            rules.response_utilities(
                                stake, values, leverage, dependence, craft, security,
                                integrity_weight=rp.integrity_weight,
                                leverage_weight=rp.leverage_weight,
                                dependence_weight=rp.dependence_weight,
                                threaten_cost=rp.threaten_cost,
                                withdraw_cost=rp.withdraw_cost * rp.escalated_withdraw_cost,
                                reputation_at_risk=at_risk,
                            ),
                            rp.temperature,
                        ),
                        self.random.random(),
                    )
                    if final == "hold":
                        outcome = "upheld"
                        contract.withheld = max(contract.withheld, rp.nonpayment_share * contract.price)
                    elif final == "withdraw":
                        response, outcome = "withdraw", "withdrawn"
                    else:
                        outcome = "conceded"
                else:
                    reply, outcome = "settle", "settled"
        contract.n_episodes += 1
        lead.episodes_met += 1
        # Negative experiences are where red flags are learned.
        lead.lessons += 1.0 + (1.0 if reply == "escalate" else 0.0)
        if response == "threaten":
            lead.threats += 1
        if response in ("push_back", "threaten") and outcome == "upheld":
            contract.refused += 1
        if outcome in ("complied", "conceded") and kind in CONTROL_PRESSURES:
            contract.manipulated = True
        harm = rules.damage(outcome, self.p.integrity.damage_comply, self.p.integrity.damage_settle)
        for dim in rules.DIMENSION_OF_PRESSURE[kind]:
            contract.dimensions[dim] *= 1.0 - harm
        self.episode_rows.append((contract.id, self.steps, rules.PHASES[contract.phase], kind,
                                  response, reply, outcome, lead.unique_id, lead.kind,
                                  body.unique_id))
        self.month[f"episodes_{kind}"] += 1
        self.month[f"response_{response}"] += 1
        if outcome == "withdrawn":
            lead.withdrawals += 1
            lead.lessons += 1.0
            self._end(contract, "withdrawn")

    def _complete(self, contract: Contract) -> None:
        """Score integrity, discover manipulation, pay, and let everyone learn."""
        body, lead = contract.commissioner, contract.lead
        ip, dp, gov = self.p.integrity, self.p.discovery, self.p.governance
        team = self._team(contract)
        craft = max(m.craft for m in team if m is not contract.freelancer)
        floor = rules.craft_floor(craft, ip.craft_weight)
        dims = contract.dimensions
        for dim in DIMENSIONS:
            dims[dim] *= floor
        dims["adequacy"] *= contract.adequacy
        dims["representativeness"] *= 0.85 + 0.15 * contract.adequacy
        secrecy_won = dims["transparency"] < floor
        contract.published = gov.transparency_mandate or (
            self.random.random() < body.transparency * (0.5 if secrecy_won else 1.0))
        if not contract.published:
            dims["transparency"] *= 0.6
        contract.integrity = sum(dims.values()) / len(dims)
        if contract.manipulated:
            chance = rules.discovery_chance(contract.published, body.transparency,
                                            gov.oversight_board, base=dp.base,
                                            transparency_weight=dp.transparency,
                                            oversight_weight=dp.oversight)
            contract.discovered = self.random.random() < chance
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
        body.last_experience_good = contract.integrity >= 0.6 and not contract.discovered
        shared = dynamics.sharing(lead.openness, self.bidders_per_tender, lr.competition_penalty)
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
        contract.commissioner.busy = False
        for member in self._team(contract):
            member.contracts.remove(contract)
        if status == "withdrawn":
            body, lead = contract.commissioner, contract.lead
            body.trust[lead.unique_id] = 0.0
            lead.memory[body.unique_id] = 0.0
            body.last_experience_good = False
            self.month["withdrawn"] += 1
        contract.row = len(self.contract_rows)
        self.contract_rows.append(contract_row(contract))

    # 7 ----------------------------------------------------------------------------------------
    def respond_to_recommendations(self) -> None:
        """Commissioners respond to recommendations once the delay has passed."""
        due = [c for s, c in self.pending_responses if s <= self.steps]
        if not due:
            return
        self.pending_responses = [(s, c) for s, c in self.pending_responses if s > self.steps]
        for contract in due:
            score = rules.follow_through(contract.commissioner.commitment, contract.integrity,
                                         self.p.governance.upfront_commitment, self.random.random())
            contract.response = {1.0: "implemented", 0.5: "partly", 0.0: "ignored"}[score]
            self.month["responses"] += 1
            self.month["implementation_sum"] += score
            if score == 0.0:
                contract.commissioner.last_experience_good = False
            self.contract_rows[contract.row]["response"] = contract.response

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
        self.confidence = dynamics.confidence_step(self.confidence, signals, weights,
                                                   self.p.confidence.rate)

    # 8 ----------------------------------------------------------------------------------------
    def market_dynamics(self) -> None:
        """Finances, learning from the field, exit, new independents and large-firm entry."""
        dyn, lr = self.p.dynamics, self.p.learning
        for p in self.practitioners:
            if not p.active:
                continue
            p.reserves += p.safety_net_funding + p.other_income - p.overhead
            self.ledger["grants"] += p.safety_net_funding
            self.ledger["other_income"] += p.other_income
            self.ledger["overheads"] += p.overhead
            p.pool_seen += dynamics.absorb(self.pool, p.pool_seen, lr.pool_absorption)
            p.months_negative = p.months_negative + 1 if p.reserves < 0 else 0
            if dynamics.should_exit(p.months_negative, dyn.exit_months, p.load):
                self._exit(p)
        self.unmet.append(self.month["unmet"])
        if self.random.random() < dynamics.entry_chance(dyn.entry_rate, sum(self.unmet)):
            kinds = [k for k in INDEPENDENT_KINDS if getattr(self.p.practitioners, k).count > 0]
            weights = [getattr(self.p.practitioners, k).count for k in kinds]
            if kinds:
                kind = self.random.choices(kinds, weights)[0]
                self._create_practitioners(kind, 1, newcomer=True)
                self.entries += 1
                self.month["entries"] += 1
        self._large_firm_entry()

    def _exit(self, p: Practitioner) -> None:
        p.active = False
        p.exited_step = self.steps
        self.exits += 1
        self.month["exits"] += 1
        self.month[f"exits_{p.kind}"] += 1
        others = [o for o in self.practitioners if o.active]
        if others:
            # Some of its people are hired by others: part of its experience stays in the field.
            self.random.choice(others).experience += self.p.dynamics.hire_share * p.experience

    def _large_firm_entry(self) -> None:
        lf = self.p.large_firms
        if not lf.enabled or self.large_firms_entered:
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

    # -- observation -------------------------------------------------------------------------

    def record_practitioners(self) -> None:
        year = -(-self.steps // 12)  # a partial year counts as the year it falls in
        for p in self.practitioners:
            if p.active or p.exited_step is not None and p.exited_step > self.steps - 12:
                self.practitioner_rows.append(practitioner_row(p, year))

    def field_experience(self) -> float:
        return sum(p.experience for p in self.practitioners if p.active)

    def active_count(self, kind: str) -> int:
        return sum(1 for p in self.practitioners if p.active and p.kind == kind)

    def value_share(self, kind: str) -> float:
        total = sum(sum(c.values()) for c in self.awards_by_kind)
        return sum(c[kind] for c in self.awards_by_kind) / total if total else math.nan

    def hhi(self) -> float:
        merged = Counter()
        for c in self.awards_by_org:
            merged.update(c)
        total = sum(merged.values())
        return sum((v / total) ** 2 for v in merged.values()) if total else math.nan


def contract_row(c: Contract) -> dict[str, Any]:
    row = {
        "contract": c.id,
        "commissioner": c.commissioner.unique_id,
        "level": c.level,
        "practitioner": c.lead.unique_id,
        "practitioner_kind": c.lead.kind,
        "partner": c.partner.unique_id if c.partner else -1,
        "freelancer": c.freelancer.unique_id if c.freelancer else -1,
        "rule": c.rule,
        "award_step": c.award_step,
        "end_step": c.end_step,
        "price": c.price,
        "need": c.need,
        "resources": c.adequacy,
        "reputation": c.reputation_at_award,
        "experience": c.experience_at_award,
        "has_safety_net": c.lead.has_safety_net,
        "funded_by_commissioner": c.funded_by_commissioner,
        "clarity": c.clarity,
        "n_episodes": c.n_episodes,
        "escalated": c.escalated,
        "withheld": c.withheld,
        "status": c.status,
        "manipulated": c.manipulated,
        "published": c.published,
        "discovered": c.discovered,
        "integrity": c.integrity if c.status == "completed" else math.nan,
        "response": c.response if c.status == "completed" else "none",
    }
    for dim in DIMENSIONS:
        row[dim] = c.dimensions[dim] if c.status == "completed" else math.nan
    return row


def practitioner_row(p: Practitioner, year: int) -> dict[str, Any]:
    return {
        "year": year,
        "practitioner": p.unique_id,
        "kind": p.kind,
        "active": p.active,
        "has_safety_net": p.has_safety_net,
        "experience": p.experience,
        "reputation": p.reputation,
        "reserves": p.reserves,
        "values": p.values,
        "red_flag_skill": p.red_flag_skill,
        "won": p.won,
        "delivered": p.delivered,
        "episodes_met": p.episodes_met,
        "threats": p.threats,
        "withdrawals": p.withdrawals,
        "declines": p.declines,
        "income": p.income,
    }


def _month(key: str):
    return lambda m: m.month[key]


def _value_share(kind: str):
    return lambda m: m.value_share(kind)


def _active(kind: str):
    return lambda m: m.active_count(kind)


def _mean(total: float, count: float) -> float:
    return total / count if count else math.nan


MODEL_SERIES: dict[str, Any] = {
    "tenders": lambda m: m.month["tenders"],
    "contracts_awarded": lambda m: m.month["awarded"],
    "unmet_tenders": lambda m: m.month["unmet"],
    "contracts_completed": lambda m: m.month["completed"],
    "contracts_withdrawn": lambda m: m.month["withdrawn"],
    "integrity": lambda m: _mean(m.month["integrity_sum"], m.month["completed"]),
    "pressure_share": lambda m: _mean(m.month["pressured"], m.month["completed"]),
    **{f"episodes_{k}": _month(f"episodes_{k}") for k in PRESSURE_TYPES},
    **{f"response_{r}": _month(f"response_{r}") for r in RESPONSES},
    "declines": lambda m: m.month["declines"],
    **{f"share_value_{k}": _value_share(k) for k in KINDS},
    **{f"awarded_{k}": _month(f"awarded_{k}") for k in KINDS},
    **{f"active_{k}": _active(k) for k in KINDS},
    "exits": lambda m: m.month["exits"],
    "entries": lambda m: m.month["entries"],
    "scandals": lambda m: m.month["scandals"],
    "field_experience": lambda m: m.field_experience(),
    "hhi": lambda m: m.hhi(),
    "public_confidence": lambda m: m.confidence,
    "commissioning_rate": lambda m: m.month["tenders"] / max(1, len(m.commissioners)),
    "implementation": lambda m: _mean(m.month["implementation_sum"], m.month["responses"]),
    "field_lessons_pool": lambda m: m.pool,
}
