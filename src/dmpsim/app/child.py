"""The app server's own process: Solara's command line, which ends when its parent does.

`dmpsim app` starts ``python -m dmpsim.app.child run dmpsim.app.app ...`` in a session of its own
(so that Ctrl-C in the terminal reaches `dmpsim app`, which then stops it). Should `dmpsim app`
die without stopping it (SIGKILL, a crash), the server goes too: on Linux the kernel sends it
SIGKILL (``prctl(PR_SET_PDEATHSIG)``), and everywhere a daemon thread sees that its parent is
gone. Nothing is left serving the port.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time

PARENT_ENV = "DMPSIM_APP_PARENT"
POLL_SECONDS = 1.0


def die_with_parent(parent: int) -> None:
    """End this process (and its own children, in its process group) when `parent` dies."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)

    def gone() -> bool:
        return os.getppid() != parent

    def end() -> None:
        with contextlib.suppress(OSError):
            os.killpg(os.getpgrp(), signal.SIGKILL)
        os._exit(1)

    if gone():          # the parent died before the call above took effect
        end()

    def watch() -> None:
        while True:
            time.sleep(POLL_SECONDS)
            if gone():
                end()

    threading.Thread(target=watch, name="dmpsim-app-parent-watch", daemon=True).start()


def main() -> None:
    parent = os.environ.get(PARENT_ENV, "")
    if parent.isdigit():
        die_with_parent(int(parent))
    from solara.__main__ import main as solara_main

    sys.argv = ["solara", *sys.argv[1:]]
    solara_main()


if __name__ == "__main__":
    main()
