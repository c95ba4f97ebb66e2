"""What every test shares: the helpers beside this file and the source tree's tools/ importable.

Tests live in folders that mirror the package (tests/model/ for dmpsim.model, tests/analysis/ for
dmpsim.analysis, ...), with no __init__.py files, so pytest imports each test file by its name:
test file names are unique across folders. Shared helpers are plain modules here (support.py,
browser.py), imported as `from support import ...` from any folder; fixtures shared by the
files of one folder are in that folder's conftest.py (tests/model/conftest.py: the paired
knock-out runs; tests/experiments/conftest.py: the serial smoke sweep).
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
# tests/ itself (support.py, browser.py), whatever folder a test is in and whatever the import
# mode; and the source tree's tools (tools/odd_tables.py), which are not part of the package.
for folder in (TESTS.parent / "tools", TESTS):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
