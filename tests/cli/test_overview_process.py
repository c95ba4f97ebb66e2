"""`dmpsim run`'s overview figure drawn in a second process (`dmpsim.cli.overview`): the same
figure as drawn here, errors raised as drawing here would raise them, a dead child replaced by
drawing here, and no child where forking is not safe."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from support import ROOT

from dmpsim.cli.overview import OverviewDrawer
from dmpsim.viz.run import draw_overview

needs_fork = pytest.mark.skipif(sys.platform != "linux", reason="the drawing process is Linux-only")


SERIES = """
    import numpy as np
    from dmpsim.model.params import KINDS
    years = np.arange(1, 121) / 12.0
    series = {"years": years, "integrity": 0.7 + 0.1 * np.sin(years),
              "public_confidence": np.linspace(0.6, 0.4, len(years))}
    for i, kind in enumerate(KINDS):
        series[f"share_value_{kind}"] = np.full(len(years), (i + 1) / 10.0)
"""


def _series() -> dict[str, np.ndarray]:
    namespace: dict = {}
    exec(textwrap.dedent(SERIES), namespace)   # the same arrays the fresh interpreters make
    return namespace["series"]


def _fresh_python(script: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run `script` in a new interpreter, as `dmpsim run` starts: nothing heavy imported."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


@needs_fork
def test_a_fresh_command_draws_in_a_child_the_same_figure_as_drawn_here(tmp_path):
    done = _fresh_python("""
        import os
        from pathlib import Path
        from dmpsim.cli.overview import OverviewDrawer
        with OverviewDrawer() as drawer:
            assert drawer.child is not None and drawer.child.pid != os.getpid()
            """ + textwrap.indent(textwrap.dedent(SERIES), "            ") + """
            drawer.draw(series, "a title", Path("child.png"))
            assert drawer.child is None   # ended once it has drawn
        print("ok")
    """, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    draw_overview(_series(), "a title", tmp_path / "here.png")
    assert (tmp_path / "child.png").read_bytes() == (tmp_path / "here.png").read_bytes()


@needs_fork
def test_the_child_loads_matplotlib_before_the_data_come(tmp_path):
    # The point of the child: matplotlib (its font library among it) is loaded while the model
    # runs, not after. Seen from outside, in the shared objects the child has mapped.
    done = _fresh_python("""
        import time
        from pathlib import Path
        from dmpsim.cli.overview import OverviewDrawer
        with OverviewDrawer() as drawer:
            maps = Path(f"/proc/{drawer.child.pid}/maps")
            deadline = time.monotonic() + 60
            while "ft2font" not in maps.read_text() and time.monotonic() < deadline:
                time.sleep(0.05)
            print("ft2font" in maps.read_text())
    """, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


@needs_fork
def test_the_childs_error_is_raised_in_the_command(tmp_path):
    (tmp_path / "a_file").write_text("not a folder")
    done = _fresh_python("""
        from pathlib import Path
        from dmpsim.cli.overview import OverviewDrawer
        with OverviewDrawer() as drawer:
            assert drawer.child is not None
            """ + textwrap.indent(textwrap.dedent(SERIES), "            ") + """
            try:
                drawer.draw(series, "t", Path("a_file") / "sub" / "o.png")
            except OSError as exc:
                print(type(exc).__name__)
    """, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() in ("FileExistsError", "NotADirectoryError")


@needs_fork
def test_a_dead_child_is_replaced_by_drawing_here(tmp_path):
    done = _fresh_python("""
        import os, signal
        from pathlib import Path
        from dmpsim.cli.overview import OverviewDrawer
        with OverviewDrawer() as drawer:
            os.kill(drawer.child.pid, signal.SIGKILL)
            drawer.child.join()
            """ + textwrap.indent(textwrap.dedent(SERIES), "            ") + """
            drawer.draw(series, "t", Path("o.png"))
        print("ok")
    """, tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "o.png").stat().st_size > 10_000


@needs_fork
def test_a_failed_run_stops_the_child_at_once(tmp_path):
    done = _fresh_python("""
        import time
        from dmpsim.cli.overview import OverviewDrawer
        start = time.perf_counter()
        try:
            with OverviewDrawer() as drawer:
                child = drawer.child
                raise ValueError("a bad scenario")
        except ValueError:
            pass
        print(child.is_alive(), child.exitcode is not None, round(time.perf_counter() - start, 1))
    """, tmp_path)
    assert done.returncode == 0, done.stderr
    alive, ended, seconds = done.stdout.split()
    assert (alive, ended) == ("False", "True")
    assert float(seconds) < 5.0   # stopped, not left to finish importing matplotlib


def test_no_child_once_heavy_libraries_are_loaded_and_the_figure_is_drawn_here(tmp_path):
    # This test process has numpy and pandas loaded: forking it could copy their threads.
    drawer = OverviewDrawer()
    assert drawer.child is None
    out = drawer.draw(_series(), "t", tmp_path / "o.png")
    assert out.stat().st_size > 10_000
    drawer.close()


def test_dmpsim_run_writes_the_overview_figure_as_a_whole_command(tmp_path):
    done = subprocess.run([sys.executable, "-m", "dmpsim.cli", "run", "classroom", "--steps", "24",
                           "--out", str(tmp_path / "r"), "--json"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r" / "overview.png").stat().st_size > 10_000
    assert not list(tmp_path.glob(".r.tmp-*"))
