"""Market dynamics (ODD §7.9): finances, the people who hold experience, the field's pool of
lessons, exit and entry."""

from __future__ import annotations

import math


def sharing(openness: float, competition: float, penalty: float) -> float:
    """Share of its new lessons an organisation publishes to the field.

    [P]: "the procurement process ... encourages competition between practitioners for contracts
    rather than collaboration. This competition may limit transparency". `competition` is in
    [0, 1]: bidders per tender over the most a tender can draw.
    """
    return openness * max(0.0, 1.0 - penalty * competition)


def absorb(pool: float, seen: float, absorption: float) -> float:
    """Lessons taken from the field's pool this month (a yearly share of what is still unseen)."""
    return max(0.0, pool - seen) * absorption / 12.0


def retained(yearly_turnover: float) -> float:
    """Share of an organisation's experience still with it after a month of staff turnover.

    Experience is held by people, who "leave, retire or are hired away": what work does not
    renew fades at the yearly turnover rate.
    """
    return math.exp(-yearly_turnover / 12.0)


def paid_out(reserves: float, cap: float) -> float:
    """Reserves above the cap, paid out this month (to owners, other mission work or the parent
    firm), so that a good year does not make an organisation secure for ever."""
    return max(0.0, reserves - cap)


def entry_chance(entry_rate: float, unmet_tenders: int) -> float:
    """Chance that a new independent starts this month, given tenders that found no bidder."""
    return 1.0 - (1.0 - entry_rate) ** unmet_tenders


def should_exit(months_negative: int, exit_months: int, load: int) -> bool:
    """An organisation exits once its reserves have stayed negative too long and it is free.

    It finishes running contracts first, so no process is abandoned by insolvency.
    """
    return months_negative >= exit_months and load == 0
