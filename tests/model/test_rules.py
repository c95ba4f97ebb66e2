"""Unit tests of the pure decision rules of `dmpsim.model` (ODD §7).

Each test checks the *direction* the paper gives a rule: what raises or lowers a chance, and
which response is likely in which situation. Parameters not under test are the defaults of
`dmpsim.params`, so a recalibration that reverses a direction fails here.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dmpsim.model import completion, confidence, contract, demand, dynamics, pressure
from dmpsim.model import procurement as P
from dmpsim.model import response as ladder
from dmpsim.model.params import FLAT, MECHANISMS, PRESSURE_TYPES


def _section(**values):
    return SimpleNamespace(**values)


ALL_ON = _section(**dict.fromkeys(MECHANISMS, True))


class C:
    """The rules under the argument lists these tests were written for (one place to adapt)."""

    STAKE = contract.STAKE
    choice_probabilities = staticmethod(ladder.choice_probabilities)
    pick = staticmethod(ladder.pick)
    after_escalation = staticmethod(ladder.after_escalation)
    craft_floor = staticmethod(completion.craft_floor)
    follow_through = staticmethod(confidence.follow_through)

    @staticmethod
    def pressure_chance(kind, base, stakes, anxiety, desire, honesty, transparency, wash,
                        adequacy, trust, *, budget_squeeze, clarity, clarity_effect, trust_effect,
                        funded_elsewhere, funder_effect, participant_control, participant_effect,
                        mandate, mandate_effect, oversight, oversight_effect):
        s = pressure.Situation(stakes, anxiety, desire, honesty, transparency, wash, adequacy,
                               trust, clarity, funded_elsewhere)
        pp = _section(budget_squeeze=budget_squeeze, clarity_effect=clarity_effect,
                      trust_effect=trust_effect, funder_effect=funder_effect,
                      participant_effect=participant_effect, mandate_effect=mandate_effect,
                      oversight_effect=oversight_effect,
                      honesty_effect=default("pressure.honesty_effect"),
                      commitment_effect=default("pressure.commitment_effect"))
        gov = _section(participant_control=participant_control, transparency_mandate=mandate,
                       oversight_board=oversight, upfront_commitment=False)
        return pressure.pressure_chance(kind, base, s, pp, gov, ALL_ON)

    @staticmethod
    def response_utilities(stake, values, leverage, dependence, craft, security, *,
                           integrity_weight, leverage_weight, dependence_weight, threaten_cost,
                           withdraw_cost, reputation_at_risk=0.0):
        rp = _section(integrity_weight=integrity_weight, leverage_weight=leverage_weight,
                      dependence_weight=dependence_weight, threaten_cost=threaten_cost,
                      withdraw_cost=withdraw_cost)
        return ladder.response_utilities(
            ladder.Standing(stake, values, leverage, dependence, craft, security,
                            reputation_at_risk), rp)

    @staticmethod
    def back_down_chance(reputation, craft, stakes, desire, threatened, oversight, *, base,
                         leverage_weight, stakes_weight):
        rp = _section(back_down_base=base, back_down_leverage=leverage_weight,
                      back_down_stakes=stakes_weight)
        return ladder.back_down_chance(reputation, craft, stakes, desire, threatened, oversight, rp)

    @staticmethod
    def damage(outcome, stake, settle_share):
        ip = _section(damage_comply=1.0, damage_settle=settle_share)
        return completion.damage(outcome, stake, ip)

    @staticmethod
    def discovery_chance(published, transparency, oversight, *, base, transparency_weight,
                         oversight_weight):
        dp = _section(base=base, transparency=transparency_weight, oversight=oversight_weight)
        return completion.discovery_chance(published, transparency, oversight, dp)

    @staticmethod
    def expected_discovery(transparency, mandate, oversight, *, base, transparency_weight,
                           oversight_weight):
        dp = _section(base=base, transparency=transparency_weight, oversight=oversight_weight)
        return completion.expected_discovery(transparency, mandate, oversight, dp)

    @staticmethod
    def clarity_chance(skill, commissioner_experience, honesty=1.0):
        return pressure.clarity_chance(skill, honesty, commissioner_experience,
                                       default("learning.clarity_max"))


class D:
    absorb = staticmethod(dynamics.absorb)
    entry_chance = staticmethod(dynamics.entry_chance)
    sharing = staticmethod(dynamics.sharing)
    should_exit = staticmethod(dynamics.should_exit)
    confidence_step = staticmethod(confidence.confidence_step)

    @staticmethod
    def commission_chance(rate, conf, reference, elasticity, wave, peers):
        import numpy as np

        return float(demand.commission_chance(rate, conf, reference, elasticity, wave,
                                              np.array([peers]))[0])

RULES = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow])

unit = st.floats(0.0, 1.0, allow_nan=False)


def default(key: str):
    return FLAT[key].default


# -- pressure ---------------------------------------------------------------------------------

PRESSURE_KW = {
    name: default(f"pressure.{name}")
    for name in ("budget_squeeze", "clarity_effect", "trust_effect", "funder_effect",
                 "participant_effect", "mandate_effect", "oversight_effect")
}


def chance(kind: str, **kw) -> float:
    """pressure_chance with a typical commissioner and no shields, overridden by `kw`."""
    state = {"base": default(f"pressure.{kind}"), "stakes": 0.5, "anxiety": 0.3, "desire": 0.4,
             "honesty": 0.6, "transparency": 0.6, "wash": 0.25, "adequacy": 0.9, "trust": 0.3,
             "clarity": False, "funded_elsewhere": False, "participant_control": 0.0,
             "mandate": False, "oversight": False, **PRESSURE_KW}
    state.update(kw)
    positional = [state.pop(k) for k in ("base", "stakes", "anxiety", "desire", "honesty",
                                         "transparency", "wash", "adequacy", "trust")]
    return C.pressure_chance(kind, *positional, **state)


commissioner = st.fixed_dictionaries({
    "stakes": unit, "anxiety": unit, "desire": unit, "honesty": unit, "transparency": unit,
    "wash": unit, "adequacy": st.floats(0.0, 1.5), "trust": unit,
    "participant_control": unit, "clarity": st.booleans(), "funded_elsewhere": st.booleans(),
    "mandate": st.booleans(), "oversight": st.booleans(),
})


@RULES
@given(kind=st.sampled_from(PRESSURE_TYPES), state=commissioner,
       base=st.floats(0.0, 10.0), lo=unit, hi=unit)
def test_pressure_rises_with_stakes_and_desire(kind, state, base, lo, hi):
    lo, hi = sorted((lo, hi))
    for driver in ("stakes", "desire", "anxiety"):
        a = chance(kind, **{**state, "base": base, driver: lo})
        b = chance(kind, **{**state, "base": base, driver: hi})
        assert 0.0 <= a <= b <= 1.0, (driver, a, b)


@RULES
@given(kind=st.sampled_from(PRESSURE_TYPES), state=commissioner, lo=unit, hi=unit)
def test_pressure_falls_with_trust_honesty_and_participant_control(kind, state, lo, hi):
    lo, hi = sorted((lo, hi))
    for shield in ("trust", "honesty", "participant_control", "transparency"):
        assert chance(kind, **{**state, shield: hi}) <= chance(kind, **{**state, shield: lo})


@RULES
@given(kind=st.sampled_from(PRESSURE_TYPES), state=commissioner)
def test_each_shield_never_raises_pressure(kind, state):
    for shield in ("clarity", "funded_elsewhere", "mandate", "oversight"):
        assert chance(kind, **{**state, shield: True}) <= chance(kind, **{**state, shield: False})


def test_shields_cut_the_pressures_the_paper_says_they_cut():
    for kind in PRESSURE_TYPES:
        if kind != "stakeholder":
            assert chance(kind, clarity=True) < chance(kind), kind
    for kind in ("method", "experts_information", "secrecy", "report_content", "outcome"):
        assert chance(kind, trust=1.0) < chance(kind, trust=0.0), kind
        assert chance(kind, funded_elsewhere=True) < chance(kind), kind
        assert chance(kind, oversight=True) < chance(kind), kind
    for kind in ("experts_information", "report_content"):
        assert chance(kind, participant_control=1.0) < 0.5 * chance(kind, participant_control=0.0)
    assert chance("outcome", participant_control=1.0) < chance("outcome", participant_control=0.0)
    assert chance("secrecy", mandate=True) < 0.2 * chance("secrecy")
    # A transparency mandate bears on secrecy only.
    assert chance("method", mandate=True) == chance("method")


def test_pressure_drivers_strictly_raise_the_chance():
    assert chance("stakeholder", stakes=0.9) > chance("stakeholder", stakes=0.1)
    assert chance("outcome", desire=0.9) > chance("outcome", desire=0.1)
    assert chance("report_content", stakes=0.9) > chance("report_content", stakes=0.1)
    assert chance("secrecy", transparency=0.1) > chance("secrecy", transparency=0.9)
    assert chance("experts_information", honesty=0.1) > chance("experts_information", honesty=0.9)
    # Restricted time and resources: a squeezed budget.
    assert chance("time_resources", adequacy=0.5) > chance("time_resources", adequacy=1.0)
    assert chance("time_resources", adequacy=1.2) == chance("time_resources", adequacy=1.0)
    assert chance("outcome", base=0.0) == 0.0


def test_time_and_resources_is_the_most_frequent_pressure_at_defaults():
    """PT2 at the level of the rule: for a typical commissioner, time/resources leads and
    demands on the outcome or the report are the rarest control attempts."""
    chances = {k: chance(k) for k in PRESSURE_TYPES}
    assert max(chances, key=chances.get) == "time_resources"
    control = {k: chances[k] for k in ("method", "experts_information", "secrecy",
                                       "report_content", "outcome")}
    assert max(control, key=control.get) == "experts_information"
    assert set(sorted(control, key=control.get)[:2]) == {"report_content", "outcome"}


# -- responses --------------------------------------------------------------------------------

RESPONSE_KW = {name: default(f"response.{name}")
               for name in ("integrity_weight", "leverage_weight", "dependence_weight",
                            "threaten_cost", "withdraw_cost")}
TEMPERATURE = default("response.temperature")


def org_state(values, reputation, experience, security, government_dependence=0.0):
    """What the model passes for an organisation (see DMPMarket._episode)."""
    craft = 1.0 - math.exp(-experience / default("integrity.experience_scale"))
    leverage = (reputation + craft + security) / 3.0
    dependence = max(government_dependence, 1.0 - security)
    return values, leverage, dependence, craft, security


def probabilities(stake, values, reputation, experience, security, government_dependence=0.0,
                  **kw):
    utilities = C.response_utilities(stake, *org_state(values, reputation, experience, security,
                                                       government_dependence),
                                     **{**RESPONSE_KW, **kw})
    probs = C.choice_probabilities(utilities, TEMPERATURE)
    return dict(zip(("comply", "negotiate", "push_back", "threaten", "withdraw"), probs,
                    strict=True))


def test_established_secure_independent_rarely_complies_with_an_outcome_demand():
    p = probabilities(C.STAKE["outcome"], values=0.9, reputation=0.8, experience=20, security=1.0)
    assert p["comply"] < 0.10
    assert p["push_back"] + p["threaten"] + p["negotiate"] > 0.8


def test_low_values_government_dependent_firm_mostly_complies():
    p = probabilities(C.STAKE["outcome"], values=0.3, reputation=0.75, experience=1,
                      security=1.0, government_dependence=0.7)
    assert p["comply"] > 0.5


def test_dependence_and_values_move_compliance_the_right_way():
    base = probabilities(C.STAKE["report_content"], 0.7, 0.6, 8, 0.6)["comply"]
    assert probabilities(C.STAKE["report_content"], 0.95, 0.6, 8, 0.6)["comply"] < base
    assert probabilities(C.STAKE["report_content"], 0.7, 0.6, 8, 0.6, 0.9)["comply"] > base
    assert probabilities(C.STAKE["report_content"], 0.7, 0.6, 8, 0.1)["comply"] > base


@RULES
@given(values=st.floats(0.2, 1.0), reputation=unit, experience=st.floats(0, 60),
       security=unit, government_dependence=unit)
def test_withdrawing_is_the_least_likely_response_to_a_time_squeeze(
        values, reputation, experience, security, government_dependence):
    p = probabilities(C.STAKE["time_resources"], values, reputation, experience, security,
                      government_dependence)
    assert math.isclose(sum(p.values()), 1.0)
    assert p["withdraw"] < 0.02
    assert p["withdraw"] <= min(v for k, v in p.items() if k != "withdraw")


@RULES
@given(utilities=st.lists(st.floats(-20, 20), min_size=2, max_size=6),
       temperature=st.floats(0.01, 10.0))
def test_choice_probabilities_are_a_distribution_ordered_like_utilities(utilities, temperature):
    probs = C.choice_probabilities(tuple(utilities), temperature)
    assert math.isclose(sum(probs), 1.0)
    assert all(0.0 <= p <= 1.0 for p in probs)
    for i, j in zip(range(len(utilities)), range(1, len(utilities)), strict=False):
        if utilities[i] > utilities[j]:
            assert probs[i] >= probs[j]


def test_pick_follows_the_cumulative_distribution():
    probs = [0.2, 0.5, 0.3]
    assert [C.pick(probs, u) for u in (0.0, 0.19, 0.2, 0.69, 0.7, 0.999)] == [0, 0, 1, 1, 2, 2]


BACK_DOWN_KW = {"base": default("response.back_down_base"),
                "leverage_weight": default("response.back_down_leverage"),
                "stakes_weight": default("response.back_down_stakes")}


@RULES
@given(reputation=unit, craft=unit, stakes=unit, desire=unit, threatened=st.booleans(),
       oversight=st.booleans(), lo=unit, hi=unit)
def test_back_down_rises_with_leverage_threats_and_oversight(
        reputation, craft, stakes, desire, threatened, oversight, lo, hi):
    lo, hi = sorted((lo, hi))

    def bd(**kw):
        args = {"reputation": reputation, "craft": craft, "stakes": stakes, "desire": desire,
                "threatened": threatened, "oversight": oversight, **kw}
        return C.back_down_chance(**args, **BACK_DOWN_KW)

    assert bd(reputation=lo) <= bd(reputation=hi)
    assert bd(craft=lo) <= bd(craft=hi)
    assert bd(stakes=hi) <= bd(stakes=lo)
    assert bd(desire=hi) <= bd(desire=lo)
    assert bd(threatened=False) < bd(threatened=True)
    assert bd(oversight=False) < bd(oversight=True)
    assert 0.0 < bd() < 1.0


def test_back_down_is_likelier_for_a_reputed_expert_than_a_novice():
    novice = C.back_down_chance(0.3, 0.1, 0.6, 0.5, False, False, **BACK_DOWN_KW)
    expert = C.back_down_chance(0.9, 0.9, 0.6, 0.5, False, False, **BACK_DOWN_KW)
    assert expert - novice > 0.2


def escalation_shares(values, security, stake=1.0):
    """Shares of concede/hold/withdraw after an escalation, read through after_escalation."""
    kw = {"withdraw_cost": RESPONSE_KW["withdraw_cost"]
          * default("response.escalated_withdraw_cost")}
    probs = list(probabilities(stake, values, 0.6, 10, security, **kw).values())
    n = 2000
    outcomes = [C.after_escalation(probs, (i + 0.5) / n) for i in range(n)]
    return {k: outcomes.count(k) / n for k in ("concede", "hold", "withdraw")}


@pytest.mark.parametrize("values", [0.5, 0.75, 0.9])
@pytest.mark.parametrize("stake", [C.STAKE["report_content"], C.STAKE["outcome"]])
def test_a_safety_net_helps_hold_the_line_after_a_threat_not_to_pay(values, stake):
    without = escalation_shares(values, security=0.1, stake=stake)
    with_net = escalation_shares(values, security=1.0, stake=stake)
    assert with_net["hold"] > without["hold"]
    assert with_net["concede"] < without["concede"]


@RULES
@given(values=unit, lo=unit, hi=unit)
def test_conceding_after_escalation_falls_with_security(values, lo, hi):
    lo, hi = sorted((lo, hi))
    assert escalation_shares(values, hi)["concede"] <= escalation_shares(values, lo)["concede"] + 1e-3


def test_damage_craft_floor_and_discovery():
    assert C.damage("complied", 0.6, 0.25) == C.damage("conceded", 0.6, 0.25) == 0.6
    assert C.damage("settled", 0.6, 0.25) == pytest.approx(0.6 * 0.25)  # a share of the stake
    assert C.damage("upheld", 0.6, 0.25) == C.damage("withdrawn", 0.6, 0.25) == 0.0
    assert C.craft_floor(1.0, 0.25) == 1.0
    assert C.craft_floor(0.0, 0.25) == 0.75
    kw = {"base": 0.08, "transparency_weight": 0.3, "oversight_weight": 0.35}
    hidden = C.discovery_chance(False, 0.9, False, **kw)
    assert C.discovery_chance(True, 0.9, False, **kw) > hidden
    assert C.discovery_chance(False, 0.9, True, **kw) > hidden
    assert C.discovery_chance(True, 1.0, True, base=0.9, transparency_weight=0.9,
                              oversight_weight=0.9) == 1.0


@RULES
@given(craft=unit, experience=st.floats(0, 50), more=st.floats(0, 10))
def test_clarity_comes_with_craft_and_commissioner_experience(craft, experience, more):
    c = C.clarity_chance(craft, experience)
    assert 0.0 <= c <= 1.0
    assert C.clarity_chance(min(1.0, craft + more / 10), experience) >= c
    assert C.clarity_chance(craft, experience + more) >= c


# -- follow-through ---------------------------------------------------------------------------

@RULES
@given(commitment=unit, integrity=unit, u=st.floats(0.0, 1.0, exclude_max=True),
       lo=unit, hi=unit, upfront=st.booleans())
def test_follow_through_rises_with_commitment_integrity_and_upfront_commitment(
        commitment, integrity, u, lo, hi, upfront):
    lo, hi = sorted((lo, hi))
    assert C.follow_through(lo, integrity, upfront, u) <= C.follow_through(hi, integrity, upfront, u)
    assert C.follow_through(commitment, lo, upfront, u) <= C.follow_through(commitment, hi, upfront, u)
    assert C.follow_through(commitment, integrity, False, u) <= C.follow_through(
        commitment, integrity, True, u)
    assert C.follow_through(commitment, integrity, upfront, u) in (0.0, 0.5, 1.0)


def mean_follow_through(commitment, integrity, upfront):
    n = 1000
    return sum(C.follow_through(commitment, integrity, upfront, (i + 0.5) / n) for i in range(n)) / n


def test_upfront_commitment_strictly_raises_expected_follow_through():
    assert mean_follow_through(0.4, 0.9, True) > mean_follow_through(0.4, 0.9, False) + 0.05
    assert mean_follow_through(0.9, 0.9, False) > mean_follow_through(0.1, 0.9, False) + 0.1


# -- screening and tenders --------------------------------------------------------------------

@RULES
@given(hazard=st.floats(0.3, 1.0), honesty=st.floats(0.0, 0.5))
def test_dishonest_commissioner_looks_more_benign_than_it_is_to_a_novice(hazard, honesty):
    assert P.perceived_hazard(hazard, honesty, skill=0.0, noise=0.0) < hazard


@RULES
@given(hazard=unit, honesty=unit, lo=unit, hi=unit, noise=st.floats(-3, 3))
def test_red_flag_skill_reduces_the_error(hazard, honesty, lo, hi, noise):
    lo, hi = sorted((lo, hi))

    def error(skill, noise=0.0):
        return abs(P.perceived_hazard(hazard, honesty, skill, noise) - hazard)

    assert error(hi) <= error(lo) + 1e-12
    # Noise from reading the signals shrinks with skill too.
    spread = [abs(P.perceived_hazard(hazard, honesty, s, noise)
                  - P.perceived_hazard(hazard, honesty, s, 0.0)) for s in (lo, hi)]
    assert spread[1] <= spread[0] + 1e-12
    assert error(1.0) <= 0.4 * (1 - honesty) * abs(hazard - 0.15) + 1e-12


def test_expert_reads_a_hidden_hazard_far_better_than_a_novice():
    novice = P.perceived_hazard(0.8, 0.2, 0.0, 0.0)
    expert = P.perceived_hazard(0.8, 0.2, 0.95, 0.0)
    assert 0.8 - expert < 0.6 * (0.8 - novice)


SCREEN_KW = {"threshold": default("screening.decline_threshold"),
             "need_lowers_bar": default("screening.need_lowers_bar"),
             "avoid_trust": default("screening.avoid_trust")}
SCREEN = _section(decline_threshold=SCREEN_KW["threshold"], need_lowers_bar=SCREEN_KW["need_lowers_bar"],
                  avoid_trust=SCREEN_KW["avoid_trust"])


@RULES
@given(perceived=st.floats(-1, 2), lo=unit, hi=unit, trust=unit)
def test_need_lowers_the_bar(perceived, lo, hi, trust):
    lo, hi = sorted((lo, hi))
    if P.will_bid(perceived, hi, trust, SCREEN):
        assert P.will_bid(perceived, lo, trust, SCREEN)


def test_need_and_memory_decide_bids_at_the_margin():
    risky = SCREEN_KW["threshold"] + 0.2
    assert not P.will_bid(risky, 1.0, 0.5, SCREEN)
    assert P.will_bid(risky, 0.0, 0.5, SCREEN)
    # A commissioner remembered badly is avoided however benign it looks and however needy.
    assert P.will_bid(0.0, 0.0, 0.5, SCREEN)
    assert not P.will_bid(0.0, 0.0, SCREEN_KW["avoid_trust"] - 0.01, SCREEN)


@RULES
@given(need=st.floats(1, 1000), adequacy=st.floats(0.3, 3.0), markup=st.floats(-0.5, 2.0),
       shading=st.floats(0, 1), efficiency=st.floats(0.7, 1.3),
       rule=st.sampled_from(["quality", "direct", "consortium"]))
def test_bid_price_is_capped_by_budget_and_shaded_under_price_rule(
        need, adequacy, markup, shading, efficiency, rule):
    budget = need * adequacy
    open_price = P.bid_price(need, budget, markup, rule, shading, efficiency)
    price_only = P.bid_price(need, budget, markup, "price", shading, efficiency)
    assert open_price <= budget
    assert price_only <= open_price
    assert open_price == pytest.approx(min(budget, need * (1 + markup) * efficiency))
    if shading > 1e-6 and price_only < budget:
        assert price_only < open_price


def test_bid_price_is_positive_for_every_valid_markup_and_shading():
    assert P.bid_price(100.0, 90.0, -0.5, "price", 1.0, 1.0) > 0


def bids_strategy():
    bid = st.builds(P.Bid, practitioner=st.none(), price=st.floats(1, 500), craft=unit,
                    reputation=unit, experience=st.floats(0, 50),
                    judgement=st.floats(-0.3, 0.3))
    return st.lists(bid, min_size=1, max_size=8)


WEIGHTS = {k: default(f"procurement.{k}")
           for k in ("weight_price", "weight_experience", "weight_reputation")}


@RULES
@given(bids=bids_strategy(), data=st.data())
def test_winner_is_cheapest_under_price_and_best_scored_otherwise(bids, data):
    ties = data.draw(st.lists(unit, min_size=len(bids), max_size=len(bids)))
    cheapest = P.winner(bids, "price", tie_breaks=ties, **WEIGHTS)
    assert cheapest.price == min(b.price for b in bids)
    best = P.winner(bids, "quality", tie_breaks=ties, **WEIGHTS)
    lowest = min(b.price for b in bids)
    scores = [P.quality_score(b, lowest, **WEIGHTS) for b in bids]
    assert P.quality_score(best, lowest, **WEIGHTS) == max(scores)


def test_quality_rule_can_prefer_a_dearer_experienced_bid_and_price_rule_cannot():
    cheap = P.Bid("novice", 80.0, 0.1, 0.3, 1.0)
    dear = P.Bid("expert", 100.0, 0.9, 0.8, 20.0)
    assert P.winner([cheap, dear], "price", tie_breaks=[0, 0], **WEIGHTS).practitioner == "novice"
    assert P.winner([cheap, dear], "quality", tie_breaks=[0, 0], **WEIGHTS).practitioner == "expert"
    assert P.winner([], "price", tie_breaks=[], **WEIGHTS) is None


def test_ties_are_broken_by_the_draw():
    a, b = P.Bid("a", 50.0, 0.5, 0.5, 5.0), P.Bid("b", 50.0, 0.5, 0.5, 5.0)
    for rule in ("price", "quality"):
        assert P.winner([a, b], rule, tie_breaks=[0.9, 0.1], **WEIGHTS).practitioner == "b"
        assert P.winner([a, b], rule, tie_breaks=[0.1, 0.9], **WEIGHTS).practitioner == "a"


# -- market dynamics --------------------------------------------------------------------------

@RULES
@given(rate=unit, conf=unit, ref=st.floats(0.05, 1.0), elasticity=st.floats(0, 10),
       wave=st.floats(0, 1), peers=st.floats(-1, 1), lo=unit, hi=unit)
def test_commission_chance_rises_with_confidence_and_peers_and_is_capped(
        rate, conf, ref, elasticity, wave, peers, lo, hi):
    lo, hi = sorted((lo, hi))

    def cc(confidence=conf, peers_good=peers):
        return D.commission_chance(rate, confidence, ref, elasticity, wave, peers_good)

    assert 0.0 <= cc() <= 1.0
    assert cc(confidence=lo) <= cc(confidence=hi)
    assert cc(peers_good=lo) <= cc(peers_good=hi)


def test_commission_chance_strict_directions_and_cap():
    assert D.commission_chance(0.02, 0.8, 0.6, 1.5, 0.5, 0) > D.commission_chance(0.02, 0.4, 0.6, 1.5, 0.5, 0)
    assert D.commission_chance(0.02, 0.6, 0.6, 1.5, 0.5, 0.8) > D.commission_chance(0.02, 0.6, 0.6, 1.5, 0.5, 0)
    assert D.commission_chance(0.02, 0.6, 0.6, 1.5, 0.5, 0) == pytest.approx(0.02)
    assert D.commission_chance(1.0, 1.0, 0.1, 10.0, 10.0, 1.0) == 1.0


def test_commission_chance_is_never_negative():
    assert D.commission_chance(0.02, 0.6, 0.6, 1.5, 5.0, -1.0) >= 0.0


@RULES
@given(conf=unit, signals=st.lists(unit, min_size=1, max_size=5), rate=unit, data=st.data())
def test_confidence_moves_towards_what_the_public_sees(conf, signals, rate, data):
    weights = data.draw(st.lists(st.floats(0.1, 10), min_size=len(signals),
                                 max_size=len(signals)))
    seen = sum(s * w for s, w in zip(signals, weights, strict=True)) / sum(weights)
    new = D.confidence_step(conf, signals, weights, rate)
    assert 0.0 <= new <= 1.0
    assert min(conf, seen) - 1e-12 <= new <= max(conf, seen) + 1e-12
    assert abs(new - seen) <= abs(conf - seen) + 1e-12


def test_confidence_stays_put_with_nothing_to_see_and_falls_after_scandal():
    assert D.confidence_step(0.6, [], [], 0.04) == 0.6
    assert D.confidence_step(0.6, [0.0], [3.0], 0.04) < 0.6
    assert D.confidence_step(0.6, [0.9], [1.0], 0.04) > 0.6


@RULES
@given(rate=unit, lo=st.integers(0, 100), hi=st.integers(0, 100))
def test_entry_needs_unmet_tenders(rate, lo, hi):
    lo, hi = sorted((lo, hi))
    assert D.entry_chance(rate, 0) == 0.0
    assert 0.0 <= D.entry_chance(rate, lo) <= D.entry_chance(rate, hi) <= 1.0


def test_entry_chance_is_positive_when_tenders_go_unmet():
    assert D.entry_chance(0.01, 5) > D.entry_chance(0.01, 1) > 0.0


@RULES
@given(openness=unit, competition=unit, penalty=unit, lo=unit, hi=unit)
def test_competition_cuts_sharing(openness, competition, penalty, lo, hi):
    lo, hi = sorted((lo, hi))
    s = D.sharing(openness, competition, penalty)
    assert 0.0 <= s <= openness
    assert D.sharing(openness, hi, penalty) <= D.sharing(openness, lo, penalty)


def test_absorb_and_exit():
    assert D.absorb(10.0, 4.0, 0.6) == pytest.approx(0.3)
    assert D.absorb(4.0, 10.0, 0.6) == 0.0
    assert D.should_exit(6, 6, 0)
    assert not D.should_exit(5, 6, 0)
    # An insolvent organisation finishes its running contracts first.
    assert not D.should_exit(12, 6, 1)


def test_reputation_at_risk_deters_giving_in():
    """What discovery would cost lowers the chance of complying, and more so the likelier it is."""
    kw = {"integrity_weight": 2.2, "leverage_weight": 1.2, "dependence_weight": 1.6,
          "threaten_cost": 1.0, "withdraw_cost": 1.6}
    firm = (0.7, 0.45, 0.55, 0.7, 0.1, 1.0)   # stake, values, leverage, dependence, craft, security
    comply = [C.choice_probabilities(C.response_utilities(*firm, **kw, reputation_at_risk=r),
                                     0.35)[0] for r in (0.0, 0.5, 1.0)]
    assert comply[0] > comply[1] > comply[2]
    disc = {"base": 0.08, "transparency_weight": 0.3, "oversight_weight": 0.35}
    assert C.expected_discovery(0.3, False, False, **disc) < C.expected_discovery(0.9, False, False, **disc)
    assert C.expected_discovery(0.3, False, False, **disc) < C.expected_discovery(0.3, True, False, **disc)
    assert C.expected_discovery(0.3, False, False, **disc) < C.expected_discovery(0.3, False, True, **disc)


# -- rules of the reworked model (ODD §7) ----------------------------------------------------

def test_heads_off_grows_with_red_flag_skill_and_never_exceeds_the_chance():
    for chance in (0.0, 0.2, 0.9):
        shares = [pressure.heads_off(chance, skill, 0.5) for skill in (0.0, 0.5, 1.0)]
        assert shares == sorted(shares)
        assert all(0.0 <= x <= chance for x in shares)
    assert pressure.heads_off(0.4, 0.0, 0.5) == 0.0


def test_clarity_needs_lessons_and_an_honest_commissioner():
    cmax = default("learning.clarity_max")
    assert pressure.clarity_chance(0.0, 1.0, 0.0, cmax) == 0.0
    assert pressure.clarity_chance(1.0, 1.0, 0.0, cmax) > pressure.clarity_chance(1.0, 0.0, 0.0, cmax)
    assert pressure.clarity_chance(0.8, 0.5, 4.0, cmax) > pressure.clarity_chance(0.8, 0.5, 0.0, cmax)


def test_integrity_is_a_geometric_mean_that_no_dimension_can_buy_off():
    full = dict.fromkeys(("a", "b", "c", "d", "e"), 1.0)
    assert completion.integrity_score(full) == pytest.approx(1.0)
    engineered = {**full, "b": 0.0}
    assert completion.integrity_score(engineered) == 0.0
    half = {**full, "b": 0.5}
    assert completion.integrity_score(half) == pytest.approx(0.5 ** 0.2)
    assert completion.integrity_score(half) < sum(half.values()) / 5


def test_method_insistence_leaves_only_giving_in_or_walking_out():
    probabilities = [0.2, 0.3, 0.3, 0.1, 0.1]
    outcomes = {ladder.after_insistence(probabilities, u / 100) for u in range(100)}
    assert outcomes == {"concede", "withdraw"}
    # Walking out takes the share of the last rung among the first and the last.
    walks = sum(ladder.after_insistence(probabilities, u / 1000) == "withdraw" for u in range(1000))
    assert walks / 1000 == pytest.approx(0.1 / 0.3, abs=0.01)


def test_reserves_above_the_cap_are_paid_out_and_turnover_fades_experience():
    assert dynamics.paid_out(120.0, 100.0) == 20.0
    assert dynamics.paid_out(80.0, 100.0) == 0.0
    assert dynamics.retained(0.0) == 1.0
    assert dynamics.retained(0.2) == pytest.approx(math.exp(-0.2 / 12))
    assert dynamics.retained(0.2) ** 12 == pytest.approx(math.exp(-0.2))


def test_adoption_follows_peers_good_experiences():
    import numpy as np

    chances = demand.adoption_chance(0.03, 0.38, np.array([0.0, 0.5, 1.0]))
    assert list(chances) == sorted(chances)
    assert chances[0] == pytest.approx(1 - math.exp(-0.03 / 12))
