"""Sweeps: the same table from every backend, nothing lost to kills or failing runs, resume."""

from __future__ import annotations

import glob
import importlib.util
import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from support import ROOT

import dmpsim
from dmpsim.errors import InputError
from dmpsim.experiments import coordinator as coordinator_module
from dmpsim.experiments.backends import ProcessBackend, RunLost, SerialBackend
from dmpsim.experiments.coordinator import Coordinator
from dmpsim.experiments.files import load_experiment
from dmpsim.experiments.patterns import PATTERN_FIGURES
from dmpsim.experiments.store import Store
from dmpsim.experiments.sweeps import result_columns, sweep
from dmpsim.experiments.tables import SUMMARY_KEYS
from dmpsim.experiments.task import execute_run, simulate
from dmpsim.io.sweep_folder import read_results

# Long enough (48 runs of ~30 ms on one worker) that a kill lands part-way through.
KILL_EXPERIMENT = """
description = "kill and resume"
scenario = "classroom"
seed = 5
replications = 8
steps = 48
[parameters]
"procurement.rule" = ["price", "quality", "direct"]
"large_firms.entry_step" = [0, 12]
[outputs]
series = true
interval = 12
"""


# Work functions must be importable by worker processes, so they live at module level.
def fails_at_point_2(task):
    if task.point == 2:
        raise RuntimeError(f"model blew up at point {task.point}")
    return simulate(task)


def kills_its_worker_at_run_5(task):
    if task.run_id == 5:
        os._exit(13)        # as if the kernel's OOM killer took the worker
    return simulate(task)


def always_kills_its_worker(task):
    os._exit(13)


def comparable(table: pd.DataFrame) -> pd.DataFrame:
    """Everything but the wall-clock time, with int columns widened (error rows carry nulls)."""
    table = table.drop(columns=["elapsed"]).reset_index(drop=True)
    return table.astype({c: float for c in table.columns if table[c].dtype.kind in "iu"})


@pytest.fixture(scope="module")
def reference(smoke_sweep) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The smoke experiment run serially, in this process (tests/experiments/conftest.py): what
    every other way must match."""
    return smoke_sweep, pd.read_parquet(Path(smoke_sweep.attrs["out"]) / "series.parquet")


def test_serial_sweep_writes_the_documented_tables(reference, tmp_path):
    runs, series = reference
    exp = load_experiment("smoke")
    assert list(runs.columns) == result_columns(exp)
    assert runs["run_id"].tolist() == list(range(exp.n_runs))
    assert (runs["status"] == "ok").all() and (runs["error"] == "").all()
    assert runs[["point", "replication"]].apply(tuple, axis=1).tolist() == [
        exp.identity(i) for i in range(exp.n_runs)]
    assert runs["seed"].tolist() == [exp.seed_for(p, r) for p, r in
                                     zip(runs["point"], runs["replication"], strict=True)]
    assert set(runs["procurement.rule"]) == {"price", "quality"}
    # Pattern figures may be undefined in short runs (PT10 needs three full years).
    defined = [k for k in SUMMARY_KEYS if k not in PATTERN_FIGURES]
    assert not runs[defined].isna().all().any()
    # Series: every 6th step of 24 (the last included), the chosen columns, ok runs only.
    assert list(series.columns) == ["run_id", "step", *exp.outputs.columns]
    assert series.groupby("run_id")["step"].apply(list).tolist() == [[6, 12, 18, 24]] * 24
    manifest = json.loads((Path(runs.attrs["out"]) / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["counts"]["ok"] == 24
    assert manifest["fingerprint"] == exp.fingerprint()
    assert not (Path(runs.attrs["out"]) / "parts").exists()


def test_processes_and_a_dask_local_cluster_give_the_serial_table(reference, tmp_path):
    """Whatever the backend, the number of workers or the runs per task: the same table."""
    runs, series = reference
    ways = [("p", dict(backend="processes", workers=2)),
            ("p1", dict(backend="processes", workers=1, batch_size=5)),
            ("p7", dict(backend="processes", workers=2, batch_size=7))]
    if importlib.util.find_spec("distributed") is not None:
        ways += [("d", dict(backend="dask", workers=2)),
                 ("d4", dict(backend="dask", workers=2, batch_size=4))]
    for folder, options in ways:
        other = sweep("smoke", out=tmp_path / folder, progress=False, **options)
        pd.testing.assert_frame_equal(comparable(other), comparable(runs))
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / folder / "series.parquet"),
                                      series)
        session = json.loads((tmp_path / folder / "manifest.json").read_text())["sessions"][-1]
        assert session["backend"] == options["backend"]
        assert session["workers"] == options["workers"]
        if "batch_size" in options:   # 24 runs in tasks of that many (the last one short)
            assert session["tasks"] == -(-24 // options["batch_size"])
        assert session["startup_seconds"] >= 0 and 0 < session["run_seconds"] < session[
            "wall_seconds"]
    if importlib.util.find_spec("distributed") is None:
        pytest.skip("dask.distributed is not installed: only the processes backend was compared")


def test_any_row_reruns_alone_to_the_same_summary(reference):
    runs, _ = reference
    exp = load_experiment("smoke")
    for _, row in runs.iloc[[0, 13, 23]].iterrows():
        overrides = {k: row[k].item() if hasattr(row[k], "item") else row[k] for k in exp.keys}
        alone = dmpsim.run(exp.scenario, seed=int(row["seed"]), steps=exp.steps,
                           overrides=overrides)
        for key in SUMMARY_KEYS:
            a, b = alone.summary[key], row[key]
            assert (math.isnan(a) and math.isnan(b)) or a == b, key
        assert exp.rerun(int(row["run_id"])).summary == alone.summary


def test_a_run_that_raises_is_recorded_and_the_rest_complete(reference, tmp_path):
    runs, _ = reference
    result = sweep("smoke", backend="processes", workers=2, out=tmp_path, progress=False,
                   work=fails_at_point_2)
    failed = result[result["status"] == "error"]
    assert failed["point"].tolist() == [2] * 4
    assert (failed["error"] == "RuntimeError: model blew up at point 2").all()
    assert failed["traceback"].str.contains("fails_at_point_2").all()
    # Its parameters are recorded with it; its summary is empty.
    assert failed["procurement.rule"].tolist() == ["price"] * 4
    assert failed["large_firms.bid_rate"].tolist() == [0.8] * 4
    assert failed[list(SUMMARY_KEYS)].isna().all().all()
    ok = result["status"] == "ok"
    assert ok.sum() == 20
    pd.testing.assert_frame_equal(comparable(result[ok]), comparable(runs[ok.to_numpy()]))


@pytest.mark.parametrize("batch_size", [None, 4])
def test_a_worker_that_dies_costs_only_its_own_run(reference, tmp_path, batch_size):
    # In a batch, the runs it shares its task with are run again, not recorded as lost.
    runs, _ = reference
    result = sweep("smoke", backend="processes", workers=2, out=tmp_path, progress=False,
                   work=kills_its_worker_at_run_5, batch_size=batch_size)
    failed = result[result["status"] == "error"]
    assert failed["run_id"].tolist() == [5]
    assert failed["error"].iloc[0].startswith("WorkerLost:")
    ok = result["status"] == "ok"
    assert ok.sum() == 23 and result["run_id"].is_unique
    pd.testing.assert_frame_equal(comparable(result[ok]), comparable(runs[ok.to_numpy()]))


def test_workers_that_always_die_stop_the_sweep_without_marking_runs(tmp_path):
    """A broken set-up (every worker dies) is not a run's fault: stop, and record nothing."""
    with pytest.raises(RuntimeError, match="died 3 times in a row without finishing a run"):
        sweep("smoke", backend="processes", workers=2, out=tmp_path, progress=False,
              work=always_kills_its_worker)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert manifest["counts"]["done"] == 0 and not Store(tmp_path).has_results()


def test_a_task_the_pool_never_delivers_is_run_again(reference, tmp_path, monkeypatch):
    """A lost task (never started, never finished, no worker dead) must not hang the sweep."""
    # The coordinator looks STALL_SECONDS up in its own module when it checks for a stall.
    monkeypatch.setattr(coordinator_module, "STALL_SECONDS", 1.0)
    real_submit = ProcessBackend.submit
    lost = []

    def submit_losing_run_7_once(self, tasks):
        if any(task.run_id == 7 for task in tasks) and not lost:
            lost.append(7)
            return Future()          # pending forever, as the undelivered task was
        return real_submit(self, tasks)

    monkeypatch.setattr(ProcessBackend, "submit", submit_losing_run_7_once)
    runs, _ = reference
    result = sweep("smoke", backend="processes", workers=2, out=tmp_path, progress=False)
    assert lost == [7]
    assert (result["status"] == "ok").all() and result["run_id"].is_unique
    pd.testing.assert_frame_equal(comparable(result), comparable(runs))


def test_resume_after_a_kill_gives_the_uninterrupted_table(tmp_path):
    experiment = tmp_path / "kill.toml"
    experiment.write_text(textwrap.dedent(KILL_EXPERIMENT), encoding="utf-8")
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    process = subprocess.Popen(
        [sys.executable, "-m", "dmpsim.cli", "sweep", str(experiment), "--out", str(out),
         "--workers", "1", "--part-size", "2", "--quiet"],
        cwd=tmp_path, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not glob.glob(str(out / "parts" / "runs-*.parquet")):
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "no part file appeared"
        time.sleep(0.005)
    # The coordinator, its fork server and its worker, all at once, with no chance to clean up.
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    assert not (out / "runs.parquet").exists()             # killed part-way through
    partial = read_results(out)
    assert 0 < len(partial) < 48 and partial["run_id"].is_unique
    for part in (out / "parts").glob("*.parquet"):
        pq.read_table(part)                                 # every file on disk is whole
    # Debris a kill mid-write can leave: a temporary file, a series part without its runs part.
    (out / "parts" / ".runs-000000046-000000047-x.parquet.k3j2.tmp").write_bytes(b"torn")
    orphan = out / "parts" / "series-000000046-000000047-deadbeef00.parquet"
    pq.write_table(pq.read_table(next((out / "parts").glob("series-*.parquet"))), orphan)

    resumed = sweep(experiment, out=out, resume=True, workers=2, progress=False)
    session = json.loads((out / "manifest.json").read_text())["sessions"][-1]
    assert session["runs_done"] == 48 - len(partial)         # only what was missing
    uninterrupted = sweep(experiment, backend="serial", out=tmp_path / "whole", progress=False)
    assert resumed["run_id"].tolist() == list(range(48))    # no duplicates, none missing
    pd.testing.assert_frame_equal(comparable(resumed), comparable(uninterrupted))
    pd.testing.assert_frame_equal(pd.read_parquet(out / "series.parquet"),
                                  pd.read_parquet(tmp_path / "whole" / "series.parquet"))
    assert not list(out.glob(".*.tmp")) and not (out / "parts").exists()


def test_resume_retries_errors_only_when_asked_and_never_duplicates(reference, tmp_path):
    runs, series = reference
    first = sweep("smoke", backend="serial", out=tmp_path, progress=False, part_size=4,
                  work=fails_at_point_2)
    assert (first["status"] == "error").sum() == 4
    again = sweep("smoke", backend="serial", out=tmp_path, resume=True, progress=False)
    pd.testing.assert_frame_equal(comparable(again), comparable(first))   # errors are results
    retried = sweep("smoke", backend="serial", out=tmp_path, resume=True, retry_errors=True,
                    progress=False)
    sessions = json.loads((tmp_path / "manifest.json").read_text())["sessions"]
    assert [s["runs_done"] for s in sessions] == [24, 0, 4]
    pd.testing.assert_frame_equal(comparable(retried), comparable(runs))
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "series.parquet"), series)


def test_a_folder_is_never_mixed_with_another_sweep(finished_smoke):
    out = finished_smoke                    # a finished serial sweep of smoke
    with pytest.raises(InputError, match="already holds a sweep of 'smoke'.*--resume"):
        sweep("smoke", backend="serial", out=out, progress=False)
    changed = load_experiment("smoke").describe()   # same name, one value different
    table = {"description": "changed", "name": "smoke", "scenario": "classroom", "seed": 2,
             "replications": 4, "steps": 24,
             "parameters": {"procurement.rule": ["price", "quality"]}}
    assert changed["seed"] == 1
    with pytest.raises(InputError, match="different experiment"):
        sweep(table, backend="serial", out=out, resume=True, progress=False)
    # The model's source changed since the sweep started: refuse, unless told otherwise.
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["model_code"] = "0" * 16
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(InputError, match="model's source changed"):
        sweep("smoke", backend="serial", out=out, resume=True, progress=False)
    sweep("smoke", backend="serial", out=out, resume=True, progress=False,
          allow_code_change=True)


def test_bad_sweep_options_are_input_errors(tmp_path):
    for options, key in (({"backend": "threads"}, "--backend"),
                         ({"backend": "processes", "scheduler": "tcp://x:1"}, "--scheduler"),
                         ({"workers": 0}, "--workers"),
                         ({"backend": "serial", "workers": 2}, "--workers"),
                         ({"part_size": 0}, "--part-size"),
                         ({"batch_size": 0}, "--batch-size"),
                         ({"batch_size": 2.5}, "--batch-size")):
        with pytest.raises(InputError) as caught:
            sweep("smoke", out=tmp_path, progress=False, **options)
        assert caught.value.key == key
    with pytest.raises(InputError, match="top-level function"):
        sweep("smoke", out=tmp_path, progress=False, work=lambda task: simulate(task))


class DeferredBackend(SerialBackend):
    """Runs nothing at submit; each wait finishes the oldest run. Counts runs in flight."""

    def __init__(self, window: int) -> None:
        super().__init__(simulate)
        self.size = window
        self.queue: list[tuple[Future, object]] = []
        self.most_in_flight = 0

    def window(self) -> int:
        return self.size

    def submit(self, tasks):
        future: Future = Future()
        self.queue.append((future, tasks))
        self.most_in_flight = max(self.most_in_flight, len(self.queue))
        return future

    def wait(self, futures, timeout):
        future, tasks = self.queue.pop(0)
        future.set_result([execute_run(task, self.work) for task in tasks])
        return [future]


class CountingStore(Store):
    def __init__(self, out: Path) -> None:
        super().__init__(out)
        self.part_rows: list[int] = []

    def write_part(self, rows, columns, token):
        self.part_rows.append(len(rows))
        super().write_part(rows, columns, token)


def test_the_coordinator_keeps_a_bounded_window_and_streams_parts(tmp_path):
    """What keeps the coordinator's memory flat: at most `window` runs in flight and at most
    `part_size` finished rows held before they go to disk."""

    class Bar:
        def update(self, n): pass
        def set_postfix(self, **kw): pass

    exp = load_experiment("smoke")
    store = CountingStore(tmp_path)
    backend = DeferredBackend(window=3)
    coordinator = Coordinator(exp, store, backend, np.ones(exp.n_runs, dtype=bool),
                              result_columns(exp), part_size=5, flush_seconds=3600, bar=Bar())
    coordinator.drive()
    assert backend.most_in_flight == 3
    assert store.part_rows == [5, 5, 5, 5, 4]
    assert len(list(tmp_path.glob("parts/runs-*.parquet"))) == 5
    assert len(list(tmp_path.glob("parts/series-*.parquet"))) == 5
    assert sorted(read_results(tmp_path)["run_id"]) == list(range(24))


class BatchingBackend(DeferredBackend):
    """A deferred backend that batches like a cluster, and loses every task holding run 9 (as
    Dask does, with KilledWorker, for a task that kills its workers)."""

    batch_seconds = 1e6     # any run is short: only the share of what is left limits a batch

    def __init__(self, window: int, workers: int) -> None:
        super().__init__(window)
        self.workers = workers
        self.sizes: list[int] = []

    def submit(self, tasks):
        self.sizes.append(len(tasks))
        return super().submit(tasks)

    def result(self, future):
        if any(row["run_id"] == 9 for row in future.result()):
            raise RunLost("KilledWorker: its worker died on every attempt")
        return future.result()


def test_batches_grow_with_short_runs_and_a_lost_batch_costs_only_its_culprit(reference,
                                                                              tmp_path):
    class Bar:
        updates = 0

        def update(self, n):
            Bar.updates += n

        def set_postfix(self, **kw): pass

    exp = load_experiment("smoke")
    backend = BatchingBackend(window=2, workers=2)
    coordinator = Coordinator(exp, Store(tmp_path), backend, np.ones(exp.n_runs, dtype=bool),
                              result_columns(exp), part_size=100, flush_seconds=3600, bar=Bar())
    coordinator.drive()
    # One run per task until a run's time is known (the first window); then batches of at most
    # a quarter of the runs not yet sent (two per worker): 22 left -> 6, 16 left -> 4, ...
    assert backend.sizes[:4] == [1, 1, 6, 4]
    assert max(backend.sizes[4:]) <= 3
    # The batch of runs 8..11 was lost: its four runs were sent again, each alone.
    assert sum(backend.sizes) == exp.n_runs + 4 and Bar.updates == exp.n_runs
    result = read_results(tmp_path)
    assert sorted(result["run_id"]) == list(range(exp.n_runs))
    failed = result[result["status"] == "error"]
    assert failed["run_id"].tolist() == [9] and failed["error"].iloc[0].startswith("KilledWorker")
    runs, _ = reference
    ok = (result["status"] == "ok").to_numpy()
    pd.testing.assert_frame_equal(comparable(result[ok]), comparable(runs[ok]))


def test_progress_bar_counts_runs_when_asked(tmp_path, capsys):
    sweep("smoke", backend="serial", out=tmp_path, progress=True)
    assert "24/24" in capsys.readouterr().err
    path = sweep("smoke", backend="serial", out=tmp_path, resume=True, progress=False,
                 return_path=True)
    assert path == tmp_path / "runs.parquet" and capsys.readouterr().err == ""
