"""Parameter sweeps: many runs of an experiment, streamed to disk, on one core or a cluster.

`sweep` runs every (design point, replication) of an `Experiment` through a backend:

- ``"serial"``: in this process, one run after another (debugging, tiny sweeps);
- ``"processes"`` (default): local worker processes, one per available core;
- ``"dask"``: a dask.distributed cluster, a `LocalCluster` started here or an existing one
  (``scheduler="tcp://host:8786"``, e.g. one started by dask-jobqueue on Slurm).

The coordinator (this process) never holds more than a bounded window of runs in flight and a
small buffer of finished rows: the buffer goes to a Parquet *part* file (written atomically)
every ``part_size`` runs or ``flush_seconds`` seconds, so its memory is the same for 500 runs or
500,000. When every run is done the parts are merged, chunk by chunk, into ``runs.parquet``
(one row per run, sorted by run id) and, if per-step series were asked for, ``series.parquet``.

Each run's seed comes from the experiment's seed and the run's identity alone
(`dmpsim.experiment.run_seed`), so results do not depend on the backend, the number of workers
or the order in which runs finish, and `Experiment.rerun` repeats any run alone.

Nothing finished is lost: a run that raises is recorded (status ``"error"``, the message and
the traceback) and the sweep goes on; a worker process that dies takes only its own run with it
(the others are re-run and the one that kills its worker is recorded as an error); on Ctrl-C or
SIGTERM the buffer is written before the sweep stops; and ``resume=True`` runs only the runs not
on disk. See docs/sweeps.md.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import itertools
import json
import logging
import math
import multiprocessing
import os
import pickle
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor
from concurrent.futures import wait as futures_wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..io.provenance import plain

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from .design import Experiment, Outputs
    from .scenario import Scenario

# numpy, pandas, Arrow and the model are imported where they are used, not here: `import
# dmpsim` binds `dmpsim.sweep` from this module, and commands that run no model (`dmpsim
# --version`, `--help`) must not pay a second of imports for it.

BACKENDS = ("serial", "processes", "dask")
FORMAT = "dmpsim-sweep/1"
ID_COLUMNS = ("run_id", "point", "replication", "seed")
STATUS_COLUMNS = ("status", "error", "traceback", "elapsed")
# What bounds the coordinator's memory: finished runs held before they go to a part file (and
# their per-step series rows), and rows per chunk when merging parts at the end. Arrow makes a
# few transient copies of a chunk (concatenate, sort, filter), so chunks stay small.
PART_SIZE = 200
PART_SERIES_ROWS = 20_000
MERGE_ROWS = 10_000
# Pool breakages in a row, with no run finished in between, after which the sweep stops: then
# the workers themselves are failing (e.g. a script without `if __name__ == "__main__":`).
_log = logging.getLogger("dmpsim.sweep")
MAX_BREAKS_WITHOUT_PROGRESS = 3
# A local pool whose tasks have all sat undelivered (none running, none finished, no worker
# dead) this long has lost them: on Python 3.11 a ProcessPoolExecutor restarted after workers
# died was seen, rarely, to leave a task undelivered with its worker idle. A long run is not
# a stall: its future is running.
STALL_SECONDS = 60.0


# -- one run, in a worker ---------------------------------------------------------------------

@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run; small, picklable, and independent of files (a
    remote worker needs dmpsim installed, not the experiment or scenario files)."""

    run_id: int
    point: int
    replication: int
    seed: int
    scenario: Scenario
    overrides: dict[str, Any]
    steps: int | None
    outputs: Outputs


def simulate(task: RunTask) -> dict[str, Any]:
    """The default work of a run: `dmpsim.run` with the task's seed and overrides.

    Going through `dmpsim.run` itself (not a copy of it) is what makes a row re-runnable:
    ``dmpsim.run(experiment.scenario, seed=row.seed, overrides=row's parameters)`` is the
    very same call.
    """
    from .run import run

    result = run(task.scenario, seed=task.seed, steps=task.steps, overrides=task.overrides)
    produced: dict[str, Any] = {"summary": result.summary}
    if task.outputs.series:
        model = result.model
        step = model["step"].to_numpy()
        keep = (step % task.outputs.interval == 0) | (step == step[-1])
        produced["series"] = {"step": step[keep],
                              **{c: model[c].to_numpy()[keep] for c in task.outputs.columns}}
    return produced


def execute_run(task: RunTask, work: Callable[[RunTask], dict[str, Any]] = simulate) -> dict[str, Any]:
    """Run one task and return its row; an exception becomes a row with status "error".

    Only `Exception` is caught: KeyboardInterrupt and SystemExit must still stop the process.
    """
    started = time.perf_counter()
    row: dict[str, Any] = {"run_id": task.run_id, "point": task.point,
                           "replication": task.replication, "seed": task.seed, **task.overrides}
    try:
        produced = work(task)
        row.update({k: plain(v) for k, v in produced["summary"].items()})
        row.update(status="ok", error="", traceback="")
        if produced.get("series") is not None:
            row["_series"] = produced["series"]
    except Exception as exc:
        row.update(status="error", error=_one_line(exc), traceback=traceback.format_exc())
    row["elapsed"] = time.perf_counter() - started
    return row


def execute_batch(tasks: list[RunTask],
                  work: Callable[[RunTask], dict[str, Any]] = simulate) -> list[dict[str, Any]]:
    """Run a batch of tasks one after another in one worker; one row per run, in order.

    Short runs are sent to workers in batches, so that what each task costs the backend (a
    round trip through Dask's scheduler, say) is paid once per batch rather than once per run.
    Each run is still `execute_run` on its own task, with its own seed: a row does not depend
    on the batch it ran in.
    """
    return [execute_run(task, work) for task in tasks]


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _error_row(task: RunTask, message: str) -> dict[str, Any]:
    return {"run_id": task.run_id, "point": task.point, "replication": task.replication,
            "seed": task.seed, **task.overrides, "status": "error", "error": message,
            "traceback": "", "elapsed": math.nan}


# What computes a run: the model package, and the modules through which `run` turns a scenario
# file into parameters and a market into tables. Everything else presents or organises results.
_RUN_MODULES = ("dmpsim.model", "dmpsim.experiments.scenario", "dmpsim.experiments.run",
                "dmpsim.experiments.tables", "dmpsim.experiments.patterns")


def model_code_hash() -> str:
    """Hash of the source of the modules that compute a run (dmpsim's own, not Mesa's).

    The version number does not change while the model is being developed (editable installs),
    so a resumed sweep compares this instead: one table must not mix two versions of the model.
    """
    from importlib.util import find_spec

    root = Path(__file__).resolve().parents[1]
    paths: set[Path] = set()
    for name in _RUN_MODULES:
        origin = Path(find_spec(name).origin)
        paths.update(origin.parent.rglob("*.py") if origin.name == "__init__.py" else [origin])
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


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


def _warm_up() -> None:
    """A no-op task: submitting it makes the pool start its workers now."""


def _import_model() -> None:
    """Import the model (Mesa, pandas: about a second) in a worker before its first run.

    Done when the worker starts, while the coordinator is still setting up, rather than at the
    first run; a worker forked from a coordinator that has imported it already has it."""
    from . import run  # noqa: F401


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
        ctx.set_forkserver_preload(["dmpsim.sweep", "dmpsim.runner"])
        return ctx
    return multiprocessing.get_context("spawn")


class ProcessBackend:
    """Local worker processes (`concurrent.futures.ProcessPoolExecutor`)."""

    name = "processes"
    # A task costs a local pool about a millisecond (pickling through a pipe): a tenth of a
    # second of runs per task makes that negligible and keeps the end of a sweep balanced.
    batch_seconds = 0.1

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


class DaskBackend:
    """A dask.distributed cluster: a `LocalCluster` of single-threaded worker processes, or an
    existing cluster by scheduler address (or a `distributed.Client` / cluster object)."""

    name = "dask"
    # A task costs the scheduler, the worker and this client several round trips (tens of
    # milliseconds on a busy machine), so short runs go in batches of about half a second.
    batch_seconds = 0.5

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

            # Each worker would sample its threads' stacks every 10 ms, taking the GIL from the
            # run, for a dashboard profile this cluster (no dashboard) never shows. The workers
            # take this configuration with them.
            with dask.config.set({"distributed.worker.profile.enabled": False}):
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
        # Every worker imports the model now, all at once, rather than at its first run.
        try:
            self.client.run(_import_model)
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


# -- storage ----------------------------------------------------------------------------------

class Store:
    """The output folder: manifest, design, part files while running, merged tables at the end.

    Part files come in pairs named by their run ids (``runs-<first>-<last>-<digest>.parquet`` and
    ``series-<same>.parquet``). The series part is written first, so a runs part on disk means
    its series is too; a series part without its runs part is debris from a kill and is removed.
    """

    def __init__(self, out: Path, with_series: bool = False) -> None:
        self.out = out
        # With per-step series, a runs table counts only with its series beside it: a series
        # file moved aside (corrupt) makes its runs count as not done, so --resume re-runs them.
        self.with_series = with_series
        self.parts = out / "parts"
        self.manifest_path = out / "manifest.json"
        self.runs_path = out / "runs.parquet"
        self.series_path = out / "series.parquet"
        self.design_path = out / "design.parquet"
        self._lock_file: Any = None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One coordinator per folder: two writing the same parts would duplicate runs."""
        from ..io.atomic import check_out_folder

        check_out_folder(self.out)
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the output folder: {exc.strerror or exc}",
                             source=str(self.out), key="--out") from None
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; the user must not run two at once
            yield
            return
        try:
            handle = open(self.out / ".lock", "a+")  # noqa: SIM115 - held for the whole sweep
        except OSError as exc:
            raise InputError(f"cannot write to the output folder: {exc.strerror or exc}",
                             source=str(self.out), key="--out") from None
        try:
            # A POSIX record lock, not flock: forked workers do not inherit it, so a killed
            # coordinator's folder is free again at once, whatever its orphans are doing.
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise InputError("another sweep is writing to this folder", source=str(self.out),
                             key="--out") from None
        try:
            yield
        finally:
            fcntl.lockf(handle, fcntl.LOCK_UN)
            handle.close()

    def sources(self) -> list[Path]:
        """Every file holding finished runs: the merged table (if any) and the parts."""
        found = sorted(self.parts.glob("runs-*.parquet")) if self.parts.is_dir() else []
        return ([self.runs_path] if self.runs_path.exists() else []) + found

    def series_partner(self, runs: Path) -> Path:
        """The series file that goes with a runs file (merged table or part)."""
        if runs == self.runs_path:
            return self.series_path
        return runs.parent / ("series-" + runs.name[len("runs-"):])

    def check_tables(self) -> None:
        """Read the merged tables through once (bounded memory): InputError naming a file that
        is truncated or not a sweep's table."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        paths = [self.runs_path] + ([self.series_path] if self.with_series else [])
        for path in paths:
            if not path.exists():
                continue
            try:
                for _ in pq.ParquetFile(path).iter_batches(batch_size=MERGE_ROWS,
                                                           use_threads=False):
                    pass
            except (pa.ArrowException, OSError, ValueError) as exc:
                raise corrupt(path, exc) from None
        _read_table(self.runs_path, columns=["run_id", "status"])

    def has_results(self) -> bool:
        return bool(self.sources())

    def clean(self) -> None:
        """Remove debris of a killed write: temporary files and series parts without runs."""
        for folder in (self.out, self.parts):
            if folder.is_dir():
                for tmp in folder.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)
        if self.parts.is_dir():
            for series in self.parts.glob("series-*.parquet"):
                if not (self.parts / ("runs-" + series.name[len("series-"):])).exists():
                    series.unlink(missing_ok=True)

    def read_manifest(self) -> dict[str, Any] | None:
        if not self.manifest_path.exists():
            return None
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"unreadable manifest: {exc}", source=str(self.manifest_path)) from None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        from ..io.atomic import atomic_write_text
        from ..io.provenance import jsonable

        atomic_write_text(json.dumps(jsonable(manifest), indent=2) + "\n", self.manifest_path)

    def finished(self, n_runs: int, retry_errors: bool) -> tuple[np.ndarray, np.ndarray]:
        """Boolean masks over run ids: runs on disk that count as done, and those with errors."""
        import numpy as np
        import pyarrow.compute as pc

        done = np.zeros(n_runs, dtype=bool)
        failed = np.zeros(n_runs, dtype=bool)
        for path in self.sources():
            table = _read_table(path, columns=["run_id", "status"])
            ids = table["run_id"].to_numpy()
            ok = pc.equal(table["status"], "ok").to_numpy(zero_copy_only=False)
            if self.with_series and not self.series_partner(path).exists():
                # Its series were moved aside (or lost): its ok runs must run again.
                ids, ok = ids[~ok], ok[~ok]
            inside = ids < n_runs
            done[ids[ok & inside]] = True
            failed[ids[~ok & inside]] = True
        failed &= ~done
        return (done if retry_errors else done | failed), failed

    def write_part(self, rows: list[dict[str, Any]], columns: list[str], token: str) -> None:
        """Write finished rows (and their series) as one atomic part file pair."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.parquet as pq

        from ..io.atomic import atomic_write

        ids = sorted(r["run_id"] for r in rows)
        digest = hashlib.sha1(f"{token}:{','.join(map(str, ids))}".encode()).hexdigest()[:10]
        stem = f"{ids[0]:09d}-{ids[-1]:09d}-{digest}"
        # Rows are not modified: if this write is interrupted, the retry must find them whole.
        series = [(r["run_id"], r["_series"]) for r in rows if "_series" in r]
        if series:
            tables = [pa.table({"run_id": np.full(len(s["step"]), run_id, dtype=np.int64), **s})
                      for run_id, s in series]
            table = pa.concat_tables(tables, promote_options="permissive")
            atomic_write(self.parts / f"series-{stem}.parquet", lambda tmp: pq.write_table(table, tmp))
        extra = [c for r in rows for c in r if c not in columns and c != "_series"]
        names = columns + list(dict.fromkeys(extra))
        runs = pa.table({c: pa.array([r.get(c) for r in rows]) for c in names})
        atomic_write(self.parts / f"runs-{stem}.parquet", lambda tmp: pq.write_table(runs, tmp))

    def consolidate(self, n_runs: int, columns: list[str], rows_per_run: int,
                    with_series: bool) -> dict[str, int]:
        """Merge every source into runs.parquet (and series.parquet), sorted by run id.

        Works through the run ids in chunks, reading from each part only the rows in the chunk,
        so memory is bounded by the chunk however large the sweep. Where a run appears twice (a
        retried error, or a kill between merging and removing parts) the "ok" row wins.
        """
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        spans = []
        for path in self.sources():
            ids = _read_table(path, columns=["run_id"])["run_id"]
            if len(ids):
                spans.append((path, pc.min(ids).as_py(), pc.max(ids).as_py()))
        if not spans:
            raise InputError("no finished runs to merge", source=str(self.out))
        schema = _ordered_schema([_read_schema(p) for p, _, _ in spans], columns)
        series_spans = []
        for path, lo, hi in spans if with_series else ():
            partner = self.series_partner(path)
            if partner.exists():
                series_spans.append((partner, lo, hi))
        series_schema = (_ordered_schema([_read_schema(p) for p, _, _ in series_spans],
                                         ["run_id", "step"]) if series_spans else None)
        chunk = max(1, min(MERGE_ROWS, MERGE_ROWS // max(1, rows_per_run) if with_series
                           else MERGE_ROWS))
        counts = {"ok": 0, "error": 0}
        runs_tmp = self.out / f".runs.parquet.{uuid.uuid4().hex}.tmp"
        series_tmp = self.out / f".series.parquet.{uuid.uuid4().hex}.tmp"
        runs_writer = pq.ParquetWriter(runs_tmp, schema)
        series_writer = pq.ParquetWriter(series_tmp, series_schema) if series_schema else None
        try:
            for lo in range(0, n_runs, chunk):
                hi = lo + chunk
                pieces = [_read_range(p, lo, hi, schema) for p, a, b in spans if a < hi and b >= lo]
                if not pieces:
                    continue
                table = _dedupe(pa.concat_tables(pieces), ["run_id"], prefer_ok=True)
                runs_writer.write_table(table)
                ok = pc.equal(table["status"], "ok")
                n_ok = pc.sum(ok).as_py() or 0
                counts["ok"] += n_ok
                counts["error"] += len(table) - n_ok
                if series_writer is not None:
                    ok_ids = table.filter(ok)["run_id"]
                    parts = [_read_range(p, lo, hi, series_schema)
                             for p, a, b in series_spans if a < hi and b >= lo]
                    if parts:
                        rows = pa.concat_tables(parts)
                        rows = rows.filter(pc.is_in(rows["run_id"], value_set=ok_ids))
                        series_writer.write_table(_dedupe(rows, ["run_id", "step"]))
                # Hand Arrow's freed chunk back now, not at the allocator's leisure.
                pa.default_memory_pool().release_unused()
            runs_writer.close()
            if series_writer is not None:
                series_writer.close()
                os.replace(series_tmp, self.series_path)
            # runs.parquet last: its presence with status "complete" in the manifest is the
            # commit point of the merge.
            os.replace(runs_tmp, self.runs_path)
        except BaseException:
            for tmp in (runs_tmp, series_tmp):
                tmp.unlink(missing_ok=True)
            raise
        finally:
            runs_tmp.unlink(missing_ok=True)
            series_tmp.unlink(missing_ok=True)
        return counts

    def remove_parts(self) -> None:
        if self.parts.is_dir():
            for part in self.parts.glob("*.parquet"):
                part.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                self.parts.rmdir()


def _ordered_schema(schemas: list[pa.Schema], first: list[str]) -> pa.Schema:
    import pyarrow as pa

    unified = pa.unify_schemas(schemas, promote_options="permissive")
    names = [n for n in first if n in unified.names] + [n for n in unified.names if n not in first]
    # A column that was null in every part (e.g. an error-only sweep) still needs a real type.
    return pa.schema([pa.field(n, pa.float64()) if unified.field(n).type == pa.null()
                      else unified.field(n) for n in names])


def corrupt(path: Path, exc: BaseException) -> InputError:
    """The one-line error for a results file that cannot be read, with what to do about it."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return InputError(
        f"unreadable Parquet file ({type(exc).__name__}: {first}); it is truncated or not a "
        "sweep's table: move it out of the folder (e.g. rename it to .bad) and run the sweep "
        "again with --resume, which re-runs the runs it held", source=str(path))


def _read_table(path: Path, **kwargs: Any) -> pa.Table:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # Parts are small: reading them on Arrow's thread pool only adds per-thread memory.
    try:
        table = pq.read_table(path, use_threads=False, **kwargs)
    except (pa.ArrowException, OSError, ValueError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise corrupt(path, exc) from None
    columns = kwargs.get("columns") or []
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise corrupt(path, KeyError(f"no column {missing[0]!r}"))
    return table


def _read_schema(path: Path) -> pa.Schema:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_schema(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise corrupt(path, exc) from None


def _read_range(path: Path, lo: int, hi: int, schema: pa.Schema) -> pa.Table:
    import pyarrow as pa

    table = _read_table(path, filters=[("run_id", ">=", lo), ("run_id", "<", hi)])
    arrays = [table[f.name].cast(f.type) if f.name in table.column_names
              else pa.nulls(len(table), f.type) for f in schema]
    return pa.table(arrays, schema=schema)


def _dedupe(table: pa.Table, keys: list[str], prefer_ok: bool = False) -> pa.Table:
    """Sort by `keys` and keep one row per key (the "ok" one, when asked)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    order = [(k, "ascending") for k in keys]
    if prefer_ok:
        table = table.append_column("_not_ok", pc.not_equal(table["status"], "ok").cast(pa.int8()))
        order.append(("_not_ok", "ascending"))
    table = table.sort_by(order)
    if prefer_ok:
        table = table.drop_columns(["_not_ok"])
    if len(table) < 2:
        return table
    same = np.ones(len(table) - 1, dtype=bool)
    for key in keys:
        column = table[key].to_numpy()
        same &= column[1:] == column[:-1]
    return table.filter(pa.array(np.concatenate([[True], ~same])))


def read_results(out: str | Path, series: bool = False) -> pd.DataFrame:
    """The runs (or series) on disk in a sweep folder, finished or not, one row per run."""
    import pyarrow as pa

    store = Store(Path(out))
    if series:
        files = ([store.series_path] if store.series_path.exists() else []) + (
            sorted(store.parts.glob("series-*.parquet")) if store.parts.is_dir() else [])
        keys = ["run_id", "step"]
    else:
        files, keys = store.sources(), ["run_id"]
    if not files:
        raise InputError("no results in this folder", source=str(out))
    tables = [_read_table(f) for f in files]
    for path, table in zip(files, tables, strict=True):
        if "run_id" not in table.column_names or (not series and "status" not in
                                                  table.column_names):
            raise corrupt(path, KeyError("no run_id/status column"))
    table = pa.concat_tables(tables, promote_options="permissive")
    return _dedupe(table, keys, prefer_ok=not series).to_pandas()


# -- the coordinator --------------------------------------------------------------------------

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

    A task is a batch of runs (see `execute_batch`): one run at first, then as many as make
    about `backend.batch_seconds` of work by the runs' mean time so far, but never so many that
    fewer than two batches per worker are left (the last ones should end together). Everything
    else -- rows, progress, parts, errors -- is per run.
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
                          exp.scenario, exp.point_values(point), exp.steps, exp.outputs)

    def batch_size(self) -> int:
        """Runs in the next task."""
        if self.fixed_batch:
            return self.fixed_batch
        target = getattr(self.backend, "batch_seconds", 0.0)
        if not target or not self.elapsed_runs:
            return 1
        per_run = self.elapsed_sum / self.elapsed_runs
        spread = math.ceil(self.unsubmitted / (2 * max(1, self.backend.workers)))
        return max(1, min(int(target / max(per_run, 1e-6)), spread))

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
            limit = 1 if isolating else self.backend.window()
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
                    batch = list(itertools.islice(pending, self.batch_size()))
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


def _available_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _check_options(backend: str | None, workers: Any, scheduler: Any, part_size: Any,
                   flush_seconds: Any) -> tuple[str, int | None]:
    if backend is None:
        backend = "dask" if scheduler is not None else "processes"
    if backend not in BACKENDS:
        raise InputError(f"unknown backend {backend!r}; one of {', '.join(BACKENDS)}",
                         key="--backend")
    if scheduler is not None and backend != "dask":
        raise InputError("a scheduler address needs the dask backend", key="--scheduler")
    if isinstance(scheduler, str):
        _check_scheduler_address(scheduler)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise InputError(f"expected a whole number >= 1, got {workers!r}", key="--workers")
    if backend == "serial" and workers not in (None, 1):
        raise InputError("the serial backend runs one run at a time; leave out --workers",
                         key="--workers")
    if part_size is not None and (isinstance(part_size, bool) or not isinstance(part_size, int)
                                  or part_size < 1):
        raise InputError(f"expected a whole number >= 1, got {part_size!r}", key="--part-size")
    if isinstance(flush_seconds, bool) or not isinstance(flush_seconds, int | float) \
            or not flush_seconds > 0:
        raise InputError(f"expected a number of seconds > 0, got {flush_seconds!r}",
                         key="flush_seconds")
    return backend, workers


def _check_scheduler_address(text: str) -> None:
    """An address is checked for its form before anything starts (or a folder is made)."""
    expected = "expected tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786) or a scheduler file"
    if not text.strip():
        raise InputError(f"empty address; {expected}", key="--scheduler")
    if Path(text).expanduser().is_file():
        return
    try:
        from distributed.comm.addressing import parse_address, parse_host_port
    except ImportError:
        return   # reported by the dask backend itself, with the install command
    try:
        scheme, location = parse_address(text)
        if scheme in ("tcp", "tls", "ws", "wss", "ucx"):
            parse_host_port(location)
    except (ValueError, TypeError) as exc:
        raise InputError(f"not a scheduler address ({_one_line(exc)}); {expected}",
                         source=text, key="--scheduler") from None


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


def _library_versions(backend: str) -> dict[str, str]:
    from ..io.provenance import versions

    return versions("scipy", "SALib", "pyarrow", "tqdm",
                    *(("dask", "distributed") if backend == "dask" else ()))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def result_columns(experiment: Experiment) -> list[str]:
    """Column order of runs.parquet: identity, varied parameters, summary, status."""
    from .tables import SUMMARY_KEYS

    return [*ID_COLUMNS, *experiment.keys, *SUMMARY_KEYS, *STATUS_COLUMNS]


def sweep(experiment: str | Path | Experiment | dict[str, Any], *, backend: str | None = None,
          workers: int | None = None, scheduler: Any = None, out: str | Path | None = None,
          resume: bool = False, retry_errors: bool = False, progress: bool | None = None,
          part_size: int | None = None, flush_seconds: float = 5.0,
          work: Callable[[RunTask], dict[str, Any]] = simulate,
          allow_code_change: bool = False, return_path: bool = False,
          batch_size: int | None = None) -> pd.DataFrame | Path:
    """Run every run of an experiment and return the runs table (or the path to it).

    Args:
        experiment: bundled experiment name (``"smoke"``), path to a TOML file, a dict shaped
            like one, or an `Experiment`.
        backend: ``"serial"``, ``"processes"`` (default) or ``"dask"`` (default when a
            `scheduler` is given).
        workers: worker processes (default: the cores this process may use). With an existing
            Dask cluster the cluster decides.
        scheduler: Dask scheduler address (``"tcp://host:8786"``), `distributed.Client` or
            cluster object; none starts a `LocalCluster`.
        out: output folder (default ``results/sweeps/<experiment name>``).
        resume: finish a sweep in `out`: run only the runs not on disk. Without it, a folder
            that already holds runs is an error, so results are never mixed by accident.
        retry_errors: with `resume`, run again the runs recorded with an error.
        progress: progress bar on stderr; default: only when stderr is a terminal.
        part_size: finished runs per part file (default 200, fewer when per-step series
            make a part large); parts are also written every `flush_seconds`, so a kill loses
            at most that much work.
        work: the function a worker calls for each `RunTask` (default `simulate`); must return
            ``{"summary": {...}, "series": {...} or None}``. For tests and extensions.
        allow_code_change: resume even though the model's source changed since the sweep
            started (see `model_code_hash`); the table then mixes two versions of the model.
        return_path: return the path of runs.parquet instead of reading it.
        batch_size: runs per task sent to a worker. Default: one at first, then as many as
            make about 0.1 s of work (processes) or 0.5 s (Dask, whose tasks cost more), at
            most a share of what is left; the serial backend runs one at a time. Results do
            not depend on it (each run keeps its own seed); only what a task costs does.

    Returns:
        runs.parquet as a DataFrame (``.attrs["out"]`` is the folder), or its path.
    """
    from .design import load_experiment

    if getattr(multiprocessing.current_process(), "_inheriting", False):
        # A spawned or fork-server worker is importing the caller's script, which calls sweep()
        # at top level: starting another sweep here would recurse.
        raise RuntimeError("dmpsim.sweep() was called while a worker process was importing the "
                           "main script; put the call under `if __name__ == \"__main__\":`")
    exp = load_experiment(experiment)
    backend, workers = _check_options(backend, workers, scheduler, part_size, flush_seconds)
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                   or batch_size < 1):
        raise InputError(f"expected a whole number >= 1, got {batch_size!r}", key="--batch-size")
    if retry_errors and not resume:
        raise InputError("only applies with resume=True (--resume): it re-runs the runs a "
                         "sweep already in the folder recorded with an error",
                         key="--retry-errors")
    store = Store(Path(out) if out is not None else Path("results") / "sweeps" / exp.name,
                  with_series=exp.outputs.series)
    columns = result_columns(exp)
    try:
        return _sweep(exp, store, columns, backend=backend, workers=workers,
                      scheduler=scheduler, resume=resume, retry_errors=retry_errors,
                      progress=progress, part_size=part_size, flush_seconds=flush_seconds,
                      work=work, allow_code_change=allow_code_change, return_path=return_path,
                      batch_size=batch_size)
    except OSError as exc:
        raise _write_failed(store, exp, exc) from None


def _write_failed(store: Store, exp: Experiment, exc: OSError) -> InputError:
    """A failed write (a full disk, a read-only folder) as one line: what failed, what is kept."""
    what = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        what = "the disk is full (No space left on device)"
    try:
        done, _ = store.finished(exp.n_runs, retry_errors=False)
        kept = (f"{int(done.sum())} of {exp.n_runs} runs are safe on disk in {store.out}; "
                "free some space (or use another --out) and run again with --resume")
    except Exception:   # noqa: BLE001 - the folder itself may be what fails
        kept = "finished runs written before this are kept; run again with --resume"
    where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
    return InputError(f"cannot write{where}: {what}; {kept}", source=str(store.out),
                      key="--out")


def _sweep(exp: Experiment, store: Store, columns: list[str], *, backend: str,
           workers: int | None, scheduler: Any, resume: bool, retry_errors: bool,
           progress: bool | None, part_size: int | None, flush_seconds: float, work: Callable,
           allow_code_change: bool, return_path: bool,
           batch_size: int | None = None) -> pd.DataFrame | Path:
    with store.locked():
        code = model_code_hash()
        manifest = _prepare(store, exp, resume, code, allow_code_change)
        store.clean()
        on_disk, _ = store.finished(exp.n_runs, retry_errors)
        todo_mask = ~on_disk
        todo = int(todo_mask.sum())
        session: dict[str, Any] = {
            "started": _now(), "host": socket.gethostname(), "pid": os.getpid(),
            "backend": backend, "workers": None, "scheduler": _describe(scheduler),
            "runs_to_do": todo, "resumed": bool(resume and manifest["sessions"]),
            "retry_errors": retry_errors, "model_code": code,
            "versions": _library_versions(backend),
            "status": "running",
        }
        manifest["sessions"].append(session)
        manifest["status"] = "running"
        store.write_manifest(manifest)
        started = time.perf_counter()
        coordinator = None
        try:
            if todo:
                coordinator = _run(exp, store, backend, workers, scheduler, work, todo_mask,
                                   columns, part_size, flush_seconds, progress, session,
                                   batch_size)
            with_series = exp.outputs.series
            rows_per_run = (exp.effective_steps() // exp.outputs.interval + 1) if with_series else 1
            parts = store.parts.is_dir() and any(store.parts.glob("runs-*.parquet"))
            if parts or not store.runs_path.exists():
                counts = store.consolidate(exp.n_runs, columns, rows_per_run, with_series)
            else:   # a resume with nothing new: the merged table stands, if it reads whole
                store.check_tables()
                _, failed = store.finished(exp.n_runs, retry_errors=False)
                counts = {"ok": exp.n_runs - int(failed.sum()), "error": int(failed.sum())}
        except BaseException as exc:
            interrupted = isinstance(exc, KeyboardInterrupt)
            session.update(status="interrupted" if interrupted else "failed",
                           finished=_now(), wall_seconds=time.perf_counter() - started,
                           error="" if interrupted else _one_line(exc))
            manifest["status"] = session["status"]
            # Recording the failure must not hide it (a full disk fails this write too).
            with contextlib.suppress(Exception):
                done_mask, failed = store.finished(exp.n_runs, retry_errors=False)
                manifest["counts"] = {"done": int(done_mask.sum()), "error": int(failed.sum()),
                                      "total": exp.n_runs}
            try:
                store.write_manifest(manifest)
            except Exception:
                if not isinstance(exc, OSError | InputError):
                    raise
            raise
        store.remove_parts()
        wall = time.perf_counter() - started
        done = coordinator.done if coordinator else 0
        session.update(status="complete", finished=_now(), wall_seconds=wall, runs_done=done,
                       errors=coordinator.errors if coordinator else 0,
                       tasks=coordinator.submitted if coordinator else 0,
                       runs_per_second=done / wall if wall > 0 and done else None)
        manifest["status"] = "complete"
        manifest["counts"] = {"done": counts["ok"] + counts["error"], "ok": counts["ok"],
                              "error": counts["error"], "total": exp.n_runs}
        store.write_manifest(manifest)
    if return_path:
        return store.runs_path
    import pandas as pd

    table = pd.read_parquet(store.runs_path)
    table.attrs["out"] = str(store.out)
    return table


def _describe(scheduler: Any) -> str | None:
    if scheduler is None or isinstance(scheduler, str):
        return scheduler
    return getattr(scheduler, "scheduler_address", None) or type(scheduler).__name__


def _prepare(store: Store, exp: Experiment, resume: bool, code: str,
             allow_code_change: bool) -> dict[str, Any]:
    """Start a new manifest, or check that the folder holds this very experiment to resume."""
    from ..io.atomic import atomic_write_parquet

    manifest = store.read_manifest()
    fingerprint = exp.fingerprint()
    if manifest is not None and (store.has_results() or resume):
        if not resume:
            raise InputError(
                f"already holds a sweep of '{manifest.get('experiment', {}).get('name', '?')}' "
                f"({manifest.get('status', '?')}); use --resume to finish it, or another --out",
                source=str(store.out), key="--out")
        if manifest.get("fingerprint") != fingerprint:
            raise InputError(
                "holds a sweep of a different experiment (its file, base scenario or design "
                "changed since); use another --out, or delete the folder to start again",
                source=str(store.manifest_path), key="--resume")
        if manifest.get("model_code") != code and store.has_results():
            if not allow_code_change:
                raise InputError(
                    f"the model's source changed since this sweep started (hash "
                    f"{manifest.get('model_code')}, now {code}), so its table would mix two "
                    "versions of the model; use another --out, or --allow-code-change",
                    source=str(store.manifest_path), key="--resume")
            manifest.setdefault("model_code_changes", []).append(code)
        manifest["model_code"] = code
        return manifest
    if store.has_results():
        raise InputError("holds runs but no manifest.json; use another --out",
                         source=str(store.out), key="--out")
    manifest = {
        "format": FORMAT,
        "experiment": exp.describe(),
        "fingerprint": fingerprint,
        "model_code": code,
        "scenario_effective": exp.scenario.as_toml_dict(),
        "runs": {"total": exp.n_runs, "points": exp.n_points, "replications": exp.replications,
                 "columns": result_columns(exp)},
        "design": _design_record(exp),
        "files": {"runs": store.runs_path.name, "design": store.design_path.name,
                  **({"series": store.series_path.name} if exp.outputs.series else {})},
        "sessions": [],
        "status": "new",
    }
    atomic_write_parquet(exp.design_table(), store.design_path)
    return manifest


def _design_record(exp: Experiment) -> dict[str, Any]:
    from .design import salib_design

    record: dict[str, Any] = {"type": exp.design, **exp.design_options, "points": exp.n_points}
    if exp.design in ("sobol", "morris"):
        design = salib_design(exp)
        record["salib"] = {
            "method": design.method,
            "problem": design.problem,
            "order": "row i of the SALib sample is design point i; its runs are run_id = "
                     "i * replications + r; SALib sampled the unit hypercube and each column "
                     "was mapped to its parameter (see experiment.parameters)",
            "options": design.options,
        }
    return record


class _NoBar:
    """The progress bar when none is shown (without importing tqdm for it)."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass


def _run(exp: Experiment, store: Store, backend_name: str, workers: int | None, scheduler: Any,
         work: Callable, todo_mask: np.ndarray, columns: list[str], part_size: int | None,
         flush_seconds: float, progress: bool | None, session: dict[str, Any],
         batch_size: int | None = None) -> Coordinator:
    todo = int(todo_mask.sum())
    show = sys.stderr.isatty() if progress is None else progress
    started = time.perf_counter()
    backend = _make_backend(backend_name, workers, scheduler, work, todo)
    # Starting the workers (a Dask cluster: seconds) apart from running the runs, so that a
    # backend's throughput can be compared without its start-up.
    session["startup_seconds"] = time.perf_counter() - started
    session["workers"] = backend.workers
    session["start_method"] = getattr(backend, "start_method", None)
    if show:
        from tqdm import tqdm

        bar = tqdm(total=exp.n_runs, initial=exp.n_runs - todo, unit="run", desc=exp.name,
                   dynamic_ncols=True, smoothing=0.05, file=sys.stderr)
    else:
        bar = _NoBar()
    coordinator = Coordinator(exp, store, backend, todo_mask, columns, part_size or PART_SIZE,
                              flush_seconds, bar, batch_size)
    try:
        with _sigterm_as_interrupt():
            running = time.perf_counter()
            coordinator.drive()
            session["run_seconds"] = time.perf_counter() - running
    except BaseException:
        # Write what finished before anything else can go wrong, then stop the workers.
        with contextlib.suppress(Exception):
            coordinator.flush()
        backend.abort()
        bar.close()
        session.update(runs_done=coordinator.done, errors=coordinator.errors)
        raise
    bar.close()
    backend.close()
    return coordinator


__all__ = ["BACKENDS", "Coordinator", "DaskBackend", "ProcessBackend", "RunTask", "SerialBackend",
           "Store", "SweepInterrupted", "execute_run", "model_code_hash", "read_results",
           "result_columns", "simulate", "sweep"]
