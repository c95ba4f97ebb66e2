"""The coordinator: feeds runs to a backend and streams the finished rows to the store.

It keeps a bounded window of tasks in flight and a small buffer of finished rows, written as a
part file every ``part_size`` runs or ``flush_seconds`` seconds; re-runs, one at a time, the
runs that were in flight with a worker that died, so that only a run that kills its worker is
recorded as lost; restarts a local pool that has stalled; and stops a sweep whose workers keep
dying without finishing anything. SIGTERM is handled as Ctrl-C (`SweepInterrupted`).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import signal
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .backends import ProcessBackend, RunLost, WorkerLost
from .store import PART_SERIES_ROWS
from .task import RunTask, _error_row, _one_line

if TYPE_CHECKING:
    import numpy as np

    from .design import Experiment
    from .store import Store

_log = logging.getLogger("dmpsim.sweep")
# Pool breakages in a row, with no run finished in between, after which the sweep stops: then
# the workers themselves are failing (e.g. a script without `if __name__ == "__main__":`).
MAX_BREAKS_WITHOUT_PROGRESS = 3
# A local pool whose tasks have all sat undelivered (none running, none finished, no worker
# dead) this long has lost them: on Python 3.11 a ProcessPoolExecutor restarted after workers
# died was seen, rarely, to leave a task undelivered with its worker idle. A long run is not
# a stall: its future is running.
STALL_SECONDS = 60.0


class SweepInterrupted(KeyboardInterrupt):
    """SIGTERM (e.g. Slurm's notice before a job's time limit), handled like Ctrl-C."""


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise SweepInterrupted(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Coordinator:
    """Feeds tasks to a backend in a bounded window and streams finished rows to part files.

    A task is a batch of runs (see `execute_batch`). Batches ramp up: until a run's time is
    known, only probes are in flight -- one single-run task per worker, so that a backend
    whose tasks are dear (Dask) does not start with a window full of single runs. Once a run
    has finished, the window fills with batches of as many runs as make about
    `backend.batch_seconds` of work by the runs' mean time so far, but never so many that
    fewer than two batches per worker are left (the last ones should end together); once the
    runs left fit in two batches per worker, a window filled at once shares them out evenly
    (`batch_sizes`). Everything else -- rows, progress, parts, errors -- is per run, and a row
    does not depend on its batch.
    A fixed `batch_size` turns all this off: every task has that many runs from the start.
    """

    def __init__(self, experiment: Experiment, store: Store, backend: Any, todo: np.ndarray,
                 columns: list[str], part_size: int, flush_seconds: float, bar: Any,
                 batch_size: int | None = None) -> None:
        self.experiment = experiment
        self.store = store
        self.backend = backend
        self.todo = todo
        self.columns = columns
        self.part_size = part_size
        self.flush_seconds = flush_seconds
        self.bar = bar
        self.fixed_batch = batch_size
        self.token = uuid.uuid4().hex
        self.buffer: list[dict[str, Any]] = []
        self.buffered_at = 0.0
        self.buffered_series = 0
        self.done = 0
        self.errors = 0
        self.submitted = 0          # tasks
        self.unsubmitted = int(todo.sum())
        self.elapsed_sum = 0.0
        self.elapsed_runs = 0
        # Runs whose worker died under them, recorded once another run has finished in a fresh
        # pool (proof that the pool itself works), so a broken set-up does not mark them all.
        self.unconfirmed: list[dict[str, Any]] = []
        self.breaks_in_a_row = 0
        self.last_progress = time.monotonic()

    def tasks(self) -> Iterator[RunTask]:
        import numpy as np

        exp = self.experiment
        for run_id in np.flatnonzero(self.todo):
            point, replication = exp.identity(int(run_id))
            yield RunTask(int(run_id), point, replication, exp.seed_for(point, replication),
                          exp.scenario, exp.run_values(point, replication), exp.steps,
                          exp.outputs)

    def batch_size(self, left: int | None = None) -> int:
        """Runs in the next task, with `left` runs not yet sent (all of them by default)."""
        if self.fixed_batch:
            return self.fixed_batch
        target = getattr(self.backend, "batch_seconds", 0.0)
        if not target or not self.elapsed_runs:
            return 1
        left = self.unsubmitted if left is None else left
        per_run = self.elapsed_sum / self.elapsed_runs
        spread = math.ceil(left / (2 * max(1, self.backend.workers)))
        return max(1, min(int(target / max(per_run, 1e-6)), spread))

    def batch_sizes(self, slots: int) -> deque[int]:
        """Runs in each of the next `slots` tasks, sent together to fill the window.

        Each task is sized from the runs its predecessors leave (`batch_size`), until those
        runs fit in two tasks per worker of the size they would get: then they are shared out
        evenly among that many tasks. Shrinking each of them in turn instead (6, 4, 3, 3, 2, 1,
        1, 1 for the 22 runs a short sweep has left after its probes on two workers) sends a
        series of small tasks at once, each costing a Dask cluster about as much as its runs,
        where four tasks of 6, 6, 5 and 5 runs end together as well.
        """
        plan: list[int] = []
        left = self.unsubmitted
        workers = max(1, self.backend.workers)
        while len(plan) < slots and left > 0:
            size = self.batch_size(left)
            if not self.fixed_batch and left <= 2 * workers * size:
                tasks = math.ceil(left / size)
                plan += [left // tasks + (1 if i < left % tasks else 0) for i in range(tasks)]
                break
            plan.append(min(size, left))
            left -= plan[-1]
        return deque(plan[:slots])

    def probing(self) -> bool:
        """Whether only probes may be in flight: the backend batches runs, no batch size is
        fixed, and no run's time is known yet."""
        return (not self.fixed_batch and getattr(self.backend, "ramp_up", False)
                and bool(getattr(self.backend, "batch_seconds", 0.0)) and not self.elapsed_runs)

    def limit(self) -> int:
        """Tasks to keep in flight: the backend's window, or while probing one per worker."""
        window = self.backend.window()
        if self.probing():
            return max(1, min(window, self.backend.workers))
        return window

    def drive(self) -> None:
        pending = self.tasks()
        inflight: dict[Any, tuple[list[RunTask], bool]] = {}
        suspects: deque[RunTask] = deque()
        # Runs of a batch the cluster gave up on: each is sent again alone, so that only the
        # run that kills its workers is recorded as lost.
        alone: deque[RunTask] = deque()
        exhausted = False
        while True:
            # After a worker died, the runs that were in flight with it are re-run one at a
            # time: the run that kills its worker alone is the culprit, and is recorded as such.
            isolating = bool(suspects) or any(s for _, s in inflight.values())
            limit = 1 if isolating else self.limit()
            sizes: deque[int] | None = None
            while len(inflight) < limit:
                if suspects:
                    batch, suspect = [suspects.popleft()], True
                elif isolating:
                    break
                elif alone:
                    batch, suspect = [alone.popleft()], False
                elif exhausted:
                    break
                else:
                    if sizes is None:
                        sizes = self.batch_sizes(limit - len(inflight))
                    size = sizes.popleft() if sizes else self.batch_size()
                    batch = list(itertools.islice(pending, size))
                    if not batch:
                        exhausted = True
                        break
                    self.unsubmitted -= len(batch)
                    suspect = False
                self.submitted += 1
                inflight[self.backend.submit(batch)] = (batch, suspect)
            if not inflight:
                for confirmed in self.unconfirmed:   # the last runs left killed their workers
                    self.record(confirmed)
                self.unconfirmed = []
                break
            timeout = self.flush_seconds
            if self.buffer:
                timeout = max(0.05, self.buffered_at + self.flush_seconds - time.monotonic())
            lost: list[RunTask] = []
            broken = False
            for future in self.backend.wait(list(inflight), timeout):
                batch, suspect = inflight.pop(future)
                try:
                    rows = self.backend.result(future)
                except WorkerLost as exc:
                    broken = True
                    if suspect:
                        self.unconfirmed.append(_error_row(
                            batch[0], f"WorkerLost: its worker process died while running it "
                                      f"alone ({_one_line(exc)})"))
                    else:
                        lost.extend(batch)
                    continue
                except RunLost as exc:
                    if len(batch) > 1:
                        alone.extend(batch)
                        continue
                    rows = [_error_row(batch[0], str(exc))]
                self.breaks_in_a_row = 0
                self.last_progress = time.monotonic()
                for confirmed in self.unconfirmed:
                    self.record(confirmed)
                self.unconfirmed = []
                for row in rows:
                    self.record(row)
            if not broken and inflight and self._stalled(inflight):
                _log.warning("no run started or finished for %.0f s and no worker died: "
                             "restarting the workers and running the runs in flight again",
                             STALL_SECONDS)
                broken = True
            if broken:
                self.last_progress = time.monotonic()
                self.breaks_in_a_row += 1
                if self.breaks_in_a_row >= MAX_BREAKS_WITHOUT_PROGRESS:
                    raise RuntimeError(
                        f"worker processes died {self.breaks_in_a_row} times in a row without "
                        "finishing a run; see the messages above (in a script, is the sweep "
                        "under `if __name__ == \"__main__\":`? is memory short?). Finished runs "
                        "are on disk: fix the cause and --resume")
                lost.extend(t for batch, _ in inflight.values() for t in batch)
                inflight.clear()
                suspects.extend(sorted(lost, key=lambda t: t.run_id))
                self.backend.restart()
            if self.buffer and (len(self.buffer) >= self.part_size
                                or self.buffered_series >= PART_SERIES_ROWS
                                or time.monotonic() - self.buffered_at >= self.flush_seconds):
                self.flush()
        self.flush()

    def _stalled(self, inflight: dict[Any, Any]) -> bool:
        """Local pools only: a cluster may legitimately hold tasks while it scales up."""
        return (isinstance(self.backend, ProcessBackend)
                and time.monotonic() - self.last_progress > STALL_SECONDS
                and not any(future.running() for future in inflight))

    def record(self, row: dict[str, Any]) -> None:
        if not self.buffer:
            self.buffered_at = time.monotonic()
        self.buffer.append(row)
        if "_series" in row:
            self.buffered_series += len(row["_series"]["step"])
        self.done += 1
        if isinstance(row.get("elapsed"), float) and math.isfinite(row["elapsed"]):
            self.elapsed_sum += row["elapsed"]
            self.elapsed_runs += 1
        if row["status"] != "ok":
            self.errors += 1
            self.bar.set_postfix(errors=self.errors, refresh=False)
        self.bar.update(1)

    def flush(self) -> None:
        if self.buffer:
            self.store.write_part(self.buffer, self.columns, self.token)
            self.buffer = []
            self.buffered_series = 0


__all__ = ["Coordinator", "SweepInterrupted"]
