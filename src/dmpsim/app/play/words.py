"""A student's screen in plain words: the dilemma, the tender, what came of a choice.

Pure functions of the model's `Dilemma` and `Offer` (ODD §7.13) and of episode rows, so that
what a student reads is what the market decided on, and tests can check it without a browser.
"""

from __future__ import annotations

import math

from ...model.players import Dilemma, Offer
from .. import narrate

COMMISSIONER = {
    "council": "a local council",
    "regional_government": "a regional government",
    "national_government": "a national government",
    "department": "a government department",
    "legislature": "a parliament or assembly",
    "other_body": "a public body",
}

PHASE = {
    "design_recruitment": "while you design the process and recruit the participants",
    "learning": "during the learning phase, when experts speak",
    "deliberation": "while the participants deliberate",
    "report": "as the participants' report is written",
}

OPTION = {
    "comply": "Comply: do what they ask",
    "negotiate": "Negotiate: meet them part of the way",
    "push_back": "Push back: refuse, and explain why",
    "threaten": "Threaten to withdraw",
    "withdraw": "Withdraw: walk away from the contract",
    "concede": "Concede: do what they ask",
    "hold": "Hold firm, and risk not being paid",
    "bid": "Bid for it",
    "pass": "Do not bid",
}

STAGE = {
    "respond": "What do you do?",
    "escalated": "You did not give in. Now the commissioner threatens not to pay you. "
                 "What do you do?",
    "insisted": "You did not give in. Now the commissioner insists on its method. "
                "What do you do?",
}

OUTCOME = {
    "complied": "you did what they asked: the process lost some of its integrity",
    "conceded": "you gave in after all: the process lost some of its integrity",
    "upheld": "the process kept its integrity",
    "settled": "you settled on a compromise: the process lost a little integrity",
    "withdrawn": "you walked away: the contract ended, unpaid for what was left",
}

REPLY = {
    "back_down": "The commissioner backed down",
    "insist": "The commissioner insisted on its method",
    "escalate": "The commissioner threatened not to pay",
    "settle": "The commissioner agreed to a compromise",
    "none": "",
}

EXIT = {
    "insolvent": "ran out of money: too many months of losses",
    "losses": "closed its unit after months of losses",
    "reputation": "lost its reputation: nobody would hire it",
}


def money(thousands: float) -> str:
    """An amount in the model's unit (thousands) for a screen: '120k'."""
    return f"{thousands:,.0f}k"


def runway(months: float) -> str:
    if math.isinf(months):
        return "no overheads to pay"
    if months < 1:
        return "none: you are living on borrowed money" if months < 0 else "less than a month"
    if months >= 36:
        return "more than 3 years"
    return f"about {months:.0f} months"


def dilemma_text(d: Dilemma) -> dict[str, object]:
    """Everything a pressed student reads: who, what they want, what is at stake, their means."""
    body = f"{COMMISSIONER.get(d.commissioner_kind, 'a public body')} " \
           f"({narrate.level_words(d.commissioner_level)})"
    payer = ("The commissioner pays you." if d.funded_by_commissioner
             else "Someone else pays for this process, not the commissioner.")
    net = ("You have a funder behind you (a safety net)." if d.has_safety_net
           else "You have no funder: you live on your contracts.")
    facts = [
        f"Who: {body[0].upper()}{body[1:]}.",
        f"What they want: to {narrate.demand(d.pressure)}, {PHASE.get(d.phase, 'during the process')}.",
        f"At stake: {d.integrity_at_stake:.0%} of the process's integrity if you give in.",
        f"The contract: {money(d.price)}. {payer}",
        f"Your reserves: {money(d.reserves)}; runway without this client: "
        f"{runway(d.runway_months)}.",
        f"Your reputation: {d.reputation:.2f} (0 to 1). {net}",
        f"Last time with this commissioner: {d.last_time}.",
    ]
    return {"headline": STAGE.get(d.stage, "What do you do?"), "facts": facts,
            "options": [{"value": o, "label": OPTION.get(o, o)} for o in d.options]}


def offer_text(o: Offer) -> dict[str, object]:
    """A tender a student is offered, in words."""
    flags = ("none that you can see" if o.red_flags < 0.2 else
             "a few" if o.red_flags < 0.5 else "many: this commissioner may press you")
    facts = [
        f"Who: {COMMISSIONER.get(o.commissioner_kind, 'a public body')} "
        f"({narrate.level_words(o.commissioner_level)}).",
        f"Budget: {money(o.budget)}.",
        f"Red flags: {flags}.",
        f"Your reserves: {money(o.reserves)}; runway: {runway(o.runway_months)}.",
        f"Last time with this commissioner: {o.last_time}.",
    ]
    return {"headline": "A tender is open. Do you bid?", "facts": facts,
            "options": [{"value": "bid", "label": OPTION["bid"]},
                        {"value": "pass", "label": OPTION["pass"]}]}


CHOSE = {
    "comply": "complied",
    "negotiate": "negotiated",
    "push_back": "pushed back",
    "threaten": "threatened to withdraw",
    "withdraw": "withdrew",
}


def outcome_text(response: str, reply: str, outcome: str, by_student: bool = True) -> str:
    """What came of an episode, for the student who faced it: 'You pushed back. The
    commissioner backed down; the process kept its integrity.' When the rule answered for the
    student, the sentence says so."""
    first = REPLY.get(reply, "")
    rest = OUTCOME.get(outcome, outcome)
    if not by_student:
        rest = rest.replace("you ", "your organisation ")
    then = f"{first}; {rest}" if first else rest[0].upper() + rest[1:]
    who = "You" if by_student else "Your organisation's usual rule"
    return f"{who} {CHOSE.get(response, response)}. {then}."


RESULT = {
    "complied": "the process lost some of its integrity",
    "conceded": "they gave in after all: the process lost some of its integrity",
    "upheld": "the process kept its integrity",
    "settled": "a compromise: the process lost a little integrity",
    "withdrawn": "they walked away from the contract",
}


def result_text(reply: str, outcome: str) -> str:
    """What came of an episode, for the teacher's screen (no 'you')."""
    first = REPLY.get(reply, "")
    rest = RESULT.get(outcome, outcome)
    return f"{first}; {rest}." if first else f"{rest[0].upper()}{rest[1:]}."


def exit_text(reason: str) -> str:
    return EXIT.get(reason, reason or "left the market")
