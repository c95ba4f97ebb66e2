"""Observation (ODD §9): a contract's table row, a practitioner's yearly row, and the model-level
series recorded each month."""

from __future__ import annotations

import math
from typing import Any

from .params import DIMENSIONS, KINDS, PRESSURE_TYPES, RESPONSES

EPISODE_COLUMNS = ("contract", "step", "phase", "type", "response", "reply", "outcome",
                   "practitioner", "practitioner_kind", "commissioner", "reliant", "has_safety_net")
"""The fields of one episode row, in the order the market records them."""


def contract_row(c: Any) -> dict[str, Any]:
    done = c.status == "completed"
    row = {
        "contract": c.id,
        "commissioner": c.commissioner.unique_id,
        "level": c.level,
        "commissioner_kind": c.commissioner_kind,
        "honesty": c.honesty,
        "trust": c.trust_at_award,
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
        "reliant": c.lead_reliant,
        "funded_by_commissioner": c.funded_by_commissioner,
        "clarity": c.clarity,
        "n_episodes": c.n_episodes,
        "pre_empted": c.pre_empted,
        "escalated": c.escalated,
        "withheld": c.withheld,
        "status": c.status,
        "manipulated": c.manipulated,
        "published": c.published,
        "discovered": c.discovered,
        "integrity": c.integrity if done else math.nan,
        "response": c.response if done else "none",
    }
    for dim in DIMENSIONS:
        row[dim] = c.dimensions[dim] if done else math.nan
    return row


def practitioner_row(p: Any, year: int) -> dict[str, Any]:
    return {
        "year": year,
        "practitioner": p.unique_id,
        "kind": p.kind,
        "active": p.active,
        "exit_reason": p.exit_reason,
        "has_safety_net": p.has_safety_net,
        "reliant": p.reliant,
        "experience": p.experience,
        "reputation": p.reputation,
        "reserves": p.reserves,
        "values": p.values,
        "red_flag_skill": p.red_flag_skill(p.model.p.learning.lesson_scale),
        "won": p.won,
        "delivered": p.delivered,
        "episodes_met": p.episodes_met,
        "complied": p.complied,
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
    "pre_empted": lambda m: m.month["pre_empted"],
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
    "adopters": lambda m: m.adopters,
    "commissioning_rate": lambda m: m.month["tenders"] / max(1, len(m.commissioners)),
    "implementation": lambda m: _mean(m.month["implementation_sum"], m.month["responses"]),
    "field_lessons_pool": lambda m: m.pool,
}


# Series read straight off this month's tallies (ODD §9): series name -> tally key.
_FROM_TALLIES = {
    "tenders": "tenders",
    "contracts_awarded": "awarded",
    "unmet_tenders": "unmet",
    "contracts_completed": "completed",
    "contracts_withdrawn": "withdrawn",
    **{f"episodes_{k}": f"episodes_{k}" for k in PRESSURE_TYPES},
    **{f"response_{r}": f"response_{r}" for r in RESPONSES},
    "pre_empted": "pre_empted",
    "declines": "declines",
    **{f"awarded_{k}": f"awarded_{k}" for k in KINDS},
    "exits": "exits",
    "entries": "entries",
    "scandals": "scandals",
}


def month_series(m: Any) -> dict[str, Any]:
    """Every series of `MODEL_SERIES` for this month, computed in one pass over the market.

    The values are those of the reporters in `MODEL_SERIES`, to the last bit (a test compares
    them with Mesa's DataCollector run over those reporters); what differs is the cost: one walk
    over the practitioners and the award windows instead of one per reporter.
    """
    month = m.month
    row = {name: month.get(key, 0) for name, key in _FROM_TALLIES.items()}
    row["integrity"] = _mean(month.get("integrity_sum", 0), month.get("completed", 0))
    row["pressure_share"] = _mean(month.get("pressured", 0), month.get("completed", 0))
    row["implementation"] = _mean(month.get("implementation_sum", 0), month.get("responses", 0))
    active = dict.fromkeys(KINDS, 0)
    experience = []
    for p in m.practitioners:
        if p.active:
            active[p.kind] += 1
            experience.append(p.experience)
    for kind in KINDS:
        row[f"active_{kind}"] = active[kind]
    # sum(), as the reporter does: from Python 3.12 it compensates for rounding.
    row["field_experience"] = sum(experience)
    total = sum(sum(c.values()) for c in m.awards_by_kind)
    for kind in KINDS:
        row[f"share_value_{kind}"] = (sum(c.get(kind, 0) for c in m.awards_by_kind) / total
                                      if total else math.nan)
    row["hhi"] = m.hhi()
    row["public_confidence"] = m.confidence
    row["adopters"] = m.adopters
    row["commissioning_rate"] = month.get("tenders", 0) / max(1, len(m.commissioners))
    row["field_lessons_pool"] = m.pool
    return row
