"""Market dynamics: demand, public confidence, the shared pool of lessons, exit and entry."""

from __future__ import annotations


def commission_chance(rate: float, confidence: float, reference_confidence: float,
                      elasticity: float, wave_strength: float, peers_good: float) -> float:
    """Chance a commissioner starts a process this month.

    Demand "grows with public confidence and with peers' good experiences — the 'deliberative
    wave' — and falls after scandals" (MODEL.md; OECD 2020). `peers_good` is the net share of bodies
    at the same level whose last process went well (good minus bad, in [-1, 1]).
    """
    ratio = max(confidence, 1e-6) / max(reference_confidence, 1e-6)
    return max(0.0, min(1.0, rate * ratio**elasticity * (1.0 + wave_strength * peers_good)))


def confidence_step(confidence: float, signals: list[float], weights: list[float],
                    rate: float) -> float:
    """Public confidence moves towards what the public saw this month.

    Each completed process signals its integrity (a discovered manipulation signals 0, with extra
    weight: a scandal); each response to recommendations signals its follow-through. With nothing
    to see, confidence stays put.
    """
    total = sum(weights)
    if total <= 0:
        return confidence
    seen = sum(s * w for s, w in zip(signals, weights, strict=True)) / total
    return min(1.0, max(0.0, confidence + rate * (seen - confidence)))


def sharing(openness: float, competition: float, penalty: float) -> float:
    """Share of its new lessons an organisation publishes to the field.

    [P]: "the procurement process ... encourages competition between practitioners for contracts
    rather than collaboration. This competition may limit transparency". `competition` is in
    [0, 1]: bidders per tender over the most a tender can draw.
    """
    return openness * max(0.0, 1.0 - penalty * competition)


def absorb(pool: float, seen: float, absorption: float) -> float:
    """Lessons taken from the field's pool this month (a yearly share of what is still unseen)."""
    return max(0.0, pool - seen) * absorption / 12.0


def entry_chance(entry_rate: float, unmet_tenders: int) -> float:
    """Chance that a new independent starts this month, given tenders that found no bidder."""
    return 1.0 - (1.0 - entry_rate) ** unmet_tenders


def should_exit(months_negative: int, exit_months: int, load: int) -> bool:
    """An organisation exits once its reserves have stayed negative too long and it is free.

    It finishes running contracts first, so no process is abandoned by insolvency.
    """
    return months_negative >= exit_months and load == 0
