"""Players (ODD §7.13): a person in a practitioner's seat takes its decisions; no answer leaves
them to the rule, with the rule's draws made all the same."""

from __future__ import annotations

import pytest

from dmpsim.errors import InputError
from dmpsim.experiments.scenario import load_scenario
from dmpsim.model import DMPMarket
from dmpsim.model.players import Dilemma, Offer, last_time, runway_months

STEPS = 120


class Recorder:
    """A player that answers with a fixed choice (or None) and keeps what it was asked."""

    def __init__(self, respond=None, bid=None):
        self.answer, self.bid_answer = respond, bid
        self.dilemmas: list[Dilemma] = []
        self.offers: list[Offer] = []

    def respond(self, dilemma: Dilemma):
        self.dilemmas.append(dilemma)
        if callable(self.answer):
            return self.answer(dilemma)
        return self.answer if self.answer in dilemma.options else None

    def bid(self, offer: Offer):
        self.offers.append(offer)
        return self.bid_answer


def _market(seed: int = 3) -> DMPMarket:
    return DMPMarket(load_scenario("baseline").effective(), rng=seed)


def _busiest(seed: int = 3) -> int:
    """The practitioner that met most episodes in a run without players."""
    market = _market(seed)
    for _ in range(STEPS):
        market.step()
    return max(market.practitioners, key=lambda p: p.episodes_met).unique_id


def _run(seated: dict[int, Recorder], seed: int = 3) -> DMPMarket:
    market = _market(seed)
    for pid, player in seated.items():
        market.seat(pid, player)
    for _ in range(STEPS):
        market.step()
    return market


def test_a_silent_player_leaves_the_run_as_the_rule_makes_it():
    pid = _busiest()
    silent = Recorder()
    with_player, without = _run({pid: silent}), _run({})
    assert silent.dilemmas, "the seated practitioner was never pressed"
    assert with_player.episode_rows == without.episode_rows
    assert with_player.contract_rows == without.contract_rows
    # Every first-stage dilemma carries the rule's choice and probabilities that sum to 1.
    for d in silent.dilemmas:
        assert d.practitioner == pid and d.rule_choice in d.options
        assert sum(d.probabilities) == pytest.approx(1.0)


def test_a_player_who_always_walks_out_withdraws_from_every_pressed_contract():
    pid = _busiest()
    walker = Recorder(respond="withdraw")
    market = _run({pid: walker})
    mine = [row for row in market.episode_rows if row[7] == pid and row[3] != "stakeholder"]
    assert mine and all(row[6] == "withdrawn" for row in mine)
    first = [d for d in walker.dilemmas if d.stage == "respond"]
    assert len(first) == len(mine)
    # The rule would not have walked out every time: the person's choice made the difference.
    assert any(d.rule_choice != "withdraw" for d in first)


def test_a_player_who_always_complies_gives_in_and_harms_integrity():
    pid = _busiest()
    market = _run({pid: Recorder(respond="comply")})
    mine = [row for row in market.episode_rows if row[7] == pid and row[3] != "stakeholder"]
    assert mine and all(row[6] == "complied" for row in mine)


def test_a_player_who_never_bids_wins_no_more_tenders_once_seated():
    pid = _busiest()
    refuser = Recorder(bid=False)
    market = _run({pid: refuser})
    assert refuser.offers
    # Contracts won before any offer could only be direct awards; none go through a tender.
    won = [row for row in market.contract_rows if row["practitioner"] == pid]
    baseline = [row for row in _run({}).contract_rows if row["practitioner"] == pid]
    assert len(won) < len(baseline)


def test_an_answer_that_is_not_an_option_is_refused_in_one_line():
    pid = _busiest()
    with pytest.raises(InputError, match="expected one of comply"):
        _run({pid: Recorder(respond=lambda d: "bribe")})


def test_seating_an_unknown_practitioner_is_refused():
    with pytest.raises(InputError, match="no practitioner with id"):
        _market().seat(10**6, Recorder())


def test_words_for_the_last_time_and_the_runway():
    assert last_time(None) == "never worked for them"
    assert last_time(0.0) == "walked out last time"
    assert last_time(0.2) == "it went badly"
    assert last_time(0.8) == "it went well"
    assert runway_months(120.0, 10.0) == 12.0
    assert runway_months(5.0, 0.0) == float("inf")
