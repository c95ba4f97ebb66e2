"""Helpers shared by several test files (not a test module): the CLI run in-process, and the
check that an HTML report is self-contained."""

from __future__ import annotations

import contextlib
import io
from html.parser import HTMLParser
from pathlib import Path

from dmpsim.cli import main


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
