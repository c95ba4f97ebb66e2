"""Follow-through and public confidence (ODD §7.7, §7.8)."""

from __future__ import annotations


def follow_through(commitment: float, integrity: float, upfront_commitment: bool, u: float) -> float:
    """The commissioner's response to the recommendations: 1 implement, 0.5 partly, 0 ignore.

    [P]: "processes that were robust, empowering experiences for participants but fell through in
    the aftermath when commissioning authorities did not follow up on the recommendations".
    """
    resolve = commitment + (0.3 if upfront_commitment else 0.0)
    implement = min(1.0, resolve * (0.4 + 0.6 * integrity) * 0.8)
    partly = min(1.0 - implement, 0.35)
    if u < implement:
        return 1.0
    if u < implement + partly:
        return 0.5
    return 0.0


def confidence_step(confidence: float, signals: list[float], weights: list[float],
                    rate: float) -> float:
    """Public confidence moves towards what the public saw this month.

    Each completed process signals its integrity (a discovered manipulation signals 0, with extra
    weight: a scandal); each response to recommendations signals its follow-through. With nothing
    to see, confidence stays put. [P]: "Otherwise, you just erode confidence in these processes
    and in authorities in general".
    """
    total = sum(weights)
    if total <= 0:
        return confidence
    seen = sum(s * w for s, w in zip(signals, weights, strict=True)) / total
    return min(1.0, max(0.0, confidence + rate * (seen - confidence)))
