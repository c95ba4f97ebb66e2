"""The coordinator's ramp-up: probes first, then batches sized from the runs' measured time.

A simulated cluster (`SimulatedCluster`) stands in for Dask: it runs nothing, keeps a clock of
its own, and gives each task to the worker free first, in the order tasks are sent (as Dask's
scheduler does with queued tasks); a run takes `run_seconds` and a task `task_seconds` more.
So these tests see what the coordinator sends and when, exactly and quickly.
"""

from __future__ import annotations

import math
from concurrent.futures import Future

import numpy as np
import pytest
from support import needs_dask

from dmpsim.experiments import backends as backends_module
from dmpsim.experiments.backends import (
    DaskBackend,
    ProcessBackend,
    RunLost,
    SerialBackend,
    WorkerLost,
)
from dmpsim.experiments.coordinator import Coordinator
from dmpsim.experiments.files import load_experiment
from dmpsim.experiments.sweeps import result_columns, sweep

# A sweep of 4 points x 60 replications (240 runs); the runs themselves never run here.
MANY = {"description": "ramp-up", "scenario": "classroom", "seed": 3, "steps": 12,
        "replications": 60,
        "parameters": {"procurement.rule": ["price", "quality"],
                       "procurement.weight_price": [0.3, 0.5]}}
RUN = 2.0 ** -6      # seconds a simulated run takes: 1/64, so 0.5 s of runs is exactly 32 runs


class NoBar:
    def update(self, n): pass
    def set_postfix(self, **kw): pass


class ListStore:
    """Keeps the rows the coordinator writes, in memory."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def write_part(self, rows, columns, token):
        self.rows.extend(rows)


class SimulatedCluster:
    """A backend with simulated time (see the module's docstring). `log` holds, per task sent,
    its runs, the tasks in flight once it is sent, and the results handed back before it."""

    name = "simulated"
    batch_seconds = 0.5
    ramp_up = True

    def __init__(self, workers: int = 2, window: int = 8, run_seconds: float = RUN,
                 task_seconds: float = 0.0, lose: int | None = None,
                 kill: int | None = None) -> None:
        self.workers = workers
        self.size = window
        self.run_seconds = run_seconds
        self.task_seconds = task_seconds
        self.lose = lose        # a task holding this run is lost (RunLost: Dask's KilledWorker)
        self.kill = kill        # a task holding this run kills its worker (WorkerLost)
        self.now = 0.0
        self.free_at = [0.0] * workers
        self.ends: dict[Future, float] = {}
        self.tasks: dict[Future, list] = {}
        self.results = 0
        self.log: list[dict] = []
        self.restarts = 0

    def window(self) -> int:
        return self.size

    def submit(self, tasks):
        future: Future = Future()
        worker = min(range(self.workers), key=lambda w: self.free_at[w])
        start = max(self.now, self.free_at[worker])
        self.free_at[worker] = start + self.task_seconds + len(tasks) * self.run_seconds
        self.ends[future], self.tasks[future] = self.free_at[worker], tasks
        self.log.append({"runs": [t.run_id for t in tasks], "in_flight": len(self.ends),
                         "after_results": self.results, "at": self.now})
        return future

    def wait(self, futures, timeout):
        first = min(futures, key=lambda f: self.ends[f])
        self.now = self.ends.pop(first)
        tasks = self.tasks.pop(first)
        ids = {t.run_id for t in tasks}
        if self.kill in ids:
            first.set_exception(WorkerLost("a worker process died"))
        elif self.lose in ids:
            first.set_exception(RunLost("KilledWorker: its worker died on every attempt"))
        else:
            first.set_result([{"run_id": t.run_id, "point": t.point,
                               "replication": t.replication, "seed": t.seed, **t.overrides,
                               "status": "ok", "error": "", "traceback": "",
                               "elapsed": self.run_seconds} for t in tasks])
        self.results += 1
        return [first]

    def result(self, future):
        return future.result()

    def restart(self) -> None:
        # Everything in flight is gone with the workers (the coordinator sends it again).
        self.restarts += 1
        self.ends.clear()
        self.tasks.clear()
        self.free_at = [self.now] * self.workers

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


def drive(backend, experiment=MANY, batch_size=None) -> tuple[Coordinator, ListStore]:
    exp = load_experiment(experiment)
    store = ListStore()
    coordinator = Coordinator(exp, store, backend, np.ones(exp.n_runs, dtype=bool),
                              result_columns(exp), part_size=10_000, flush_seconds=3600,
                              bar=NoBar(), batch_size=batch_size)
    coordinator.drive()
    return coordinator, store


def every_run_once(store: ListStore, n_runs: int) -> None:
    assert sorted(r["run_id"] for r in store.rows) == list(range(n_runs))


def test_the_first_tasks_are_one_single_run_per_worker():
    backend = SimulatedCluster(workers=2, window=8)
    drive(backend)
    before = [t for t in backend.log if t["after_results"] == 0]
    assert [t["runs"] for t in before] == [[0], [1]]
    assert max(t["in_flight"] for t in before) == 2


@pytest.mark.parametrize("workers", [1, 3, 5])
def test_as_many_probes_as_workers_but_never_more_than_the_window(workers):
    backend = SimulatedCluster(workers=workers, window=4)
    drive(backend)
    before = [t for t in backend.log if t["after_results"] == 0]
    assert [len(t["runs"]) for t in before] == [1] * min(workers, 4)


def test_once_a_run_time_is_known_batches_are_sized_from_it_and_fill_the_window():
    backend = SimulatedCluster(workers=2, window=8)
    coordinator, store = drive(backend)
    every_run_once(store, 240)
    after = [t for t in backend.log if t["after_results"] == 1]
    # 0.5 s of runs of 1/64 s: 32 runs a task (a quarter of the 238 left is more), and the
    # window fills at once: the probe still running and seven batches.
    assert [len(t["runs"]) for t in after][:3] == [32, 32, 32]
    assert len(after) == 7 and after[-1]["in_flight"] == 8
    assert coordinator.submitted < 240 / 5


def test_runs_twice_as_long_make_batches_half_as_large():
    backend = SimulatedCluster(workers=2, window=8, run_seconds=2 * RUN)
    drive(backend)
    after = [t for t in backend.log if t["after_results"] == 1]
    assert len(after[0]["runs"]) == 16


@pytest.mark.parametrize("workers, runs, task_seconds", [(2, 24, 0.01), (2, 240, 0.01),
                                                         (3, 240, 0.0), (4, 60, 0.02)])
def test_batches_never_leave_workers_idle_at_the_end(workers, runs, task_seconds):
    """However few runs are left, they are spread so that the workers finish together: the
    last worker to finish ends at most about one run after the first."""
    experiment = {**MANY, "replications": runs // 4}
    backend = SimulatedCluster(workers=workers, window=max(8, 2 * workers),
                               task_seconds=task_seconds)
    _, store = drive(backend, experiment)
    every_run_once(store, runs)
    assert max(backend.free_at) - min(backend.free_at) <= RUN + task_seconds + 1e-9


def test_a_short_sweep_goes_in_few_tasks():
    """The bundled smoke experiment's size (24 runs) on two workers: two probes, then the 22
    runs left shared out evenly in two tasks per worker (not 6, 4, 3, 3, 2, 1, 1, 1: eleven
    tasks in all), and the workers end together."""
    backend = SimulatedCluster(workers=2, window=8, task_seconds=0.01)
    coordinator, store = drive(backend, {**MANY, "replications": 6})
    every_run_once(store, 24)
    assert [len(t["runs"]) for t in backend.log] == [1, 1, 6, 6, 5, 5]
    assert coordinator.submitted == 6
    assert max(backend.free_at) == min(backend.free_at)


def test_a_window_filled_in_turn_shrinks_its_batches_as_before():
    """One task sent at a time (a result back, a slot free) is sized from the runs left, as
    when every task of a fill was: only a fill of several tasks shares the last runs out."""
    backend = SimulatedCluster(workers=2, window=8, task_seconds=0.01)
    coordinator, _ = drive(backend, {**MANY, "replications": 60})
    sizes = [len(t["runs"]) for t in backend.log]
    assert sizes[:9] == [1, 1, 32, 32, 32, 32, 28, 28, 27]
    assert sizes[-4:] == [1, 1, 1, 1] and sizes[9:] == sorted(sizes[9:], reverse=True)


def test_a_fixed_batch_size_fills_the_window_at_once():
    backend = SimulatedCluster(workers=2, window=8)
    coordinator, store = drive(backend, batch_size=5)
    every_run_once(store, 240)
    before = [t for t in backend.log if t["after_results"] == 0]
    assert [len(t["runs"]) for t in before] == [5] * 8
    assert all(len(t["runs"]) == 5 for t in backend.log)
    assert coordinator.submitted == 48


def test_a_backend_without_ramp_up_fills_its_window_with_single_runs():
    """Local processes (a task costs them about a millisecond) start as before: a full window
    of single runs, then batches."""
    assert ProcessBackend.ramp_up is False and SerialBackend.ramp_up is False
    assert DaskBackend.ramp_up is True
    backend = SimulatedCluster(workers=2, window=4)
    backend.ramp_up = False
    drive(backend)
    before = [t for t in backend.log if t["after_results"] == 0]
    assert [t["runs"] for t in before] == [[0], [1], [2], [3]]


def test_probing_lasts_until_a_run_has_a_time():
    """A probe that is lost (its row has no time) does not end the probing: until a run has
    finished with a time, no more tasks than workers are in flight."""
    backend = SimulatedCluster(workers=2, window=8, lose=0)
    _, store = drive(backend)
    every_run_once(store, 240)
    lost = [r for r in store.rows if r["status"] == "error"]
    assert [r["run_id"] for r in lost] == [0] and math.isnan(lost[0]["elapsed"])
    timed_at = next(i for i, t in enumerate(backend.log) if len(t["runs"]) > 1)
    assert all(t["in_flight"] <= 2 for t in backend.log[:timed_at])


def test_a_worker_that_dies_in_a_batch_costs_only_its_own_run():
    """With ramp-up as before: the runs of the batch a worker died in are run again one at a
    time, the one that kills its worker is recorded as lost, and every other run is done once."""
    backend = SimulatedCluster(workers=2, window=8, kill=40)
    _, store = drive(backend)
    every_run_once(store, 240)
    lost = [r for r in store.rows if r["status"] == "error"]
    assert [r["run_id"] for r in lost] == [40] and "WorkerLost" in lost[0]["error"]
    assert backend.restarts == 2     # the batch, then run 40 alone
    alone = [t["runs"] for t in backend.log if t["runs"] == [40]]
    assert alone == [[40]]


def test_a_batch_the_cluster_loses_is_run_again_run_by_run():
    backend = SimulatedCluster(workers=2, window=8, lose=50)
    _, store = drive(backend)
    every_run_once(store, 240)
    lost_batch = next(t["runs"] for t in backend.log if 50 in t["runs"] and len(t["runs"]) > 1)
    again = [t["runs"] for t in backend.log if len(t["runs"]) == 1 and t["runs"][0] in lost_batch]
    assert sorted(r for (r,) in again) == lost_batch
    assert [r["run_id"] for r in store.rows if r["status"] == "error"] == [50]


# -- a real Dask cluster ----------------------------------------------------------------------

@needs_dask
def test_a_dask_sweep_starts_with_one_probe_per_worker_then_batches(tmp_path, monkeypatch):
    log: list[tuple[int, int]] = []       # (runs in the task, results taken before it)
    taken = [0]
    submit, result = DaskBackend.submit, DaskBackend.result

    def logged_submit(self, tasks):
        log.append((len(tasks), taken[0]))
        return submit(self, tasks)

    def logged_result(self, future):
        taken[0] += 1
        return result(self, future)

    monkeypatch.setattr(DaskBackend, "submit", logged_submit)
    monkeypatch.setattr(DaskBackend, "result", logged_result)
    sweep("smoke", backend="dask", workers=2, out=tmp_path / "d", progress=False)
    assert [entry for entry in log if entry[1] == 0] == [(1, 0), (1, 0)]
    assert sum(size for size, _ in log) == 24
    # Short runs (a few hundredths of a second) go in batches once one has been timed.
    assert max(size for size, _ in log) > 1 and len(log) < 16


def freeze_count() -> int:
    import gc

    return gc.get_freeze_count()


def test_local_worker_processes_freeze_what_they_imported():
    """A worker's imports (over a hundred thousand objects) are out of the garbage collector's
    reach (`freeze_imports`), so that no full collection walks them in the middle of a sweep."""
    backend = ProcessBackend(1, backends_module.simulate)
    try:
        assert backend.pool.submit(freeze_count).result(timeout=60) > 10_000
    finally:
        backend.close()


def timers(dask_worker=None, dask_scheduler=None) -> dict[str, float]:
    """Seconds between wake-ups of a Dask server's periodic callbacks, by name."""
    server = dask_worker if dask_worker is not None else dask_scheduler
    return {name: pc.callback_time / 1000 for name, pc in server.periodic_callbacks.items()}


@needs_dask
def test_our_local_clusters_workers_are_frozen_and_quiet_others_are_left_alone():
    import dask
    import distributed
    from dask.utils import parse_timedelta

    backend = DaskBackend(1, backends_module.simulate)
    try:
        assert all(n > 10_000 for n in backend.client.run(freeze_count).values())
        # The timers that wake its event loops for a dashboard it does not have wake seldom
        # (QUIET_LOCAL_CLUSTER): in the workers, in their nannies and in the scheduler.
        servers = [*backend.client.run(timers).values(),
                   *backend.client.run(timers, nanny=True).values(),
                   backend.client.run_on_scheduler(timers)]
        assert len(servers) == 3
        for seen in servers:
            assert seen["tick"] == 1.0 and seen["monitor"] == 5.0
        assert all(seen["memory_monitor"] == 1.0 for seen in servers[:2])
    finally:
        backend.close()
    # A cluster of someone else's: its workers may hold objects of their own, left alone, and
    # its configuration is its own (here Dask's default tick, 20 ms).
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        backend = DaskBackend(1, backends_module.simulate, scheduler=cluster.scheduler_address)
        try:
            assert all(n < 10_000 for n in backend.client.run(freeze_count).values())
            default_tick = parse_timedelta(dask.config.get("distributed.admin.tick.interval"))
            assert all(seen["tick"] == default_tick for seen in backend.client.run(timers).values())
            assert default_tick < 1.0
        finally:
            backend.close()
