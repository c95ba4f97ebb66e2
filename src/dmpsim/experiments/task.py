"""One run as a task: what a worker is sent (`RunTask`), what it does with it (`simulate`,
through `execute_run` and `execute_batch`), the row it sends back (a summary, or an error row),
and the hash of the model source that computes it (`model_code_hash`).

Everything here runs in worker processes (local or on a Dask cluster) and is found there by
its qualified name, so it stays at module level and imports nothing heavy until a run needs it.
"""

from __future__ import annotations

import hashlib
import math
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..io.provenance import plain

if TYPE_CHECKING:
    from .design import Outputs
    from .scenario import Scenario


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


__all__ = ["RunTask", "execute_batch", "execute_run", "model_code_hash", "simulate"]
