"""The debrief of a class game: what each seat chose beside what the rule would have done,
what became of the organisations, and the market against the same seed with the rule everywhere.

The comparison run is `ClassroomMarket` with the game's scenario and seed and nobody seated,
stepped to the game's month: a run with players shares its random numbers with it (ODD §4,
§7.13), so the differences are the students' doing, not luck.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import views
from ..levers import ClassroomMarket
from . import words

if TYPE_CHECKING:
    from .game import Game, Seat


def rule_everywhere(game: Game) -> ClassroomMarket:
    """The same scenario and seed, with the model's rule in every seat, to the game's month."""
    twin = ClassroomMarket(scenario_name=game.settings.scenario, seed=game.settings.seed)
    while twin.steps < game.market.steps and twin.running:
        twin.step()
    return twin


def seat_debrief(game: Game, seat: Seat) -> dict[str, Any]:
    """One seat: its organisation now, and each choice made in it beside the rule's."""
    dilemmas = [d for d in seat.decisions if d.kind == "dilemma"]
    offers = [d for d in seat.decisions if d.kind == "offer"]
    answered = [d for d in seat.decisions if d.by is not None]
    by_rule = [d for d in dilemmas if d.by is None]
    return {
        "seat": seat.index, "kind": seat.kind.label,
        "students": [s.name for s in seat.members],
        "organisation": game.seat_states[seat.index],
        "dilemmas": [d.as_dict() for d in dilemmas],
        "differs": sum(1 for d in dilemmas if d.choice != d.rule_choice),
        "gave_in": sum(1 for d in dilemmas if d.choice in ("comply", "concede")),
        "rule_gave_in": sum(1 for d in dilemmas if d.rule_choice in ("comply", "concede")),
        "rule_answered": len(by_rule),
        "timed_out": sum(1 for d in seat.decisions if d.why_rule == "time ran out"),
        "tenders_seen": len(offers),
        "tenders_bid": sum(1 for d in offers if d.choice == "bid"),
        "tenders_rule_would_bid": sum(1 for d in offers if d.rule_choice == "bid"),
        "tenders_won": sum(1 for d in offers if d.outcome == "You won it."),
        "answered_by_students": len(answered),
    }


def busts(market: ClassroomMarket, seated: dict[int, str]) -> list[dict[str, Any]]:
    """Every organisation that left the market, when and why; students' seats named."""
    out = []
    for p in market.practitioners:
        if p.exited_step is None:
            continue
        out.append({"step": p.exited_step, "kind": p.kind, "practitioner": p.unique_id,
                    "students": seated.get(p.unique_id), "why": words.exit_text(p.exit_reason)})
    return sorted(out, key=lambda row: row["step"])


def debrief(game: Game) -> dict[str, Any]:
    """The whole debrief (built in the market's thread, when the game ends)."""
    twin = rule_everywhere(game)
    ours, theirs = views.run_numbers(game.market), views.run_numbers(twin)
    market = [{"label": text, "game": views.fmt(fmt, ours[key]),
               "rule": views.fmt(fmt, theirs[key])} for key, text, fmt in views.NUMBER_LINES]
    seated = {seat.practitioner: ", ".join(s.name for s in seat.members) or "nobody"
              for seat in game.seats if seat.practitioner is not None}
    return {
        "month": game.market.steps,
        "seats": [seat_debrief(game, seat) for seat in game.seats],
        "busts": busts(game.market, seated),
        "busts_rule": busts(twin, {}),
        "market": market,
    }
