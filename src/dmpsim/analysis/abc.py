"""Approximate Bayesian computation on calibration targets: rejection, and ABC-SMC through pyabc.

Both methods find the parameter values under which the model meets the targets of
`dmpsim.analysis.targets` -- the *posterior*, when the targets are read as the data and the
uncertain parameters' distributions as the *prior*. Neither needs a likelihood: a draw of the
parameters is simulated and kept or weighted by how close its outputs come to the targets
(`targets.distances`, 0 exactly when every target is met).

*The unit hypercube.* Both methods draw in ``[0, 1]^k``, one coordinate per uncertain
parameter, and push a draw ``u`` to parameter values through each prior's quantile function
(``prior.from_unit(u)``). The uniform's pushforward *is* the prior, so this is exact; it lets
categorical, whole-number and real parameters be drawn, perturbed (by pyabc's kernels) and
compared (`constraint_table`) on one common scale. A prior is any object with ``key`` (the
parameter's dotted name) and ``from_unit(u: ndarray) -> ndarray`` (categories give an object
array of the category values, whole numbers an int array).

*Rejection ABC* (`rejection`): the caller draws ``n`` points (`draw_unit`), runs them (a sweep)
and hands over the outputs; `accept` keeps either exactly the draws that meet every target
(``share=None``) or the closest ``share`` of them. Kept draws weigh alike. The first is exact
rejection sampling from the prior conditioned on the targets being met; the second is
nearest-neighbour ABC, whose tolerance is the distance of the last draw kept.

*ABC-SMC* (`smc`, Del Moral, Doucet & Jasra 2012, *Statistics and Computing* 22:1009-1020;
Toni et al. 2009, *J. R. Soc. Interface* 6:187-202) through pyabc (Schaelte et al. 2022,
*JOSS* 7(74):4304): generations of ``population`` particles, each generation proposing from a
kernel fitted to the last and accepting particles within a threshold epsilon, the median of
the last generation's distances; it stops when epsilon reaches ``min_epsilon`` (by default 0:
every particle meets every target) or after ``generations`` generations. See `smc` for the
details: distance scales, seeds, samplers, reproducibility.

`constraint_table` says which parameters the targets constrain and which they leave open.

This module is part of the methods layer: data in, numbers out. It imports nothing from dmpsim
but `dmpsim.errors` and `dmpsim.analysis.targets`; pyabc is an optional dependency
(``dmpsim[calibrate]``) imported inside `smc`.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from dmpsim.errors import InputError

from .targets import (
    Target,
    _check_targets,
    _scaled,
    _total,
    distances,
    summarise_targets,
    target_scales,
)

__all__ = [
    "CONSTRAINED_BELOW", "LABELS", "SAMPLERS", "WEAKLY_CONSTRAINED_BELOW", "Prior",
    "RejectionResult", "SMCResult", "accept", "constraint_table", "draw_unit",
    "effective_sample_size", "parameter_values", "particle_seed", "rejection", "smc",
    "weighted_quantile",
]

SAMPLERS = ("multicore", "dask", "serial")
# The labels of `constraint_table`, by the ratio of the posterior's 90% range to the prior's
# (both in unit space). The cut-offs are a convention of this module, not a statistical test.
CONSTRAINED_BELOW = 0.5
WEAKLY_CONSTRAINED_BELOW = 0.8
LABELS = ("constrained", "weakly constrained", "left open", "no accepted draws")
# ABC-SMC's perturbation kernel: a normal with this many times the last generation's weighted
# covariance (Beaumont et al. 2009), not pyabc's default, a kernel density estimate's bandwidth.
KERNEL_VARIANCE = 2.0


class Prior(Protocol):
    """What the methods need of an uncertain parameter's prior."""

    key: str

    def from_unit(self, u: np.ndarray) -> np.ndarray: ...


# -- small pieces ----------------------------------------------------------------------------

def _whole(value: Any, what: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        raise InputError(f"{what} must be a whole number >= {least}, got {value!r}", key=what)
    return int(value)


def draw_unit(n: int, k: int, seed: int) -> np.ndarray:
    """``n`` draws of ``k`` i.i.d. U(0, 1) coordinates, shape ``(n, k)``.

    From ``np.random.default_rng(seed)``, so the seed fixes the draws, whatever runs them
    afterwards and in whatever order.
    """
    n, k = _whole(n, "n", 0), _whole(k, "k", 0)
    return np.random.default_rng(seed).random((n, k))


def parameter_values(priors: Sequence[Prior], unit: np.ndarray) -> pd.DataFrame:
    """Unit-space draws (shape ``(n, k)``) as parameter values: a column per prior, by its key."""
    unit = np.atleast_2d(np.asarray(unit, dtype=float))
    if unit.shape[1] != len(priors):
        raise ValueError(f"{unit.shape[1]} unit coordinates per draw for {len(priors)} priors")
    return pd.DataFrame({p.key: np.asarray(p.from_unit(unit[:, j]))
                         for j, p in enumerate(priors)})


def particle_seed(seed: int, u: np.ndarray) -> int:
    """The seed a draw ``u`` is simulated with: a hash of the calibration's seed and ``u``.

    `numpy.random.SeedSequence` mixes the seed and the bits of each float coordinate, so the
    same draw always gets the same seed (re-running a particle reproduces it) and different
    draws get unrelated ones. A 63-bit int, like `dmpsim`'s run seeds.
    """
    bits = np.ascontiguousarray(np.asarray(u, dtype=np.float64).ravel()).view(np.uint64)
    state = np.random.SeedSequence([int(seed), *(int(b) for b in bits)]).generate_state(
        1, np.uint64)
    return int(state[0] >> np.uint64(1))


def accept(distance: np.ndarray, *, share: float | None = None) -> np.ndarray:
    """Rejection ABC's acceptance: a boolean mask over the draws.

    With ``share=None``, exactly the draws at distance 0 (every target met). With ``share`` in
    (0, 1], the ``ceil(share * n)`` closest draws, ties broken by draw index (the earlier draw
    is kept), so the choice is deterministic; a draw at infinite or NaN distance (a failed run)
    is never kept, so fewer are kept when fewer have a finite distance.
    """
    d = np.asarray(distance, dtype=float)
    if d.ndim != 1:
        raise ValueError(f"expected one distance per draw (a 1-d array), got shape {d.shape}")
    if share is None:
        return d == 0.0
    if (isinstance(share, bool) or not isinstance(share, int | float | np.floating)
            or not 0 < share <= 1):
        raise InputError(f"share must be a number in (0, 1], got {share!r}", key="share")
    # round() first: 0.07 * 100 is 7.000000000000001 in floating point, whose ceil is 8.
    count = math.ceil(round(float(share) * d.size, 9))
    finite = np.isfinite(d)
    order = np.argsort(np.where(finite, d, np.inf), kind="stable")[:count]
    mask = np.zeros(d.size, dtype=bool)
    mask[order[finite[order]]] = True
    return mask


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size, ``(sum w)^2 / sum w^2`` (0 for no weights)."""
    w = np.asarray(weights, dtype=float).ravel()
    total = float(w.sum())
    if w.size == 0 or total == 0:
        return 0.0
    return total * total / float(np.sum(w * w))


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float | np.ndarray) -> np.ndarray:
    """Quantiles of a weighted sample: each point stands at the middle of its weight's span of
    the cumulative distribution (with equal weights, numpy's ``method="hazen"``)."""
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    cumulative = np.cumsum(w)
    return np.interp(q, (cumulative - w / 2) / cumulative[-1], x)


def _weighted_sd(x: np.ndarray, w: np.ndarray) -> float:
    mean = np.sum(w * x) / np.sum(w)
    return float(np.sqrt(np.sum(w * (x - mean) ** 2) / np.sum(w)))


def constraint_table(prior_unit: np.ndarray, posterior_unit: np.ndarray,
                     weights: np.ndarray | None, keys: Sequence[str]) -> pd.DataFrame:
    """Which parameters the targets constrain: the posterior's spread against the prior's.

    Both are measured in unit space (the draws' coordinates in ``[0, 1]``, before the priors'
    quantile functions), where every prior is U(0, 1): a categorical, a whole-number and a real
    parameter are then compared on one scale, and a ratio means the same whatever the prior's
    shape or units. ``prior_unit`` are the prior draws (shape ``(n, k)``; their spread is used
    rather than U(0, 1)'s exact one, 1/sqrt(12) and 0.9, so that both sides carry the same
    kind of sampling noise), ``posterior_unit`` the accepted ones (``(m, k)``) with ``weights``
    (``None``: equal).

    One row per parameter: ``prior_sd``, ``posterior_sd`` and ``sd_ratio``; ``prior_range90``,
    ``posterior_range90`` (the 5-95% ranges, weighted quantiles for the posterior) and
    ``range_ratio``; and ``label``: ``"constrained"`` when ``range_ratio`` is below 0.5 (the
    targets rule out at least half the prior's central range), ``"weakly constrained"`` below
    0.8, ``"left open"`` otherwise, ``"no accepted draws"`` when nothing was accepted. The
    cut-offs are a convention (an assumption of this table, not a test): with few accepted
    draws (a small effective sample size) the ratios are noisy, and an open parameter can look
    weakly constrained by chance.
    """
    prior_unit = np.atleast_2d(np.asarray(prior_unit, dtype=float))
    posterior_unit = np.asarray(posterior_unit, dtype=float).reshape(-1, prior_unit.shape[1])
    keys = list(keys)
    if prior_unit.shape[1] != len(keys):
        raise ValueError(f"{prior_unit.shape[1]} columns of draws for {len(keys)} keys")
    m = posterior_unit.shape[0]
    w = np.ones(m) if weights is None else np.asarray(weights, dtype=float).ravel()
    if w.shape != (m,):
        raise ValueError(f"{w.size} weights for {m} accepted draws")
    equal = np.ones(prior_unit.shape[0])
    rows = []
    for j, key in enumerate(keys):
        prior = prior_unit[:, j]
        prior_sd = _weighted_sd(prior, equal)
        lo, hi = weighted_quantile(prior, equal, np.array([0.05, 0.95]))
        prior_range = float(hi - lo)
        if m and w.sum() > 0:
            post = posterior_unit[:, j]
            post_sd = _weighted_sd(post, w)
            lo, hi = weighted_quantile(post, w, np.array([0.05, 0.95]))
            post_range = float(hi - lo)
            sd_ratio = post_sd / prior_sd if prior_sd > 0 else math.nan
            range_ratio = post_range / prior_range if prior_range > 0 else math.nan
            if range_ratio < CONSTRAINED_BELOW:
                label = LABELS[0]
            elif range_ratio < WEAKLY_CONSTRAINED_BELOW:
                label = LABELS[1]
            else:
                label = LABELS[2]
        else:
            post_sd = post_range = sd_ratio = range_ratio = math.nan
            label = LABELS[3]
        rows.append({"parameter": key, "prior_sd": prior_sd, "posterior_sd": post_sd,
                     "sd_ratio": sd_ratio, "prior_range90": prior_range,
                     "posterior_range90": post_range, "range_ratio": range_ratio,
                     "label": label})
    return pd.DataFrame(rows, columns=["parameter", "prior_sd", "posterior_sd", "sd_ratio",
                                       "prior_range90", "posterior_range90", "range_ratio",
                                       "label"])


# -- rejection ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class RejectionResult:
    """The outcome of rejection ABC over ``n`` draws.

    ``unit``: the draws (``(n, k)``); ``distance``: each draw's distance from the targets;
    ``discrepancies``: the scaled discrepancy of each draw from each target (a column per
    target); ``scales``: the targets' scales (by name); ``accepted``: the mask of kept draws;
    ``weights``: one per kept draw, equal, summing to 1; ``share``: as asked (``None``: only
    draws meeting every target); ``tolerance``: the largest distance kept (0 with
    ``share=None``; NaN when nothing is kept); ``ess``: the effective sample size (the number
    kept, as weights are equal); ``constraints``: `constraint_table`; ``summary``:
    `targets.summarise_targets` over the kept draws.
    """

    keys: tuple[str, ...]
    unit: np.ndarray
    distance: np.ndarray
    discrepancies: pd.DataFrame
    scales: dict[str, float]
    accepted: np.ndarray
    weights: np.ndarray
    share: float | None
    tolerance: float
    ess: float
    constraints: pd.DataFrame
    summary: pd.DataFrame

    @property
    def n_accepted(self) -> int:
        return int(self.accepted.sum())

    @property
    def acceptance_rate(self) -> float:
        return self.n_accepted / self.accepted.size if self.accepted.size else math.nan

    @property
    def posterior_unit(self) -> np.ndarray:
        """The kept draws in unit space, ``(n_accepted, k)``."""
        return self.unit[self.accepted]


def rejection(unit: np.ndarray, outputs: pd.DataFrame, targets: Sequence[Target], *,
              keys: Sequence[str], share: float | None = None,
              scales: Mapping[str, float] | None = None) -> RejectionResult:
    """Rejection ABC: keep the draws that meet the targets, or the closest ``share`` of them.

    ``unit`` holds the ``n`` draws in unit space (``(n, k)``, e.g. from `draw_unit`), ``keys``
    names their ``k`` columns (the parameters), ``outputs`` has one row per draw, in the same
    order, and a column per output the targets read (NaN for a failed run). ``scales`` (by
    target name) defaults to `targets.target_scales` over all ``n`` draws -- the prior
    predictive spread of each target's output. See `accept` for the rule, `RejectionResult`
    for what comes back.
    """
    unit = np.atleast_2d(np.asarray(unit, dtype=float))
    keys = tuple(keys)
    if unit.shape[1] != len(keys):
        raise ValueError(f"{unit.shape[1]} columns of draws for {len(keys)} keys")
    if len(outputs) != unit.shape[0]:
        raise ValueError(f"{len(outputs)} rows of outputs for {unit.shape[0]} draws")
    distance, per_target = distances(targets, outputs, scales)
    accepted = accept(distance, share=share)
    count = int(accepted.sum())
    weights = np.full(count, 1.0 / count) if count else np.zeros(0)
    return RejectionResult(
        keys=keys, unit=unit, distance=distance, discrepancies=per_target,
        scales=dict(per_target.attrs["scales"]), accepted=accepted, weights=weights,
        share=share, tolerance=float(distance[accepted].max()) if count else math.nan,
        ess=effective_sample_size(weights),
        constraints=constraint_table(unit, unit[accepted], weights, keys),
        summary=summarise_targets(targets, outputs, accepted, weights))


# -- ABC-SMC through pyabc ---------------------------------------------------------------------

def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


class _Model:
    """pyabc's model: a particle (unit coordinates by parameter key) -> outputs.

    The coordinates go through the priors' ``from_unit`` to parameter values (plain Python
    values), which `simulate` runs with `particle_seed` of the calibration's seed and the
    coordinates. A module-level class, so that it pickles (by reference to this module) for
    the multicore and Dask samplers, as long as `simulate` and the priors pickle.
    """

    def __init__(self, simulate: Callable[[dict[str, Any], int], Mapping[str, float]],
                 priors: Sequence[Prior], seed: int):
        self.simulate = simulate
        self.priors = tuple(priors)
        self.seed = int(seed)

    def parameters(self, par: Mapping[str, float]) -> tuple[np.ndarray, dict[str, Any]]:
        u = np.array([float(par[p.key]) for p in self.priors])
        values = {p.key: _plain(np.asarray(p.from_unit(u[j:j + 1])).ravel()[0])
                  for j, p in enumerate(self.priors)}
        return u, values

    def __call__(self, par: Mapping[str, float]) -> dict[str, float]:
        u, values = self.parameters(par)
        outputs = self.simulate(values, particle_seed(self.seed, u))
        return {str(k): _number(v) for k, v in outputs.items()}


@functools.cache
def _distance_class() -> type:
    """`pyabc.Distance` for targets, made on first use (pyabc is imported only then).

    Its scales are fixed once, from pyabc's calibration sample (``population`` draws from the
    prior, simulated before generation 0 to set the first epsilon), and the distance does not
    adapt afterwards. Instances pickle through `_target_distance`, a module-level function, so
    the class itself need not be importable by name.
    """
    import pyabc

    class TargetDistance(pyabc.Distance):
        def __init__(self, targets: Sequence[Target], scales: Mapping[str, float] | None = None):
            super().__init__()
            self.targets = tuple(_check_targets(targets))
            self.keys = sorted({k for t in self.targets for k in t.keys})
            self.scales = None if scales is None else dict(scales)

        def requires_calibration(self) -> bool:
            return self.scales is None

        def is_adaptive(self) -> bool:
            return False

        def initialize(self, t, get_sample, x_0, total_sims) -> None:   # noqa: ARG002
            if self.scales is None:
                stats = get_sample().all_sum_stats
                values = {k: np.array([_number(s.get(k)) for s in stats]) for k in self.keys}
                self.scales = target_scales(self.targets, values)

        def __call__(self, x, x_0, t=None, par=None) -> float:   # noqa: ARG002
            if self.scales is None:
                raise RuntimeError("the distance's scales are not set (no calibration sample)")
            values = {k: np.array([_number(x.get(k))]) for k in self.keys}
            return float(_total(_scaled(self.targets, values, self.scales))[0])

        def get_config(self) -> dict:
            return {"name": "TargetDistance",
                    "targets": [t.describe() for t in self.targets], "scales": self.scales}

        def __reduce__(self):
            return (_target_distance, (self.targets, self.scales))

    TargetDistance.__module__ = __name__
    return TargetDistance


def _target_distance(targets: Sequence[Target], scales: Mapping[str, float] | None = None):
    return _distance_class()(targets, scales)


def _no_bandwidth_factor(n: float, d: int) -> float:   # noqa: ARG001
    """pyabc's bandwidth selector that leaves the kernel at `KERNEL_VARIANCE` x the covariance."""
    return 1.0


def _make_sampler(pyabc: Any, sampler: str, workers: int | None, client: Any) -> Any:
    if sampler == "serial":
        return pyabc.sampler.SingleCoreSampler()
    if sampler == "multicore":
        return pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers)
    return pyabc.sampler.DaskDistributedSampler(dask_client=client)


@dataclass(frozen=True)
class SMCResult:
    """The outcome of ABC-SMC.

    The final population: ``parameters`` (a row per particle, a column per parameter key, in
    parameter space), ``unit`` (the same particles in unit space), ``weights`` (summing to 1),
    ``outputs`` (each particle's simulated outputs) and ``distance`` (each particle's distance
    from the targets). ``generations``: a row per generation ``t`` (0, 1, ...) with
    ``epsilon`` (its threshold), ``simulations`` (model runs it took), ``accepted``,
    ``acceptance_rate`` (accepted / simulations), ``ess`` (effective sample size),
    ``met_share`` (weighted share of its particles that meet every target) and
    ``distance_q10``/``_q50``/``_q90`` (weighted quantiles of its particles' distances).
    ``scales``: the targets' scales, fixed from the pilot; ``pilot_simulations``: the pilot's
    runs (pyabc's calibration sample); ``simulations``: all runs, pilot included; ``stopped``:
    ``"min_epsilon"`` (epsilon reached ``min_epsilon``; with 0, every particle meets every
    target) or ``"generations"`` (the limit was reached first); ``db_path`` and ``history_id``:
    where pyabc's history is (`pyabc.History` ``(f"sqlite:///{db_path}")``, ``.id``).
    """

    keys: tuple[str, ...]
    parameters: pd.DataFrame
    unit: pd.DataFrame
    weights: np.ndarray
    outputs: pd.DataFrame
    distance: np.ndarray
    generations: pd.DataFrame
    scales: dict[str, float]
    pilot_simulations: int
    simulations: int
    stopped: str
    ess: float
    db_path: str
    history_id: int
    seed: int

    @property
    def all_met(self) -> bool:
        """Whether every particle of the final population meets every target."""
        return bool(self.distance.size) and bool(np.all(self.distance == 0))


def smc(simulate: Callable[[dict[str, Any], int], Mapping[str, float]],
        priors: Sequence[Prior], targets: Sequence[Target], *, population: int,
        generations: int, db_path: str | os.PathLike, sampler: str = "multicore",
        workers: int | None = None, client: Any = None, seed: int,
        min_epsilon: float = 0.0) -> SMCResult:
    """ABC-SMC through pyabc: a population of parameter values that meets the targets.

    - *Model.* ``simulate(parameters, seed) -> outputs`` runs the model with a dict of parameter
      values (by key; plain Python values) and returns a dict of output values (e.g. means over
      replications; NaN for a failed run, which is then never accepted). It is called with
      `particle_seed` of ``seed`` and the particle's unit coordinates, so re-evaluating a
      particle gives the same outputs. For the multicore sampler on Linux it need not pickle
      (workers are forked); for Dask it must (pyabc sends it with cloudpickle). It is called
      in pyabc's worker processes, which are daemonic: it cannot start processes of its own.
    - *Prior.* One ``RV("uniform", 0, 1)`` per prior, named by its key (pyabc accepts dotted
      names, which is also how it flattens nested parameters); particles are pushed through
      ``from_unit`` only to be simulated (see the module docstring).
    - *Distance.* `targets.distances`: 0 exactly when every target is met. The scales are
      fixed from a pilot of ``population`` prior draws -- pyabc's calibration sample, which it
      simulates anyway, before generation 0, to set the first epsilon -- and then kept, so
      distances of all generations are comparable; they are returned in ``scales``.
    - *Kernel.* Particles are perturbed by a normal kernel with `KERNEL_VARIANCE` (2) times the
      last generation's weighted covariance (Beaumont, Cornuet, Marin & Robert 2009,
      *Biometrika* 96:983-990), in unit space. pyabc's default, a kernel density estimate with
      Silverman's bandwidth (0.1-0.3 times the covariance for a few hundred particles), is too
      narrow for importance sampling: on this module's test problem its proposals missed the
      posterior's tails, the final weights sometimes degenerated (an effective sample size of
      10 out of 200) and the posterior came out too narrow.
    - *Epsilon.* pyabc's default: the weighted median of the last generation's distances
      (`pyabc.epsilon.QuantileEpsilon` with ``alpha=0.5``). The run stops after the first
      generation whose epsilon is at most ``min_epsilon``, or after ``generations``
      generations. With ``min_epsilon=0`` it stops as soon as half a generation meets every
      target, after one more generation in which every particle does.
    - *Samplers.* ``"multicore"``: `pyabc.sampler.MulticoreEvalParallelSampler` with
      ``workers`` processes (default: the CPUs this process may use; pyabc's own default reads
      ``OMP_NUM_THREADS``, which importing pyabc sets to 1); ``"dask"``:
      `pyabc.sampler.DaskDistributedSampler` on ``client`` (a ``dask.distributed.Client``; pyabc
      starts a local one when ``None``); ``"serial"``: `pyabc.sampler.SingleCoreSampler`.
    - *History.* pyabc's SQLite database at ``db_path`` (its folder is created); an existing
      database gets this run added under a new id (``history_id``).
    - *Seeds.* pyabc draws from numpy's global generator; it is seeded from ``seed`` before the
      run and restored afterwards. Only the serial sampler gives bit-identical reruns: pyabc's
      parallel workers reseed themselves from the operating system, and which particles finish
      first depends on timing.
    """
    try:
        import pyabc
    except ImportError as exc:
        raise InputError("the smc method needs pyabc, an optional dependency: "
                         "pip install 'dmpsim[calibrate]'", key="method") from exc
    priors = tuple(priors)
    targets = _check_targets(targets)
    if not priors:
        raise ValueError("no priors: give at least one uncertain parameter")
    keys = tuple(p.key for p in priors)
    if len(set(keys)) != len(keys):
        raise ValueError(f"repeated parameter key in {list(keys)!r}")
    population = _whole(population, "population", 1)
    generations = _whole(generations, "generations", 1)
    seed = _whole(seed, "seed", 0)
    if sampler not in SAMPLERS:
        raise InputError(f"unknown sampler {sampler!r}; one of {', '.join(SAMPLERS)}",
                         key="sampler")
    if workers is not None:
        workers = _whole(workers, "workers", 1)
    elif sampler == "multicore":
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
            os.cpu_count() or 1)
    if (isinstance(min_epsilon, bool) or not isinstance(min_epsilon, int | float)
            or not math.isfinite(min_epsilon) or min_epsilon < 0):
        raise InputError(f"min_epsilon must be a finite number >= 0, got {min_epsilon!r}",
                         key="min_epsilon")

    path = Path(db_path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    distance = _target_distance(targets)
    abc = pyabc.ABCSMC(
        pyabc.FunctionModel(_Model(simulate, priors, seed), name="model"),
        pyabc.Distribution(**{k: pyabc.RV("uniform", 0, 1) for k in keys}),
        distance,
        population_size=population,
        transitions=pyabc.MultivariateNormalTransition(
            scaling=KERNEL_VARIANCE, bandwidth_selector=_no_bandwidth_factor),
        eps=pyabc.epsilon.QuantileEpsilon(alpha=0.5),
        sampler=_make_sampler(pyabc, sampler, workers, client),
    )
    state = np.random.get_state()
    # np.random.seed takes 32-bit words; SeedSequence spreads any non-negative seed over them.
    np.random.seed(np.random.SeedSequence(seed).generate_state(4))
    try:
        history = abc.new(f"sqlite:///{path}", {})
        abc.run(minimum_epsilon=float(min_epsilon), max_nr_populations=generations)
    finally:
        np.random.set_state(state)
    return _smc_result(history, priors, abc.distance_function, generations, float(min_epsilon),
                       str(path), seed)


def _smc_result(history: Any, priors: Sequence[Prior], distance: Any, generations: int,
                min_epsilon: float, db_path: str, seed: int) -> SMCResult:
    keys = tuple(p.key for p in priors)
    final = history.get_population(t=history.max_t).particles
    unit = pd.DataFrame([[float(p.parameter[k]) for k in keys] for p in final],
                        columns=list(keys))
    weights = np.array([p.weight for p in final], dtype=float)
    weights = weights / weights.sum()
    outputs = pd.DataFrame([{k: _number(v) for k, v in p.sum_stat.items()} for p in final])
    final_distance = np.array([p.distance for p in final], dtype=float)

    populations = history.get_all_populations().set_index("t")
    rows = []
    for t in range(history.max_t + 1):
        weighted = history.get_weighted_distances(t)
        d, w = weighted["distance"].to_numpy(float), weighted["w"].to_numpy(float)
        w = w / w.sum()
        simulations = int(populations.loc[t, "samples"])
        q10, q50, q90 = weighted_quantile(d, w, np.array([0.1, 0.5, 0.9]))
        rows.append({"t": t, "epsilon": float(populations.loc[t, "epsilon"]),
                     "simulations": simulations, "accepted": len(d),
                     "acceptance_rate": len(d) / simulations if simulations else math.nan,
                     "ess": effective_sample_size(w), "met_share": float(np.sum(w * (d == 0))),
                     "distance_q10": q10, "distance_q50": q50, "distance_q90": q90})
    table = pd.DataFrame(rows)
    pilot = int(populations.loc[-1, "samples"]) if -1 in populations.index else 0
    last_epsilon = float(table["epsilon"].iloc[-1])
    return SMCResult(
        keys=keys, parameters=parameter_values(priors, unit.to_numpy()), unit=unit,
        weights=weights, outputs=outputs, distance=final_distance, generations=table,
        scales=dict(distance.scales), pilot_simulations=pilot,
        simulations=pilot + int(table["simulations"].sum()),
        stopped="min_epsilon" if last_epsilon <= min_epsilon else "generations",
        ess=effective_sample_size(weights), db_path=db_path, history_id=int(history.id),
        seed=seed)
