"""Nothing left behind (issue 9): processes, half-written folders, unreadable files, full disks.

- `dmpsim app` ends its Solara server however it is stopped (SIGTERM, SIGHUP, SIGKILL of
  `dmpsim app`), and the port can be listened on again at once; under `nohup` a hang-up leaves
  it serving;
- a sweep coordinator killed with SIGKILL takes its pool workers with it;
- a truncated or foreign Parquet file in a sweep folder is named, with what to do, by
  `sweep --resume` and `discover`; a finished sweep's tables are read before "nothing left to
  run"; `dmpsim plot` draws a half-finished sweep from its parts;
- a full disk (ENOSPC, simulated, and on a small tmpfs where one can be mounted) is one line,
  saying what was kept; `run --out` is written atomically;
- the app's views are safe while Mesa's "Use Threads" steps the model in another thread.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from support import as_from_a_terminal, needs_app, run_cli

import dmpsim
from dmpsim.io.sweep_folder import read_results

LINUX = sys.platform.startswith("linux")
needs_linux = pytest.mark.skipif(not LINUX, reason="reads /proc for process trees")


cli = run_cli


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dmpsim: error: "), stderr
    return lines[0]


def children(pid: int) -> set[int]:
    """Every descendant of `pid`, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    """Whether any thread of `pid` still runs (a zombie leader may wait for its threads, which
    still hold its files and sockets)."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return False
    for task in tasks:
        with contextlib.suppress(OSError, IndexError):
            if (task / "stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X"):
                return True
    return False


def wait_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = {p for p in pids if alive(p)}
        if not left:
            return set()
        time.sleep(0.1)
    return {p for p in pids if alive(p)}


# -- the app ------------------------------------------------------------------------------------

def _listen_at_once(port: int) -> None:
    """What a restarted server does: listen on the port (SO_REUSEADDR, as uvicorn binds)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen()


@contextlib.contextmanager
def _dmpsim_app(port: int, ignored: tuple[int, ...] = ()):
    """`dmpsim app` started as from a terminal (with `ignored` signals ignored, as `nohup` does),
    once it serves: (the process, its server's pids). Whatever is left is killed afterwards."""
    app = subprocess.Popen([sys.executable, "-m", "dmpsim.cli", "app", "--port", str(port)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           preexec_fn=lambda: as_from_a_terminal(ignored))
    try:
        for line in app.stdout:
            if "is at http" in line:
                break
        server = children(app.pid)
        assert server, "no server process"
        yield app, server
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
        for pid in children(app.pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


@needs_app
@needs_linux
@pytest.mark.parametrize("how", ["SIGTERM", "SIGHUP", "SIGKILL"])
def test_app_server_ends_with_dmpsim_app(how):
    from dmpsim.app.server import free_port, port_is_free

    port = free_port()
    with _dmpsim_app(port) as (app, server):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as reply:
            assert reply.status == 200          # leaves a connection in TIME_WAIT
        app.send_signal(getattr(signal, how))
        app.wait(30)
        if how != "SIGKILL":
            assert app.returncode == 0, app.returncode
        assert not wait_gone(server, 10), f"the server outlived dmpsim app after {how}"
        assert port_is_free(port)
        _listen_at_once(port)


@needs_app
@needs_linux
def test_app_started_under_nohup_keeps_serving_after_a_hang_up():
    """`nohup dmpsim app &` ignores SIGHUP: the terminal closing leaves the app serving, and
    SIGTERM still stops it and its server."""
    from dmpsim.app.server import free_port

    port = free_port()
    with _dmpsim_app(port, ignored=(signal.SIGHUP,)) as (app, server):
        app.send_signal(signal.SIGHUP)
        with pytest.raises(subprocess.TimeoutExpired):
            app.wait(2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as reply:
            assert reply.status == 200
        app.send_signal(signal.SIGTERM)
        assert app.wait(30) == 0
        assert not wait_gone(server, 10), "the server outlived dmpsim app after SIGTERM"


@needs_app
def test_views_are_safe_while_another_thread_steps_the_model():
    """Mesa's "Use Threads": the model steps in a thread of its own while the page renders."""
    from dmpsim.app import views
    from dmpsim.app.components import eventlog_html, locked, readout_html
    from dmpsim.app.levers import ClassroomMarket

    model = ClassroomMarket(seed=1, rule="price only")
    plots = [cls(model) for cls in (views.IntegrityPlot, views.MarketSharePlot,
                                    views.PressurePlot, views.OrganisationsPlot,
                                    views.MarketPicture)]
    errors: list[BaseException] = []
    stop = threading.Event()

    def play() -> None:
        try:
            while model.running and model.steps < 60 and not stop.is_set():
                model.step()
                time.sleep(0.001)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=play)
    thread.start()
    try:
        while thread.is_alive():
            for plot in plots:
                with locked(model):
                    plot.render(model)
                    readout_html(model)
                    eventlog_html(model)
                # A lock is not fair: taken again at once, it starved the stepping thread, and
                # the 60 months took 20-60 s. The app renders when a month is shown, not in a
                # loop; a pause lets a step in between any two renders, as there.
                time.sleep(0.002)
    finally:
        stop.set()
        thread.join(60)
    assert not errors, errors
    assert model.steps == 60


# -- sweeps ------------------------------------------------------------------------------------

SLOW = """description = "slow runs, to kill the coordinator mid-sweep"
scenario = "baseline"
replications = 20
steps = 240
[parameters]
"procurement.rule" = ["price", "quality"]
"""


@needs_linux
def test_workers_die_with_a_killed_coordinator(tmp_path):
    path = tmp_path / "slow.toml"
    path.write_text(SLOW, encoding="utf-8")
    coordinator = subprocess.Popen(
        [sys.executable, "-m", "dmpsim.cli", "sweep", str(path), "--workers", "2", "--quiet",
         "--out", str(tmp_path / "out")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while time.monotonic() < deadline and len(workers) < 2:
            workers = {p for p in children(coordinator.pid)
                       if "resource_tracker" not in _cmdline(p)}
            time.sleep(0.2)
        assert len(workers) >= 2, "the workers did not start"
        time.sleep(1.0)
        coordinator.kill()
        coordinator.wait(10)
        assert not wait_gone(workers, 15), "workers outlived their coordinator"
    finally:
        if coordinator.poll() is None:
            coordinator.kill()
            coordinator.wait()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def interrupt_after_8(task):
    if task.run_id >= 8:
        raise KeyboardInterrupt
    from dmpsim.experiments.task import simulate

    return simulate(task)


@pytest.fixture
def half_done(tmp_path):
    """A smoke sweep interrupted after 8 of its 24 runs: parts on disk, no runs.parquet."""
    out = tmp_path / "half"
    with pytest.raises(KeyboardInterrupt):
        dmpsim.sweep("smoke", backend="serial", out=out, progress=False, part_size=4,
                     work=interrupt_after_8)
    assert not (out / "runs.parquet").exists()
    assert len(read_results(out)) == 8
    return out


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("damage", ["truncated", "foreign"])
def test_a_bad_part_is_named_with_what_to_do(half_done, damage, tmp_path):
    part = sorted((half_done / "parts").glob("runs-*.parquet"))[0]
    if damage == "truncated":
        _truncate(part)
    else:
        pq.write_table(pa.table({"x": [1, 2, 3]}), part)
    for argv in (["sweep", "smoke", "--out", str(half_done), "--resume", "--quiet",
                  "--backend", "serial"],
                 ["discover", str(half_done)], ["plot", str(half_done)]):
        status, _, stderr = cli(argv)
        assert status == 2, (argv, stderr)
        line = one_line(stderr)
        assert part.name in line and "--resume" in line and "move it" in line, line
    part.rename(tmp_path / "aside.parquet")
    status, _, stderr = cli(["sweep", "smoke", "--out", str(half_done), "--resume", "--quiet",
                             "--backend", "serial"])
    assert status == 0, stderr
    runs = pd.read_parquet(half_done / "runs.parquet")
    assert runs["run_id"].tolist() == list(range(24)) and (runs["status"] == "ok").all()


def test_a_finished_sweep_with_a_truncated_table_is_not_done(smoke_sweep, finished_smoke,
                                                              tmp_path):
    out, first = finished_smoke, smoke_sweep        # tests/experiments/conftest.py
    series = pd.read_parquet(out / "series.parquet")
    _truncate(out / "series.parquet")
    status, _, stderr = cli(["sweep", "smoke", "--out", str(out), "--resume", "--quiet"])
    assert status == 2
    line = one_line(stderr)
    assert "series.parquet" in line and "--resume" in line
    (out / "series.parquet").rename(tmp_path / "series.bad")      # as the message says
    status, _, stderr = cli(["sweep", "smoke", "--out", str(out), "--resume", "--quiet",
                             "--backend", "serial"])
    assert status == 0, stderr
    pd.testing.assert_frame_equal(pd.read_parquet(out / "series.parquet"), series)
    again = pd.read_parquet(out / "runs.parquet")
    assert again["run_id"].tolist() == first["run_id"].tolist()
    # A truncated runs.parquet is named too.
    _truncate(out / "runs.parquet")
    status, _, stderr = cli(["sweep", "smoke", "--out", str(out), "--resume", "--quiet"])
    assert status == 2 and "runs.parquet" in one_line(stderr)


def test_plot_draws_a_half_finished_sweep(half_done, tmp_path):
    status, out, stderr = cli(["plot", str(half_done), "--out", str(tmp_path / "figs"),
                               "--format", "png"])
    assert status == 0, stderr
    assert list((tmp_path / "figs").glob("*.png"))


# -- full disks and atomic folders -----------------------------------------------------------

def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_run_out_is_atomic_and_a_full_disk_is_one_line(tmp_path, monkeypatch):
    # `write_run` looks the writer up in its own module when it writes.
    import dmpsim.experiments.run_folder as outputs

    out = tmp_path / "r"
    assert cli(["run", "classroom", "--steps", "6", "--out", str(out)])[0] == 0
    (out / "notes.txt").write_text("mine")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    calls = {"n": 0}
    real = outputs.atomic_write_parquet

    def fails_on_third(df, path):
        calls["n"] += 1
        if calls["n"] == 3:
            _enospc()
        return real(df, path)

    monkeypatch.setattr(outputs, "atomic_write_parquet", fails_on_third)
    status, _, stderr = cli(["run", "classroom", "--steps", "7", "--out", str(out)])
    assert status == 2
    line = one_line(stderr)
    assert str(out) in line and "No space left" in line and "unchanged" in line
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]      # no temporary folder left
    fresh = tmp_path / "fresh"
    calls["n"] = 0
    status, _, stderr = cli(["run", "classroom", "--steps", "7", "--out", str(fresh)])
    assert status == 2 and "nothing was written" in one_line(stderr)
    assert not fresh.exists()
    monkeypatch.setattr(outputs, "atomic_write_parquet", real)
    assert cli(["run", "classroom", "--steps", "7", "--out", str(out)])[0] == 0
    assert json.loads((out / "run.json").read_text())["steps"] == 7
    assert (out / "notes.txt").read_text() == "mine"                # the user's file is kept


def test_a_full_disk_during_a_sweep_is_one_line_and_resume_finishes(tmp_path, monkeypatch):
    from dmpsim.experiments.store import Store

    real = Store.write_part
    calls = {"n": 0}

    def fills_up(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 2:
            _enospc()
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Store, "write_part", fills_up)
    out = tmp_path / "s"
    status, _, stderr = cli(["sweep", "smoke", "--backend", "serial", "--part-size", "4",
                             "--out", str(out), "--quiet"])
    assert status == 2
    line = one_line(stderr)
    assert "disk is full" in line and "8 of 24 runs are safe" in line and "--resume" in line
    monkeypatch.setattr(Store, "write_part", real)
    status, _, stderr = cli(["sweep", "smoke", "--backend", "serial", "--out", str(out),
                             "--resume", "--quiet"])
    assert status == 0, stderr
    assert pd.read_parquet(out / "runs.parquet")["run_id"].tolist() == list(range(24))


@pytest.fixture
def tiny_disk(tmp_path):
    """A 192 KiB tmpfs, where this test may mount one (root on Linux); skipped otherwise."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if not LINUX or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root on Linux")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=192k", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_really_full_disk(tiny_disk):
    run = subprocess.run([sys.executable, "-m", "dmpsim.cli", "run", "baseline", "--csv",
                          "--out", str(tiny_disk / "r")], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2, run.stderr
    assert "No space left" in one_line(run.stderr)
    assert not list(tiny_disk.iterdir())          # nothing half-written
    sweep = subprocess.run([sys.executable, "-m", "dmpsim.cli", "sweep", "smoke", "--quiet",
                            "--workers", "2", "--part-size", "2", "--out",
                            str(tiny_disk / "s")], capture_output=True, text=True, timeout=120)
    if sweep.returncode == 0:
        pytest.skip("the sweep fitted on the small disk")
    assert sweep.returncode == 2, sweep.stderr
    line = one_line(sweep.stderr)
    assert "--resume" in line and ("full" in line or "No space" in line), line
