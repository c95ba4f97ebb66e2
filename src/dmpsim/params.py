"""Every parameter of the model: its default, type, range, unit and meaning.

This table is the single source of truth for what a scenario may set. The defaults are the
`baseline` scenario: a mature national market of independents with no large firms. docs/ODD.md
cites the paper passage or published figure behind each value; a test checks that every key here
is documented there.

The core model reads a validated parameter tree (nested namespaces) built by `build_params`; it
never reads files. Scenario files and `--set` overrides are handled in `dmpsim.scenario`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from .errors import InputError

KINDS = ("independent_nonprofit", "independent_commercial", "freelancer", "large_firm")
INDEPENDENT_KINDS = ("independent_nonprofit", "independent_commercial", "freelancer")
LEVELS = ("local", "regional", "national", "other")
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
REPLIES = ("none", "back_down", "settle", "escalate")
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


def _kind(
    count: int,
    safety_net_share: float,
    safety_net_funding: float,
    experience: float,
    reputation: float,
    values: float,
    openness: float,
    reserves_months: float,
    overhead: float,
    capacity: int,
    markup: float,
    government_dependence: float,
    other_income: float,
    learning: float,
    tender_skill: float,
    familiarity: float,
) -> dict[str, P]:
    return {
        "count": P(count, int, 0, 100_000, "organisations", "organisations of this kind at start (large firms: at entry)"),
        "safety_net_share": P(safety_net_share, float, **SHARE, doc="share with an external or philanthropic funder (a safety net)"),
        "safety_net_funding": P(safety_net_funding, float, 0, None, "k/month", "monthly grant from that funder"),
        "experience": P(experience, float, 0, None, "processes", "mean processes delivered at start (Poisson)"),
        "reputation": P(reputation, float, **SHARE, doc="mean reputation in the field at start"),
        "values": P(values, float, **SHARE, doc="mean commitment to deliberative values"),
        "openness": P(openness, float, **SHARE, doc="mean willingness to share materials and lessons"),
        "reserves_months": P(reserves_months, float, 0, None, "months", "cash reserves at start, in months of overhead"),
        "overhead": P(overhead, float, 0, None, "k/month", "fixed monthly costs"),
        "capacity": P(capacity, int, 1, 1000, "contracts", "concurrent contracts it can run"),
        "markup": P(markup, float, -0.5, 2.0, "share", "price asked above the cost of an adequate design, the margin that pays overheads (negative: low-balling)"),
        "government_dependence": P(government_dependence, float, **SHARE, doc="share of its business that depends on government clients beyond this contract"),
        "other_income": P(other_income, float, 0, None, "k/month", "income from other (non-DMP) work"),
        "learning": P(learning, float, 0, 10, "processes", "experience gained per process delivered (staff turnover, DMPs not core work)"),
        "tender_skill": P(tender_skill, float, **SHARE, doc="how experienced its bids look on paper, whatever its DMP experience (bid teams)"),
        "familiarity": P(familiarity, float, **SHARE, doc="commissioners' trust in it before working together (other government work)"),
    }


SCHEMA: dict[str, dict[str, Any]] = {
    "run": {
        "steps": P(240, int, 1, 100_000, "months", "length of a run (one step is one month)"),
    },
    "market": {
        "n_commissioners": P(200, int, 1, 1_000_000, "bodies", "public authorities that may commission"),
        "share_local": P(0.52, float, **SHARE, doc="share of commissioners at local level (OECD 2020)"),
        "share_regional": P(0.30, float, **SHARE, doc="share at regional level (OECD 2020)"),
        "share_national": P(0.15, float, **SHARE, doc="share at national level (OECD 2020); the rest are 'other'"),
    },
    "commissioners": {
        "commission_rate": P(0.018, float, 0, 1, "1/month", "chance a commissioner starts a process in a month, at reference confidence"),
        "stakes_local": P(0.30, float, **SHARE, doc="mean political stakes of a local body's issues"),
        "stakes_regional": P(0.45, float, **SHARE, doc="mean political stakes at regional level"),
        "stakes_national": P(0.65, float, **SHARE, doc="mean political stakes at national level"),
        "stakes_other": P(0.50, float, **SHARE, doc="mean political stakes for other bodies"),
        "desire_for_outcome": P(0.30, float, **SHARE, doc="mean desire for a particular outcome"),
        "honesty": P(0.65, float, **SHARE, doc="mean honesty about the politics (low hides red flags)"),
        "transparency": P(0.60, float, **SHARE, doc="mean willingness to publish everything (low comes with NDA demands)"),
        "participation_wash": P(0.25, float, **SHARE, doc="mean participation-wash motive"),
        "commitment": P(0.45, float, **SHARE, doc="mean commitment to respond to recommendations"),
        "experience": P(0.5, float, 0, None, "processes", "mean DMPs already commissioned (Poisson): most have little"),
        "anxiety_scale": P(3.0, float, 0.01, None, "processes", "own DMPs after which anxiety has fallen by 1-1/e"),
        "budget_adequacy": P(0.90, float, 0.3, 3.0, "ratio", "mean budget offered over what an adequate design costs"),
        "budget_adequacy_sd": P(0.15, float, 0, 1, "ratio", "spread of budget adequacy across commissioners"),
        "cost_local": P(60.0, float, 0.1, None, "k", "cost of an adequate local process"),
        "cost_regional": P(120.0, float, 0.1, None, "k", "cost of an adequate regional process"),
        "cost_national": P(300.0, float, 0.1, None, "k", "cost of an adequate national process"),
        "cost_other": P(150.0, float, 0.1, None, "k", "cost of an adequate process for other bodies"),
        "duration": P(6, int, 4, 60, "months", "months from award to report (four phases)"),
        "response_delay": P(6, int, 0, 120, "months", "months from report to the response to recommendations"),
        "trust_rate": P(0.3, float, **SHARE, doc="how fast a commissioner's trust in a practitioner follows experience"),
    },
    "practitioners": {
        "independent_nonprofit": _kind(14, 0.6, 6.0, 12.0, 0.65, 0.85, 0.6, 12.0, 10.0, 3, 0.10, 0.0, 4.0, 1.0, 0.0, 0.3),
        "independent_commercial": _kind(14, 0.0, 0.0, 10.0, 0.60, 0.75, 0.35, 12.0, 10.0, 3, 0.20, 0.0, 4.0, 1.0, 0.0, 0.3),
        "freelancer": _kind(12, 0.0, 0.0, 6.0, 0.45, 0.75, 0.5, 12.0, 3.0, 1, 0.15, 0.0, 1.5, 1.0, 0.0, 0.3),
        "large_firm": _kind(4, 0.0, 0.0, 1.0, 0.75, 0.45, 0.1, 60.0, 30.0, 6, -0.05, 0.7, 32.0, 0.3, 0.75, 0.55),
    },
    "large_firms": {
        "enabled": P(False, bool, doc="whether large consulting/polling firms enter"),
        "entry_step": P(60, int, 0, 100_000, "month", "step at which they enter"),
        "entry_value_threshold": P(0.0, float, 0, None, "k/year", "if > 0, they enter instead once the market's yearly value passes this"),
        "bid_rate": P(0.5, float, **SHARE, doc="chance a large firm with room bids for any tender (they watch every tender)"),
    },
    "procurement": {
        "rule": P("quality", str, doc="tender rule", choices=PROCUREMENT_RULES),
        "weight_price": P(0.4, float, **SHARE, doc="quality tenders: weight of a low price"),
        "weight_experience": P(0.3, float, **SHARE, doc="quality tenders: weight of experience"),
        "weight_reputation": P(0.3, float, **SHARE, doc="quality tenders: weight of reputation"),
        "direct_trust": P(0.65, float, **SHARE, doc="direct award: trust a commissioner needs to skip a tender"),
        "consortium_experience": P(10.0, float, 0, None, "processes", "consortium tenders: experience the lead or a partner must have"),
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
        "budget_squeeze": P(2.0, float, 0, None, "", "extra time/resource pressure per unit of budget shortfall"),
        "clarity_effect": P(0.45, float, **SHARE, doc="cut in pressure after up-front clarity on roles and terms"),
        "trust_effect": P(0.5, float, **SHARE, doc="cut in control attempts when the commissioner fully trusts the practitioner"),
        "funder_effect": P(0.5, float, **SHARE, doc="cut in control attempts, and in the practitioner's dependence on the commissioner, when someone else funds the process"),
        "participant_effect": P(0.7, float, **SHARE, doc="cut in expert/report openings under full participant control"),
        "mandate_effect": P(0.9, float, **SHARE, doc="cut in secrecy demands under a transparency mandate"),
        "oversight_effect": P(0.35, float, **SHARE, doc="cut in control attempts under an oversight board"),
    },
    "response": {
        "temperature": P(0.35, float, 0.01, 10, "", "noise in choosing a response (softmax temperature)"),
        "integrity_weight": P(2.2, float, 0, None, "", "weight of values x integrity at stake"),
        "leverage_weight": P(1.2, float, 0, None, "", "weight of leverage (reputation, experience, runway)"),
        "dependence_weight": P(1.6, float, 0, None, "", "weight of dependence on this client"),
        "withdraw_cost": P(1.6, float, 0, None, "", "fixed cost of walking away"),
        "discovery_weight": P(2.0, float, 0, None, "", "weight of reputation times the chance of discovery against giving in to control"),
        "escalated_withdraw_cost": P(0.5, float, 0, 1, "share", "share of the cost of walking away left once the commissioner threatens not to pay"),
        "threaten_cost": P(1.0, float, 0, None, "", "fixed cost of threatening to walk away"),
        "back_down_base": P(-0.3, float, None, None, "logit", "commissioner's base log-odds of backing down"),
        "back_down_leverage": P(2.5, float, 0, None, "logit", "effect of the practitioner's reputation and experience"),
        "back_down_stakes": P(1.5, float, 0, None, "logit", "effect of the commissioner's stakes and desire"),
        "escalate_share": P(0.35, float, **SHARE, doc="of replies that are not backing down, share that escalate to not paying"),
        "nonpayment_share": P(0.5, float, **SHARE, doc="share of the price withheld when a commissioner escalates and is refused"),
    },
    "integrity": {
        "experience_scale": P(8.0, float, 0.01, None, "processes", "experience at which a practitioner's craft is 1-1/e of full"),
        "craft_weight": P(0.25, float, **SHARE, doc="integrity lost by a complete novice on every dimension"),
        "damage_comply": P(0.6, float, **SHARE, doc="damage to the pressed dimension when a demand is met in full"),
        "damage_settle": P(0.25, float, **SHARE, doc="damage when a demand is met in part"),
    },
    "discovery": {
        "base": P(0.08, float, **SHARE, doc="chance manipulation comes to light with no transparency"),
        "transparency": P(0.3, float, **SHARE, doc="extra chance with full publication"),
        "oversight": P(0.35, float, **SHARE, doc="extra chance under an oversight board"),
        "reputation_hit": P(0.25, float, **SHARE, doc="reputation lost by the practitioner when manipulation is discovered"),
        "scandal_weight": P(3.0, float, 1, 100, "", "weight of a discovered manipulation, against a clean process, in the public's judgement"),
    },
    "learning": {
        "lesson_scale": P(12.0, float, 0.01, None, "lessons", "lessons after which red-flag skill is 1-1/e of full"),
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
        "entry_rate": P(0.01, float, **SHARE, doc="monthly chance a new independent starts, when tenders go unmet"),
        "hire_share": P(0.5, float, **SHARE, doc="share of an exiting organisation's experience hired by others"),
    },
    "governance": {
        "separate_funder_share": P(0.0, float, **SHARE, doc="share of processes funded by a body other than the commissioner"),
        "transparency_mandate": P(False, bool, doc="publication of all materials required; NDAs barred"),
        "oversight_board": P(False, bool, doc="an independent oversight board watches processes"),
        "participant_control": P(0.2, float, **SHARE, doc="participants' control of expert choice and report writing"),
        "upfront_commitment": P(False, bool, doc="commissioners must commit up front to respond to recommendations"),
        "capacity_building": P(0.0, float, 0, None, "processes", "DMP experience added to every commissioner by training"),
    },
}


def flat_schema() -> dict[str, P]:
    """Every parameter under its dotted key, e.g. ``procurement.rule``."""
    out: dict[str, P] = {}

    def walk(prefix: str, node: dict[str, Any]) -> None:
        for name, value in node.items():
            key = f"{prefix}.{name}" if prefix else name
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
    """Return `value` converted to the parameter's type, or raise InputError naming the key."""
    spec = FLAT.get(key)
    if spec is None:
        raise InputError(f"unknown key{did_you_mean(key, list(FLAT))}", source=source, key=key)
    if spec.type is bool:
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
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"expected a number, got {value!r}", source=source, key=key)
    if spec.type is int:
        if float(value) != int(value):
            raise InputError(f"expected a whole number, got {value!r}", source=source, key=key)
        value = int(value)
    else:
        value = float(value)
    if value != value:  # NaN
        raise InputError("expected a number, got nan", source=source, key=key)
    if spec.lo is not None and value < spec.lo or spec.hi is not None and value > spec.hi:
        lo = "-inf" if spec.lo is None else spec.lo
        hi = "inf" if spec.hi is None else spec.hi
        raise InputError(f"{value!r} is outside [{lo}, {hi}]", source=source, key=key)
    return value


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
    active = sum(values[f"practitioners.{k}.count"] for k in INDEPENDENT_KINDS)
    if active == 0 and not values["large_firms.enabled"]:
        raise InputError("no practitioners: every count is 0 and large firms are disabled",
                         source=source, key="practitioners")
    return values


def build_params(values: dict[str, Any]) -> SimpleNamespace:
    """Turn dotted-key values (already checked) into nested namespaces: ``p.procurement.rule``."""
    root = SimpleNamespace()
    for key, value in values.items():
        node = root
        *parents, leaf = key.split(".")
        for part in parents:
            if not hasattr(node, part):
                setattr(node, part, SimpleNamespace())
            node = getattr(node, part)
        setattr(node, leaf, value)
    return root


def resolve(overrides: dict[str, Any] | None = None, source: str | None = None) -> dict[str, Any]:
    """Defaults updated with checked dotted-key overrides: the effective values of a run."""
    values = defaults()
    for key, value in (overrides or {}).items():
        values[key] = check_value(key, value, source)
    return check_tree(values, source)
