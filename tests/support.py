"""Helpers shared by test files in several folders (not a test module): where the repository is,
whether the app extra is installed, the source paper when it is beside the repository, the CLI run
in-process, the check that an HTML report is self-contained, and the signals of a child process
started as from a terminal.

Import it as `from support import ...` from any folder under tests/ (tests/conftest.py puts
tests/ on the path)."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import signal
import sys
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType

import pytest

from dmpsim.cli import main

# The top of the repository (this file is tests/support.py): scenarios/, docs/, benchmarks/ ...
ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"

# The classroom app's extra (`pip install 'dmpsim[app]'`): Solara and Mesa's SolaraViz.
APP_MODULES = ("solara", "ipyvuetify", "mesa.visualization")
HAS_APP = all(importlib.util.find_spec(m) is not None for m in APP_MODULES)
needs_app = pytest.mark.skipif(not HAS_APP, reason="needs the app extra: pip install 'dmpsim[app]'")
# The dask extra (`pip install 'dmpsim[dask]'`, also in the test extra): the dask backend.
HAS_DASK = importlib.util.find_spec("distributed") is not None
needs_dask = pytest.mark.skipif(not HAS_DASK,
                                reason="needs the dask extra: pip install 'dmpsim[dask]'")


def load_benchmark(script: str, name: str) -> ModuleType:
    """A script of benchmarks/ (not a package) imported as the module `name`, for its tests."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def as_from_a_terminal(ignored: tuple[int, ...] = ()) -> None:
    """`preexec_fn` for a child that a test stops with a signal: Ctrl-C (SIGINT) and the
    terminal's hang-up (SIGHUP) act as they do for a command typed at a terminal, whatever this
    suite was started from; `ignored` are ignored instead, as `nohup` does.

    A child inherits ignored signals: a suite started in the background of a script (`cmd &`
    ignores SIGINT) or under `nohup` (SIGHUP) would hand them on, and `dmpsim app` keeps an
    ignored signal ignored, on purpose."""
    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN if sig in ignored else signal.SIG_DFL)


# The paper the model is built from, quoted verbatim in docs/ODD.md and docs/teaching.md. It is
# not part of the repository; the quote checks skip when it is not beside it.
PAPER = "parry-2023-integrity-challenges.txt"


def paper_text() -> str | None:
    """The source paper's text, or None when it is not beside the repository."""
    for folder in (ROOT.parent / "shared" / "seed", Path("/work/shared/seed")):
        if (folder / PAPER).is_file():
            return (folder / PAPER).read_text(encoding="utf-8")
    return None


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """Run the CLI in-process; return (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exc:  # argparse
            status = exc.code
    return status, out.getvalue(), err.getvalue()


class _Refs(HTMLParser):
    """Every URL-bearing attribute and every tag of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "action", "poster", "background"):
                self.refs.append((tag, name, value or ""))


def assert_self_contained(path: Path) -> HTMLParser:
    """No external reference, script, stylesheet link or frame; at least one embedded figure."""
    text = path.read_text(encoding="utf-8")
    parser = _Refs()
    parser.feed(text)
    outside = [r for r in parser.refs if not (r[2].startswith("data:") or r[2].startswith("#"))]
    assert not outside, f"external references: {outside[:3]}"
    assert not parser.tags & {"script", "link", "iframe", "object", "embed"}
    assert "@import" not in text and "url(" not in text.replace("url(data:", "")
    assert any(tag == "img" for tag, _, _ in parser.refs), "no embedded figure"
    return parser
