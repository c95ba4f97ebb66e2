"""What a teacher chooses for a class game, checked before anything starts.

    GameSettings(scenario="classroom", seed=0, seats={"funded_nonprofit": 3, "commercial": 4},
                 time_limit=45, ask_bids=True)

`seats` says how many practitioners of each kind the students take: a non-profit with a funder
(its safety net, ODD §7.4), a commercial firm living on its contracts (no funder), or a large
firm (seated when large firms enter the market, ODD §7.9). More students than seats play in
teams: a seat's first answer counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...errors import InputError
from ...experiments.scenario import bundled_names, load_scenario


@dataclass(frozen=True)
class SeatKind:
    """A kind of practitioner a student can be given, and how to recognise one in the market."""

    name: str
    label: str
    short: str
    kind: str
    funded: bool | None
    """True: only organisations with a funder; False: only those without; None: either."""

    def fits(self, kind: str, has_safety_net: bool) -> bool:
        return kind == self.kind and (self.funded is None or self.funded == has_safety_net)


SEAT_KINDS: tuple[SeatKind, ...] = (
    SeatKind("funded_nonprofit", "a non-profit with a funder", "non-profit, funded",
             "independent_nonprofit", True),
    SeatKind("commercial", "a commercial firm living on its contracts", "commercial firm",
             "independent_commercial", False),
    SeatKind("large_firm", "a large consulting or polling firm", "large firm", "large_firm",
             None),
)
SEAT_KIND_BY_NAME = {s.name: s for s in SEAT_KINDS}

MIN_TIME_LIMIT, MAX_TIME_LIMIT = 0.5, 600.0
MAX_SEATS = 200
DEFAULT_SEATS = {"funded_nonprofit": 3, "commercial": 4, "large_firm": 2}


def _whole(value: Any, key: str, low: int, high: int) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"expected a whole number from {low} to {high}, got {value!r}", key=key)
    return value


def _seconds(value: Any, key: str) -> float:
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise InputError(f"expected a number of seconds, got {value!r}", key=key) from None
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not MIN_TIME_LIMIT <= value <= MAX_TIME_LIMIT):
        raise InputError(f"expected seconds from {MIN_TIME_LIMIT:g} to {MAX_TIME_LIMIT:g}, "
                         f"got {value!r}", key=key)
    return float(value)


@dataclass(frozen=True)
class GameSettings:
    """A class game: the scenario and seed, the seats by kind, the time to answer, whether
    students decide their tenders too. Construct with `GameSettings.checked(...)` from input."""

    scenario: str = "classroom"
    seed: int = 0
    seats: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_SEATS))
    time_limit: float = 45.0
    ask_bids: bool = True

    @classmethod
    def checked(cls, scenario: Any = "classroom", seed: Any = 0, seats: Any = None,
                time_limit: Any = 45.0, ask_bids: Any = True) -> GameSettings:
        """Settings from a teacher's input (JSON or the command line); InputError naming the
        key for anything wrong."""
        if not isinstance(scenario, str) or scenario not in bundled_names():
            raise InputError(f"unknown scenario {scenario!r}; choose one of "
                             f"{', '.join(bundled_names())}", key="scenario")
        seed = _whole(seed, "seed", 0, 10**9)
        seats = DEFAULT_SEATS if seats is None else seats
        if not isinstance(seats, dict):
            raise InputError("expected a table of kind: number", key="seats")
        counts = {}
        for name, count in seats.items():
            if name not in SEAT_KIND_BY_NAME:
                raise InputError(f"unknown kind {name!r}; choose from "
                                 f"{', '.join(SEAT_KIND_BY_NAME)}", key="seats")
            counts[name] = _whole(count, f"seats.{name}", 0, MAX_SEATS)
        if sum(counts.values()) == 0:
            raise InputError("the students need at least one practitioner to play", key="seats")
        if not isinstance(ask_bids, bool):
            raise InputError(f"expected true or false, got {ask_bids!r}", key="ask_bids")
        settings = cls(scenario, seed, counts, _seconds(time_limit, "time_limit"), ask_bids)
        settings.check_against_scenario()
        return settings

    def check_against_scenario(self) -> None:
        """Refuse more seats of a kind than the scenario can have: counted from the scenario's
        parameters, so the check needs no run (funded organisations are counted in the game)."""
        values = load_scenario(self.scenario).effective()
        for name, count in self.seats.items():
            kind = SEAT_KIND_BY_NAME[name].kind
            if count == 0:
                continue
            if kind == "large_firm" and not values["large_firms.enabled"]:
                raise InputError(f"the {self.scenario} scenario has no large firms",
                                 key=f"seats.{name}")
            have = values[f"practitioners.{kind}.count"]
            if count > have:
                raise InputError(f"the {self.scenario} scenario has only {have} practitioners "
                                 f"of kind {kind}", key=f"seats.{name}")
