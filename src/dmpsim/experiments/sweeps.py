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
(`run_seed`), so results do not depend on the backend, the number of workers
or the order in which runs finish, and `Experiment.rerun` repeats any run alone.

Nothing finished is lost: a run that raises is recorded (status ``"error"``, the message and
the traceback) and the sweep goes on; a worker process that dies takes only its own run with it
(the others are re-run and the one that kills its worker is recorded as an error); on Ctrl-C or
SIGTERM the buffer is written before the sweep stops; and ``resume=True`` runs only the runs not
on disk. See docs/sweeps.md.

This module is `sweep` itself: it checks the options, starts or resumes the manifest, and hands
the runs to the coordinator. The parts live beside it: one run as a task (`task`), where tasks
run (`backends`), the folder as the sweep writes it (`store`; `dmpsim.io.sweep_folder` reads it
back), and what drives the runs (`coordinator`).
"""

from __future__ import annotations

import contextlib
import errno
import multiprocessing
import os
import socket
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..io.provenance import versions
from .backends import BACKENDS, _make_backend
from .coordinator import Coordinator, _sigterm_as_interrupt
from .store import PART_SIZE, Store
from .task import RunTask, _one_line, model_code_hash, simulate

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from .design import Experiment

# numpy, pandas, Arrow and the model are imported where they are used, not here: `import
# dmpsim` binds `dmpsim.sweep` from this module, and commands that run no model (`dmpsim
# --version`, `--help`) must not pay a second of imports for it.

FORMAT = "dmpsim-sweep/1"
ID_COLUMNS = ("run_id", "point", "replication", "seed")
STATUS_COLUMNS = ("status", "error", "traceback", "elapsed")


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



def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def result_columns(experiment: Experiment) -> list[str]:
    """Column order of runs.parquet: identity, varied parameters, summary, status."""
    from .tables import SUMMARY_KEYS

    return [*ID_COLUMNS, *experiment.columns, *SUMMARY_KEYS, *STATUS_COLUMNS]


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
        batch_size: runs per task sent to a worker. Default: one at first (on Dask, one
            task per worker until a run's time is known), then as many as make about 0.1 s of
            work (processes) or 0.5 s (Dask, whose tasks cost more), at most a share of what is
            left; the serial backend runs one at a time. Results do
            not depend on it (each run keeps its own seed); only what a task costs does.

    Returns:
        runs.parquet as a DataFrame (``.attrs["out"]`` is the folder), or its path.
    """
    from .files import load_experiment

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
            "versions": versions("scipy", "SALib", "pyarrow", "tqdm",
                                 *(("dask", "distributed") if backend == "dask" else ())),
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
    from .files import salib_design

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


__all__ = ["FORMAT", "ID_COLUMNS", "STATUS_COLUMNS", "result_columns", "sweep"]
