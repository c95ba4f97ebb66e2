"""The one error type that user-facing layers turn into a one-line message and exit status 2."""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input (a scenario or experiment file, a CLI flag, an API argument).

    The message is one line that names where the problem is (file, key) and what it is, so that
    the CLI can print it as it stands, without a traceback.
    """

    def __init__(self, problem: str, *, source: str | None = None, key: str | None = None):
        self.problem = problem
        self.source = source
        self.key = key
        parts = [p for p in (source, key) if p]
        super().__init__(": ".join([*parts, problem]))
