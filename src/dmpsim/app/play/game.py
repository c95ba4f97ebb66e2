"""A class game: the market runs in a thread of its own; students sit in practitioners' seats.

Each `Seat` is a `Player` (ODD §7.13). When the market asks a seat during `market.step()`, the
seat opens a `Question` and the market's thread waits (on the game's condition) until a student
of that seat answers, the teacher's time limit runs out, or nobody is left in the seat; in the
last two cases the seat answers ``None`` and the model's rule decides, and the `Decision` says
so. The web server's threads never touch the market: they read the views the market's thread
publishes after each month (`teacher_view`, `student_view`) and the open questions, all under
the same condition, so a half-done month is never shown and a click reaches the teacher's page
as soon as it is made.

    game = Game(GameSettings.checked("classroom", seats={"commercial": 2}, time_limit=30))
    ana = game.join(game.code, "Ana")
    game.step()                        # one month; it waits for Ana if she is asked
    game.answer(ana.token, question_id, "push_back")
    game.close()
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
import traceback
import unicodedata
from collections import deque
from dataclasses import dataclass
from typing import Any

from ...errors import InputError
from ...model.players import Dilemma, Offer
from .. import narrate, views
from ..levers import ClassroomMarket
from . import words
from .settings import SEAT_KINDS, GameSettings, SeatKind

CODE_ALPHABET = "ACDEFHJKMNPRTUVWXY34679"   # no look-alikes (0/O, 1/I/L, 2/Z, 5/S, 8/B)
CODE_LENGTH = 6
GONE_AFTER = 20.0
"""Seconds without a request from any of a seat's students before the rule plays the seat."""
POLL_SECONDS = 10.0
"""Longest a page's request for news is held open (well under `GONE_AFTER`)."""
MAX_NAME = 24
MAX_STUDENTS = 300
"""A class, with room to spare; more joins are refused (a page reloaded in a loop, say)."""
PACES = (0.5, 1.0, 2.0, 4.0)
"""Months per second the teacher can choose for Play."""
MODES = ("paused", "play", "answered")
"""Paused (only Step moves); Play (months at the chosen pace); when everyone has answered
(month after month without pause, each held only until its questions are answered)."""
FEED_LENGTH = 30
PLOTS = {"integrity": views.IntegrityPlot, "shares": views.MarketSharePlot,
         "pressure": views.PressurePlot}


def new_code() -> str:
    """A random join code for one game (from `secrets`: not guessable from an earlier one)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def clean_name(name: Any) -> str:
    """A student's name, checked: 1 to 24 printable characters."""
    if not isinstance(name, str):
        raise InputError("expected a name", key="name")
    name = " ".join(name.split())
    if not name:
        raise InputError("enter a name", key="name")
    if len(name) > MAX_NAME:
        raise InputError(f"at most {MAX_NAME} characters, please", key="name")
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise InputError("only letters, digits, spaces and punctuation, please", key="name")
    return name


@dataclass(eq=False)
class Student:
    token: str
    name: str
    seat: Seat
    last_seen: float


@dataclass(eq=False)
class Decision:
    """One choice made in a seat, for the student's history and the debrief."""

    step: int
    kind: str            # "dilemma" or "offer"
    stage: str           # "respond", "escalated", "insisted" or "bid"
    summary: str
    options: tuple[str, ...]
    rule_choice: str
    rule_chances: dict[str, float]
    choice: str          # what was done: the student's answer, or the rule's
    by: str | None       # the student who answered, or None when the rule answered
    why_rule: str | None  # "time ran out", "nobody in the seat", "tenders left to the rule"
    seconds: float
    contract: int | None = None
    pressure: str | None = None
    commissioner: int | None = None
    outcome: str | None = None
    result: str | None = None
    """What came of it for the teacher's screen (the outcome without 'you')."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step, "kind": self.kind, "stage": self.stage, "summary": self.summary,
            "choice": self.choice, "choice_label": words.OPTION.get(self.choice, self.choice),
            "rule_choice": self.rule_choice,
            "rule_label": words.OPTION.get(self.rule_choice, self.rule_choice),
            "rule_chance": self.rule_chances.get(self.choice),
            "by": self.by, "why_rule": self.why_rule, "seconds": round(self.seconds, 1),
            "outcome": self.outcome, "differs": self.choice != self.rule_choice,
        }


@dataclass(eq=False)
class Question:
    """A question open to one seat; the market's thread waits for its answer."""

    id: int
    seat: Seat
    decision_kind: str
    stage: str
    text: dict[str, Any]
    options: tuple[str, ...]
    asked_at: float
    deadline: float
    answer: str | None = None
    answered_by: str | None = None

    def as_dict(self, now: float) -> dict[str, Any]:
        return {"id": self.id, "kind": self.decision_kind, **self.text,
                "seconds_left": max(0.0, round(self.deadline - now, 1))}


class Seat:
    """One practitioner the students play. It is the market's `Player` for that practitioner."""

    def __init__(self, game: Game, index: int, kind: SeatKind) -> None:
        self.game, self.index, self.kind = game, index, kind
        self.practitioner: int | None = None
        self.members: list[Student] = []
        self.decisions: list[Decision] = []
        self.tenders_to_rule = not game.settings.ask_bids
        self.answers = 0
        self.last_choice: str | None = None
        """The latest answer from this seat's students, shown to the teacher at once."""

    def respond(self, dilemma: Dilemma) -> str | None:
        return self.game._ask_dilemma(self, dilemma)

    def bid(self, offer: Offer) -> bool | None:
        return self.game._ask_offer(self, offer)

    def present(self, now: float) -> bool:
        return any(now - s.last_seen < self.game.gone_after for s in self.members)

    def label(self) -> str:
        who = ", ".join(s.name for s in self.members) or "nobody yet"
        return f"{who} ({self.kind.label})"


class Game:
    """One class game: its market, seats, students, open questions and the market's thread."""

    def __init__(self, settings: GameSettings, gone_after: float = GONE_AFTER,
                 pace: float = 1.0) -> None:
        self.settings = settings
        self.code = new_code()
        self.gone_after = gone_after
        self.market = ClassroomMarket(scenario_name=settings.scenario, seed=settings.seed)
        self.horizon = self.market.horizon
        self.cond = threading.Condition()
        self.version = 0
        self.mode = "paused"
        self.pace = pace
        self.finished = False
        self.error: str | None = None
        self.students: dict[str, Student] = {}
        self.questions: dict[int, Question] = {}
        self._next_question = 1
        self._wanted = 0
        self._closing = False
        self.busy = False
        """True while the market's thread runs a month (or writes the debrief)."""
        self._seen_contracts = 0
        self.feed: deque[dict[str, Any]] = deque(maxlen=FEED_LENGTH)
        self.seats = [Seat(self, i, kind) for i, kind in enumerate(self._seat_kinds())]
        self._bind_seats()
        self.debrief: dict[str, Any] | None = None
        self.last_step_seconds = 0.0
        self._plots = {name: make(self.market) for name, make in PLOTS.items()}
        self.plots = {name: plot.render(self.market) for name, plot in self._plots.items()}
        self.plots_version = 0
        self._teacher_seen = -1e9
        self._publish()
        self._thread = threading.Thread(target=self._run, name="dmpsim-game", daemon=True)
        self._thread.start()

    # -- seats --------------------------------------------------------------------------------

    def _seat_kinds(self) -> list[SeatKind]:
        kinds = []
        for kind in SEAT_KINDS:
            kinds += [kind] * self.settings.seats.get(kind.name, 0)
        # Funded and unfunded organisations are drawn with the seed: check there are enough.
        for kind in SEAT_KINDS:
            wanted = self.settings.seats.get(kind.name, 0)
            if kind.kind == "large_firm" or not wanted:
                continue
            have = sum(1 for p in self.market.practitioners if kind.fits(p.kind, p.has_safety_net))
            if wanted > have:
                raise InputError(f"this scenario and seed have only {have} of {kind.label}",
                                 key=f"seats.{kind.name}")
        return kinds

    def _bind_seats(self) -> None:
        """Give each empty seat the next practitioner of its kind (large firms once they enter)."""
        taken = {s.practitioner for s in self.seats}
        for seat in self.seats:
            if seat.practitioner is not None:
                continue
            for p in self.market.practitioners:
                if p.unique_id not in taken and p.active and seat.kind.fits(p.kind, p.has_safety_net):
                    seat.practitioner = p.unique_id
                    taken.add(p.unique_id)
                    self.market.seat(p.unique_id, seat)
                    break

    # -- students (called from the web server's threads) ----------------------------------------

    def check_code(self, code: Any) -> None:
        given = code.strip().upper() if isinstance(code, str) else ""
        if not hmac.compare_digest(given.encode(), self.code.encode()):
            raise InputError("that is not this game's code", key="code")

    def join(self, code: Any, name: Any) -> Student:
        """A new student: checked code and name, a seat (an empty one first, else the smallest
        team), and a token that lets only this student answer for that seat."""
        self.check_code(code)
        name = clean_name(name)
        with self.cond:
            if len(self.students) >= MAX_STUDENTS:
                raise InputError(f"the game is full ({MAX_STUDENTS} students)", key="name")
            if any(s.name.casefold() == name.casefold() for s in self.students.values()):
                raise InputError(f"{name!r} has joined already: choose another name", key="name")
            seat = min(self.seats, key=lambda s: (len(s.members), s.index))
            student = Student(secrets.token_urlsafe(18), name, seat, time.monotonic())
            self.students[student.token] = student
            seat.members.append(student)
            self._changed(f"{name} joined as {seat.kind.label}.")
        return student

    def student(self, token: Any) -> Student:
        """The student with this token, marked as present; InputError if there is none."""
        student = self.students.get(token) if isinstance(token, str) else None
        if student is None:
            raise InputError("not in this game: join with the code", key="token")
        student.last_seen = time.monotonic()
        return student

    def answer(self, token: Any, question_id: Any, choice: Any) -> None:
        """A student's answer to an open question of their own seat."""
        with self.cond:
            student = self.student(token)
            known = isinstance(question_id, int) and not isinstance(question_id, bool)
            question = self.questions.get(question_id) if known else None
            if question is None:
                raise InputError("that question is closed (answered, or the time ran out)",
                                 key="question")
            if question.seat is not student.seat:
                raise InputError("that question is for another practitioner", key="seat")
            if choice not in question.options:
                raise InputError(f"expected one of {', '.join(question.options)}, got {choice!r}",
                                 key="choice")
            if question.answer is not None:
                raise InputError(f"{question.answered_by} has answered already", key="question")
            question.answer, question.answered_by = choice, student.name
            seat = question.seat
            seat.answers += 1
            seat.last_choice = f"{student.name}: {words.OPTION.get(choice, choice).split(':')[0]}"
            self._changed(None)

    def set_tenders(self, token: Any, ask: Any) -> None:
        """A student chooses to decide their tenders themselves, or to leave them to the rule."""
        if not isinstance(ask, bool):
            raise InputError(f"expected true or false, got {ask!r}", key="ask")
        with self.cond:
            seat = self.student(token).seat
            seat.tenders_to_rule = not ask
            self._changed(None)

    # -- the teacher (called from the web server's threads) -------------------------------------

    def step(self) -> None:
        """Run one month (after the one running now, if any)."""
        with self.cond:
            if not self.finished:
                self._wanted += 1
                self.cond.notify_all()

    def set_mode(self, mode: Any, pace: Any = None) -> None:
        if mode not in MODES:
            raise InputError(f"expected one of {', '.join(MODES)}, got {mode!r}", key="mode")
        if pace is not None and pace not in PACES:
            raise InputError(f"expected one of {', '.join(f'{p:g}' for p in PACES)}, got {pace!r}",
                             key="pace")
        with self.cond:
            self.mode = mode
            if pace is not None:
                self.pace = float(pace)
            self._changed(None)

    def end(self) -> None:
        """Stop the game now and write the debrief (after the month running, if any)."""
        with self.cond:
            self._wanted = -1
            self.mode = "paused"
            self.cond.notify_all()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the market's thread; questions still open are left to the rule."""
        with self.cond:
            self._closing = True
            self.cond.notify_all()
        self._thread.join(timeout)

    def pause_and_wait(self, timeout: float = 60.0) -> None:
        """Pause, and return once the month running (if any) is done."""
        deadline = time.monotonic() + timeout
        with self.cond:
            self.mode = "paused"
            if self._wanted > 0:        # steps asked for but not begun are dropped; an end stays
                self._wanted = 0
            self._changed(None)
            while self.busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the month did not finish in time")
                self.cond.wait(left)

    def wait_for_news(self, since: int, timeout: float = POLL_SECONDS) -> int:
        """Block until something changes after version `since` (or `timeout`); the version."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.version <= since and not self._closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            return self.version

    # -- the market's thread --------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self.cond:
                while not self._closing and not self.finished and not (
                        self._wanted or self.mode != "paused"):
                    self.cond.wait()
                if self._closing:
                    return
                if self.finished:
                    self.cond.wait()
                    continue
                ending = self._wanted < 0
                if self._wanted > 0:
                    self._wanted -= 1
                paced = self.mode == "play" and not self._wanted
                pace = self.pace
                self.busy = True
            started = time.monotonic()
            try:
                if ending:
                    self._finish()
                else:
                    self._month()
                    if not self.market.running:
                        self._finish()
            except Exception as exc:       # a bug must reach the teacher, not kill the game
                traceback.print_exc()
                with self.cond:
                    self.error = f"the market stopped: {type(exc).__name__}: {exc}"
                    self.mode, self._wanted = "paused", 0
                    self._changed(None)
            with self.cond:
                self.busy = False
                self.cond.notify_all()
            if paced and not ending:
                with self.cond:
                    while not self._closing and self.mode == "play" and not self._wanted:
                        left = started + 1.0 / pace - time.monotonic()
                        if left <= 0:
                            break
                        self.cond.wait(left)

    def _month(self) -> None:
        started = time.monotonic()
        self.market.step()
        self._bind_seats()
        self._record_outcomes()
        # Drawing costs more than the month itself: draw only while a teacher's page watches.
        if time.monotonic() - self._teacher_seen < self.gone_after:
            plots = {name: plot.render(self.market) for name, plot in self._plots.items()}
            with self.cond:
                self.plots = plots
                self.plots_version = self.market.steps
        self.last_step_seconds = time.monotonic() - started
        self._publish()

    def _finish(self) -> None:
        from .debrief import debrief

        result = debrief(self)
        with self.cond:
            self.debrief = result
            self.finished = True
            self.mode, self._wanted = "paused", 0
            self._changed("The game is over: the debrief is on the teacher's screen.")

    def _ask(self, seat: Seat, kind: str, stage: str, text: dict[str, Any],
             options: tuple[str, ...]) -> tuple[str | None, str | None, str | None, float]:
        """Open a question to `seat` and wait for the answer: (answer, by, why the rule
        answered, seconds). Called in the market's thread, inside `market.step()`."""
        with self.cond:
            now = time.monotonic()
            if not seat.present(now) or self._closing:
                return None, None, "nobody in the seat", 0.0
            question = Question(self._next_question, seat, kind, stage, text, options, now,
                                now + self.settings.time_limit)
            self._next_question += 1
            self.questions[question.id] = question
            self._changed(None)
            why = None
            while question.answer is None:
                now = time.monotonic()
                if self._closing:
                    why = "the game closed"
                    break
                if now >= question.deadline:
                    why = "time ran out"
                    break
                if not seat.present(now):
                    why = "nobody in the seat"
                    break
                self.cond.wait(min(question.deadline - now, 1.0))
            del self.questions[question.id]
            self._changed(None)
            return question.answer, question.answered_by, why, time.monotonic() - question.asked_at

    def _ask_dilemma(self, seat: Seat, d: Dilemma) -> str | None:
        answer, by, why, seconds = self._ask(seat, "dilemma", d.stage, words.dilemma_text(d),
                                             d.options)
        summary = (f"{words.COMMISSIONER.get(d.commissioner_kind, 'a public body')} wanted to "
                   f"{narrate.demand(d.pressure)}")
        decision = Decision(
            d.step, "dilemma", d.stage, summary, d.options, d.rule_choice,
            dict(zip(d.options, d.probabilities, strict=True)),
            answer if answer is not None else d.rule_choice, by, why, seconds,
            contract=d.contract, pressure=d.pressure, commissioner=d.commissioner)
        with self.cond:
            seat.decisions.append(decision)
        return answer

    def _ask_offer(self, seat: Seat, o: Offer) -> bool | None:
        rule = "bid" if o.rule_choice else "pass"
        if seat.tenders_to_rule:
            answer, by, why, seconds = None, None, "tenders left to the rule", 0.0
        else:
            answer, by, why, seconds = self._ask(seat, "offer", "bid", words.offer_text(o),
                                                 ("bid", "pass"))
        summary = (f"a tender of {words.money(o.budget)} from "
                   f"{words.COMMISSIONER.get(o.commissioner_kind, 'a public body')}")
        decision = Decision(o.step, "offer", "bid", summary, ("bid", "pass"), rule, {},
                            answer if answer is not None else rule, by, why, seconds,
                            commissioner=o.commissioner)
        with self.cond:
            seat.decisions.append(decision)
        return None if answer is None else answer == "bid"

    def _record_outcomes(self) -> None:
        """What came of this month's decisions: the episode's outcome, the tender won or lost."""
        month = self.market.steps
        episodes = {}
        for row in reversed(self.market.episode_rows):
            if row[1] != month:
                break
            episodes.setdefault((row[0], row[3]), row)
        new = self.market.all_contracts[self._seen_contracts:]
        self._seen_contracts = len(self.market.all_contracts)
        won = {(c.lead.unique_id, c.commissioner.unique_id) for c in new}
        with self.cond:
            for seat in self.seats:
                for d in reversed(seat.decisions):
                    if d.step != month:
                        break
                    if d.kind == "dilemma":
                        row = episodes.get((d.contract, d.pressure))
                        if row is not None:
                            d.outcome = words.outcome_text(row[4], row[5], row[6],
                                                           by_student=d.by is not None)
                            d.result = words.result_text(row[5], row[6])
                            if d.stage == "respond":
                                self._tell(seat, d)
                    elif d.choice == "bid":
                        d.outcome = ("You won it." if (seat.practitioner, d.commissioner) in won
                                     else "Another practitioner won it.")
                    else:
                        d.outcome = "You did not bid."

    def _tell(self, seat: Seat, d: Decision) -> None:
        who = d.by or f"the rule ({d.why_rule})"
        self.feed.appendleft({"step": d.step, "text": f"{seat.label()}: {d.summary}; "
                              f"{who} chose {words.OPTION.get(d.choice, d.choice).split(':')[0]}"
                              f" (the rule: {words.OPTION.get(d.rule_choice, d.rule_choice).split(':')[0]}). "
                              f"{d.result}"})

    # -- views (published by the market's thread; read by the web server's) ---------------------

    def _changed(self, news: str | None) -> None:
        """Call with `cond` held: something students or the teacher see has changed."""
        if news:
            self.feed.appendleft({"step": self.market.steps, "text": news})
        self.version += 1
        self.cond.notify_all()

    def _seat_state(self, seat: Seat) -> dict[str, Any]:
        m = self.market
        out: dict[str, Any] = {"seat": seat.index, "kind": seat.kind.label,
                               "short": seat.kind.short,
                               "practitioner": seat.practitioner,
                               "members": [s.name for s in seat.members]}
        if seat.practitioner is None:
            out["status"] = "waits to enter the market"
            return out
        p = m.practitioner_by_id[seat.practitioner]
        mine = [r["integrity"] for r in m.contract_rows
                if r["practitioner"] == p.unique_id and r["status"] == "completed"]
        out.update({
            "status": "in business" if p.active else
                      f"went bust in month {p.exited_step}: {words.exit_text(p.exit_reason)}",
            "active": p.active,
            "reserves": words.money(p.reserves), "reserves_value": round(p.reserves, 1),
            "runway": words.runway(p.cover / p.overhead if p.overhead > 0 else float("inf")),
            "reputation": round(p.reputation, 2), "contracts_now": p.load,
            "completed": len(mine),
            "integrity": round(sum(mine) / len(mine), 2) if mine else None,
            "safety_net": p.has_safety_net,
        })
        return out

    def _publish(self) -> None:
        """New views of the market after a month (in the market's thread)."""
        m = self.market
        seats = [self._seat_state(seat) for seat in self.seats]
        numbers = views.run_numbers(m)
        market = [{"label": text, "value": views.fmt(fmt, numbers[key])}
                  for key, text, fmt in views.NUMBER_LINES]
        events = [{"step": e.step, "text": e.text, "serious": e.serious}
                  for e in narrate.recent_events(m, 8)]
        with self.cond:
            self.seat_states = seats
            self._market_lines = market
            self._events = events
            self._changed(None)

    def month_words(self) -> str:
        steps = self.market.steps
        year = (steps - 1) // 12 + 1 if steps else 0
        return f"Month {steps} of {self.horizon}" + (f" (year {year})" if steps else
                                                      " (not started)")

    def teacher_view(self) -> dict[str, Any]:
        """Everything the teacher's page shows (call with or without `cond`)."""
        with self.cond:
            now = time.monotonic()
            self._teacher_seen = now
            seats = []
            for seat, state in zip(self.seats, self.seat_states, strict=True):
                open_q = [q for q in self.questions.values() if q.seat is seat]
                seats.append({**state, "members": [
                    {"name": s.name, "present": now - s.last_seen < self.gone_after}
                    for s in seat.members],
                    "question": ({"headline": open_q[0].text["headline"],
                                  "seconds_left": max(0.0, round(open_q[0].deadline - now, 1)),
                                  "answered_by": open_q[0].answered_by,
                                  "answer": open_q[0].answer} if open_q else None),
                    "decisions": len(seat.decisions),
                    "answers": seat.answers, "last_choice": seat.last_choice,
                    "tenders": "the rule" if seat.tenders_to_rule else "the students"})
            return {
                "version": self.version, "code": self.code, "month": self.market.steps,
                "plots_version": self.plots_version,
                "horizon": self.horizon, "when": self.month_words(), "mode": self.mode,
                "pace": self.pace, "paces": list(PACES), "finished": self.finished,
                "error": self.error, "scenario": self.settings.scenario,
                "seed": self.settings.seed, "time_limit": self.settings.time_limit,
                "students": len(self.students), "seats": seats, "market": self._market_lines,
                "events": self._events, "feed": list(self.feed),
                "waiting": sum(1 for q in self.questions.values() if q.answer is None),
                "debrief": self.debrief,
            }

    def student_view(self, student: Student) -> dict[str, Any]:
        """Everything a student's page shows: their organisation, their open question, their
        last decisions and what came of them."""
        with self.cond:
            seat = student.seat
            now = time.monotonic()
            open_q = next((q for q in self.questions.values()
                           if q.seat is seat and q.answer is None), None)
            return {
                "version": self.version, "name": student.name, "when": self.month_words(),
                "finished": self.finished, "organisation": self.seat_states[seat.index],
                "team": [s.name for s in seat.members if s is not student],
                "question": open_q.as_dict(now) if open_q else None,
                "ask_tenders": not seat.tenders_to_rule,
                # Tenders left to the rule are many and decided nothing: the debrief counts them.
                "history": [d.as_dict() for d in seat.decisions
                            if d.why_rule != "tenders left to the rule"][-8:][::-1],
            }
