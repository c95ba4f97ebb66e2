"""Pressure (ODD §7.3): the chance that a commissioner presses a practitioner in each way, and up-
front clarity (ODD §7.2, step 3) that lowers it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Situation:
    """What drives and what shields against pressure on one contract, as the commissioner is."""

    stakes: float
    anxiety: float
    desire: float
    honesty: float
    transparency: float
    wash: float
    adequacy: float
    trust: float
    clarity: bool
    funded_elsewhere: bool


def pressure_chance(kind: str, base: float, s: Situation, pp: Any, gov: Any, mech: Any) -> float:
    """Chance that a commissioner presses a practitioner in this way during one contract.

    The rate is the pressure's base rate times what drives it, times what shields against it, and
    the chance is 1 - exp(-rate). Drivers follow [P]: stakes and anxiety ("fear about public
    backlash ... can lead to attempts to control a process"), a "desire for a specific outcome",
    lack of honesty ("lack of honesty about the politics surrounding a project"), low
    transparency (NDAs), participation-wash (a method chosen for show), a squeezed budget
    ("restricted time and resources were the biggest integrity pressures") and a binding
    commitment to respond ("this risks greater incentives to control the outcomes of
    deliberation"). Shields: clarity up front, trust, a separate funder ("this separation could
    also ease the pressure"), participant control ("the more control participants have in a
    process, the less opportunities there are for manipulation"), a transparency mandate and
    oversight. `pp`, `gov` and `mech` are the pressure, governance and mechanisms sections.
    """
    if kind == "time_resources":
        drive = 0.6 + 0.6 * s.anxiety + pp.budget_squeeze * max(0.0, 1.0 - s.adequacy)
    elif kind == "stakeholder":
        drive = 0.5 + 1.5 * s.stakes
    else:
        if kind in ("report_content", "outcome"):
            drive = 0.15 + 4.0 * s.desire * s.stakes + 0.6 * s.anxiety
            if gov.upfront_commitment:
                drive *= 1.0 + pp.commitment_effect
        elif kind == "secrecy":
            drive = 0.2 + 1.6 * (1.0 - s.transparency) + 0.6 * s.anxiety
        elif kind == "method":
            wash = s.wash if mech.participation_wash else 0.0
            drive = 0.3 + 0.8 * s.stakes + 0.6 * s.anxiety + 0.8 * wash
        else:  # experts_information
            drive = 0.3 + 1.0 * s.stakes + 0.8 * s.anxiety + 0.5 * s.desire
        drive *= 1.0 + pp.honesty_effect * (1.0 - s.honesty)
        drive *= 1.0 - pp.trust_effect * s.trust
        if s.funded_elsewhere and mech.funder_separation:
            drive *= 1.0 - pp.funder_effect
        if gov.oversight_board:
            drive *= 1.0 - pp.oversight_effect
        if mech.participant_control:
            if kind in ("experts_information", "report_content"):
                drive *= 1.0 - pp.participant_effect * gov.participant_control
            elif kind == "outcome":
                drive *= 1.0 - 0.5 * pp.participant_effect * gov.participant_control
        if kind == "secrecy" and gov.transparency_mandate:
            drive *= 1.0 - pp.mandate_effect
    if s.clarity and kind != "stakeholder":
        drive *= 1.0 - pp.clarity_effect
    return 1.0 - math.exp(-base * max(0.0, drive))


def heads_off(chance: float, skill: float, pre_empt: float) -> float:
    """Chance that an emerging control attempt is spotted early and headed off by a practitioner
    with this red-flag skill, given the chance `chance` that it arises (ODD §7.3).

    [P]: practitioners "learned from negative experiences to both improve their practice and know
    what—and who—to avoid"; "It's like preparing the ground". The rest, `chance - heads_off`,
    becomes an episode.
    """
    return chance * pre_empt * skill


def clarity_chance(skill: float, honesty: float, commissioner_experience: float,
                   clarity_max: float) -> float:
    """Chance that roles, terms and conditions are settled before signing (ODD §7.2, step 3).

    What to pin down is learned from bad experiences (red-flag skill); it takes a commissioner
    that is open about the politics ("very brave public servants who were very trusting in
    sharing with us their fears. This meant that practitioners were aware at the outset" [P]);
    capacity building with public servants helps ("focusing on capacity building for
    participation with public servants").
    """
    return min(1.0, clarity_max * skill * (0.4 + 0.6 * honesty)
               + 0.05 * min(commissioner_experience, 4.0))
