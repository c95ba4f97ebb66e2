"""`dmpsim run`'s overview figure, drawn in a second process while the model runs.

A whole `dmpsim run` is mostly imports: Mesa with pandas and scipy, then matplotlib for the
figure, one after the other. On Linux the command forks a drawing process first, while it has
imported nothing heavy (so there are no threads to copy): the child imports matplotlib while
the parent imports the model and runs it, then draws the figure from the arrays the parent
sends it. Elsewhere, or if the child cannot be started or dies, the figure is drawn in this
process. Either way it is the same figure, written into the run's temporary folder before the
folder is renamed into place (`dmpsim.experiments.run_folder.write_run`).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import sys
import threading
from collections.abc import Mapping
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any

JOIN_SECONDS = 60.0


def _draw_when_sent(conn: Connection) -> None:
    """The drawing process: import matplotlib now, then draw what the parent sends, once."""
    try:
        from ..viz.run import draw_overview, prepare_drawing

        prepare_drawing()
    except BaseException:  # the parent finds the pipe closed and draws the figure itself
        return
    try:
        job = conn.recv()
    except EOFError:      # the run failed: nothing to draw
        return
    try:
        draw_overview(*job)
        reply: BaseException | None = None
    except Exception as exc:  # sent back: the parent raises it as its own drawing would have
        reply = exc
    # If the reply cannot be sent (unpicklable), the parent sees the pipe close and draws itself.
    with contextlib.suppress(Exception):
        conn.send(reply)


class OverviewDrawer:
    """Draws the overview figure, in a forked process when that is safe, else in this one.

    Use as a context manager, entered before the model is imported; leaving it ends the child
    (it also ends by itself when this process dies, as its pipe closes)."""

    def __init__(self) -> None:
        self.child: multiprocessing.process.BaseProcess | None = None
        self.conn: Connection | None = None
        heavy = any(name in sys.modules for name in ("numpy", "pandas", "mesa", "matplotlib"))
        if sys.platform != "linux" or threading.active_count() > 1 or heavy:
            return
        context = multiprocessing.get_context("fork")
        ours, theirs = context.Pipe()
        try:
            child = context.Process(target=_draw_when_sent, args=(theirs,), daemon=True,
                                    name="dmpsim-overview")
            child.start()
        except OSError:
            return
        theirs.close()
        self.child, self.conn = child, ours

    def __enter__(self) -> OverviewDrawer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def draw(self, series: Mapping[str, Any], title: str, out: Path) -> Path:
        """Write the figure to `out`: by the child if it is there, else here."""
        if self.conn is not None:
            try:
                self.conn.send((dict(series), title, out))
                reply: Any = self.conn.recv()
            except (EOFError, OSError):
                reply = _GONE
            self.close(drawn=reply is not _GONE)
            if isinstance(reply, BaseException):
                raise reply
            if reply is None:
                return out
        # No child, or it died: draw it here.
        from ..viz.run import draw_overview

        return draw_overview(series, title, out)

    def close(self, drawn: bool = False) -> None:
        """End the child: wait for it if it has drawn (it is exiting), else stop it now."""
        if self.conn is not None:
            with contextlib.suppress(OSError):
                self.conn.close()
            self.conn = None
        if self.child is not None:
            if drawn:
                self.child.join(JOIN_SECONDS)
            if self.child.is_alive():
                self.child.terminate()
            self.child.join()
            self.child = None


_GONE = object()  # the child died before replying


__all__ = ["OverviewDrawer"]
