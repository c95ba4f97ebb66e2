"""Procurement (ODD §7.2): screening, who bids, at what price, and who wins under each rule.

Pure functions of numbers; the market gathers the bidders and draws the random numbers.
"""

from __future__ import annotations

from typing import Any, NamedTuple

MIN_PRICE_FACTOR = 0.1
"""Lowest price a bidder offers, as a share of the cost of an adequate design."""


class Bid(NamedTuple):
    """One bid for a tender: who, at what price, and how it scores (ODD §7.2)."""

    practitioner: object
    price: float
    craft: float
    reputation: float
    experience: float
    judgement: float = 0.0


def perceived_hazard(hazard: float, honesty: float, skill: float, noise: float) -> float:
    """What a practitioner reads of a commissioner's hazard from the signals it can see.

    Red flags include NDA demands, "participation wash", unclear impact and too little time or
    money [P]. A dishonest commissioner looks benign ("these issues are not immediately obvious
    upfront and only become apparent later"); red-flag skill sees through some of it and reads
    signals more sharply. `noise` is a standard-normal draw scaled by the caller's noise level.
    """
    seen = honesty + (1.0 - honesty) * 0.6 * skill
    apparent = seen * hazard + (1.0 - seen) * 0.15
    return apparent + noise * (1.0 - skill)


def will_bid(perceived: float, security: float, remembered_trust: float, sc: Any) -> bool:
    """Whether a practitioner bids, having screened the commissioner for red flags.

    Need for income lowers the bar: "Sometimes it's important to go ahead with a project in
    conditions that are unfavourable" [P]; a commissioner remembered badly is avoided ("know
    what—and who—to avoid in the future"). `sc` is the screening section.
    """
    if remembered_trust < sc.avoid_trust:
        return False
    return perceived <= sc.decline_threshold + sc.need_lowers_bar * (1.0 - security)


def bid_price(need: float, budget: float, markup: float, rule: str, price_shading: float,
              efficiency: float) -> float:
    """Price asked: cost times markup and efficiency, shaded in price-only tenders, within budget.

    Large firms can low-ball (negative markup), as incumbents do in auditing (DeAngelo 1981).
    """
    shading = price_shading if rule == "price" else 0.0
    # However hard a bidder shades, it does not offer to work for less than a tenth of the cost.
    factor = max(MIN_PRICE_FACTOR, 1.0 + markup - shading)
    return min(budget, need * factor * efficiency)


def quality_score(bid: Bid, lowest_price: float, *, weight_price: float, weight_experience: float,
                  weight_reputation: float) -> float:
    """Scoring-auction score (Che 1993): low price, experience as it looks on paper, reputation,
    and the evaluators' judgement (a draw that keeps tenders from being foregone conclusions)."""
    return (
        weight_price * lowest_price / bid.price
        + weight_experience * bid.craft
        + weight_reputation * bid.reputation
        + bid.judgement
    )


def winner(bids: list[Bid], rule: str, *, weight_price: float, weight_experience: float,
           weight_reputation: float, tie_breaks: list[float]) -> Bid | None:
    """The winning bid under a price-only rule, or scored on quality otherwise.

    Direct award and the consortium requirement are settled before and after this choice by the
    model; both score the open part of the tender on quality. Ties go to the lower tie-break.
    """
    if not bids:
        return None
    if rule == "price":
        keys = [(b.price, t) for b, t in zip(bids, tie_breaks, strict=True)]
    else:
        lowest = min(b.price for b in bids)
        keys = [(-quality_score(b, lowest, weight_price=weight_price,
                                weight_experience=weight_experience,
                                weight_reputation=weight_reputation), t)
                for b, t in zip(bids, tie_breaks, strict=True)]
    return bids[keys.index(min(keys))]
