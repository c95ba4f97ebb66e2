"""The patterns of ODD §1 (PT1-PT10), measured on a run's tables.

Each function returns the figures a test or docs/ODD.md compares with the pattern; none of them
is an input to the model. They read tables only. `run_patterns` gives one figure per pattern for
one run, the form in which `dmpsim ablate` and `dmpsim compare` report them; PT8 and PT10 compare
scenarios or runs, so their per-run figures are the quantities compared.

Every run's summary computes these figures, on tables of a thousand rows or so, where pandas'
cost per call (a Series built for each column read, a frame copied by each boolean mask, a
groupby's set-up) is many times that of the arithmetic. So the figures are computed with numpy
on each table's columns, read once (`Columns`), and each reduction is done as pandas does it,
to the last bit: `_sum`, `series_mean`, `_share`, `_median` and `_group_means` say how.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..model.completion import GIVEN_IN
from ..model.params import CONTROL_PRESSURES, INDEPENDENT_KINDS, OUTPUT_PRESSURES


class Columns:
    """A table's columns as numpy arrays, each read from pandas once; with `rows`, only those
    rows (positions), in that order.

    Text columns come as object arrays of `str`, a missing value as NaN.
    """

    def __init__(self, table: pd.DataFrame, rows: np.ndarray | None = None) -> None:
        self.table = table
        self.rows = rows
        self._read: dict[str, np.ndarray] = {}

    @classmethod
    def of(cls, table: pd.DataFrame | Columns) -> Columns:
        return table if isinstance(table, Columns) else cls(table)

    def __getitem__(self, name: str) -> np.ndarray:
        values = self._read.get(name)
        if values is None:
            values = self.table[name].to_numpy()
            if self.rows is not None:
                values = values[self.rows]
            self._read[name] = values
        return values

    def __len__(self) -> int:
        return len(self.table) if self.rows is None else len(self.rows)


# Reductions as pandas does them (pandas 3.1), so the figures keep their last bits.

def _sum(values: np.ndarray) -> float:
    """`Series.sum()` of floats: missing values count as zeros in numpy's (pairwise) sum."""
    missing = np.isnan(values)
    return (np.where(missing, 0.0, values) if missing.any() else values).sum()


def series_mean(values: np.ndarray) -> float:
    """`Series.mean()`: for floats, the sum of `_sum` over the number of values present (NaN if
    none); booleans and integers have none missing, and are summed as floats."""
    if values.dtype.kind != "f":
        return float(values.sum(dtype=np.float64) / len(values)) if len(values) else math.nan
    present = len(values) - np.count_nonzero(np.isnan(values))
    return float(_sum(values) / present) if present else math.nan


def _share(values: np.ndarray, value: str, weights: np.ndarray | None = None) -> float:
    """The share of `value` among the values present, as `value_counts(normalize=True)` gives
    it (0.0 if absent); NaN if no value is present. `weights`: how many times each row counts."""
    present = ~pd.isna(values)
    found = values == value
    if weights is None:
        whole, part = np.count_nonzero(present), np.count_nonzero(found)
    else:
        whole, part = weights[present].sum(), weights[found].sum()
    return float(part / whole) if whole else math.nan


def _median(values: np.ndarray) -> float:
    """`Series.median()`: numpy's median of the values present; NaN if none."""
    present = values[~pd.isna(values)]
    return float(np.median(present)) if len(present) else math.nan


def _is_in(values: np.ndarray, choices: tuple[str, ...]) -> np.ndarray:
    found = np.zeros(len(values), dtype=bool)
    for choice in choices:
        found |= values == choice
    return found


def _group_means(codes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The mean of `values` in each group (`codes` 0..n-1, every code present), as pandas'
    `groupby(...).mean()` computes it, to the last bit.

    When the codes are sorted and no value is missing, pandas sums each group with numpy's
    `add.reduceat`; otherwise its Cython `group_mean` keeps a Kahan-compensated running sum per
    group, in row order, leaving out missing values. (The two give different last bits.)
    """
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    missing = np.isnan(values)
    if not missing.any() and np.all(codes[1:] >= codes[:-1]):
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        sizes = np.diff(starts, append=len(codes)).astype(np.float64)
        return np.add.reduceat(values.astype(np.float64), starts) / sizes
    counts = np.bincount(codes[~missing], minlength=n_groups)
    if (not missing.any() and np.array_equal(values, np.trunc(values))
            and np.abs(values).sum() < 2.0**53):
        # Whole numbers: each running sum (from 0.0) is exact, so no compensation is needed.
        return np.bincount(codes, weights=values, minlength=n_groups) / counts
    sums, compensations = [0.0] * n_groups, [0.0] * n_groups
    for code, value in zip(codes.tolist(), values.tolist(), strict=True):
        if value != value:  # missing
            continue
        before = sums[code]
        step = value - compensations[code]
        sums[code] = total = before + step
        compensation = total - before - step
        # An infinite value makes the compensation NaN; pandas drops it to keep the sum infinite.
        compensations[code] = compensation if compensation == compensation else 0.0
    means = np.array(sums) / np.maximum(counts, 1)
    # A group with no values is missing: pandas' NaN, not the sign-bit NaN that 0/0 gives.
    means[counts == 0] = np.nan
    return means


# Careers: each practitioner's last row.

def _career_rows(practitioners: Columns) -> np.ndarray:
    """Positions of each practitioner's last row, in the order `final_practitioners` has always
    given them: rows sorted by year (as pandas' `sort_values` sorts, with numpy's quicksort), and
    of each practitioner's rows the last in that order. (The figures are shares of careers, which
    no order changes.)"""
    by_year = np.argsort(practitioners["year"], kind="quicksort")
    ids = practitioners["practitioner"][by_year]
    _, from_end = np.unique(ids[::-1], return_index=True)
    return by_year[np.sort(len(ids) - 1 - from_end)]


def _careers(practitioners: Columns) -> Columns:
    return Columns(practitioners.table, _career_rows(practitioners))


def final_practitioners(practitioners: pd.DataFrame) -> pd.DataFrame:
    """Each practitioner's last row: its whole career so far."""
    return practitioners.iloc[_career_rows(Columns(practitioners))]


# The patterns. Each figure is computed once, by a private function on `Columns` that both the
# public function and `pattern_figures` call.

def _negative_experiences(careers: Columns, several: int = 3) -> float:
    seasoned = careers["won"] >= several
    return series_mean(careers["episodes_met"][seasoned] > 0)


def pt1_negative_experiences(practitioners: pd.DataFrame, several: int = 3) -> float:
    """PT1: share of practitioners who led `several`+ processes and met at least one pressure."""
    return _negative_experiences(_careers(Columns(practitioners)), several)


def pt2_pressure_frequencies(episodes: pd.DataFrame) -> pd.Series:
    """PT2: episodes by type, most frequent first."""
    return episodes["type"].value_counts()


def _walking_away(careers: Columns, several: int = 3) -> dict[str, float]:
    seasoned = careers["won"] >= several
    withdrawals = careers["withdrawals"][seasoned]
    return {
        "never_withdrew": series_mean(withdrawals == 0),
        "ever_withdrew": series_mean(withdrawals > 0),
        "ever_threatened": series_mean(careers["threats"][seasoned] > 0),
        "ever_declined": series_mean(careers["declines"][seasoned] > 0),
    }


def pt3_walking_away(practitioners: pd.DataFrame, several: int = 3) -> dict[str, float]:
    """PT3: shares of seasoned practitioners who ever withdrew, threatened, or declined a tender."""
    return _walking_away(_careers(Columns(practitioners)), several)


def _established_output_pressures(episodes: Columns, contracts: Columns,
                                  min_experience: float = 10.0,
                                  min_reputation: float = 0.6) -> np.ndarray:
    """How many times each episode counts in PT4: if it pressed an independent on outputs, once
    for each row of its contract in `contracts` whose lead was established at award (the inner
    merge of PT4's definition); so at most once in a run's tables, where contract ids are
    unique."""
    established = ((contracts["experience"] >= min_experience)
                   & (contracts["reputation"] >= min_reputation))
    ids, rows = np.unique(contracts["contract"][established], return_counts=True)
    weights = np.zeros(len(episodes), dtype=np.int64)
    if len(ids):
        contract = episodes["contract"]
        at = np.minimum(np.searchsorted(ids, contract), len(ids) - 1)
        weights = np.where(ids[at] == contract, rows[at], 0)
    pressed = (_is_in(episodes["type"], OUTPUT_PRESSURES)
               & _is_in(episodes["practitioner_kind"], INDEPENDENT_KINDS))
    return np.where(pressed, weights, 0)


def pt4_established_responses(episodes: pd.DataFrame, contracts: pd.DataFrame,
                              min_experience: float = 10.0,
                              min_reputation: float = 0.6) -> pd.Series:
    """PT4: how established independents respond when pressed on outputs (report, outcome)."""
    weights = _established_output_pressures(Columns(episodes), Columns(contracts),
                                            min_experience, min_reputation)
    counted = np.repeat(np.arange(len(episodes)), weights)
    return episodes["response"].iloc[counted].value_counts(normalize=True)


def _learning(contracts: Columns, min_contracts: int = 6) -> float:
    practitioner, experience = contracts["practitioner"], contracts["experience"]
    # Practitioners with enough contracts at two or more levels of experience (their highest
    # above their lowest, missing values aside).
    _, group, size = np.unique(practitioner, return_inverse=True, return_counts=True)
    known = ~np.isnan(experience)
    lowest, highest = np.full(len(size), np.inf), np.full(len(size), -np.inf)
    np.minimum.at(lowest, group[known], experience[known])
    np.maximum.at(highest, group[known], experience[known])
    own = ((size >= min_contracts) & (highest > lowest))[group]
    if not own.any():
        return math.nan
    x = experience[own] / 10.0
    y = contracts["n_episodes"][own].astype(float)
    codes = np.unique(practitioner[own], return_inverse=True)[1]
    dx = x - _group_means(codes, x)[codes]
    dy = y - _group_means(codes, y)[codes]
    spread = _sum(dx * dx)
    return float(_sum(dx * dy) / spread) if spread > 0 else math.nan


def pt5_learning(contracts: pd.DataFrame, min_contracts: int = 6) -> float:
    """PT5: the within-practitioner (fixed-effects) slope of pressure episodes per contract
    against experience at award, in episodes per ten processes of experience. Negative means
    learning.

    Demeaning by practitioner keeps learning apart from who wins which contracts; pooling the
    demeaned points (rather than averaging each practitioner's own slope) keeps a practitioner
    whose experience hardly varied from dominating the figure.
    """
    return _learning(Columns(contracts), min_contracts)


def given_in_shares(episodes: pd.DataFrame | Columns) -> tuple[float, float]:
    """Shares of independents' episodes given in to (complied, or conceded), for independents
    living on commissioned income alone and for those with a funder or other income; NaN where
    there are none."""
    episodes = Columns.of(episodes)
    own = _is_in(episodes["practitioner_kind"], INDEPENDENT_KINDS)
    given_in = _is_in(episodes["outcome"], GIVEN_IN)
    reliant = episodes["reliant"].astype(bool)
    return series_mean(given_in[own & reliant]), series_mean(given_in[own & ~reliant])


def _reliance(episodes: Columns, careers: Columns) -> dict[str, float]:
    given_in_reliant, given_in_secure = given_in_shares(episodes)
    independents = _is_in(careers["kind"], INDEPENDENT_KINDS)
    reason = careers["exit_reason"]
    exited = ~pd.isna(reason) & (reason != "")
    reliant = careers["reliant"].astype(bool)
    return {
        "given_in_reliant": given_in_reliant,
        "given_in_secure": given_in_secure,
        "exited_reliant": series_mean(exited[independents & reliant]),
        "exited_secure": series_mean(exited[independents & ~reliant]),
    }


def pt6_reliance(episodes: pd.DataFrame, practitioners: pd.DataFrame) -> dict[str, float]:
    """PT6: independents living on commissioned income alone, against those with a funder or
    other income: the share of their episodes given in to, and the share of them that exited."""
    return _reliance(Columns(episodes), _careers(Columns(practitioners)))


def _withdrawn(episodes: Columns) -> np.ndarray:
    return episodes["outcome"] == "withdrawn"


def pt7_withdrawals_by_type(episodes: pd.DataFrame) -> pd.Series:
    """PT7: withdrawals from signed contracts by the pressure type that caused them."""
    return episodes["type"][_withdrawn(Columns(episodes))].value_counts()


def _trust_and_honesty(contracts: Columns) -> dict[str, float]:
    honesty, episodes = contracts["honesty"], contracts["n_episodes"]
    integrity = contracts["integrity"]
    honest = honesty >= _median(honesty)
    trusted = contracts["trust"] >= 0.5
    return {
        "episodes_honest": series_mean(episodes[honest]),
        "episodes_dishonest": series_mean(episodes[~honest]),
        "integrity_honest": series_mean(integrity[honest]),
        "integrity_dishonest": series_mean(integrity[~honest]),
        "episodes_trusted": series_mean(episodes[trusted]),
        "episodes_untrusted": series_mean(episodes[~trusted]),
    }


def pt9_trust_and_honesty(contracts: pd.DataFrame) -> dict[str, float]:
    """PT9: episodes per contract and integrity, for commissioners in the more and less honest
    halves, and for contracts where the commissioner already trusted the practitioner (trust at
    award at least 0.5, from work together) against the rest."""
    return _trust_and_honesty(Columns(contracts))


def _wave(model: Columns, window: int = 3) -> dict[str, float]:
    year = (model["step"] - 1) // 12
    first = year.min() if len(year) else 0
    months = np.bincount(year - first)
    # Tenders are counts, so every sum here is exact, and a window's mean is its sum over
    # `window`, as pandas' rolling mean (a compensated running sum) gives it.
    tenders = np.bincount(year - first, weights=model["tenders"])
    full = np.flatnonzero(months == 12)  # full years, as years since the first
    if len(full) < window:
        return {"peak": math.nan, "last": math.nan, "stall": math.nan, "peak_year": math.nan}
    smooth = np.convolve(tenders[full], np.ones(window), "valid") / window
    top = int(np.argmax(smooth))  # the first peak, as idxmax
    peak, last = float(smooth[top]), float(smooth[-1])
    return {"peak": peak, "last": last, "stall": 1.0 - last / peak if peak else math.nan,
            "peak_year": float(first + full[window - 1 + top] + 1)}


def pt10_wave(model: pd.DataFrame, window: int = 3) -> dict[str, float]:
    """PT10: the wave of commissioning, in yearly tenders averaged over `window` years: the peak
    window, the last window, and how far the last has fallen from the peak (0: still rising or
    at its peak). Windows smooth out a single lucky year."""
    return _wave(Columns(model), window)


PATTERN_FIGURES: dict[str, str] = {
    "PT1": "share of practitioners with 3+ contracts who met pressure (high: negative experiences outweigh)",
    "PT2": "share of pressure episodes that squeeze time and resources (the most frequent type)",
    "PT3": "share of practitioners with 3+ contracts who never withdrew (high: walking away is rare)",
    "PT4": "share of output pressure on established independents that they complied with (low)",
    "PT5": "within-practitioner slope of episodes per contract against experience, per 10 processes (negative: learning)",
    "PT6": "given-in rate of reliant independents minus that of independents with a safety net (positive)",
    "PT7": "share of withdrawals over method (at least any other single type's)",
    "PT8": "active independents at the end (fewer under price-only tenders with large firms)",
    "PT9": "episodes per contract with less honest commissioners minus with more honest ones (positive)",
    "PT10": "fall of the last three years' commissioning from its peak three years, as a share of the peak (a stalled wave)",
}
"""The one figure per pattern that `run_patterns` returns, and what it shows."""


def run_patterns(result) -> dict[str, float]:
    """One figure per pattern PT1-PT10 for one run (see `PATTERN_FIGURES`); the same figures
    are the last keys of the run's summary."""
    return {k: result.summary[k] for k in PATTERN_FIGURES}


def pattern_figures(episodes: pd.DataFrame | Columns, contracts: pd.DataFrame | Columns,
                    practitioners: pd.DataFrame | Columns, model: pd.DataFrame | Columns,
                    independents_active: int) -> dict[str, float]:
    """The figures of `PATTERN_FIGURES`, from a run's tables (or their `Columns`, shared with
    the rest of the summary)."""
    episodes, contracts, model = Columns.of(episodes), Columns.of(contracts), Columns.of(model)
    careers = _careers(Columns.of(practitioners))  # PT1, PT3 and PT6 read careers
    given_in_reliant, given_in_secure = given_in_shares(episodes)
    honesty = _trust_and_honesty(contracts)
    return {
        "PT1": _negative_experiences(careers),
        "PT2": _share(episodes["type"], "time_resources"),
        "PT3": _walking_away(careers)["never_withdrew"],
        "PT4": _share(episodes["response"], "comply",
                      _established_output_pressures(episodes, contracts)),
        "PT5": _learning(contracts),
        "PT6": given_in_reliant - given_in_secure,
        "PT7": _share(episodes["type"][_withdrawn(episodes)], "method"),
        "PT8": float(independents_active),
        "PT9": honesty["episodes_dishonest"] - honesty["episodes_honest"],
        "PT10": _wave(model)["stall"],
    }


__all__ = ["pt1_negative_experiences", "pt2_pressure_frequencies", "pt3_walking_away",
           "pt4_established_responses", "pt5_learning", "pt6_reliance", "pt7_withdrawals_by_type",
           "pt9_trust_and_honesty", "pt10_wave", "run_patterns", "pattern_figures", "PATTERN_FIGURES",
           "CONTROL_PRESSURES", "Columns", "series_mean", "given_in_shares"]
