"""The class game's HTTP/JSON server (dmpsim.app.play.server), without a browser: every input
is checked and refused in one line of JSON; only a seat's own students answer for it; only the
teacher's key opens games and moves the market; `dmpsim app --play` wiring and bad flags."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from dmpsim.app.play import pages
from dmpsim.app.play.server import start_game_server, stop_game_server
from dmpsim.cli import main


@pytest.fixture
def server():
    server = start_game_server("127.0.0.1", 0, poll_seconds=0.5)
    try:
        yield server
    finally:
        stop_game_server(server)


def _request(server, path: str, body=None, raw: bytes | None = None):
    """(status, JSON reply) of a GET (no body) or a POST."""
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(server.base_url() + path.lstrip("/"), data=data,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _open(server, **settings):
    body = {"key": server.teacher_key, "scenario": "classroom", "seed": 0,
            "seats": {"commercial": 2}, "time_limit": 30, "ask_bids": False, **settings}
    status, reply = _request(server, "/api/teacher/new", body)
    assert status == 200, reply
    return reply["code"]


def _one_line(reply) -> str:
    assert set(reply) == {"error", "key"} and "\n" not in reply["error"]
    assert "Traceback" not in reply["error"]
    return reply["error"]


def test_pages_are_served_with_a_strict_policy(server):
    for path, (_body, kind) in pages.FILES.items():
        with urllib.request.urlopen(server.base_url() + path.lstrip("/"), timeout=10) as reply:
            assert reply.status == 200 and reply.headers["Content-Type"] == kind
            assert "script-src" not in reply.headers["Content-Security-Policy"]
            assert "default-src 'self'" in reply.headers["Content-Security-Policy"]
            assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in pages.STUDENT_HTML and "<script>" not in pages.TEACHER_HTML
    assert "innerHTML" not in pages.STUDENT_JS + pages.TEACHER_JS
    status, reply = _request(server, "/nowhere")
    assert status == 404


def test_only_the_teachers_key_opens_a_game_and_moves_the_market(server):
    for key in (None, "", "guess", 5):
        status, reply = _request(server, "/api/teacher/new", {"key": key})
        assert status == 403 and "teacher" in _one_line(reply)
        status, reply = _request(server, f"/api/teacher?key={key}")
        assert status == 403
    status, reply = _request(server, "/api/join", {"code": "ACDEFH", "name": "Ana"})
    assert status == 400 and "no game is open" in _one_line(reply)
    code = _open(server)
    status, reply = _request(server, "/api/teacher/control", {"key": "x", "action": "step"})
    assert status == 403
    for bad in ({"action": "fly"}, {"action": "play", "pace": 100}):
        status, reply = _request(server, "/api/teacher/control", {"key": server.teacher_key, **bad})
        assert status == 400, reply
        _one_line(reply)
    status, reply = _request(server, "/api/teacher/control",
                             {"key": server.teacher_key, "action": "step"})
    assert status == 200
    deadline = time.monotonic() + 30
    while True:
        status, reply = _request(server, f"/api/teacher?key={server.teacher_key}&code={code}")
        if reply["game"]["month"] == 1:
            break
        assert time.monotonic() < deadline
    assert reply["game"]["code"] == code and reply["setup"]["local"] is True
    assert reply["setup"]["join_url"].startswith("http://127.0.0.1:")


@pytest.mark.parametrize(("settings", "key"), [
    ({"scenario": "atlantis"}, "scenario"),
    ({"seats": {"commercial": 99}}, "seats.commercial"),
    ({"seats": "many"}, "seats"),
    ({"time_limit": -3}, "time_limit"),
])
def test_bad_game_settings_are_refused_naming_the_key(server, settings, key):
    body = {"key": server.teacher_key, "seats": {"commercial": 1}, **settings}
    status, reply = _request(server, "/api/teacher/new", body)
    assert status == 400 and reply["key"] == key
    _one_line(reply)


def test_students_join_with_the_code_and_answer_only_for_themselves(server):
    code = _open(server)
    status, reply = _request(server, "/api/join", {"code": "WRONG1", "name": "Ana"})
    assert status == 400 and "not this game's code" in _one_line(reply)
    status, ana = _request(server, "/api/join", {"code": code.lower(), "name": "Ana"})
    assert status == 200 and ana["organisation"]["kind"].startswith("a commercial firm")
    status, bo = _request(server, "/api/join", {"code": code, "name": "Bo"})
    assert status == 200 and bo["token"] != ana["token"]
    # Rejoining is asking for news with the same token: the same practitioner.
    status, again = _request(server, f"/api/student?token={ana['token']}&since=0")
    assert again["organisation"]["practitioner"] == ana["organisation"]["practitioner"]
    status, reply = _request(server, "/api/student?token=forged&since=0")
    assert status == 403
    for raw in (b"{", b"[1, 2]", b"x" * 5000, b""):
        status, reply = _request(server, "/api/answer", raw=raw)
        assert status == 400
        _one_line(reply)
    status, reply = _request(server, f"/api/student?token={ana['token']}&since=soon")
    assert status == 400 and reply["key"] == "since"
    game = server.game
    game.set_mode("answered")
    deadline = time.monotonic() + 60
    while True:
        with game.cond:
            question = next(iter(game.questions.values()), None)
        if question is not None:
            break
        for token in (ana["token"], bo["token"]):
            game.student(token)
        assert time.monotonic() < deadline, "nobody was asked anything"
        time.sleep(0.01)
    game.set_mode("paused")
    owner, other = ((ana, bo) if question.seat.members[0].name == "Ana" else (bo, ana))
    status, reply = _request(server, "/api/answer", {"token": other["token"],
                                                     "question": question.id, "choice": "comply"})
    assert status == 403 and "another practitioner" in _one_line(reply)
    status, reply = _request(server, "/api/answer", {"token": owner["token"],
                                                     "question": question.id,
                                                     "choice": "<script>"})
    assert status == 400 and reply["key"] == "choice"
    assert question.answer is None
    status, reply = _request(server, "/api/answer", {"token": owner["token"],
                                                     "question": question.id,
                                                     "choice": question.options[0]})
    assert status == 200 and question.answered_by == owner["name"]


def test_dmpsim_app_play_refuses_bad_flags_in_one_line(capsys):
    assert main(["app", "--play", "--scenario", "atlantis", "--port", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--scenario" in err and "unknown scenario" in err and "\n" not in err


def test_dmpsim_app_play_refuses_a_busy_port_and_an_unknown_host(server, capsys):
    assert main(["app", "--play", "--port", str(server.port)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("dmpsim: error: --port: cannot listen") and "\n" not in err
    assert main(["app", "--play", "--host", "nowhere.invalid", "--port", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--host: no such address" in err and "\n" not in err
