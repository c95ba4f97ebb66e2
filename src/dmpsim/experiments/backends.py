"""Where runs run: the backends that take tasks (`dmpsim.experiments.task`) and give back rows.

- `SerialBackend`: in this process, one run after another;
- `ProcessBackend`: local worker processes (forked when safe, else from a fork server);
- `DaskBackend`: a dask.distributed cluster, a `LocalCluster` started here or an existing one.

All three have the same small interface (`window`, `submit`, `wait`, `result`, `restart`,
`close`, `abort`) that the coordinator drives. Also here: how a worker process starts
(`_init_worker`), and the two ways a task is lost (`WorkerLost`, `RunLost`).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor
from concurrent.futures import wait as futures_wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from ..errors import InputError
from .task import RunTask, _one_line, execute_batch, model_code_hash, simulate

BACKENDS = ("serial", "processes", "dask")


# -- worker processes -------------------------------------------------------------------------

PARENT_POLL_SECONDS = 1.0


def _die_with_parent() -> None:
    """End this worker when the process that started it dies, even by SIGKILL.

    On Linux the kernel does it (``prctl(PR_SET_PDEATHSIG, SIGKILL)``); everywhere a daemon
    thread also watches the parent's pid, since a worker is re-parented when its parent dies.
    (A fork-server worker's parent is the fork server, which exits when the coordinator does.)
    """
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent or parent == 1:   # the parent died before the call above
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(PARENT_POLL_SECONDS)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="dmpsim-parent-watch", daemon=True).start()


def _init_worker() -> None:
    # Ctrl-C reaches the whole process group; only the coordinator should act on it (write what
    # is finished, then stop the workers). A worker interrupted mid-run would report the run
    # as an error, and resume would then skip it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A coordinator killed outright (SIGKILL, the OOM killer) must not leave its workers behind.
    _die_with_parent()
    # A forked worker inherits the coordinator's memory tracing (e.g. a benchmark's), which
    # would only slow its runs down.
    import tracemalloc

    if tracemalloc.is_tracing():
        tracemalloc.stop()
    _import_model()
    freeze_imports()


def freeze_imports() -> None:
    """Put what a process holds after its imports out of the garbage collector's reach.

    The imports (Mesa, pandas, pyarrow; in a Dask worker, distributed too) leave over a hundred
    thousand objects that live as long as the process, and each full collection walks them all:
    about 50 ms in a local worker, 60 ms in a Dask worker, as long as a few short runs. Whether
    one falls within a short sweep depends on the collector's counters (it did in Python 3.11's
    Dask workers and 3.12's local ones). Frozen (`gc.freeze`), they are not walked again, and
    the objects the runs make are collected as before. In a forked worker this also leaves
    unwritten the pages it shares with the coordinator. Only for processes dmpsim starts (its
    workers, and `dmpsim run`): the workers of a cluster someone else started may hold objects
    of their own.
    """
    import gc

    gc.freeze()


def _prepare_dask_worker() -> None:
    """A worker of the `LocalCluster` started here: the model imported, the imports frozen."""
    _import_model()
    freeze_imports()


def _warm_up() -> None:
    """A no-op task: submitting it makes the pool start its workers now."""


def _import_model() -> None:
    """Import the model (Mesa, pandas: about a second) in a worker before its first run, and
    make its parameter types (`make_section_types`).

    Done when the worker starts, while the coordinator is still setting up, rather than at the
    first run; a worker forked from a coordinator that has done it already has them. A first run
    that paid for them took three times as long as the next ones, and the batches of a Dask sweep
    were sized from it."""
    from ..model.params import make_section_types
    from . import run  # noqa: F401

    make_section_types()


# -- backends ---------------------------------------------------------------------------------

class WorkerLost(Exception):
    """The worker process running a task died (killed, out of memory, crashed interpreter)."""


class RunLost(Exception):
    """The cluster gave up on a task (e.g. Dask's KilledWorker after its retries)."""


class SerialBackend:
    """Runs each task in this process when it is submitted."""

    name = "serial"
    # Seconds of work per task to aim at when batching runs; 0: one run per task (a task here
    # costs nothing, and one at a time keeps progress and interruptions per run).
    batch_seconds = 0.0
    # Whether the coordinator starts with probes, one single-run task per worker, until a run's
    # time is known, rather than with a full window of single runs (see `Coordinator`).
    ramp_up = False

    def __init__(self, work: Callable) -> None:
        self.work = work
        self.workers = 1

    def window(self) -> int:
        return 1

    def submit(self, tasks: list[RunTask]) -> Future:
        future: Future = Future()
        future.set_result(execute_batch(tasks, self.work))
        return future

    def wait(self, futures: list, timeout: float) -> list:
        return [f for f in futures if f.done()]

    def result(self, future: Future) -> list[dict[str, Any]]:
        return future.result()

    def restart(self) -> None:
        pass

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


def _mp_context(first: bool) -> multiprocessing.context.BaseContext:
    """How worker processes start: fork only when provably safe, else a fork server.

    Forking copies the coordinator, imports and all, so workers start at once instead of
    importing dmpsim afresh (about a second). But forking a process while another thread holds
    a lock copies the lock, held, into the child. The threads that numpy's BLAS and Arrow's
    allocator start at import register fork handlers for this; Python-level threads (tqdm's
    monitor, an executor's manager thread, queue feeders, dask, the caller's own) do not. So
    the first pool forks only on Linux while no Python thread but the main one runs, and starts
    all its workers at once, before the progress bar exists. Otherwise -- and for a pool
    restarted after a worker died, when the old pool's threads exist -- workers come from a
    fork server: a clean process that imports dmpsim once and forks each worker from there.
    Plain spawn is the fallback where there is no fork server (Windows).
    """
    if first and sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["dmpsim.experiments.backends", "dmpsim.experiments.run"])
        return ctx
    return multiprocessing.get_context("spawn")


class ProcessBackend:
    """Local worker processes (`concurrent.futures.ProcessPoolExecutor`)."""

    name = "processes"
    # A task costs a local pool about a millisecond (pickling through a pipe): a tenth of a
    # second of runs per task makes that negligible and keeps the end of a sweep balanced. So
    # cheap a task needs no ramp-up: the first window is single runs (probes made no difference
    # that could be measured on the `smoke` experiment).
    batch_seconds = 0.1
    ramp_up = False

    def __init__(self, workers: int, work: Callable) -> None:
        self.workers = workers
        self.work = work
        context = _mp_context(first=True)
        if context.get_start_method() == "fork":
            # Forked workers inherit the model already imported, instead of each importing it.
            _import_model()
        self._start(context)

    def _start(self, context: multiprocessing.context.BaseContext) -> None:
        self.start_method = context.get_start_method()
        self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                        initializer=_init_worker)
        # With fork the pool starts every worker at its first submission: do it now, before
        # the progress bar (or anything else) starts a thread. Python >= 3.12 warns about any
        # fork of a process with threads, counting the library threads described above.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*use of fork\(\) may lead to deadlocks",
                                    category=DeprecationWarning)
            self.pool.submit(_warm_up)

    def window(self) -> int:
        # Two per worker: a worker finishing a run finds the next one already queued.
        return 2 * self.workers

    def submit(self, tasks: list[RunTask]) -> Future:
        return self.pool.submit(execute_batch, tasks, self.work)

    def wait(self, futures: list, timeout: float) -> list:
        done, _ = futures_wait(futures, timeout=timeout, return_when=FIRST_COMPLETED)
        return list(done)

    def result(self, future: Future) -> list[dict[str, Any]]:
        try:
            return future.result()
        except BrokenProcessPool as exc:
            raise WorkerLost(str(exc) or "a worker process died") from exc

    def restart(self) -> None:
        self.abort()
        self._start(_mp_context(first=False))

    def close(self) -> None:
        self.pool.shutdown(wait=True)

    def abort(self) -> None:
        # Workers ignore SIGINT, so stop them outright; shutdown() alone would wait for the runs
        # in flight. Python 3.14 has terminate_workers(); before, the pool's process table.
        terminate = getattr(self.pool, "terminate_workers", None)
        if terminate is not None:
            with contextlib.suppress(Exception):
                terminate()
        else:
            for process in list((getattr(self.pool, "_processes", None) or {}).values()):
                with contextlib.suppress(Exception):
                    process.terminate()
        self.pool.shutdown(wait=False, cancel_futures=True)


# Timers of a Dask worker's event loop that wake it while a run holds the GIL, in a cluster of
# our own, which has no dashboard to show what they gather: each wake-up takes the GIL from the
# run, and on a small machine the scheduler's and nannies' timers take its cores. Dask's defaults
# are in brackets; ours are assumptions, checked by `benchmarks/bench_sweep.py` (docs/sweeps.md).
QUIET_LOCAL_CLUSTER = {
    # Stack samples for the dashboard's profile (every 10 ms).
    "distributed.worker.profile.enabled": False,
    # The event loop's own latency check (20 ms); it warns of a loop blocked past
    # `distributed.admin.tick.limit` (3 s), which a longer interval still sees.
    "distributed.admin.tick.interval": "1s",
    # CPU, memory and network readings for the dashboard (500 ms).
    "distributed.admin.system-monitor.interval": "5s",
    # A worker's memory against its limits, read by its nanny (100 ms): a run's memory grows
    # over months, not within a second.
    "distributed.worker.memory.monitor-interval": "1s",
}


class DaskBackend:
    """A dask.distributed cluster: a `LocalCluster` of single-threaded worker processes, or an
    existing cluster by scheduler address (or a `distributed.Client` / cluster object)."""

    name = "dask"
    # A task costs the scheduler, the worker and this client several round trips (tens of
    # milliseconds on a busy machine), so short runs go in batches of about half a second; and
    # the first tasks are probes, one single run per worker, rather than a window of single runs.
    batch_seconds = 0.5
    ramp_up = True

    def __init__(self, workers: int, work: Callable, scheduler: Any = None) -> None:
        try:
            import distributed
        except ImportError:
            raise InputError("the dask backend needs dask.distributed: "
                             "pip install 'dmpsim[dask]'", key="--backend") from None
        self.distributed = distributed
        self.work = work
        self.token = uuid.uuid4().hex[:8]
        self.cluster = None
        self.own_client = True
        if scheduler is None:
            # One thread per worker process: the model is pure Python, so threads would only
            # contend for the GIL.
            import dask

            # The workers take this configuration with them.
            with dask.config.set(QUIET_LOCAL_CLUSTER):
                self.cluster = distributed.LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True,
                    dashboard_address=None, silence_logs=logging.ERROR)
            self.client = distributed.Client(self.cluster)
        elif isinstance(scheduler, distributed.Client):
            self.client, self.own_client = scheduler, False
        elif isinstance(scheduler, str):
            # An address (tcp://host:8786), or the file `dask scheduler --scheduler-file` wrote.
            target = ({"scheduler_file": scheduler} if Path(scheduler).expanduser().is_file()
                      else {"address": scheduler})
            try:
                self.client = distributed.Client(**target, timeout="20s")
            except (OSError, ValueError, TypeError) as exc:
                raise InputError(f"cannot reach the Dask scheduler: {_one_line(exc)}",
                                 source=scheduler, key="--scheduler") from None
        elif hasattr(scheduler, "scheduler_address"):
            self.client = distributed.Client(scheduler)
        else:
            raise InputError(f"expected a scheduler address, a Client or a cluster, got "
                             f"{type(scheduler).__name__}", key="scheduler")
        self._threads = 0
        self._checked = 0.0
        self.workers = self._nthreads()
        # Remote workers need the same model as this coordinator, or the table mixes versions.
        here = model_code_hash()
        try:
            theirs = set(self.client.run(model_code_hash).values())
        except Exception as exc:
            self.abort()
            raise InputError(f"the cluster's workers cannot run dmpsim ({_one_line(exc)}); "
                             "install it on the cluster", key="--scheduler") from None
        if theirs - {here}:
            self.abort()
            raise InputError(f"the cluster's workers run a different dmpsim model (source hash "
                             f"{', '.join(sorted(theirs - {here}))}, here {here}); install the "
                             "same dmpsim on the cluster", key="--scheduler")
        # Every worker imports the model now, all at once, rather than at its first run; the
        # workers of our own LocalCluster also freeze what they imported (`freeze_imports`).
        try:
            self.client.run(_prepare_dask_worker if self.cluster is not None else _import_model)
        except Exception as exc:
            self.abort()
            raise InputError(f"the cluster's workers cannot import dmpsim's model "
                             f"({_one_line(exc)}); install dmpsim with its dependencies on the "
                             "cluster", key="--scheduler") from None
        self._submitted = 0

    def _nthreads(self) -> int:
        self._threads = sum(self.client.nthreads().values())
        self._checked = time.monotonic()
        return self._threads

    def window(self) -> int:
        # Clusters grow and shrink (dask-jobqueue adapts), so look again every few seconds.
        if time.monotonic() - self._checked > 5.0:
            self._nthreads()
        return max(8, 2 * self._threads)

    def submit(self, tasks: list[RunTask]) -> Any:
        self._submitted += 1
        key = f"dmpsim-runs-{tasks[0].run_id}-{tasks[-1].run_id}-{self.token}-{self._submitted}"
        return self.client.submit(execute_batch, tasks, self.work, pure=False, key=key)

    def wait(self, futures: list, timeout: float) -> list:
        with contextlib.suppress(TimeoutError):
            self.distributed.wait(futures, timeout=timeout, return_when="FIRST_COMPLETED")
        return [f for f in futures if f.done()]

    def result(self, future: Any) -> list[dict[str, Any]]:
        try:
            return future.result()
        except self.distributed.KilledWorker as exc:
            raise RunLost(f"KilledWorker: its worker died on every attempt ({_one_line(exc)})") from exc

    def restart(self) -> None:
        pass

    def close(self) -> None:
        if self.own_client:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


def _available_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _make_backend(backend: str, workers: int | None, scheduler: Any, work: Callable,
                  todo: int) -> Any:
    if backend == "serial":
        return SerialBackend(work)
    if work is not simulate:
        try:
            pickle.dumps(work)
        except Exception as exc:
            raise InputError(f"work must be a top-level function that worker processes can "
                             f"import ({_one_line(exc)})", key="work") from None
    count = min(workers or _available_cores(), max(1, todo))
    if backend == "processes":
        return ProcessBackend(count, work)
    return DaskBackend(count, work, scheduler)


__all__ = ["BACKENDS", "DaskBackend", "ProcessBackend", "RunLost", "SerialBackend", "WorkerLost",
           "freeze_imports"]
