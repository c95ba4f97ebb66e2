"""The app's running log: what happened in the market, in plain words.

Pure functions turn one pressure episode (a row of the episode table, columns
`dmpsim.experiments.tables.EPISODE_COLUMN_DOCS`) or one market event into a sentence, e.g.

    episode_sentence("large_firm", "experts_information", "comply", "none", "complied", "national")
    -> "A large firm complied with a demand to choose the expert witnesses and the information
        (national commissioner)"

`events_between(model, first, last)` collects the events of a run between two months from the
model's own records (episode rows, contract rows, practitioners' entry and exit months), so the
log needs no state of its own: the same run always gives the same log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..model import DMPMarket

WHO = {
    "independent_nonprofit": "an independent non-profit",
    "independent_commercial": "an independent commercial practitioner",
    "freelancer": "a freelancer",
    "large_firm": "a large firm",
}
"""Each practitioner kind as the subject of a sentence (lower case)."""

DEMAND = {
    "time_resources": "cut the time or the budget",
    "method": "use a method of the commissioner's choosing",
    "experts_information": "choose the expert witnesses and the information",
    "secrecy": "keep the process secret (a non-disclosure agreement)",
    "report_content": "change what the report says",
    "outcome": "deliver a particular outcome",
}
"""What a commissioner demands, by pressure type, as it follows 'a demand to'."""

LEVEL = {
    "local": "local commissioner",
    "regional": "regional commissioner",
    "national": "national commissioner",
    "other": "other public body",
}

ORDER = {"pressure": 0, "scandal": 1, "exit": 2, "entry": 3, "large_firms": 4}

SERIOUS_OUTCOMES = frozenset({"complied", "conceded", "withdrawn"})
"""Episodes worth highlighting: a demand met in full, or a contract abandoned."""


def who(kind: str, capital: bool = True) -> str:
    """A practitioner kind as a subject: 'A large firm', 'An independent non-profit'."""
    text = WHO.get(kind, f"a practitioner ({kind})")
    return text[0].upper() + text[1:] if capital else text


def demand(pressure: str) -> str:
    return DEMAND.get(pressure, pressure.replace("_", " "))


def level_words(level: str | None) -> str:
    return LEVEL.get(level or "", "commissioner")


def episode_sentence(kind: str, pressure: str, response: str, reply: str, outcome: str,
                     level: str | None = None) -> str:
    """One pressure episode in plain words (see `dmpsim.experiments.tables.EPISODE_COLUMN_DOCS`)."""
    subject = who(kind)
    where = f" ({level_words(level)})" if level else ""
    if pressure == "stakeholder":
        if outcome == "complied":
            text = f"Outsiders reached the participants; {who(kind, False)} did not stop them"
        else:
            text = f"Outsiders tried to reach the participants; {who(kind, False)} protected them"
        return text + where
    asked = f"a demand to {demand(pressure)}"
    threat = "the commissioner threatened not to pay"
    if outcome == "withdrawn":
        text = f"{subject} walked away from the contract rather than accept {asked}"
        if reply == "escalate":
            text += f", after {threat}"
    elif outcome == "complied":
        text = f"{subject} complied with {asked}"
    elif outcome == "conceded":
        text = f"{subject} gave in to {asked} after {threat}"
    elif response == "negotiate":
        if reply == "back_down":
            text = f"{subject} negotiated, and the commissioner dropped {asked}"
        else:
            text = f"{subject} negotiated a compromise over {asked}"
    elif response in ("push_back", "threaten"):
        action = ("threatened to walk away over" if response == "threaten"
                  else "pushed back against")
        if reply == "back_down":
            text = f"{subject} {action} {asked}, and the commissioner backed down"
        elif reply == "escalate":
            text = f"{subject} {action} {asked} and held firm when {threat}"
        elif reply == "settle":
            text = f"{subject} {action} {asked}; they settled half-way"
        else:
            text = f"{subject} {action} {asked}"
    else:
        text = f"{subject} met {asked}: {response}, {reply}, {outcome}"
    return text + where


def large_firm_entry_sentence(n: int) -> str:
    firms = "a large consulting or polling firm" if n == 1 else f"{n} large consulting and polling firms"
    return f"Commercialisation: {firms} entered the market"


def entry_sentence(kind: str) -> str:
    return f"{who(kind)} started up"


def exit_sentence(kind: str, experience: float) -> str:
    return (f"{who(kind)} ran out of money and left the market, with "
            f"{experience:.0f} processes' worth of experience")


def scandal_sentence(kind: str, level: str | None) -> str:
    return (f"Scandal: manipulation of a process run by {who(kind, False)} for a "
            f"{level_words(level)} came to light")


@dataclass(frozen=True)
class Event:
    """One line of the log: the month, a sentence, and whether to highlight it."""

    step: int
    text: str
    serious: bool = False
    kind: str = "pressure"

    def line(self) -> str:
        year, month = divmod(self.step - 1, 12)
        return f"Year {year + 1}, month {month + 1}: {self.text}"


def events_between(model: DMPMarket, first: int, last: int) -> list[Event]:
    """Events of months `first`..`last` (inclusive), in the order they happened."""
    out: list[Event] = []
    level_of = {c.unique_id: c.level for c in model.commissioners}
    firms: dict[int, int] = {}
    for p in model.practitioners:
        if first <= p.entered_step <= last and p.entered_step > 0:
            if p.kind == "large_firm":
                firms[p.entered_step] = firms.get(p.entered_step, 0) + 1
            else:
                out.append(Event(p.entered_step, entry_sentence(p.kind), False, "entry"))
        if p.exited_step is not None and first <= p.exited_step <= last:
            out.append(Event(p.exited_step, exit_sentence(p.kind, p.experience), True, "exit"))
    for step, n in firms.items():
        out.append(Event(step, large_firm_entry_sentence(n), True, "large_firms"))
    rows = model.episode_rows
    i = len(rows)
    while i > 0 and rows[i - 1][1] >= first:
        i -= 1
    for row in rows[i:]:
        (_contract, step, _phase, pressure, response, reply, outcome, _p, kind, body) = row[:10]
        if step > last:
            break
        out.append(Event(step, episode_sentence(kind, pressure, response, reply, outcome,
                                                level_of.get(body)),
                         outcome in SERIOUS_OUTCOMES, "pressure"))
    contracts = model.contract_rows
    j = len(contracts)
    while j > 0 and contracts[j - 1]["end_step"] >= first:
        j -= 1
    for row in contracts[j:]:
        if row["end_step"] > last:
            break
        if row["discovered"]:
            out.append(Event(row["end_step"], scandal_sentence(row["practitioner_kind"], row["level"]),
                             True, "scandal"))
    # Within a month, in the order of the schedule: delivery (pressure, scandals), then the
    # market (exits, entries, large firms).
    out.sort(key=lambda e: (e.step, ORDER[e.kind]))
    return out


def recent_events(model: DMPMarket, limit: int = 12) -> list[Event]:
    """The last `limit` events of the run so far, newest first."""
    last = model.steps
    window = 12
    while True:
        first = max(1, last - window + 1)
        events = events_between(model, first, last)
        if len(events) >= limit or first == 1:
            return events[::-1][:limit]
        window *= 2

