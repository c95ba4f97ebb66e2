"""Responses and replies (ODD §7.4): the response ladder, the commissioner's reply, and what a
practitioner does when a commissioner escalates or insists."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Standing:
    """What a practitioner brings to one dispute."""

    stake: float
    values: float
    leverage: float
    dependence: float
    craft: float
    security: float
    reputation_at_risk: float = 0.0


def logistic(x: float) -> float:
    if x < -700:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


def response_utilities(s: Standing, rp: Any, withdraw_cost_share: float = 1.0
                       ) -> tuple[float, float, float, float, float]:
    """Utilities of (comply, negotiate, push back, threaten, withdraw) for one pressure episode.

    The choice "weighs the practitioner's values, the integrity at stake, its reputation ... its
    financial runway ... and its experience". Negotiation is the everyday response ("a matter of
    ongoing negotiation"); pushing back grows with values times the integrity at stake and with
    leverage ("reputation and credibility in the field also served as valuable leverage"); need
    for this client's money pulls towards compliance ("the pressure to comply may be greater");
    walking away is costly and rare ("most practitioners we interviewed had never pulled out").
    Giving in to a control demand also puts reputation at risk, should it come to light
    (`reputation_at_risk`): "If I had a reputation of just giving authorities what they want from
    these processes, I'm of no use". `rp` is the response section; `withdraw_cost_share` scales
    the cost of walking away once the commissioner escalates or insists.
    """
    principled = rp.integrity_weight * s.values
    dep = rp.dependence_weight * s.dependence
    comply = (1.0 - s.values) + dep - principled * s.stake - 0.5 * s.craft - s.reputation_at_risk
    negotiate = 0.2 + 0.5 * s.craft
    push_back = principled * (s.stake - 0.5) + rp.leverage_weight * (s.leverage - 0.5) - dep
    threaten = (1.5 * principled * (s.stake - 0.7) + rp.leverage_weight * (s.leverage - 0.5)
                - 1.5 * dep - rp.threaten_cost)
    withdraw = (2.0 * principled * (s.stake - 0.8) + (s.security - 0.5) - 2.0 * dep
                - rp.withdraw_cost * withdraw_cost_share)
    return comply, negotiate, push_back, threaten, withdraw


def choice_probabilities(utilities: tuple[float, ...], temperature: float) -> list[float]:
    """Multinomial-logit (softmax) choice probabilities."""
    top = max(utilities)
    weights = [math.exp((u - top) / temperature) for u in utilities]
    total = sum(weights)
    return [w / total for w in weights]


def pick(probabilities: list[float], u: float) -> int:
    """Index chosen by one uniform draw `u` in [0, 1)."""
    acc = 0.0
    for i, p in enumerate(probabilities):
        acc += p
        if u < acc:
            return i
    return len(probabilities) - 1


def back_down_chance(reputation: float, craft: float, stakes: float, desire: float,
                     threatened: bool, oversight: bool, rp: Any) -> float:
    """Chance that a commissioner backs down when a practitioner resists.

    "its chance of backing down grows with the practitioner's reputation and experience"; a threat
    to walk away and an oversight board raise it, the commissioner's stakes and desire for an
    outcome lower it.
    """
    x = (
        rp.back_down_base
        + rp.back_down_leverage * (0.5 * reputation + 0.5 * craft - 0.5)
        - rp.back_down_stakes * (0.5 * stakes + 0.5 * desire - 0.3)
        + (0.8 if threatened else 0.0)
        + (0.7 if oversight else 0.0)
    )
    return logistic(x)


def after_escalation(probabilities: list[float], u: float) -> str:
    """What a practitioner does once the commissioner threatens not to pay: concede, hold or walk.

    The ladder's own probabilities are reused on its three decisive rungs (comply, push back,
    withdraw). [P]: "We're gonna cover it if you don't pay them ... Because guess what? We're not
    putting that page in"; "for practitioner organisations who do not have an additional or
    external source of funding ... the pressure to comply may be greater".
    """
    comply, _negotiate, push_back, _threaten, withdraw = probabilities
    total = comply + push_back + withdraw
    choice = pick([comply / total, push_back / total, withdraw / total], u)
    return ("concede", "hold", "withdraw")[choice]


def after_insistence(probabilities: list[float], u: float) -> str:
    """What a practitioner does when a commissioner insists on an unsuitable method (M10).

    A method cannot be half-used: there is no settling and no holding out while running the
    process another way, so only the ladder's first and last rungs are left, give in or walk out
    (their probabilities, renormalised). [P]: "In the one case where practitioners described
    pulling out of a contract, it was ... the commissioning authority's insistence on using a
    particular method"; "we had to hold the line, there was nothing that we could do to crawl
    back those integrity-based measures".
    """
    comply, withdraw = probabilities[0], probabilities[-1]
    return "withdraw" if u * (comply + withdraw) >= comply else "concede"
