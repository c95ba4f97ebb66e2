"""Start the classroom app: `serve()` for people (`dmpsim app`), `start_server()` for tests.

The app is served by `solara run dmpsim.app.app` in a child process, on localhost only, with
the flags that keep it off the network: no browser opened, no version check against PyPI, no
telemetry. Solara's front-end files come from the `solara-assets` package (the `app` extra), so
the page loads without a CDN.

However `dmpsim app` ends, the server ends with it: Ctrl-C, SIGTERM (`kill PID`) and SIGHUP
(the terminal closed) stop the server's whole process group; SIGKILL of `dmpsim app` ends the
server too (`dmpsim.app.child`). The port can be used again at once.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ..errors import InputError
from ..experiments.scenario import load_scenario

APP_MODULE = "dmpsim.app.app"
SCENARIO_ENV = "DMPSIM_APP_SCENARIO"
DEFAULT_PORT = 8765
DEFAULT_HOST = "127.0.0.1"
EXTRA_HINT = "the app needs its extra: pip install 'dmpsim[app]'"


def check_app_installed() -> None:
    """Raise InputError (with the install command) if the app's dependencies are missing."""
    missing = [m for m in ("solara", "mesa.visualization", "ipyvuetify")
               if _find_spec(m) is None]
    if missing:
        raise InputError(f"{EXTRA_HINT} (missing: {', '.join(missing)})", key="app")


def _find_spec(name: str):
    try:
        return importlib.util.find_spec(name)
    except ModuleNotFoundError:
        return None


def free_port(host: str = DEFAULT_HOST) -> int:
    """A TCP port on `host` that nothing listens on now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_is_free(port: int, host: str = DEFAULT_HOST) -> bool:
    """Whether a server could listen on `host:port` now.

    With SO_REUSEADDR, as the server itself binds: connections of a stopped server that wait
    out TIME_WAIT do not block the port, while a server listening on it still does.
    """
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def app_command(port: int, host: str = DEFAULT_HOST) -> list[str]:
    """The command that serves the app (with this Python): Solara's `run`, through
    `dmpsim.app.child`, which ends the server if its parent dies."""
    return [sys.executable, "-m", "dmpsim.app.child", "run", APP_MODULE, "--host", host,
            "--port", str(port), "--no-open", "--no-check-version", "--production"]


def app_environment(scenario: str) -> dict[str, str]:
    """The child's environment: the first scenario, matplotlib off-screen, no telemetry."""
    from .child import PARENT_ENV

    return dict(os.environ, **{
        SCENARIO_ENV: scenario,
        PARENT_ENV: str(os.getpid()),
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        # No "This website runs on Solara" badge over the views, and a title before the page
        # mounts (the page's own solara.Title then keeps it).
        "SOLARA_THEME_SHOW_BANNER": "False",
        "SOLARA_THEME_TITLE": "dmpsim classroom",
        "SOLARA_CHECK_HOOKS": "off",
        "MPLBACKEND": "Agg",
        "PYTHONUNBUFFERED": "1",
        # On plain-http localhost Solara warns, at every first visit, that it falls back to
        # SameSite=lax cookies: right for a classroom machine, and noise for a teacher.
        "PYTHONWARNINGS": ",".join(filter(None, [
            os.environ.get("PYTHONWARNINGS", ""),
            "ignore:Cookies with samesite=none require https:UserWarning",
        ])),
    })


@dataclass
class AppServer:
    """A running app server (a child process in its own process group)."""

    process: subprocess.Popen
    url: str
    log_path: Path | None = None
    _log: IO | None = field(default=None, repr=False)

    def running(self) -> bool:
        return self.process.poll() is None

    def log_text(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 10.0) -> int | None:
        """Stop the server and everything it started; return its exit status."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
        return self.process.returncode

    def __enter__(self) -> AppServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_server(scenario: str = "classroom", port: int = 0, host: str = DEFAULT_HOST,
                 log_path: str | Path | None = None, timeout: float = 60.0,
                 quiet: bool = True) -> AppServer:
    """Start the app in a child process and wait until it answers; return the running server.

    `port=0` picks a free port. With `quiet`, the server's output goes to `log_path` (a
    temporary file if not given); otherwise it goes to this process's terminal. Raises
    InputError for an unknown scenario, a busy port or missing dependencies, and RuntimeError
    (with the server's log) if it does not start within `timeout` seconds. Always `stop()` it.
    """
    load_scenario(scenario)          # an unknown name is reported before anything starts
    check_app_installed()
    if port == 0:
        port = free_port(host)
    elif not port_is_free(port, host):
        raise InputError(f"port {port} on {host} is in use; choose another with --port",
                         key="port")
    log = None
    if quiet:
        if log_path is None:
            fd, name = tempfile.mkstemp(prefix="dmpsim-app-", suffix=".log")
            os.close(fd)
            log_path = name
        log_path = Path(log_path)
        log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 - closed by AppServer.stop
    process = subprocess.Popen(
        app_command(port, host), env=app_environment(scenario),
        stdout=log, stderr=subprocess.STDOUT if log else None, start_new_session=True)
    server = AppServer(process, f"http://{host}:{port}/", Path(log_path) if log_path else None,
                       log)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                with urllib.request.urlopen(server.url, timeout=2) as reply:
                    if reply.status == 200:
                        return server
            except (urllib.error.URLError, OSError):
                pass
            exited = process.poll() is not None
            if exited or time.monotonic() > deadline:
                why = f"exited with status {process.returncode}" if exited else "timed out"
                raise RuntimeError(f"the app server {why} before answering at {server.url}\n"
                                   f"{server.log_text()[-4000:]}")
            time.sleep(0.2)
    except BaseException:
        server.stop()      # stopped while starting (Ctrl-C, SIGTERM): leave nothing behind
        raise


class _Stopped(Exception):
    """SIGTERM or SIGHUP reached `serve`."""


STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP")
                     if hasattr(signal, name))


@contextlib.contextmanager
def _stop_on_signals():
    """SIGTERM (`kill PID`) and SIGHUP (the terminal closed) stop the server like Ctrl-C."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise _Stopped(signal.Signals(signum).name)

    # A signal ignored on purpose (`nohup dmpsim app &` ignores SIGHUP) stays ignored.
    previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS
                if signal.getsignal(sig) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _hold_signals() -> None:
    import threading

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, *STOP_SIGNALS):
            signal.signal(sig, signal.SIG_IGN)


def _say(text: str) -> None:
    # After SIGHUP the terminal may be gone: saying so must not fail the clean-up.
    with contextlib.suppress(OSError, ValueError):
        print(text, flush=True)


def serve(scenario: str = "classroom", port: int = DEFAULT_PORT, host: str = DEFAULT_HOST) -> int:
    """Serve the classroom app on `host:port`, print its address, and run until Ctrl-C.

    Returns 0 after Ctrl-C, or the server's exit status if it stops by itself. Raises
    InputError (one line, for the CLI) for an unknown scenario, a busy port or a missing `app`
    extra.
    """
    with _stop_on_signals():
        try:
            server = start_server(scenario, port=port, host=host, quiet=False)
        except (KeyboardInterrupt, _Stopped):
            _say("\ndmpsim app: stopped.")
            return 0
        try:
            print(f"dmpsim app: the classroom app ({scenario} scenario) is at {server.url}",
                  flush=True)
            print("Open it in a browser; press Ctrl-C here to stop.", flush=True)
            while server.running():
                time.sleep(0.5)
        except (KeyboardInterrupt, _Stopped):
            _hold_signals()     # a second Ctrl-C or SIGTERM must not cut the clean-up short
            server.stop()
            _say("\ndmpsim app: stopped.")
            return 0
        finally:
            _hold_signals()
            server.stop()
    status = server.process.returncode
    return 0 if status in (0, None) else int(status) if status > 0 else 1
