"""Scenario comparisons across an ensemble of calibrated parameter sets.

``dmpsim compare SCENARIO... --ensemble CALIBRATION_DIR`` runs every scenario (a procurement or
governance rule) once per member of a calibrated ensemble: replication ``k`` of every scenario
uses ensemble member ``k`` *and* seed ``k``. Differences between scenarios are therefore paired
over both the parameters and the random numbers, as in the common-random-numbers design of
:mod:`dmpsim.analysis.stats` (Law, A. M., 2015, *Simulation Modeling and Analysis*, 5th ed.,
sec. 11.2), and every figure here is computed member by member before it is summarised.

The functions take a long data frame with one row per run and the columns ``scenario``,
``member`` (the ensemble member, which is also the replication and the seed) and one column per
output, and answer, per output:

- :func:`paired_differences`: each scenario's value minus the baseline's in the same member, the
  distribution that the report draws;
- :func:`share_better`: in what share of the ensemble a scenario beats the baseline;
- :func:`regret`: how far a scenario falls short of the best scenario, member by member (the
  regret of Savage, L. J., 1951, "The theory of statistical decision", *JASA* 46:55-67, as used
  to compare policies across many plausible worlds in robust decision making: Lempert, R. J.,
  Popper, S. W. & Bankes, S. C., 2003, *Shaping the Next One Hundred Years*, RAND MR-1626);
- :func:`ranking_agreement`: whether the scenarios come in the same order in every member, with
  Kendall's coefficient of concordance W;
- :func:`ensemble_table`: all of these in one tidy table, one row per scenario and output.

**Weights.** A calibrated ensemble may carry importance weights (ABC-SMC gives each accepted
parameter set a weight). These functions do not take weights: the comparison resamples the
ensemble to equal weights *before* running it, so each row here is one equally weighted draw
from the calibrated distribution. A parameter set drawn twice is two members, with different
seeds, and counts twice, as it should. Do not pass a weighted ensemble's members straight in.

**What a share means.** Each member is run once, so the difference in member ``k`` is one draw
of the model's run-to-run noise at parameter set ``k``. "A beats the baseline in 70% of the
ensemble" is thus the probability that, for a parameter set drawn from the calibrated ensemble
and one run of each scenario on the same seed, A comes out ahead: it mixes uncertainty about the
parameters with the model's stochasticity, and is not the probability that A's *expected*
outcome is better. The same holds for regret and for the rankings.

**Direction.** ``better`` maps an output to +1 (higher is better), -1 (lower is better) or 0
(neither; an output that is absent counts as 0). For a direction-0 output "beats" means nothing:
the shares are of members in which the scenario is *higher* than the baseline, there is no
regret, and scenarios are ranked by value, higher first.

**Missing runs.** A paired design needs every member for every scenario: a member present for
one scenario and absent for another is an error (:class:`~dmpsim.errors.InputError`) unless
``incomplete="drop"``, which leaves such members out. A run whose output is NaN (a failed run)
is left out of the comparisons that involve it, output by output, and counted: every table has
``n`` (members used) and ``n_missing`` (members of the ensemble left out), and ``n +
n_missing`` is the ensemble's size. Ties are exact equality of values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy import stats as _sps

from dmpsim.errors import InputError

__all__ = [
    "MEMBER",
    "REGRET_QUANTILE",
    "SCENARIO",
    "ensemble_table",
    "kendall_w",
    "paired_differences",
    "ranking_agreement",
    "regret",
    "regret_by_member",
    "share_better",
]

#: The column naming the scenario of a run.
SCENARIO = "scenario"
#: The column naming the ensemble member of a run (also its replication number and seed).
MEMBER = "member"
#: Regret is summarised by its mean and this quantile over the ensemble (column ``regret_p90``).
REGRET_QUANTILE = 0.9
#: A ranking shared by at least this share of the members is reported as "the same ranking".
MAJORITY = 0.5

_INCOMPLETE = ("raise", "drop")
_SHOWN = 5  # members or scenarios named in an error message before "and N more"

PAIRED_COLUMNS = ["scenario", "output", "member", "value", "baseline_value", "difference"]
SHARE_COLUMNS = [
    "scenario", "output", "baseline", "direction", "n", "n_missing",
    "share_better", "share_tied", "share_worse", "share_higher", "share_lower",
    "headline", "ci_low", "ci_high",
]
REGRET_BY_MEMBER_COLUMNS = ["scenario", "output", "member", "value", "regret", "best"]
REGRET_COLUMNS = [
    "scenario", "output", "direction", "n", "n_missing",
    "regret_mean", "regret_p90", "share_best", "n_best",
]
RANKING_COLUMNS = [
    "output", "direction", "ranked_by", "n", "n_missing", "ranking", "ranking_text",
    "share_same", "n_rankings", "kendall_w", "verdict",
]
TABLE_COLUMNS = [
    "scenario", "output", "baseline", "direction", "n_members",
    "n_paired", "diff_mean", "diff_median",
    "share_better", "share_tied", "share_worse", "share_higher", "share_lower",
    "headline", "ci_low", "ci_high",
    "n_complete", "regret_mean", "regret_p90", "share_best", "n_best",
    "modal_rank", "modal_ranking", "share_same_ranking", "kendall_w", "ranking_verdict",
]


# --------------------------------------------------------------------------------------------
# argument checking


class _Frame:
    """A checked input frame: its outputs, scenarios, members and one wide table per output."""

    def __init__(self, df: object, outputs: Sequence[str] | str):
        if not isinstance(df, pd.DataFrame):
            raise InputError(f"must be a pandas DataFrame, got {type(df).__name__}", key="df")
        for col in (SCENARIO, MEMBER):
            if col not in df.columns:
                raise InputError(f"has no {col!r} column", key="df")
            if df[col].isna().any():
                raise InputError(f"column {col!r} has missing values", key="df")
        outs = [outputs] if isinstance(outputs, str) else list(outputs)
        if not outs:
            raise InputError("needs at least one output column", key="outputs")
        if len(set(outs)) != len(outs):
            raise InputError("lists a column more than once", key="outputs")
        values = {}
        for out in outs:
            if out in (SCENARIO, MEMBER):
                raise InputError(f"{out!r} is the scenario or member column", key="outputs")
            if out not in df.columns:
                raise InputError(f"column {out!r} is not in the data frame", key="outputs")
            col = df[out]
            if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
                raise InputError(f"column {out!r} is not numeric (dtype {col.dtype})", key="outputs")
            x = col.to_numpy(dtype=float, na_value=np.nan)
            if np.isinf(x).any():
                raise InputError(f"column {out!r} has infinite values", key="outputs")
            values[out] = x
        dup = df.duplicated([SCENARIO, MEMBER])
        if dup.any():
            first = df.loc[dup, [SCENARIO, MEMBER]].iloc[0]
            raise InputError(
                f"scenario {_shown(first[SCENARIO])} has member {_shown(first[MEMBER])} more"
                " than once;"
                " pairing needs one run per (scenario, member)",
                key="df",
            )
        self.outputs = outs
        self.scenarios: list[Hashable] = list(pd.unique(df[SCENARIO]))
        self.members: list[Hashable] = _ordered(df[MEMBER])
        self.present = {s: set(g) for s, g in df.groupby(SCENARIO, sort=False)[MEMBER]}
        long = pd.DataFrame({SCENARIO: df[SCENARIO].to_numpy(), MEMBER: df[MEMBER].to_numpy()})
        for out, x in values.items():
            long[out] = x
        self._wide = long.pivot(index=MEMBER, columns=SCENARIO, values=outs)

    def wide(self, output: str, members: Sequence[Hashable], scenarios: Sequence[Hashable]):
        """Members x scenarios values of one output; NaN where a run failed."""
        return self._wide[output].reindex(index=list(members), columns=list(scenarios))

    def check_baseline(self, baseline: Hashable) -> None:
        if baseline not in self.scenarios:
            raise InputError(
                f"{_shown(baseline)} is not a scenario in the data frame"
                f" (scenarios: {_listed(self.scenarios)})",
                key="baseline",
            )

    def paired_members(self, scenario: Hashable, baseline: Hashable, incomplete: str) -> list:
        """Members run for both the scenario and the baseline; an error if any is run for one."""
        own, base = self.present[scenario], self.present[baseline]
        if own != base and incomplete == "raise":
            if base - own:
                problem = (
                    f"scenario {_shown(scenario)} lacks member(s) {_listed(base - own)}"
                    f" that baseline {_shown(baseline)} has"
                )
            else:
                problem = (
                    f"baseline {_shown(baseline)} lacks member(s) {_listed(own - base)}"
                    f" that scenario {_shown(scenario)} has"
                )
            raise InputError(f"{problem}; {_COMPLETE_DESIGN}", key="df")
        return [m for m in self.members if m in own and m in base]

    def common_members(self, incomplete: str) -> list:
        """Members run for every scenario; an error if any member is missing for a scenario."""
        everyone = set(self.members)
        short = [s for s in self.scenarios if self.present[s] != everyone]
        if short and incomplete == "raise":
            scen = short[0]
            others = f" (and {len(short) - 1} other scenario(s))" if len(short) > 1 else ""
            raise InputError(
                f"scenario {_shown(scen)} lacks member(s) {_listed(everyone - self.present[scen])}"
                f"{others}; {_COMPLETE_DESIGN}",
                key="df",
            )
        return [m for m in self.members if all(m in self.present[s] for s in self.scenarios)]


_COMPLETE_DESIGN = (
    "a paired design needs every member for every scenario (incomplete='drop' leaves them out)"
)


def _ordered(values: Iterable[Hashable]) -> list:
    """Distinct values, sorted when they can be, else in order of first appearance."""
    uniq = list(pd.unique(pd.Series(list(values), dtype=object)))
    try:
        return sorted(uniq)
    except TypeError:
        return uniq


def _shown(value: object) -> str:
    """A scenario or member as a message shows it: repr, without numpy's type (``3``, ``'A'``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _listed(items: Iterable[Hashable]) -> str:
    items = _ordered(items)
    shown = ", ".join(_shown(i) for i in items[:_SHOWN])
    return shown + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


def _directions(better: Mapping[str, int], outputs: Sequence[str]) -> dict[str, int]:
    """+1, -1 or 0 for each output; keys for outputs not analysed are ignored."""
    if not isinstance(better, Mapping):
        raise InputError(f"must be a mapping of output to +1, -1 or 0, got {better!r}", key="better")
    dirs = {}
    for out in outputs:
        d = better.get(out, 0)
        if isinstance(d, bool) or not isinstance(d, Integral) or d not in (-1, 0, 1):
            raise InputError(f"direction of {out!r} must be +1, -1 or 0, got {d!r}", key="better")
        dirs[out] = int(d)
    return dirs


def _check_incomplete(incomplete: str) -> None:
    if incomplete not in _INCOMPLETE:
        raise InputError(f"must be 'raise' or 'drop', got {incomplete!r}", key="incomplete")


def _check_confidence(confidence: float) -> None:
    if isinstance(confidence, bool) or not isinstance(confidence, Real) or not 0 < confidence < 1:
        raise InputError(f"must be strictly between 0 and 1, got {confidence!r}", key="confidence")


# --------------------------------------------------------------------------------------------
# paired differences and shares


def paired_differences(
    df: pd.DataFrame,
    baseline: Hashable,
    outputs: Sequence[str] | str,
    *,
    incomplete: str = "raise",
) -> pd.DataFrame:
    """Each scenario's value minus the baseline's in the same ensemble member.

    One row per (scenario other than the baseline, output, member), with columns ``scenario``,
    ``output``, ``member``, ``value`` (the scenario's), ``baseline_value`` and ``difference``
    (``value - baseline_value``, in the output's units, whichever direction is better).
    Scenarios come in order of first appearance, outputs in the order given, members sorted.
    Because both runs share the member's parameters and seed, the spread of ``difference`` over
    the ensemble is the spread of the scenario's *effect*, not of the two runs.

    A member whose run failed (NaN) in either scenario has no row for that output, so a
    scenario and output have fewer rows than the ensemble has members by the number of pairs
    left out; :func:`share_better` reports that number as ``n_missing``.

    Args:
        df: one row per run with columns ``scenario``, ``member`` and the outputs.
        baseline: the scenario every other is compared with.
        outputs: the output column(s) to compare.
        incomplete: ``"raise"`` (default) if a member is run for a scenario but not for the
            baseline or the other way round; ``"drop"`` to leave such members out.

    Raises:
        InputError (a ValueError): a bad frame, an unknown baseline or output, or an incomplete
        design with ``incomplete="raise"``.
    """
    frame = _Frame(df, outputs)
    frame.check_baseline(baseline)
    _check_incomplete(incomplete)
    return _paired(frame, baseline, incomplete)


def _paired(frame: _Frame, baseline: Hashable, incomplete: str) -> pd.DataFrame:
    blocks = []
    for scen in frame.scenarios:
        if scen == baseline:
            continue
        members = frame.paired_members(scen, baseline, incomplete)
        for out in frame.outputs:
            w = frame.wide(out, members, [scen, baseline]).dropna()
            blocks.append(
                pd.DataFrame({
                    "scenario": scen,
                    "output": out,
                    "member": w.index.to_numpy(),
                    "value": w[scen].to_numpy(),
                    "baseline_value": w[baseline].to_numpy(),
                    "difference": (w[scen] - w[baseline]).to_numpy(),
                })
            )
    blocks = [b for b in blocks if len(b)]
    if not blocks:
        return pd.DataFrame(columns=PAIRED_COLUMNS).astype({
            "value": float, "baseline_value": float, "difference": float
        })
    return pd.concat(blocks, ignore_index=True)[PAIRED_COLUMNS]


def _wilson(k: int, n: int, confidence: float) -> tuple[float, float]:
    if n == 0:
        return (np.nan, np.nan)
    ci = _sps.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return (float(ci.low), float(ci.high))


def share_better(
    df: pd.DataFrame,
    baseline: Hashable,
    outputs: Sequence[str] | str,
    better: Mapping[str, int],
    *,
    confidence: float = 0.95,
    incomplete: str = "raise",
) -> pd.DataFrame:
    """Share of the ensemble in which each scenario beats the baseline, output by output.

    One row per (scenario other than the baseline, output) with columns

    - ``scenario``, ``output``, ``baseline``, ``direction`` (+1, -1 or 0 from ``better``);
    - ``n``: members with a value for both the scenario and the baseline; ``n_missing``: the
      other members of the ensemble (a failed run, or a member left out by
      ``incomplete="drop"``);
    - ``share_better``, ``share_tied``, ``share_worse``: shares of the ``n`` members in which the
      scenario is strictly better than, exactly equal to, or strictly worse than the baseline
      (they add up to 1); better and worse are NaN for a direction-0 output;
    - ``share_higher``, ``share_lower``: the same by value, whatever the direction;
    - ``headline``: the share the report leads with, ``"share_better"``, or ``"share_higher"``
      for a direction-0 output;
    - ``ci_low``, ``ci_high``: the Wilson score interval (Wilson, E. B., 1927, *JASA*
      22:209-212) of the headline share at level ``confidence``, treating the members as
      independent draws from the ensemble; Wilson's interval keeps close to its nominal
      coverage for the few dozen members an ensemble has (Brown, L. D., Cai, T. T. &
      DasGupta, A., 2001, *Statistical Science* 16:101-133). NaN when ``n`` is 0.

    The interval is about the finite ensemble and the seeds, not about how well the ensemble
    represents the calibrated distribution. Shares are NaN when ``n`` is 0.

    Raises:
        InputError (a ValueError): as :func:`paired_differences`, a bad ``better`` or
        ``confidence``.
    """
    frame = _Frame(df, outputs)
    frame.check_baseline(baseline)
    dirs = _directions(better, frame.outputs)
    _check_confidence(confidence)
    _check_incomplete(incomplete)
    return _shares(frame, baseline, dirs, confidence, _paired(frame, baseline, incomplete))


def _shares(frame: _Frame, baseline: Hashable, dirs: Mapping[str, int], confidence: float,
            diffs: pd.DataFrame) -> pd.DataFrame:
    grouped = {key: g["difference"].to_numpy() for key, g in diffs.groupby(
        ["scenario", "output"], sort=False)}
    rows = []
    for scen in frame.scenarios:
        if scen == baseline:
            continue
        for out in frame.outputs:
            d = grouped.get((scen, out), np.empty(0))
            rows.append(_share_row(scen, out, baseline, dirs[out], d, len(frame.members),
                                   confidence))
    return pd.DataFrame(rows, columns=SHARE_COLUMNS)


def _share_row(scen, out, baseline, direction, d, n_members, confidence) -> dict:
    n = int(d.size)
    higher, lower = int(np.sum(d > 0)), int(np.sum(d < 0))
    tied = n - higher - lower

    def share(k: int) -> float:
        return k / n if n else np.nan

    if direction == 0:
        headline, ahead = "share_higher", higher
        better_share = worse_share = np.nan
    else:
        ahead, behind = (higher, lower) if direction > 0 else (lower, higher)
        headline, better_share, worse_share = "share_better", share(ahead), share(behind)
    low, high = _wilson(ahead, n, confidence)
    return {
        "scenario": scen,
        "output": out,
        "baseline": baseline,
        "direction": direction,
        "n": n,
        "n_missing": n_members - n,
        "share_better": better_share,
        "share_tied": share(tied),
        "share_worse": worse_share,
        "share_higher": share(higher),
        "share_lower": share(lower),
        "headline": headline,
        "ci_low": low,
        "ci_high": high,
    }


# --------------------------------------------------------------------------------------------
# regret


def _complete_values(frame: _Frame, out: str, incomplete: str) -> pd.DataFrame:
    """Members x scenarios values of one output, for members with every scenario's value."""
    return frame.wide(out, frame.common_members(incomplete), frame.scenarios).dropna()


def _regret_arrays(w: pd.DataFrame, direction: int) -> tuple[np.ndarray, np.ndarray]:
    """Per member and scenario: the shortfall from the member's best, and whether it is best."""
    score = direction * w.to_numpy()
    if score.size == 0:
        return np.zeros_like(score), np.zeros_like(score, dtype=bool)
    best = score.max(axis=1, keepdims=True)
    return best - score, score == best


def regret_by_member(
    df: pd.DataFrame,
    outputs: Sequence[str] | str,
    better: Mapping[str, int],
    *,
    incomplete: str = "raise",
) -> pd.DataFrame:
    """Each scenario's shortfall from the best scenario in each ensemble member.

    One row per (scenario, output, member) with columns ``scenario``, ``output``, ``member``,
    ``value``, ``regret`` and ``best``. ``regret`` is, in the output's units, how much worse the
    scenario is than the best scenario in that member (the best by ``better``: the highest value
    for +1, the lowest for -1); it is 0 for the best and positive otherwise. ``best`` is True for
    every scenario that is best or tied best in the member.

    Every scenario is compared, the baseline included. Outputs with direction 0 have no regret
    and no rows. A member in which any scenario's run failed (NaN) has no rows for that output:
    the best is unknown there.

    Raises:
        InputError (a ValueError): a bad frame, unknown output or bad ``better``, or a member
        missing for some scenario with ``incomplete="raise"``.
    """
    frame = _Frame(df, outputs)
    dirs = _directions(better, frame.outputs)
    _check_incomplete(incomplete)
    per_output = {}
    for out in frame.outputs:
        if dirs[out]:
            w = _complete_values(frame, out, incomplete)
            per_output[out] = (w, *_regret_arrays(w, dirs[out]))
    blocks = []
    for j, scen in enumerate(frame.scenarios):
        for out, (w, reg, is_best) in per_output.items():
            if len(w):
                blocks.append(pd.DataFrame({
                    "scenario": scen,
                    "output": out,
                    "member": w.index.to_numpy(),
                    "value": w[scen].to_numpy(),
                    "regret": reg[:, j],
                    "best": is_best[:, j],
                }))
    if not blocks:
        return pd.DataFrame(columns=REGRET_BY_MEMBER_COLUMNS).astype({
            "value": float, "regret": float, "best": bool
        })
    return pd.concat(blocks, ignore_index=True)[REGRET_BY_MEMBER_COLUMNS]


def regret(
    df: pd.DataFrame,
    outputs: Sequence[str] | str,
    better: Mapping[str, int],
    *,
    incomplete: str = "raise",
) -> pd.DataFrame:
    """Regret of each scenario over the ensemble, and how often it is the best.

    One row per (scenario, output), the baseline included, with columns

    - ``scenario``, ``output``, ``direction``;
    - ``n``: members with a value for every scenario (the best is known only there);
      ``n_missing``: the other members of the ensemble;
    - ``regret_mean``, ``regret_p90``: the mean and the 90th percentile (numpy's default,
      linear interpolation) over those members of the scenario's shortfall from the best
      scenario in the member (:func:`regret_by_member`), in the output's units. A scenario with
      a low mean regret is close to the best on average; one with a low 90th percentile is
      rarely far from it, a robust choice in the sense of minimax regret (Savage 1951);
    - ``share_best``: the share of members in which the scenario is the best. In a member where
      ``t`` scenarios tie for best each gets ``1/t`` of it, so the shares add up to 1 over the
      scenarios;
    - ``n_best``: the number of members in which the scenario is best or tied best.

    A direction-0 output has no regret: its rows have NaN regret and ``share_best`` and a missing
    ``n_best``. Everything but ``n`` and ``n_missing`` is NaN when ``n`` is 0.

    Raises:
        InputError (a ValueError): as :func:`regret_by_member`.
    """
    frame = _Frame(df, outputs)
    dirs = _directions(better, frame.outputs)
    _check_incomplete(incomplete)
    return _regrets(frame, dirs, incomplete)


def _regrets(frame: _Frame, dirs: Mapping[str, int], incomplete: str) -> pd.DataFrame:
    n_members = len(frame.members)
    stats: dict[tuple[Hashable, str], dict] = {}
    for out in frame.outputs:
        w = _complete_values(frame, out, incomplete)
        n = len(w)
        reg, is_best = _regret_arrays(w, dirs[out] or 1)
        credit = is_best / is_best.sum(axis=1, keepdims=True) if n else is_best
        for j, scen in enumerate(frame.scenarios):
            row = {"scenario": scen, "output": out, "direction": dirs[out], "n": n,
                   "n_missing": n_members - n, "regret_mean": np.nan, "regret_p90": np.nan,
                   "share_best": np.nan, "n_best": pd.NA}
            if dirs[out]:
                row["n_best"] = int(is_best[:, j].sum())
                if n:
                    row.update(
                        regret_mean=float(np.mean(reg[:, j])),
                        regret_p90=float(np.percentile(reg[:, j], 100 * REGRET_QUANTILE)),
                        share_best=float(credit[:, j].sum() / n),
                    )
            stats[scen, out] = row
    rows = [stats[s, o] for s in frame.scenarios for o in frame.outputs]
    out_df = pd.DataFrame(rows, columns=REGRET_COLUMNS)
    out_df["n_best"] = out_df["n_best"].astype("Int64")
    return out_df


# --------------------------------------------------------------------------------------------
# rankings


def kendall_w(ranks: np.ndarray) -> float:
    """Kendall's coefficient of concordance W of ``m`` rankings of ``n`` items, ties corrected.

    ``ranks`` is an ``(m, n)`` array: row ``j`` ranks the items in ranking ``j``, tied items
    sharing their average rank (as :func:`scipy.stats.rankdata` gives them). With ``R_i`` the sum
    of item ``i``'s ranks and ``S`` the sum of squared deviations of the ``R_i`` from their mean
    ``m (n + 1) / 2``,

        W = 12 S / (m^2 (n^3 - n) - m T),   T = sum over rankings and tie groups of (t^3 - t),

    where ``t`` is the size of a tie group (Kendall, M. G. & Babington Smith, B., 1939, "The
    problem of m rankings", *Ann. Math. Stat.* 10:275-287; the tie correction as in Legendre,
    P., 2005, *JABES* 10:226-245). W is 1 when every ranking is the same and near 0 (its
    expectation is ``1/m``) when they are unrelated; ``m (n - 1) W`` is Friedman's chi-squared
    statistic. NaN with no rankings, fewer than two items, or when every ranking ties all items.
    """
    r = np.asarray(ranks, dtype=float)
    if r.ndim != 2:
        raise InputError(f"must be a two-dimensional array, got shape {r.shape}", key="ranks")
    m, n = r.shape
    if m == 0 or n < 2:
        return np.nan
    s = float(np.sum((r.sum(axis=0) - m * (n + 1) / 2) ** 2))
    t = 0.0
    for row in r:
        counts = np.unique(row, return_counts=True)[1].astype(float)
        t += float(np.sum(counts**3 - counts))
    denominator = m**2 * (n**3 - n) - m * t
    return 12 * s / denominator if denominator > 0 else np.nan


def _tiers(scores: np.ndarray, scenarios: Sequence[Hashable]) -> tuple[tuple[Hashable, ...], ...]:
    """A member's ranking as tiers of tied scenarios, highest score first."""
    return tuple(
        tuple(s for s, v in zip(scenarios, scores, strict=True) if v == level)
        for level in np.unique(scores)[::-1]
    )


def _ranked_by(direction: int) -> str:
    return {
        1: "higher first (higher is better)",
        -1: "lower first (lower is better)",
        0: "higher first (neither is better)",
    }[direction]


def _ranking_rows(frame: _Frame, dirs: Mapping[str, int], incomplete: str) -> list[dict]:
    """Per output: the ranking summary, with the modal ranking's tiers under ``"tiers"``."""
    n_members = len(frame.members)
    rows = []
    for out in frame.outputs:
        w = _complete_values(frame, out, incomplete)
        scores = (dirs[out] or 1) * w.to_numpy()
        m = len(scores)
        counts = Counter(_tiers(row, frame.scenarios) for row in scores)
        # most_common keeps first-seen order among equal counts: ties go to the earlier member.
        tiers, k = counts.most_common(1)[0] if counts else ((), 0)
        ranks = _sps.rankdata(-scores, axis=1, method="average") if m else scores
        rows.append({
            "output": out,
            "direction": dirs[out],
            "ranked_by": _ranked_by(dirs[out]),
            "n": m,
            "n_missing": n_members - m,
            "ranking": tuple(s for tier in tiers for s in tier),
            "ranking_text": " > ".join(" = ".join(str(s) for s in tier) for tier in tiers),
            "share_same": k / m if m else np.nan,
            "n_rankings": len(counts),
            "kendall_w": kendall_w(ranks.reshape(m, len(frame.scenarios))),
            "verdict": _verdict(k, m, len(frame.scenarios)),
            "tiers": tiers,
        })
    return rows


def _verdict(k: int, m: int, n_scenarios: int) -> str:
    if m == 0:
        return "no member has a value for every scenario"
    if n_scenarios < 2:
        return "only one scenario"
    pct = 100 * k // m  # rounded down, so that only a unanimous ensemble shows 100%
    if k == m:
        return "same ranking in every member"
    if k >= MAJORITY * m:
        return f"same ranking in {pct}% of members ({k} of {m})"
    return f"rankings disagree (the most common ranking holds in {pct}% of members)"


def ranking_agreement(
    df: pd.DataFrame,
    outputs: Sequence[str] | str,
    better: Mapping[str, int],
    *,
    incomplete: str = "raise",
) -> pd.DataFrame:
    """Whether the scenarios rank the same in every ensemble member, output by output.

    In each member the scenarios are ranked best first by ``better`` (a direction-0 output is
    ranked by value, higher first; ``ranked_by`` says which). Scenarios with exactly equal
    values share a place. One row per output with columns

    - ``output``, ``direction``, ``ranked_by``;
    - ``n``: members with a value for every scenario; ``n_missing``: the other members;
    - ``ranking``: the modal ranking, the one found in most members, as a tuple of scenario
      names, first first (tied scenarios in order of first appearance; when two rankings are
      equally common, the one seen in the earlier member);
    - ``ranking_text``: the same as text, ``"A > B = C"``, with ``=`` between tied scenarios;
    - ``share_same``: the share of the ``n`` members whose ranking is exactly the modal one
      (ties included);
    - ``n_rankings``: the number of different rankings seen;
    - ``kendall_w``: Kendall's W over the members (:func:`kendall_w`, ties corrected): 1 when
      all members rank alike, near 0 when their rankings are unrelated. Unlike ``share_same``
      it gives partial credit to rankings that differ only in a swap or two;
    - ``verdict``: ``"same ranking in every member"``, ``"same ranking in X% of members (k of
      n)"`` when the modal ranking holds in at least half of them, or ``"rankings disagree
      (...)"``.

    Raises:
        InputError (a ValueError): as :func:`regret_by_member`.
    """
    frame = _Frame(df, outputs)
    dirs = _directions(better, frame.outputs)
    _check_incomplete(incomplete)
    rows = _ranking_rows(frame, dirs, incomplete)
    return pd.DataFrame(rows, columns=RANKING_COLUMNS)


# --------------------------------------------------------------------------------------------
# the report's table


def ensemble_table(
    df: pd.DataFrame,
    baseline: Hashable,
    outputs: Sequence[str] | str,
    better: Mapping[str, int],
    *,
    confidence: float = 0.95,
    incomplete: str = "raise",
) -> pd.DataFrame:
    """One tidy table of the ensemble comparison, one row per scenario and output.

    Rows: the baseline's first, then the other scenarios in order of first appearance; within a
    scenario, the outputs in the order given. Columns:

    - ``scenario``, ``output``, ``baseline``, ``direction``; ``n_members``: the ensemble's size;
    - from :func:`paired_differences`: ``n_paired`` (members compared with the baseline),
      ``diff_mean`` and ``diff_median`` (of the scenario minus the baseline);
    - from :func:`share_better`: ``share_better``, ``share_tied``, ``share_worse``,
      ``share_higher``, ``share_lower``, ``headline``, ``ci_low``, ``ci_high``;
    - from :func:`regret`: ``n_complete`` (members with every scenario's value, its ``n``),
      ``regret_mean``, ``regret_p90``, ``share_best``, ``n_best``;
    - from :func:`ranking_agreement`: ``modal_rank``, the scenario's place in the modal ranking
      (1 is first; tied scenarios share the best place of their tier, as in 1, 2, 2, 4),
      and, the same on every row of an output, ``modal_ranking`` (its ``ranking_text``),
      ``share_same_ranking``, ``kendall_w`` and ``ranking_verdict``.

    The baseline's comparison columns are missing (NaN; ``<NA>`` in ``n_paired``). With
    ``incomplete="drop"`` the comparison with the baseline uses the members both scenarios
    have, and regret and rankings the members every scenario has.

    Raises:
        InputError (a ValueError): as the functions it joins.
    """
    frame = _Frame(df, outputs)
    frame.check_baseline(baseline)
    dirs = _directions(better, frame.outputs)
    _check_confidence(confidence)
    _check_incomplete(incomplete)
    outs = frame.outputs
    diffs = _paired(frame, baseline, incomplete)
    diff_groups = {k: g["difference"] for k, g in diffs.groupby(["scenario", "output"],
                                                                 sort=False)}
    shares = _shares(frame, baseline, dirs, confidence, diffs)
    share_rows = {(r["scenario"], r["output"]): r for r in shares.to_dict("records")}
    regrets = _regrets(frame, dirs, incomplete)
    regret_rows = {(r["scenario"], r["output"]): r for r in regrets.to_dict("records")}
    rank_rows = {r["output"]: r for r in _ranking_rows(frame, dirs, incomplete)}

    share_keys = ["share_better", "share_tied", "share_worse", "share_higher", "share_lower",
                  "headline", "ci_low", "ci_high"]
    order = [baseline] + [s for s in frame.scenarios if s != baseline]
    rows = []
    for scen in order:
        for out in outs:
            d = diff_groups.get((scen, out), pd.Series(dtype=float))
            sh = share_rows.get((scen, out), {})
            rg = regret_rows[scen, out]
            rk = rank_rows[out]
            rows.append({
                "scenario": scen,
                "output": out,
                "baseline": baseline,
                "direction": dirs[out],
                "n_members": len(frame.members),
                "n_paired": sh.get("n", pd.NA),
                "diff_mean": float(d.mean()) if len(d) else np.nan,
                "diff_median": float(d.median()) if len(d) else np.nan,
                **{k: sh.get(k, None if k == "headline" else np.nan) for k in share_keys},
                "n_complete": rg["n"],
                "regret_mean": rg["regret_mean"],
                "regret_p90": rg["regret_p90"],
                "share_best": rg["share_best"],
                "n_best": rg["n_best"],
                "modal_rank": _place(scen, rk["tiers"]),
                "modal_ranking": rk["ranking_text"],
                "share_same_ranking": rk["share_same"],
                "kendall_w": rk["kendall_w"],
                "ranking_verdict": rk["verdict"],
            })
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    for col in ("n_paired", "n_best", "modal_rank"):
        table[col] = table[col].astype("Int64")
    return table


def _place(scenario: Hashable, tiers: Sequence[Sequence[Hashable]]) -> object:
    """1 + the number of scenarios ahead of ``scenario`` in ``tiers``; NA if it is absent."""
    ahead = 0
    for tier in tiers:
        if scenario in tier:
            return ahead + 1
        ahead += len(tier)
    return pd.NA
