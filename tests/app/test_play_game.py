"""Play mode's core (dmpsim.app.play): students join with a code, answer for their own seat only,
a time-out or an empty seat leaves the choice to the rule, and the debrief sets each choice
beside the rule's and the market beside the same seed with the rule everywhere. No browser."""

from __future__ import annotations

import threading
import time

import pytest

from dmpsim.app.play import Game, GameSettings
from dmpsim.app.play.debrief import rule_everywhere
from dmpsim.app.play.game import CODE_ALPHABET, CODE_LENGTH, clean_name, new_code
from dmpsim.errors import InputError

WAIT = 60.0


def _settings(**kw) -> GameSettings:
    base = {"scenario": "classroom", "seed": 0, "seats": {"commercial": 2, "funded_nonprofit": 1},
            "time_limit": 5.0, "ask_bids": False}
    return GameSettings.checked(**{**base, **kw})


@pytest.fixture
def games():
    made: list[Game] = []

    def make(settings: GameSettings | None = None, **kw) -> Game:
        game = Game(settings or _settings(), **kw)
        made.append(game)
        return game

    yield make
    for game in made:
        game.close()


def _run_to(game: Game, month: int) -> None:
    """Run the market month after month (holding only for answers) until `month`."""
    game.set_mode("answered")
    deadline = time.monotonic() + WAIT
    while game.market.steps < month and not game.finished:
        assert time.monotonic() < deadline, f"stuck at month {game.market.steps}"
        time.sleep(0.01)
    game.pause_and_wait()


class Bot:
    """A student's device: keeps asking for news (so the student counts as present) and answers
    its seat's questions with `choose(question) -> value` (None: never answers)."""

    def __init__(self, game: Game, name: str, choose):
        self.game, self.choose = game, choose
        self.student = game.join(game.code, name)
        self.answered = 0
        self.stop = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        version = 0
        while not self.stop and not self.game.finished:
            version = self.game.wait_for_news(version, 0.2)
            view = self.game.student_view(self.game.student(self.student.token))
            question = view["question"]
            if question is not None:
                value = self.choose(question)
                if value is not None:
                    self.game.answer(self.student.token, question["id"], value)
                    self.answered += 1

    def close(self) -> None:
        self.stop = True
        self.thread.join(5)


def _options(question) -> list[str]:
    return [o["value"] for o in question["options"]]


def test_codes_are_random_short_and_unambiguous():
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)


def test_joining_needs_this_games_code_and_a_fresh_plain_name(games):
    game = games()
    with pytest.raises(InputError, match="not this game's code"):
        game.join("AAAAAA" if game.code != "AAAAAA" else "CCCCCC", "Ana")
    with pytest.raises(InputError, match="not this game's code"):
        game.join(None, "Ana")
    ana = game.join(f"  {game.code.lower()} ", "  Ana  ")     # spaces and case forgiven
    assert ana.name == "Ana"
    with pytest.raises(InputError, match="joined already"):
        game.join(game.code, "ana")
    for bad, why in (("", "enter a name"), ("x" * 25, "at most 24"), ("a\x00b", "only letters"),
                     (42, "expected a name")):
        with pytest.raises(InputError, match=why):
            game.join(game.code, bad)
    assert clean_name("Bo  Li") == "Bo Li"


def test_each_student_gets_an_empty_seat_first_then_teams_form(games):
    game = games()
    students = [game.join(game.code, f"S{i}") for i in range(5)]
    seats = [s.seat.index for s in students]
    assert seats[:3] == [0, 1, 2]           # one practitioner each while there are enough
    assert sorted(seats[3:]) == [0, 1]      # then the smallest teams
    kinds = {seat.kind.name for seat in game.seats}
    assert kinds == {"commercial", "funded_nonprofit"}
    for seat in game.seats:
        p = game.market.practitioner_by_id[seat.practitioner]
        assert seat.kind.fits(p.kind, p.has_safety_net)
        assert game.market.players[seat.practitioner] is seat


def test_a_students_choice_decides_their_contracts_and_the_debrief_sets_it_beside_the_rule(games):
    game = games(_settings(seats={"commercial": 4}))
    bots = [Bot(game, f"S{i}", lambda q: "withdraw" if "withdraw" in _options(q) else None)
            for i in range(4)]
    try:
        _run_to(game, 60)
    finally:
        for bot in bots:
            bot.close()
    seated = {seat.practitioner: seat for seat in game.seats}
    firsts = [d for seat in game.seats for d in seat.decisions if d.stage == "respond"]
    assert firsts, "no student was pressed in five years"
    assert all(d.choice == "withdraw" and d.by is not None for d in firsts)
    # Every pressure episode of a seated practitioner ended with a walk-out ...
    theirs = [r for r in game.market.episode_rows if r[7] in seated and r[3] != "stakeholder"]
    assert theirs and all(r[6] == "withdrawn" for r in theirs)
    assert all(d.outcome and "walked away" in d.outcome for d in firsts)
    # ... where the rule would not always have walked out: the students made the difference.
    assert any(d.rule_choice != "withdraw" for d in firsts)
    game.end()
    deadline = time.monotonic() + WAIT
    while game.debrief is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    report = game.debrief
    game.pause_and_wait(5)                        # the market's thread is idle after the end
    assert not game.busy
    assert sum(s["differs"] for s in report["seats"]) == sum(
        1 for d in firsts if d.rule_choice != "withdraw")
    twin = rule_everywhere(game)
    assert twin.steps == game.market.steps
    assert twin.episode_rows != game.market.episode_rows
    assert [row["rule"] for row in report["market"]] != [row["game"] for row in report["market"]]
    view = game.teacher_view()
    assert view["finished"] and view["debrief"] is report
    assert any("Withdraw" in item["text"] for item in view["feed"])


def test_when_time_runs_out_the_rule_answers_and_the_run_is_the_rules(games):
    game = games(_settings(seats={"commercial": 4}, time_limit=0.5))
    bots = [Bot(game, f"S{i}", lambda q: None) for i in range(4)]     # present, never answer
    try:
        _run_to(game, 12)
    finally:
        for bot in bots:
            bot.close()
    decisions = [d for seat in game.seats for d in seat.decisions if d.kind == "dilemma"]
    assert decisions
    for d in decisions:
        assert d.why_rule == "time ran out" and d.by is None and d.choice == d.rule_choice
        assert 0.45 <= d.seconds < 3.0
    # The rule's draws are made all the same: the run is the rule's run, month for month.
    assert game.market.episode_rows == rule_everywhere(game).episode_rows


def test_a_student_who_has_left_is_played_by_the_rule_at_once(games):
    game = games(_settings(seats={"commercial": 4}, time_limit=30), gone_after=0.2)
    for i in range(4):
        game.join(game.code, f"S{i}")
    time.sleep(0.3)                               # nobody asks for news: all have left
    started = time.monotonic()
    _run_to(game, 36)
    assert time.monotonic() - started < 20        # far less than one 30 s wait
    decisions = [d for seat in game.seats for d in seat.decisions if d.kind == "dilemma"]
    assert decisions and all(d.why_rule == "nobody in the seat" for d in decisions)


def test_only_a_seats_own_students_can_answer_and_only_with_an_option(games):
    game = games(_settings(seats={"commercial": 4}, time_limit=30))
    students = [game.join(game.code, f"S{i}") for i in range(4)]
    game.set_mode("answered")
    deadline = time.monotonic() + WAIT
    question = None
    while question is None:
        assert time.monotonic() < deadline, "no question in time"
        for s in students:
            game.student(s.token)                 # all present
        with game.cond:
            question = next(iter(game.questions.values()), None)
        time.sleep(0.01)
    game.set_mode("paused")
    owner = next(s for s in students if s.seat is question.seat)
    other = next(s for s in students if s.seat is not question.seat)
    with pytest.raises(InputError, match="for another practitioner"):
        game.answer(other.token, question.id, question.options[0])
    with pytest.raises(InputError, match="not in this game"):
        game.answer("forged-token", question.id, question.options[0])
    with pytest.raises(InputError, match="expected one of"):
        game.answer(owner.token, question.id, "bribe")
    with pytest.raises(InputError, match="closed"):
        game.answer(owner.token, question.id + 1000, question.options[0])
    with pytest.raises(InputError, match="closed"):
        game.answer(owner.token, "1", question.options[0])
    assert question.answer is None                # nothing refused reached the market
    game.answer(owner.token, question.id, question.options[-1])
    with pytest.raises(InputError):
        game.answer(owner.token, question.id, question.options[0])
    deadline = time.monotonic() + WAIT
    while not question.seat.decisions or question.seat.decisions[-1].by is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    decision = question.seat.decisions[-1]
    assert decision.by == owner.name and decision.choice == question.options[-1]


def test_the_teachers_controls_are_checked(games):
    game = games()
    with pytest.raises(InputError, match="expected one of paused"):
        game.set_mode("fast")
    with pytest.raises(InputError, match="expected one of 0.5"):
        game.set_mode("play", 3)
    game.step()
    deadline = time.monotonic() + WAIT
    while game.market.steps < 1:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert game.teacher_view()["when"].startswith("Month 1 of 120")


@pytest.mark.parametrize(("kw", "key", "why"), [
    ({"scenario": "nope"}, "scenario", "unknown scenario"),
    ({"seats": {"commercial": 0}}, "seats", "at least one"),
    ({"seats": {"freelance": 1}}, "seats", "unknown kind"),
    ({"seats": {"commercial": 5}}, "seats.commercial", "only 4"),
    ({"seats": {"commercial": -1}}, "seats.commercial", "whole number"),
    ({"seats": {"large_firm": 1}, "scenario": "baseline"}, "seats.large_firm", "no large firms"),
    ({"time_limit": 0}, "time_limit", "seconds from"),
    ({"time_limit": "soon"}, "time_limit", "number of seconds"),
    ({"seed": -1}, "seed", "whole number"),
    ({"ask_bids": "yes"}, "ask_bids", "true or false"),
])
def test_bad_settings_are_refused_in_one_line_naming_the_key(kw, key, why):
    with pytest.raises(InputError, match=why) as err:
        _settings(**kw)
    assert err.value.key == key and "\n" not in str(err.value)


def test_more_funded_seats_than_the_seed_gives_are_refused(games):
    with pytest.raises(InputError, match="only 3 of a non-profit with a funder"):
        games(_settings(seats={"funded_nonprofit": 4}))


def test_large_firm_seats_are_taken_when_large_firms_enter(games):
    game = games(_settings(seats={"large_firm": 1}), gone_after=0.05)   # Ana leaves at once
    student = game.join(game.code, "Ana")
    assert student.seat.practitioner is None
    assert "waits to enter" in game.student_view(student)["organisation"]["status"]
    _run_to(game, 37)                              # they enter in month 36 (classroom)
    p = game.market.practitioner_by_id[student.seat.practitioner]
    assert p.kind == "large_firm" and game.market.players[p.unique_id] is student.seat


def test_a_dilemma_and_its_outcome_in_plain_words():
    from dmpsim.app.play import words
    from dmpsim.model.players import Dilemma, Offer

    d = Dilemma(step=5, stage="respond", practitioner=1, practitioner_kind="independent_commercial",
                contract=3, commissioner=2, commissioner_kind="council", commissioner_level="local",
                pressure="report_content", phase="report", integrity_at_stake=0.7, price=80.0,
                funded_by_commissioner=True, reserves=-12.0, runway_months=-1.0, reputation=0.62,
                has_safety_net=False, last_time="it went badly",
                options=("comply", "negotiate", "push_back", "threaten", "withdraw"),
                probabilities=(0.1, 0.2, 0.3, 0.2, 0.2), rule_choice="push_back")
    text = words.dilemma_text(d)
    facts = " ".join(text["facts"])
    for needle in ("A local council (local commissioner)", "change what the report says",
                   "70% of the process's integrity", "80k. The commissioner pays you",
                   "-12k", "living on borrowed money", "0.62", "no funder", "it went badly"):
        assert needle in facts, needle
    assert [o["value"] for o in text["options"]] == list(d.options)
    o = Offer(step=5, practitioner=1, practitioner_kind="independent_commercial", commissioner=2,
              commissioner_kind="department", commissioner_level="national", budget=150.0,
              red_flags=0.7, reserves=40.0, runway_months=50.0, last_time="never worked for them",
              rule_choice=False)
    assert "many: this commissioner may press you" in " ".join(words.offer_text(o)["facts"])
    assert words.outcome_text("push_back", "back_down", "upheld") == (
        "You pushed back. The commissioner backed down; the process kept its integrity.")
    assert words.outcome_text("comply", "none", "complied", by_student=False).startswith(
        "Your organisation's usual rule complied. Your organisation did what they asked")
    assert words.result_text("none", "withdrawn") == "They walked away from the contract."
    assert words.runway(float("inf")) == "no overheads to pay"
    assert words.runway(6.4) == "about 6 months"
