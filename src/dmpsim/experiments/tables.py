"""What a run reports: the four tables and the summary, with every column and key explained.

`SUMMARY_KEYS` and the `*_COLUMNS` dictionaries are the one place where output meanings are
documented; docs/ODD.md and the README point here, and a test checks that every column a run
produces is listed.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..model.params import INDEPENDENT_KINDS, KINDS, PRESSURE_TYPES, RESPONSES
from .patterns import PATTERN_FIGURES, Columns, given_in_shares, pattern_figures, series_mean

if TYPE_CHECKING:
    from ..model import DMPMarket

SUMMARY_KEYS: dict[str, str] = {
    "integrity_mean": "mean integrity (0-1) of all processes completed in the run",
    "integrity_final5": "mean integrity of processes completed in the last five years",
    "pressure_rate": "share of ended contracts (completed or withdrawn) with at least one pressure episode",
    "episodes_per_contract": "pressure episodes per ended contract",
    "comply_rate": "share of pressure episodes met by complying",
    "negotiate_rate": "share of pressure episodes met by negotiating",
    "pushback_rate": "share of pressure episodes met by pushing back or threatening to withdraw",
    "withdraw_rate": "share of pressure episodes met by withdrawing",
    "escalation_rate": "share of pressure episodes the commissioner escalated (threat not to pay)",
    "large_firm_share": "share of contract value won by large firms over the run",
    "large_firm_share_final5": "share of contract value won by large firms in the last five years",
    "independent_share": "share of contract value won by independents (non-profit, commercial, freelance) over the run",
    "field_experience": "processes' worth of experience held by active organisations at the end",
    "independents_active": "active independent organisations at the end",
    "large_firms_active": "active large firms at the end",
    "public_confidence": "public confidence in mini-publics (0-1) at the end",
    "implementation_rate": "mean follow-through on recommendations (implemented 1, partly 0.5, ignored 0)",
    "contracts_awarded": "contracts signed in the run",
    "contracts_completed": "contracts completed in the run",
    "contracts_withdrawn": "contracts the practitioner walked away from",
    "declines": "tenders a practitioner declined to bid for because of red flags",
    "pre_empted": "control attempts headed off before they became episodes",
    "tenders": "processes commissioners put out to tender in the run",
    "given_in_rate_reliant": "share of episodes met by independents living on commissioned income alone that ended given in to (complied or conceded)",
    "given_in_rate_secure": "the same for independents with a funder or other income",
    "scandals": "completed processes whose manipulation was discovered",
    "exits": "organisations that exited (could not pay their way; large firms also when DMP work cost them money or their name)",
    "exits_independent": "independent organisations that exited",
    "entries": "new independent organisations that started",
    "hhi_final": "Herfindahl-Hirschman index of contract value by organisation over the last year",
    **{name: f"pattern {name}: {meaning}" for name, meaning in PATTERN_FIGURES.items()},
}

CONTRACT_COLUMNS: dict[str, str] = {
    "contract": "contract id",
    "commissioner": "commissioner's agent id",
    "level": "commissioner's level: local, regional, national, other",
    "commissioner_kind": "commissioner's kind: council, regional_government, national_government, department, legislature, other_body",
    "honesty": "commissioner's honesty about the politics (0-1, hidden from the practitioner)",
    "trust": "commissioner's trust in the lead at award (0-1): past work together, or familiarity",
    "practitioner": "lead practitioner's agent id",
    "practitioner_kind": "lead's kind: independent_nonprofit, independent_commercial, freelancer, large_firm",
    "partner": "consortium partner's agent id (-1 for none)",
    "freelancer": "subcontracted freelancer's agent id (-1 for none)",
    "rule": "procurement rule of the tender",
    "award_step": "month the contract was signed",
    "end_step": "month it was completed or abandoned",
    "price": "price (k currency units)",
    "need": "cost of an adequate design (k)",
    "resources": "price over the cost of an adequate design, capped at 1",
    "reputation": "lead's reputation at award (0-1)",
    "experience": "lead's experience at award (processes)",
    "has_safety_net": "lead has an external or philanthropic funder",
    "reliant": "lead lives on commissioned income alone (no funder, no other income)",
    "funded_by_commissioner": "the commissioner pays (false: a separate funder pays)",
    "clarity": "roles and terms were settled up front",
    "n_episodes": "pressure episodes during the contract",
    "pre_empted": "control attempts headed off before they became episodes (red-flag skill)",
    "escalated": "the commissioner threatened not to pay",
    "withheld": "payment withheld (k)",
    "status": "completed or withdrawn",
    "manipulated": "a control demand was met in full",
    "published": "all materials and the report were published",
    "discovered": "manipulation came to light (a scandal)",
    "integrity": "integrity score (0-1): geometric mean of the five dimensions; NaN if withdrawn",
    "independence": "independence of information and experts (0-1)",
    "authorship": "participants' authorship of the report (0-1)",
    "transparency": "transparency (0-1)",
    "adequacy": "adequacy of time and resources (0-1)",
    "representativeness": "representativeness of recruitment (0-1)",
    "response": "commissioner's response to recommendations: implemented, partly, ignored, pending, none",
}

EPISODE_COLUMN_DOCS: dict[str, str] = {
    "contract": "contract id",
    "step": "month of the episode",
    "phase": "design_recruitment, learning, deliberation or report",
    "type": "pressure type: " + ", ".join(PRESSURE_TYPES),
    "response": "practitioner's response: " + ", ".join(RESPONSES),
    "reply": "commissioner's reply: none, back_down, settle, escalate (threat not to pay), insist (on its method)",
    "outcome": "how it ended: complied, settled, upheld, conceded (gave in after escalation or insistence), withdrawn",
    "practitioner": "lead practitioner's agent id",
    "practitioner_kind": "lead's kind",
    "commissioner": "commissioner's agent id",
    "reliant": "lead lives on commissioned income alone (no funder, no other income)",
    "has_safety_net": "lead has an external or philanthropic funder",
}

PRACTITIONER_COLUMNS: dict[str, str] = {
    "year": "year of the run (row taken at its end)",
    "practitioner": "agent id",
    "kind": "practitioner kind",
    "active": "still in the market",
    "exit_reason": "why it left: insolvent, losses (a large firm's DMP line), reputation; empty while active",
    "has_safety_net": "has an external funder",
    "reliant": "lives on commissioned income alone (no funder, no other income)",
    "experience": "processes' worth of experience",
    "reputation": "reputation in the field (0-1)",
    "reserves": "cash reserves (k)",
    "values": "commitment to deliberative values (0-1)",
    "red_flag_skill": "accuracy in reading red flags (0-1)",
    "won": "contracts won so far",
    "delivered": "processes delivered so far (as lead, partner or subcontractor)",
    "episodes_met": "pressure episodes met so far as lead",
    "complied": "episodes given in to so far (complied, or conceded after escalation or insistence)",
    "threats": "threats to withdraw so far",
    "withdrawals": "contracts walked away from so far",
    "declines": "tenders declined on red flags so far",
    "income": "income from processes so far (k)",
}

MODEL_COLUMN_DOCS: dict[str, str] = {
    "step": "month",
    "tenders": "processes commissioners put out to tender this month",
    "contracts_awarded": "contracts signed this month",
    "unmet_tenders": "tenders that found no (eligible) bidder",
    "contracts_completed": "processes completed this month",
    "contracts_withdrawn": "contracts abandoned by the practitioner this month",
    "integrity": "mean integrity of processes completed this month (NaN if none)",
    "pressure_share": "share of this month's completed processes that met pressure",
    **{f"episodes_{k}": f"pressure episodes of type {k} this month" for k in PRESSURE_TYPES},
    **{f"response_{r}": f"responses '{r}' this month" for r in RESPONSES},
    "pre_empted": "control attempts headed off this month before they became episodes",
    "declines": "tenders declined on red flags this month",
    **{f"share_value_{k}": f"{k}'s share of contract value over the last 12 months" for k in KINDS},
    **{f"awarded_{k}": f"contracts won by {k} this month" for k in KINDS},
    **{f"active_{k}": f"active organisations of kind {k}" for k in KINDS},
    "exits": "organisations exiting this month",
    "entries": "new independents this month",
    "scandals": "discovered manipulations this month",
    "field_experience": "experience held by active organisations (processes)",
    "hhi": "Herfindahl-Hirschman index of contract value by organisation, last 12 months",
    "public_confidence": "public confidence in mini-publics (0-1)",
    "adopters": "share of commissioners that use mini-publics",
    "commissioning_rate": "tenders per commissioner this month",
    "implementation": "mean follow-through of responses made this month",
    "field_lessons_pool": "lessons published to the field (cumulative)",
}


TEXT_COLUMNS = {"level", "practitioner_kind", "rule", "status", "response", "phase", "type",
                "reply", "outcome", "kind", "commissioner_kind", "exit_reason"}
FLAG_COLUMNS = {"has_safety_net", "funded_by_commissioner", "clarity", "escalated", "manipulated",
                "published", "discovered", "active", "reliant"}
INT_COLUMNS = {"contract", "commissioner", "practitioner", "partner", "freelancer", "award_step",
               "end_step", "n_episodes", "pre_empted", "step", "year", "won", "delivered",
               "episodes_met", "complied", "threats", "withdrawals", "declines"}


def _table(rows: list, columns: list[str]) -> pd.DataFrame:
    """A table from rows; an empty one still carries its column types (for Parquet readers)."""
    df = pd.DataFrame(rows, columns=columns)
    if len(df) == 0:
        df = df.astype({c: ("str" if c in TEXT_COLUMNS else "bool" if c in FLAG_COLUMNS
                            else "int64" if c in INT_COLUMNS else "float64") for c in columns})
    return df


def model_table(model: DMPMarket) -> pd.DataFrame:
    df = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    df.insert(0, "step", range(1, len(df) + 1))
    return df


def contracts_table(model: DMPMarket) -> pd.DataFrame:
    return _table(model.contract_rows, list(CONTRACT_COLUMNS))


def episodes_table(model: DMPMarket) -> pd.DataFrame:
    return _table(model.episode_rows, list(EPISODE_COLUMN_DOCS))


def practitioners_table(model: DMPMarket) -> pd.DataFrame:
    return _table(model.practitioner_rows, list(PRACTITIONER_COLUMNS))


def _share(part: float, whole: float) -> float:
    return part / whole if whole else math.nan


def summarise(model: DMPMarket, contracts: pd.DataFrame, episodes: pd.DataFrame,
              practitioners: pd.DataFrame, series: pd.DataFrame) -> dict[str, Any]:
    """Scalars over the whole run (the keys and meanings of `SUMMARY_KEYS`), the pattern
    figures PT1-PT10 last (`dmpsim.experiments.patterns.run_patterns`)."""
    # Columns read once into numpy, for these figures and the patterns' (`patterns.Columns`);
    # `series_mean` is pandas' `Series.mean()` to the last bit.
    contract, episode = Columns(contracts), Columns(episodes)
    status, integrity, n_episodes = contract["status"], contract["integrity"], contract["n_episodes"]
    completed = status == "completed"
    final5 = completed & (contract["end_step"] > model.steps - 60)
    n_ep = len(episodes)
    response = episode["response"]

    def responses(*names: str) -> int:
        return sum(np.count_nonzero(response == name) for name in names)

    value_by_kind = {k: 0.0 for k in KINDS}
    value_final5 = {k: 0.0 for k in KINDS}
    for c in model.all_contracts:
        value_by_kind[c.lead.kind] += c.price
        if c.award_step > model.steps - 60:
            value_final5[c.lead.kind] += c.price
    total_value = sum(value_by_kind.values())
    active = [p for p in model.practitioners if p.active]
    given_in_reliant, given_in_secure = given_in_shares(episode)
    summary = {
        "integrity_mean": series_mean(integrity[completed]),
        "integrity_final5": series_mean(integrity[final5]),
        "pressure_rate": series_mean(n_episodes > 0),
        "episodes_per_contract": series_mean(n_episodes),
        "comply_rate": _share(responses("comply"), n_ep),
        "negotiate_rate": _share(responses("negotiate"), n_ep),
        "pushback_rate": _share(responses("push_back", "threaten"), n_ep),
        "withdraw_rate": _share(responses("withdraw"), n_ep),
        "escalation_rate": _share(np.count_nonzero(episode["reply"] == "escalate"), n_ep),
        "large_firm_share": _share(value_by_kind["large_firm"], total_value),
        "large_firm_share_final5": _share(value_final5["large_firm"], sum(value_final5.values())),
        "independent_share": _share(sum(value_by_kind[k] for k in INDEPENDENT_KINDS), total_value),
        "field_experience": float(sum(p.experience for p in active)),
        "independents_active": sum(1 for p in active if p.is_independent),
        "large_firms_active": sum(1 for p in active if not p.is_independent),
        "public_confidence": float(model.confidence),
        "implementation_rate": _implementation(contract["response"][completed]),
        "contracts_awarded": len(model.all_contracts),
        "contracts_completed": np.count_nonzero(completed),
        "contracts_withdrawn": np.count_nonzero(status == "withdrawn"),
        "declines": int(sum(p.declines for p in model.practitioners)),
        "pre_empted": int(contract["pre_empted"].sum()),
        "tenders": int(model.tenders_total),
        "given_in_rate_reliant": given_in_reliant,
        "given_in_rate_secure": given_in_secure,
        "scandals": np.count_nonzero(contract["discovered"] & completed),
        "exits": model.exits,
        "exits_independent": sum(1 for p in model.practitioners
                                 if not p.active and p.is_independent),
        "entries": model.entries,
        "hhi_final": float(model.hhi()),
    }
    summary.update(pattern_figures(episode, contract, practitioners, series,
                                   summary["independents_active"]))
    assert list(summary) == list(SUMMARY_KEYS)
    # Plain Python numbers: JSON-ready, whatever numpy handed back.
    return {k: (int(v) if isinstance(v, numbers.Integral) else _plain_float(v))
            for k, v in summary.items()}


def _plain_float(v: Any) -> float:
    v = float(v)
    return math.nan if math.isnan(v) else v  # one NaN object: summaries compare equal


def _implementation(responses: np.ndarray) -> float:
    """Mean follow-through of the commissioners' responses (implemented 1, partly 0.5, ignored 0;
    others not counted). Halves and wholes sum exactly, in any order, so this is the mean
    pandas gives of the scores."""
    implemented, partly, ignored = (np.count_nonzero(responses == response)
                                    for response in ("implemented", "partly", "ignored"))
    scored = implemented + partly + ignored
    return (implemented + 0.5 * partly) / scored if scored else math.nan
