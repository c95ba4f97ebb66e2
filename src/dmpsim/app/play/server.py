"""The class game's web server: a small HTTP/JSON server from the standard library.

Students' phones get a light page (`/`) and ask for news with long polls, so a click reaches
the teacher's page (`/teacher#key=...`) within milliseconds. Every request is checked: a
student's token names the only seat it may answer for; the teacher's key (random per server,
shown only in the terminal that started it) is needed for every teacher action; bodies are
small JSON objects; an error is one line of JSON (``{"error": "code: that is not this game's
code"}``), never a traceback.

Served on 127.0.0.1 unless the teacher passes ``--host`` (then the teacher's page says the game
is reachable from the network, and gives the address students type).
"""

from __future__ import annotations

import contextlib
import hmac
import json
import secrets
import socket
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ...errors import InputError
from ...experiments.scenario import bundled_names
from . import pages
from .game import MODES, PACES, POLL_SECONDS, Game
from .settings import DEFAULT_SEATS, SEAT_KINDS, GameSettings

MAX_BODY = 4096
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
FORBIDDEN_KEYS = ("token", "key", "seat")
CONFLICT_KEYS = ("question",)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def network_address() -> str:
    """This machine's address on its network (no packet is sent: a UDP socket is only
    pointed at a private address to learn which interface would be used)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


class GameServer(ThreadingHTTPServer):
    """The HTTP server with the game it serves (a new game replaces the old one)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, port: int, scenario: str = "classroom",
                 poll_seconds: float = POLL_SECONDS) -> None:
        super().__init__((host, port), GameHandler)
        self.host = host
        self.scenario = scenario
        self.poll_seconds = poll_seconds
        self.teacher_key = secrets.token_urlsafe(18)
        self.game: Game | None = None
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def local(self) -> bool:
        return self.host in LOCAL_HOSTS

    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}/"

    def join_url(self) -> str:
        """The address students type: this machine's network address when listening on all."""
        host = network_address() if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}/"

    def teacher_url(self) -> str:
        return f"{self.base_url()}teacher#key={self.teacher_key}"

    def check_teacher(self, key: Any) -> None:
        if not isinstance(key, str) or not hmac.compare_digest(key.encode(),
                                                               self.teacher_key.encode()):
            raise InputError("only the teacher's page can do that", key="key")

    def new_game(self, settings: GameSettings) -> Game:
        game = Game(settings)
        with self._lock:
            old, self.game = self.game, game
        if old is not None:
            old.close()
        return game

    def current(self) -> Game:
        game = self.game
        if game is None:
            raise InputError("no game is open yet: the teacher opens one", key="game")
        return game

    def close_game(self) -> None:
        with self._lock:
            game, self.game = self.game, None
        if game is not None:
            game.close()


class GameHandler(BaseHTTPRequestHandler):
    server: GameServer
    server_version = "dmpsim-play"
    sys_version = ""

    # -- plumbing -----------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:   # noqa: A002 - the base's name
        """Quiet: a class makes thousands of polls; tokens and keys must not reach a log."""

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def _json(self, data: Any, status: int = 200) -> None:
        self._send(status, json.dumps(data, allow_nan=False, default=str).encode(),
                   "application/json; charset=utf-8")

    def _error(self, exc: InputError) -> None:
        status = (HTTPStatus.FORBIDDEN if exc.key in FORBIDDEN_KEYS else
                  HTTPStatus.CONFLICT if exc.key in CONFLICT_KEYS else HTTPStatus.BAD_REQUEST)
        self._json({"error": str(exc), "key": exc.key}, status)

    def _body(self) -> dict[str, Any]:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise InputError("not a number", key="Content-Length") from None
        if not 0 < length <= MAX_BODY:
            raise InputError(f"expected a JSON object of at most {MAX_BODY} bytes", key="body")
        try:
            data = json.loads(self.rfile.read(length))
        except (ValueError, UnicodeDecodeError):
            raise InputError("not valid JSON", key="body") from None
        if not isinstance(data, dict):
            raise InputError("expected a JSON object", key="body")
        return data

    def _query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}

    @staticmethod
    def _since(query: dict[str, str]) -> int:
        text = query.get("since", "0")
        if not text.lstrip("-").isdigit():
            raise InputError(f"expected a whole number, got {text!r}", key="since")
        return int(text)

    # -- routes ------------------------------------------------------------------------------

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        try:
            if path in pages.FILES:
                body, content_type = pages.FILES[path]
                self._send(200, body, content_type)
            elif path == "/api/student":
                self._student_news()
            elif path == "/api/teacher":
                self._teacher_news()
            elif path.startswith("/api/teacher/plot/"):
                self._plot(path.rsplit("/", 1)[-1])
            else:
                self._json({"error": f"no page {path}"}, HTTPStatus.NOT_FOUND)
        except InputError as exc:
            self._error(exc)

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        routes = {"/api/join": self._join, "/api/answer": self._answer,
                  "/api/tenders": self._tenders, "/api/teacher/new": self._new,
                  "/api/teacher/control": self._control}
        try:
            route = routes.get(path)
            if route is None:
                self._json({"error": f"no action {path}"}, HTTPStatus.NOT_FOUND)
                return
            route(self._body())
        except InputError as exc:
            self._error(exc)

    # -- students ----------------------------------------------------------------------------

    def _join(self, body: dict[str, Any]) -> None:
        game = self.server.current()
        student = game.join(body.get("code"), body.get("name"))
        self._json({"token": student.token, **game.student_view(student)})

    def _student_news(self) -> None:
        query = self._query()
        game = self.server.current()
        game.student(query.get("token"))          # refused at once if not a student
        game.wait_for_news(self._since(query), self.server.poll_seconds)
        self._json(game.student_view(game.student(query.get("token"))))

    def _answer(self, body: dict[str, Any]) -> None:
        game = self.server.current()
        game.answer(body.get("token"), body.get("question"), body.get("choice"))
        self._json({"ok": True})

    def _tenders(self, body: dict[str, Any]) -> None:
        game = self.server.current()
        game.set_tenders(body.get("token"), body.get("ask"))
        self._json({"ok": True})

    # -- the teacher -------------------------------------------------------------------------

    def _setup(self) -> dict[str, Any]:
        server = self.server
        return {
            "join_url": server.join_url(), "local": server.local,
            "scenarios": bundled_names(), "scenario": server.scenario,
            "seat_kinds": [{"name": k.name, "label": k.label,
                            "default": DEFAULT_SEATS.get(k.name, 0)} for k in SEAT_KINDS],
            "modes": list(MODES), "paces": list(PACES),
        }

    def _teacher_news(self) -> None:
        query = self._query()
        self.server.check_teacher(query.get("key"))
        game = self.server.game
        if game is None:
            self._json({"setup": self._setup(), "game": None})
            return
        if query.get("code") == game.code:      # news of another game is news at once
            game.wait_for_news(self._since(query), self.server.poll_seconds)
        self._json({"setup": self._setup(), "game": game.teacher_view()})

    def _plot(self, name: str) -> None:
        self.server.check_teacher(self._query().get("key"))
        game = self.server.current()
        data = game.plots.get(name.removesuffix(".png"))
        if data is None:
            raise InputError(f"no plot {name!r}", key="plot")
        self._send(200, data, "image/png")

    def _new(self, body: dict[str, Any]) -> None:
        self.server.check_teacher(body.get("key"))
        settings = GameSettings.checked(
            body.get("scenario", self.server.scenario), body.get("seed", 0),
            body.get("seats"), body.get("time_limit", 45), body.get("ask_bids", True))
        game = self.server.new_game(settings)
        self._json({"code": game.code})

    def _control(self, body: dict[str, Any]) -> None:
        self.server.check_teacher(body.get("key"))
        game = self.server.current()
        action = body.get("action")
        if action == "step":
            game.step()
        elif action == "end":
            game.end()
        elif action in MODES:
            game.set_mode(action, body.get("pace"))
        else:
            raise InputError(f"expected step, end or one of {', '.join(MODES)}, got {action!r}",
                             key="action")
        self._json({"ok": True})


def start_game_server(host: str = "127.0.0.1", port: int = 0, scenario: str = "classroom",
                      poll_seconds: float = POLL_SECONDS) -> GameServer:
    """Start the game server in a thread of this process; `port=0` picks a free port.
    Call `stop_game_server` when done."""
    try:
        server = GameServer(host, port, scenario, poll_seconds)
    except socket.gaierror:
        raise InputError(f"no such address on this computer: {host!r}", key="--host") from None
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); choose "
                         f"another with --port", key="--port") from None
    threading.Thread(target=server.serve_forever, name="dmpsim-play-http", daemon=True).start()
    return server


def stop_game_server(server: GameServer) -> None:
    server.shutdown()
    server.close_game()
    server.server_close()


def serve_game(scenario: str = "classroom", port: int = 8765, host: str = "127.0.0.1") -> int:
    """`dmpsim app --play`: serve a class game until Ctrl-C (or SIGTERM); print where the
    teacher's page is. InputError (one line) for an unknown scenario or a busy port."""
    import signal
    import time

    if scenario not in bundled_names():
        raise InputError(f"unknown scenario {scenario!r}; choose one of "
                         f"{', '.join(bundled_names())}", key="--scenario")
    server = start_game_server(host, port, scenario)
    stop = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        print(f"dmpsim app --play: the class game's teacher page ({scenario} scenario) is at "
              f"{server.teacher_url()}", flush=True)
        print("Keep that address to yourself: it lets whoever has it run the game.", flush=True)
        if server.local:
            print("Served on this computer only; for students' own devices start with "
                  "--host 0.0.0.0.", flush=True)
        else:
            print(f"Students join at {server.join_url()} (reachable from the network).",
                  flush=True)
        print("Press Ctrl-C here to stop.", flush=True)
        while not stop.is_set():
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        stop_game_server(server)
        with contextlib.suppress(OSError, ValueError):
            print("\ndmpsim app --play: stopped.", flush=True)
    return 0
