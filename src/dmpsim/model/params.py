"""Every parameter of the model: its default, type, range, unit and meaning.

This table is the single source of truth for what a scenario may set. The defaults are the
`baseline` scenario: a mature national market of independents with no large firms. docs/ODD.md
cites the paper passage or published figure behind each value; a test checks that every key here
is documented there.

The core model reads typed, frozen parameter sections built by `build_params`; it never reads
files. Scenario files and `--set` overrides are handled in `dmpsim.experiments.scenario`. Knock-out
switches of the mechanisms (ODD §7.12) are the `mechanisms` section.
"""

from __future__ import annotations

import difflib
import math
import numbers
from dataclasses import dataclass, make_dataclass
from typing import Any

from ..errors import InputError

KINDS = ("independent_nonprofit", "independent_commercial", "freelancer", "large_firm")
INDEPENDENT_KINDS = ("independent_nonprofit", "independent_commercial", "freelancer")
LEVELS = ("local", "regional", "national", "other")
COMMISSIONER_KINDS = ("council", "regional_government", "national_government", "department",
                      "legislature", "other_body")
PRESSURE_TYPES = (
    "time_resources",
    "method",
    "experts_information",
    "secrecy",
    "report_content",
    "outcome",
    "stakeholder",
)
# Pressure on what the mini-public concludes, as distinct from how it is run.
OUTPUT_PRESSURES = ("report_content", "outcome")
CONTROL_PRESSURES = ("method", "experts_information", "secrecy", "report_content", "outcome")
RESPONSES = ("comply", "negotiate", "push_back", "threaten", "withdraw")
DIMENSIONS = ("independence", "authorship", "transparency", "adequacy", "representativeness")
PROCUREMENT_RULES = ("price", "quality", "direct", "consortium")


@dataclass(frozen=True)
class P:
    """One parameter: default, type, bounds (inclusive), unit and a one-line meaning."""

    default: Any
    type: type
    lo: float | None = None
    hi: float | None = None
    unit: str = ""
    doc: str = ""
    choices: tuple | None = None


SHARE = {"lo": 0.0, "hi": 1.0, "unit": "share"}
# The model's arithmetic is safe over every value the schema allows: money, experience and
# rates without a natural ceiling are bounded where no real market goes (ODD §8).
MONEY = 1e9
MANY = 1e6


def _kind(
    count: int,
    safety_net_share: float,
    safety_net_funding: float,
    experience: float,
    reputation: float,
    values: float,
    openness: float,
    reserves_months: float,
    reserve_cap_months: float,
    overhead: float,
    capacity: int,
    markup: float,
    government_dependence: float,
    other_income: float,
    learning: float,
    tender_skill: float,
    familiarity: float,
    staff_turnover: float,
) -> dict[str, P]:
    return {
        "count": P(count, int, 0, 100_000, "organisations", "organisations of this kind at start (large firms: at entry)"),
        "safety_net_share": P(safety_net_share, float, **SHARE, doc="share with an external or philanthropic funder (a safety net)"),
        "safety_net_funding": P(safety_net_funding, float, 0, MONEY, "k/month", "monthly grant from that funder"),
        "experience": P(experience, float, 0, 10_000, "processes", "mean processes' worth of experience at start (Poisson)"),
        "reputation": P(reputation, float, **SHARE, doc="mean reputation in the field at start"),
        "values": P(values, float, **SHARE, doc="mean commitment to deliberative values"),
        "openness": P(openness, float, **SHARE, doc="mean willingness to share materials and lessons"),
        "reserves_months": P(reserves_months, float, 0, 1000, "months", "cash reserves at start, in months of overhead"),
        "reserve_cap_months": P(reserve_cap_months, float, 0, 1000, "months", "reserves above this many months of overhead are paid out (owners, other mission work, the parent firm)"),
        "overhead": P(overhead, float, 0, MONEY, "k/month", "fixed monthly costs (staff, premises)"),
        "capacity": P(capacity, int, 1, 1000, "contracts", "concurrent contracts it can run"),
        "markup": P(markup, float, -0.5, 2.0, "share", "price asked above the cost of an adequate design, the margin that pays overheads (negative: low-balling)"),
        "government_dependence": P(government_dependence, float, **SHARE, doc="share of its business that depends on government clients beyond this contract"),
        "other_income": P(other_income, float, 0, MONEY, "k/month", "income from other (non-DMP) work that the organisation can live on"),
        "learning": P(learning, float, 0, 10, "processes", "experience gained per process delivered (DMPs not core work: less)"),
        "tender_skill": P(tender_skill, float, **SHARE, doc="how experienced its bids look on paper, whatever its DMP experience (bid teams)"),
        "familiarity": P(familiarity, float, **SHARE, doc="commissioners' trust in it before working together (other government work)"),
        "staff_turnover": P(staff_turnover, float, 0, 1, "1/year", "share of its people (and their experience) that leave, retire or are hired away each year"),
    }


def _commissioner_kind(share: float | None, desire: float, honesty: float, transparency: float,
                       commitment: float, doc: str) -> dict[str, P]:
    shift = {"lo": -1.0, "hi": 1.0, "unit": "shift"}
    section = {} if share is None else {
        "share": P(share, float, **SHARE, doc=f"share of regional and national bodies that are {doc}")}
    return {
        **section,
        "desire_for_outcome": P(desire, float, **shift, doc="shift of the mean desire for a particular outcome"),
        "honesty": P(honesty, float, **shift, doc="shift of the mean honesty about the politics"),
        "transparency": P(transparency, float, **shift, doc="shift of the mean transparency"),
        "commitment": P(commitment, float, **shift, doc="shift of the mean commitment to respond"),
    }


MECHANISMS: dict[str, tuple[str, str]] = {
    "commissioner_kinds": ("M1", "councils, governments, departments and legislatures differ in desire, honesty, transparency and commitment"),
    "safety_net": ("M3", "some organisations have a funder who pays a monthly grant (off: none has a safety net)"),
    "income_reliance": ("M3", "need for commissioned income enters responses and screening (off: every organisation acts as if secure)"),
    "learning": ("M4", "red flags are learned from one's own bad episodes, and bad clients remembered (off: nothing is learned)"),
    "staff_turnover": ("M4", "people leave, retire or are hired away, and exits lose most of their experience (off: experience is kept for ever)"),
    "reputation": ("M5", "reputation is a motive to keep integrity and leverage to push back (off: it counts for nothing in a dispute)"),
    "experts_pressure": ("M6", "commissioners press on the selection of experts and information"),
    "output_pressure": ("M7", "commissioners press on report content or a particular outcome"),
    "nonpayment_threat": ("M8", "a refused commissioner may threaten not to pay"),
    "time_pressure": ("M9", "commissioners squeeze time and resources"),
    "method_insistence": ("M10", "a commissioner insists on an unsuitable method: no settling, comply or walk out (off: a method demand is negotiated like any other)"),
    "secrecy": ("M11", "commissioners demand secrecy, a red flag in screening"),
    "participation_wash": ("M12", "a participation-wash motive drives method demands and is a red flag"),
    "hidden_politics": ("M13", "dishonest commissioners hide red flags, block clarity up front and press more (off: all are as honest as the most honest)"),
    "anxiety": ("M14", "inexperienced commissioners, afraid of backlash, press harder"),
    "screening": ("M15", "practitioners screen tenders for red flags and decline some (off: everyone bids)"),
    "clarity": ("M16", "roles and terms settled up front cut later pressure"),
    "response_ladder": ("M17", "practitioners negotiate, push back, threaten or withdraw (off: every demand is met)"),
    "stakeholders": ("M18", "third parties try to reach participants"),
    "participant_control": ("M18", "participants' control of experts and report leaves fewer openings"),
    "funder_separation": ("M19", "a funder separate from the commissioner eases pressure and dependence"),
    "follow_through": ("M20", "ignored recommendations count against the process in the public's and peers' eyes"),
    "competition": ("M21", "competition for tenders makes practitioners keep their lessons to themselves"),
    "field_pool": ("M21", "lessons shared to the field's pool are taken in by others"),
    "publication": ("M22", "published processes are open to scrutiny: manipulation is found more often"),
    "large_firms": ("M23", "large firms enter when the scenario says (off: they never do)"),
    "confidence": ("M24", "public confidence in mini-publics drives demand"),
}
"""Mechanisms with a knock-out switch: key, the ODD mechanism number and what it does (ODD §7.12).
Practitioner kinds (M2) are the model's entities and have no switch."""


SCHEMA: dict[str, dict[str, Any]] = {
    "run": {
        "steps": P(240, int, 1, 100_000, "months", "length of a run (one step is one month)"),
    },
    "market": {
        "n_commissioners": P(200, int, 1, 1_000_000, "bodies", "public authorities that may commission"),
        "share_local": P(0.52, float, **SHARE, doc="share of commissioners at local level (OECD 2020)"),
        "share_regional": P(0.30, float, **SHARE, doc="share at regional level (OECD 2020)"),
        "share_national": P(0.15, float, **SHARE, doc="share at national level (OECD 2020); the rest are 'other'"),
        "delivery_cost_share": P(0.5, float, 0, 0.95, "share", "share of an adequate design's cost spent on delivery (participants, venues, recruitment), paid by the lead as the process runs"),
    },
    "commissioners": {
        "commission_rate": P(0.018, float, 0, 1, "1/month", "chance an adopting commissioner starts a process in a month, at reference confidence"),
        "initial_adopters": P(0.75, float, **SHARE, doc="share of commissioners that already use mini-publics at start"),
        "innovation": P(0.03, float, 0, 1, "1/year", "Bass innovation rate: adoption without peers' example"),
        "imitation": P(0.38, float, 0, 10, "1/year", "Bass imitation rate: adoption from peers at the level whose last process went well"),
        "stakes_local": P(0.30, float, **SHARE, doc="mean political stakes of a local body's issues"),
        "stakes_regional": P(0.45, float, **SHARE, doc="mean political stakes at regional level"),
        "stakes_national": P(0.65, float, **SHARE, doc="mean political stakes at national level"),
        "stakes_other": P(0.50, float, **SHARE, doc="mean political stakes for other bodies"),
        "desire_for_outcome": P(0.30, float, **SHARE, doc="mean desire for a particular outcome"),
        "honesty": P(0.65, float, **SHARE, doc="mean honesty about the politics (low hides red flags)"),
        "transparency": P(0.60, float, **SHARE, doc="mean willingness to publish everything (low comes with NDA demands)"),
        "participation_wash": P(0.25, float, **SHARE, doc="mean participation-wash motive"),
        "commitment": P(0.45, float, **SHARE, doc="mean commitment to respond to recommendations"),
        "experience": P(0.5, float, 0, 10_000, "processes", "mean DMPs already commissioned (Poisson): most have little"),
        "anxiety_scale": P(3.0, float, 0.01, 10_000, "processes", "own DMPs after which anxiety has fallen by 1-1/e"),
        "budget_adequacy": P(0.90, float, 0.3, 3.0, "ratio", "mean budget offered over what an adequate design costs"),
        "budget_adequacy_sd": P(0.15, float, 0, 1, "ratio", "spread of budget adequacy across commissioners"),
        "cost_local": P(60.0, float, 0.1, MONEY, "k", "cost of an adequate local process"),
        "cost_regional": P(120.0, float, 0.1, MONEY, "k", "cost of an adequate regional process"),
        "cost_national": P(300.0, float, 0.1, MONEY, "k", "cost of an adequate national process"),
        "cost_other": P(150.0, float, 0.1, MONEY, "k", "cost of an adequate process for other bodies"),
        "duration": P(6, int, 4, 60, "months", "months from award to report (four phases)"),
        "response_delay": P(6, int, 0, 120, "months", "months from report to the response to recommendations"),
        "trust_rate": P(0.3, float, **SHARE, doc="how fast a commissioner's trust in a practitioner follows experience"),
    },
    "commissioner_kinds": {
        # Every local body is a council and every 'other' body an other body; regional and
        # national bodies are departments, legislatures or else the government itself.
        "council": _commissioner_kind(None, 0.05, 0.0, -0.05, 0.0, "councils"),
        "regional_government": _commissioner_kind(None, 0.05, -0.05, 0.0, 0.0, "regional governments"),
        "national_government": _commissioner_kind(None, 0.05, -0.05, 0.0, 0.0, "national governments"),
        "department": _commissioner_kind(0.3, -0.15, 0.15, 0.0, -0.10, "government departments"),
        "legislature": _commissioner_kind(0.2, -0.10, 0.05, 0.20, 0.15, "legislative bodies"),
        "other_body": _commissioner_kind(None, 0.0, 0.0, 0.0, 0.0, "other bodies"),
    },
    "practitioners": {
        "independent_nonprofit": _kind(14, 0.6, 6.0, 12.0, 0.65, 0.85, 0.6, 6.0, 12.0, 10.0, 3, 0.10, 0.0, 0.0, 1.0, 0.0, 0.3, 0.10),
        "independent_commercial": _kind(14, 0.0, 0.0, 10.0, 0.60, 0.75, 0.35, 4.0, 9.0, 10.0, 3, 0.20, 0.0, 0.0, 1.0, 0.0, 0.3, 0.10),
        "freelancer": _kind(12, 0.0, 0.0, 6.0, 0.45, 0.75, 0.5, 3.0, 6.0, 3.0, 1, 0.15, 0.0, 1.5, 1.0, 0.0, 0.3, 0.05),
        "large_firm": _kind(4, 0.0, 0.0, 1.0, 0.75, 0.45, 0.1, 24.0, 24.0, 30.0, 6, -0.05, 0.7, 0.0, 0.5, 0.75, 0.55, 0.20),
    },
    "large_firms": {
        "enabled": P(False, bool, doc="whether large consulting/polling firms enter"),
        "entry_step": P(60, int, 0, 100_000, "month", "step at which they enter"),
        "entry_value_threshold": P(0.0, float, 0, MONEY, "k/year", "if > 0, they enter instead once the market's yearly value passes this"),
        "bid_rate": P(0.5, float, **SHARE, doc="chance a large firm with room bids for any tender (they watch every tender)"),
        "reputation_floor": P(0.35, float, **SHARE, doc="reputation below which a large firm leaves DMP work to protect its name"),
    },
    "procurement": {
        "rule": P("quality", str, doc="tender rule", choices=PROCUREMENT_RULES),
        "weight_price": P(0.4, float, **SHARE, doc="quality tenders: weight of a low price"),
        "weight_experience": P(0.3, float, **SHARE, doc="quality tenders: weight of experience"),
        "weight_reputation": P(0.3, float, **SHARE, doc="quality tenders: weight of reputation"),
        "direct_trust": P(0.65, float, **SHARE, doc="direct award: trust a commissioner needs to skip a tender"),
        "consortium_experience": P(10.0, float, 0, 10_000, "processes", "consortium tenders: experience the lead or a partner must have"),
        "partner_share": P(0.3, float, **SHARE, doc="share of the price paid to a consortium partner"),
        "evaluation_noise": P(0.08, float, 0, 1, "score", "spread of evaluators' judgement of a quality bid"),
        "max_bidders": P(6, int, 1, 1000, "organisations", "independents that see and consider a tender"),
        "price_shading": P(0.15, float, 0, 1, "share", "price-only tenders: how far bidders cut their markup to win"),
        "subcontract_rate": P(0.5, float, **SHARE, doc="chance a lead subcontracts a freelancer"),
        "freelancer_share": P(0.15, float, **SHARE, doc="share of the price paid to a subcontracted freelancer"),
    },
    "screening": {
        "decline_threshold": P(0.45, float, **SHARE, doc="perceived hazard above which a secure practitioner declines to bid"),
        "need_lowers_bar": P(0.35, float, **SHARE, doc="how far financial need raises the hazard a practitioner will accept"),
        "signal_noise": P(0.25, float, 0, 2, "hazard", "noise on a novice's reading of red flags"),
        "avoid_trust": P(0.3, float, **SHARE, doc="trust below which a practitioner avoids a commissioner it knows"),
    },
    "pressure": {
        "time_resources": P(0.40, float, 0, 10, "1/contract", "base rate of squeezes on time or budget"),
        "method": P(0.10, float, 0, 10, "1/contract", "base rate of imposing a method"),
        "experts_information": P(0.22, float, 0, 10, "1/contract", "base rate of picking the experts or the information"),
        "secrecy": P(0.08, float, 0, 10, "1/contract", "base rate of demands for secrecy or NDAs"),
        "report_content": P(0.05, float, 0, 10, "1/contract", "base rate of pressing on report content"),
        "outcome": P(0.04, float, 0, 10, "1/contract", "base rate of demanding a particular outcome"),
        "stakeholder": P(0.06, float, 0, 10, "1/contract", "base rate of third parties reaching participants"),
        "budget_squeeze": P(2.0, float, 0, 100, "", "extra time/resource pressure per unit of budget shortfall"),
        "honesty_effect": P(0.8, float, 0, 10, "", "extra control attempts by a commissioner with no honesty about the politics"),
        "clarity_effect": P(0.45, float, **SHARE, doc="cut in pressure after up-front clarity on roles and terms"),
        "trust_effect": P(0.5, float, **SHARE, doc="cut in control attempts when the commissioner fully trusts the practitioner"),
        "funder_effect": P(0.5, float, **SHARE, doc="cut in control attempts when someone else funds the process (whose payment the commissioner then cannot withhold)"),
        "participant_effect": P(0.7, float, **SHARE, doc="cut in expert/report openings under full participant control"),
        "mandate_effect": P(0.9, float, **SHARE, doc="cut in secrecy demands under a transparency mandate"),
        "oversight_effect": P(0.35, float, **SHARE, doc="cut in control attempts under an oversight board"),
        "commitment_effect": P(0.5, float, 0, 10, "", "extra output pressure when the commissioner is bound up front to respond"),
        "pre_empt": P(0.5, float, **SHARE, doc="share of emerging control attempts a practitioner with full red-flag skill heads off before they become episodes"),
    },
    "response": {
        "temperature": P(0.35, float, 0.05, 10, "", "noise in choosing a response (softmax temperature)"),
        "integrity_weight": P(2.2, float, 0, 100, "", "weight of values x integrity at stake"),
        "leverage_weight": P(1.2, float, 0, 100, "", "weight of leverage (reputation, experience, runway)"),
        "dependence_weight": P(1.6, float, 0, 100, "", "weight of dependence on this client"),
        "future_work": P(1.0, float, 0, 100, "contracts", "future work put at risk by refusing, from this commissioner and its peers, in multiples of this contract's price"),
        "withdraw_cost": P(1.6, float, 0, 100, "", "fixed cost of walking away"),
        "discovery_weight": P(2.0, float, 0, 100, "", "weight of reputation times the chance of discovery against giving in to control"),
        "escalated_withdraw_cost": P(0.5, float, 0, 1, "share", "share of the cost of walking away left once the commissioner threatens not to pay or insists on its method"),
        "threaten_cost": P(1.0, float, 0, 100, "", "fixed cost of threatening to walk away"),
        "back_down_base": P(-0.3, float, -50, 50, "logit", "commissioner's base log-odds of backing down"),
        "back_down_leverage": P(2.5, float, 0, 50, "logit", "effect of the practitioner's reputation and experience"),
        "back_down_stakes": P(1.5, float, 0, 50, "logit", "effect of the commissioner's stakes and desire"),
        "escalate_share": P(0.35, float, **SHARE, doc="of replies that are not backing down, share that escalate to not paying"),
        "nonpayment_share": P(0.5, float, **SHARE, doc="share of the price withheld when a commissioner escalates and is refused"),
    },
    "integrity": {
        "experience_scale": P(8.0, float, 0.01, 10_000, "processes", "experience at which a practitioner's craft is 1-1/e of full"),
        "craft_weight": P(0.25, float, **SHARE, doc="integrity lost by a complete novice on every dimension"),
        "damage_comply": P(1.0, float, **SHARE, doc="share of the integrity at stake lost when a demand is met in full"),
        "damage_settle": P(0.35, float, **SHARE, doc="share of the integrity at stake lost when a demand is met in part"),
        "unpublished": P(0.6, float, **SHARE, doc="transparency left to a process whose materials and report are not published"),
    },
    "discovery": {
        "base": P(0.08, float, **SHARE, doc="chance manipulation comes to light with no transparency"),
        "transparency": P(0.3, float, **SHARE, doc="extra chance with full publication"),
        "oversight": P(0.35, float, **SHARE, doc="extra chance under an oversight board"),
        "reputation_hit": P(0.25, float, **SHARE, doc="reputation lost by the practitioner when manipulation is discovered"),
        "scandal_weight": P(3.0, float, 1, 100, "", "weight of a discovered manipulation, against a clean process, in the public's judgement"),
    },
    "learning": {
        "lesson_scale": P(12.0, float, 0.01, 10_000, "lessons", "lessons after which red-flag skill is 1-1/e of full"),
        "clarity_max": P(0.85, float, **SHARE, doc="chance of settling roles and terms up front with full red-flag skill and an honest commissioner"),
        "reputation_rate": P(0.12, float, **SHARE, doc="how fast reputation follows the integrity of delivered work"),
        "pool_absorption": P(0.15, float, **SHARE, doc="share of the field's pool of lessons an organisation takes in per year"),
        "competition_penalty": P(0.5, float, **SHARE, doc="how much competition for tenders cuts sharing"),
    },
    "confidence": {
        "initial": P(0.6, float, **SHARE, doc="public confidence in mini-publics at start"),
        "rate": P(0.04, float, **SHARE, doc="how fast confidence follows integrity and follow-through"),
        "demand_elasticity": P(1.5, float, 0, 10, "", "elasticity of commissioning to public confidence"),
        "wave_strength": P(0.5, float, 0, 10, "", "boost to commissioning from peers' good experiences"),
    },
    "dynamics": {
        "exit_months": P(6, int, 1, 1000, "months", "months of negative reserves before an organisation exits"),
        "entry_rate": P(0.01, float, **SHARE, doc="monthly chance a new independent starts, per tender that went unmet in the last year"),
        "hire_share": P(0.3, float, **SHARE, doc="share of an exiting organisation's experience hired by others"),
    },
    "governance": {
        "separate_funder_share": P(0.0, float, **SHARE, doc="share of processes funded by a body other than the commissioner"),
        "transparency_mandate": P(False, bool, doc="publication of all materials required; NDAs barred"),
        "oversight_board": P(False, bool, doc="an independent oversight board watches processes"),
        "participant_control": P(0.2, float, **SHARE, doc="participants' control of expert choice and report writing"),
        "upfront_commitment": P(False, bool, doc="commissioners must commit up front to respond to recommendations"),
        "capacity_building": P(0.0, float, 0, 10_000, "processes", "DMP experience added to every commissioner by training"),
    },
    "mechanisms": {
        name: P(True, bool, doc=f"{number}: {what}") for name, (number, what) in MECHANISMS.items()
    },
}


def _dotted(path: str, name: str) -> str:
    """The dotted key of `name` inside the section at `path` ("" is the root)."""
    return f"{path}.{name}" if path else name


def flat_schema() -> dict[str, P]:
    """Every parameter under its dotted key, e.g. ``procurement.rule``."""
    out: dict[str, P] = {}

    def walk(prefix: str, node: dict[str, Any]) -> None:
        for name, value in node.items():
            key = _dotted(prefix, name)
            if isinstance(value, P):
                out[key] = value
            else:
                walk(key, value)

    walk("", SCHEMA)
    return out


FLAT = flat_schema()


def did_you_mean(key: str, options: list[str]) -> str:
    close = difflib.get_close_matches(key, options, n=1, cutoff=0.6)
    if not close:
        tail = key.rsplit(".", 1)[-1]
        close = [o for o in options if o.rsplit(".", 1)[-1] == tail][:1]
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_value(key: str, value: Any, source: str | None = None) -> Any:
    """Return `value` converted to the parameter's type, or raise InputError naming the key.

    numpy and pandas scalars are taken like Python's own (`np.int64(6)`, `np.bool_(True)`).
    """
    spec = FLAT.get(key)
    if spec is None:
        raise InputError(f"unknown key{did_you_mean(key, list(FLAT))}", source=source, key=key)
    if spec.type is bool:
        if is_numpy_bool(value):
            value = bool(value)
        if not isinstance(value, bool):
            raise InputError(f"expected true or false, got {value!r}", source=source, key=key)
        return value
    if spec.type is str:
        if not isinstance(value, str):
            raise InputError(f"expected text, got {value!r}", source=source, key=key)
        if spec.choices and value not in spec.choices:
            raise InputError(
                f"{value!r} is not one of {', '.join(spec.choices)}{did_you_mean(value, list(spec.choices))}",
                source=source,
                key=key,
            )
        return str(value)  # numpy's str_ too
    if isinstance(value, bool) or is_numpy_bool(value) or not isinstance(value, numbers.Real):
        raise InputError(f"expected a number, got {value!r}", source=source, key=key)
    try:
        as_float = float(value)
    except OverflowError:  # a whole number beyond any float
        raise InputError(f"a {len(str(abs(value)))}-digit number is outside "
                         f"[{spec.lo}, {spec.hi}]", source=source, key=key) from None
    if math.isnan(as_float):
        raise InputError("expected a number, got nan", source=source, key=key)
    if math.isinf(as_float):
        raise InputError(f"expected a finite number, got {as_float!r}", source=source, key=key)
    if spec.type is int:
        if isinstance(value, numbers.Integral):
            value = int(value)
        elif as_float.is_integer():
            value = int(as_float)
        else:
            raise InputError(f"expected a whole number, got {value!r}", source=source, key=key)
    else:
        value = as_float
    if spec.lo is not None and value < spec.lo or spec.hi is not None and value > spec.hi:
        lo = "-inf" if spec.lo is None else spec.lo
        hi = "inf" if spec.hi is None else spec.hi
        raise InputError(f"{value!r} is outside [{lo}, {hi}]", source=source, key=key)
    return value


def is_numpy_bool(value: Any) -> bool:
    """numpy's boolean (``np.bool_``; named ``bool`` in numpy 2), without importing numpy here."""
    kind = type(value)
    return kind.__module__ == "numpy" and kind.__name__ in ("bool_", "bool")


def defaults() -> dict[str, Any]:
    """The default value of every parameter, by dotted key."""
    return {k: p.default for k, p in FLAT.items()}


def check_tree(values: dict[str, Any], source: str | None = None) -> dict[str, Any]:
    """Check a complete set of dotted-key values for constraints that span keys."""
    level_sum = sum(values[f"market.share_{lv}"] for lv in ("local", "regional", "national"))
    if level_sum > 1.0 + 1e-9:
        raise InputError(
            f"share_local + share_regional + share_national is {level_sum:.3f}, more than 1",
            source=source,
            key="market",
        )
    kind_sum = values["commissioner_kinds.department.share"] + values["commissioner_kinds.legislature.share"]
    if kind_sum > 1.0 + 1e-9:
        raise InputError(f"department.share + legislature.share is {kind_sum:.3f}, more than 1",
                         source=source, key="commissioner_kinds")
    for kind in KINDS:
        share = values[f"practitioners.{kind}.safety_net_share"]
        funding = values[f"practitioners.{kind}.safety_net_funding"]
        if share > 0 and funding <= 0:
            raise InputError(
                f"safety_net_share is {share:g} but safety_net_funding is 0: a funder that pays "
                "nothing is no safety net (set safety_net_funding, or safety_net_share = 0)",
                source=source, key=f"practitioners.{kind}.safety_net_share")
    active = sum(values[f"practitioners.{k}.count"] for k in INDEPENDENT_KINDS)
    firms = values["large_firms.enabled"] and values["mechanisms.large_firms"]
    if active == 0 and not firms:
        raise InputError("no practitioners: every count is 0 and large firms are disabled",
                         source=source, key="practitioners")
    if values["large_firms.enabled"] and values["practitioners.large_firm.count"] == 0:
        raise InputError("large firms are enabled but practitioners.large_firm.count is 0",
                         source=source, key="large_firms.enabled")
    return values


_SECTION_TYPES: dict[str, type] = {}


def _section_type(path: str, node: dict[str, Any]) -> type:
    """A frozen dataclass for one parameter section, its fields typed as the schema says.

    `path` is the section's dotted-key prefix ("market", "practitioners.freelancer"; "" for the
    root), the one `_build` uses, so that each section has one type."""
    if path not in _SECTION_TYPES:
        fields = []
        for name, value in node.items():
            kind = value.type if isinstance(value, P) else _section_type(_dotted(path, name), value)
            fields.append((name, kind))
        class_name = "".join(part.title().replace("_", "")
                             for part in (path or "root").split(".")) + "Params"
        _SECTION_TYPES[path] = make_dataclass(class_name, fields, frozen=True, slots=True)
    return _SECTION_TYPES[path]


def _build(path: str, node: dict[str, Any], values: dict[str, Any]) -> Any:
    kwargs = {}
    for name, value in node.items():
        key = _dotted(path, name)
        kwargs[name] = values[key] if isinstance(value, P) else _build(key, value, values)
    return _section_type(path, node)(**kwargs)


def make_section_types() -> None:
    """Make every section's dataclass now (about 15 ms, once per process) rather than in the
    first `build_params`: a worker does it before its first run, so that run's time (which sizes
    a sweep's batches) is what a run costs."""
    _section_type("", SCHEMA)


def build_params(values: dict[str, Any]) -> Any:
    """Turn dotted-key values (already checked) into typed, frozen parameter sections:
    ``p.procurement.rule``, ``p.practitioners.freelancer.overhead``. Decision rules take a
    section (``p.pressure``) rather than a long list of arguments."""
    return _build("", SCHEMA, values)


def resolve(overrides: dict[str, Any] | None = None, source: str | None = None) -> dict[str, Any]:
    """Defaults updated with checked dotted-key overrides: the effective values of a run."""
    values = defaults()
    for key, value in (overrides or {}).items():
        values[key] = check_value(key, value, source)
    return check_tree(values, source)
