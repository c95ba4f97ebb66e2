"""Contracts, pressure episodes, the response ladder, and integrity.

Each decision rule is a small pure function of numbers, so tests and docs/ODD.md can check it
directly. The model draws the random numbers and passes them in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .params import DIMENSIONS

PHASES = ("design_recruitment", "learning", "deliberation", "report")

PHASE_OF_PRESSURE = {
    "time_resources": 0,
    "method": 0,
    "secrecy": 0,
    "experts_information": 1,
    "stakeholder": 2,
    "outcome": 2,
    "report_content": 3,
}
"""The phase in which each kind of pressure arises: experts and information are chosen in the
learning phase, the report is written at the end."""

STAKE = {
    "time_resources": 0.35,
    "method": 0.5,
    "secrecy": 0.6,
    "experts_information": 0.7,
    "stakeholder": 0.5,
    "report_content": 0.9,
    "outcome": 1.0,
}
"""Integrity at stake in each kind of pressure, in [0, 1]. Demands on the outcome strike at the
heart of a mini-public: "it's not my job to engineer you an outcome" [P]."""

DIMENSION_OF_PRESSURE = {
    "time_resources": ("adequacy",),
    "method": ("representativeness",),
    "secrecy": ("transparency",),
    "experts_information": ("independence",),
    "stakeholder": ("independence",),
    "report_content": ("authorship",),
    "outcome": ("authorship", "independence"),
}
"""Which integrity dimension each pressure harms (OECD 2020 good-practice principles)."""


@dataclass
class Contract:
    """One commissioned process, from award to the response to its recommendations."""

    id: int
    commissioner: object
    lead: object
    level: str
    award_step: int
    duration: int
    price: float
    need: float
    funded_by_commissioner: bool
    rule: str
    partner: object | None = None
    freelancer: object | None = None
    clarity: bool = False
    reputation_at_award: float = 0.0
    experience_at_award: float = 0.0
    phase: int = -1
    status: str = "active"
    n_episodes: int = 0
    manipulated: bool = False
    refused: int = 0
    escalated: bool = False
    withheld: float = 0.0
    published: bool = False
    discovered: bool = False
    integrity: float = float("nan")
    dimensions: dict[str, float] = field(default_factory=lambda: dict.fromkeys(DIMENSIONS, 1.0))
    end_step: int | None = None
    response: str = "pending"
    row: int = -1

    @property
    def adequacy(self) -> float:
        """Resources relative to what an adequate design needs, capped at 1."""
        return min(1.0, self.price / self.need)

    def phase_at(self, step: int) -> int:
        return min(len(PHASES) - 1, (step - self.award_step) * len(PHASES) // self.duration)


def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def pressure_chance(
    kind: str,
    base: float,
    stakes: float,
    anxiety: float,
    desire: float,
    honesty: float,
    transparency: float,
    wash: float,
    adequacy: float,
    trust: float,
    *,
    budget_squeeze: float,
    clarity: bool,
    clarity_effect: float,
    trust_effect: float,
    funded_elsewhere: bool,
    funder_effect: float,
    participant_control: float,
    participant_effect: float,
    mandate: bool,
    mandate_effect: float,
    oversight: bool,
    oversight_effect: float,
) -> float:
    """Chance that a commissioner presses a practitioner in this way during one contract.

    The rate is the pressure's base rate times what drives it, times what shields against it, and
    the chance is 1 - exp(-rate). Drivers follow [P]: stakes and anxiety ("fear about public
    backlash ... can lead to attempts to control a process"), a "desire for a specific outcome",
    lack of honesty ("lack of honesty about the politics surrounding a project"), low
    transparency (NDAs), and a squeezed budget ("restricted time and resources were the biggest
    integrity pressures"). Shields: clarity up front, trust, a separate funder, participant
    control ("the more control participants have in a process, the less opportunities there are
    for manipulation"), a transparency mandate and oversight.
    """
    if kind == "time_resources":
        drive = 0.6 + 0.6 * anxiety + budget_squeeze * max(0.0, 1.0 - adequacy)
    elif kind == "stakeholder":
        drive = 0.5 + 1.5 * stakes
    else:
        if kind in ("report_content", "outcome"):
            drive = 0.15 + 4.0 * desire * stakes + 0.6 * anxiety
        elif kind == "secrecy":
            drive = 0.2 + 1.6 * (1.0 - transparency) + 0.6 * anxiety
        elif kind == "method":
            drive = 0.3 + 0.8 * stakes + 0.6 * anxiety + 0.8 * wash
        else:  # experts_information
            drive = 0.3 + 1.0 * stakes + 0.8 * anxiety + 0.5 * desire
        drive *= 1.0 + 0.8 * (1.0 - honesty)
        drive *= 1.0 - trust_effect * trust
        if funded_elsewhere:
            drive *= 1.0 - funder_effect
        if oversight:
            drive *= 1.0 - oversight_effect
        if kind in ("experts_information", "report_content"):
            drive *= 1.0 - participant_effect * participant_control
        elif kind == "outcome":
            drive *= 1.0 - 0.5 * participant_effect * participant_control
        if kind == "secrecy" and mandate:
            drive *= 1.0 - mandate_effect
    if clarity and kind != "stakeholder":
        drive *= 1.0 - clarity_effect
    return 1.0 - math.exp(-base * max(0.0, drive))


def clarity_chance(craft: float, commissioner_experience: float) -> float:
    """Chance that roles, terms and conditions are settled before signing.

    [P]: "An important way in which practitioners use their experience to uphold integrity is by
    being clear and upfront with commissioning authorities"; capacity building with public servants
    helps.
    """
    return min(1.0, 0.9 * craft + 0.05 * min(commissioner_experience, 4.0))


def response_utilities(
    stake: float,
    values: float,
    leverage: float,
    dependence: float,
    craft: float,
    security: float,
    *,
    integrity_weight: float,
    leverage_weight: float,
    dependence_weight: float,
    threaten_cost: float,
    withdraw_cost: float,
    reputation_at_risk: float = 0.0,
) -> tuple[float, float, float, float, float]:
    """Utilities of (comply, negotiate, push back, threaten, withdraw) for one pressure episode.

    The choice "weighs the practitioner's values, the integrity at stake, its reputation ... its
    financial runway ... and its experience". Negotiation is the everyday response ("a matter of
    ongoing negotiation"); pushing back grows with values times the integrity at stake and with
    leverage ("reputation and credibility in the field also served as valuable leverage"); need
    for this client's money pulls towards compliance ("the pressure to comply may be greater");
    walking away is costly and rare ("most practitioners we interviewed had never pulled out").
    Giving in to a control demand also puts reputation at risk, should it come to light
    (`reputation_at_risk`, see `expected_discovery`): "If I had a reputation of just giving
    authorities what they want from these processes, I'm of no use".
    """
    principled = integrity_weight * values
    comply = ((1.0 - values) + dependence_weight * dependence - principled * stake - 0.5 * craft
              - reputation_at_risk)
    negotiate = 0.2 + 0.5 * craft
    push_back = (
        principled * (stake - 0.5) + leverage_weight * (leverage - 0.5) - dependence_weight * dependence
    )
    threaten = (
        1.5 * principled * (stake - 0.7)
        + leverage_weight * (leverage - 0.5)
        - 1.5 * dependence_weight * dependence
        - threaten_cost
    )
    withdraw = (
        2.0 * principled * (stake - 0.8)
        + (security - 0.5)
        - 2.0 * dependence_weight * dependence
        - withdraw_cost
    )
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


def back_down_chance(
    reputation: float,
    craft: float,
    stakes: float,
    desire: float,
    threatened: bool,
    oversight: bool,
    *,
    base: float,
    leverage_weight: float,
    stakes_weight: float,
) -> float:
    """Chance that a commissioner backs down when a practitioner resists.

    "its chance of backing down grows with the practitioner's reputation and experience"; a threat
    to walk away and an oversight board raise it, the commissioner's stakes and desire for an
    outcome lower it.
    """
    x = (
        base
        + leverage_weight * (0.5 * reputation + 0.5 * craft - 0.5)
        - stakes_weight * (0.5 * stakes + 0.5 * desire - 0.3)
        + (0.8 if threatened else 0.0)
        + (0.7 if oversight else 0.0)
    )
    return logistic(x)


def after_escalation(probabilities: list[float], u: float) -> str:
    """What a practitioner does once the commissioner threatens not to pay: concede, hold or walk.

    The ladder's own utilities are reused on its three decisive rungs (comply, push back,
    withdraw). [P]: "We're gonna cover it if you don't pay them ... Because guess what? We're not
    putting that page in"; "we had to hold the line" — and "for practitioner organisations who do
    not have an additional or external source of funding ... the pressure to comply may be
    greater".
    """
    comply, _negotiate, push_back, _threaten, withdraw = probabilities
    total = comply + push_back + withdraw
    choice = pick([comply / total, push_back / total, withdraw / total], u)
    return ("concede", "hold", "withdraw")[choice]


def damage(outcome: str, comply_damage: float, settle_damage: float) -> float:
    """Share of the pressed integrity dimension lost, by how the episode ended."""
    if outcome in ("complied", "conceded"):
        return comply_damage
    if outcome == "settled":
        return settle_damage
    return 0.0


def craft_floor(craft: float, craft_weight: float) -> float:
    """Integrity a practitioner's craft secures on every dimension before any pressure."""
    return 1.0 - craft_weight * (1.0 - craft)


def discovery_chance(published: bool, transparency: float, oversight: bool, *, base: float,
                     transparency_weight: float, oversight_weight: float) -> float:
    """Chance that manipulation of a process comes to light."""
    chance = base + (transparency_weight * transparency if published else 0.0)
    if oversight:
        chance += oversight_weight
    return min(1.0, chance)


def expected_discovery(transparency: float, mandate: bool, oversight: bool, *, base: float,
                       transparency_weight: float, oversight_weight: float) -> float:
    """Chance, as a practitioner sees it while pressed, that giving in would come to light.

    The report is published for sure under a transparency mandate, otherwise with the
    commissioner's transparency as chance; `discovery_chance` does the rest.
    """
    published = 1.0 if mandate else transparency
    kwargs = {"base": base, "transparency_weight": transparency_weight,
              "oversight_weight": oversight_weight}
    return (published * discovery_chance(True, transparency, oversight, **kwargs)
            + (1.0 - published) * discovery_chance(False, transparency, oversight, **kwargs))


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
