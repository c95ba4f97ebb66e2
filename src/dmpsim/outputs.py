"""Writing results to disk: Parquet tables, CSV on request, and run.json, all written atomically.

A file is written beside its destination under a temporary name and renamed into place, so a run
killed mid-write leaves either the old file or the new one, never a torn one.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from .runner import RunResult


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        # mkstemp makes the file private (0600); results are shared like any file the user writes.
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_parquet(df: pd.DataFrame, path: Path) -> Path:
    return _atomic(path, lambda tmp: df.to_parquet(tmp, index=False))


def atomic_write_csv(df: pd.DataFrame, path: Path) -> Path:
    return _atomic(path, lambda tmp: df.to_csv(tmp, index=False))


def atomic_write_text(text: str, path: Path) -> Path:
    return _atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def jsonable(value: Any) -> Any:
    """Plain JSON values: NaN becomes null, numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def versions() -> dict[str, str]:
    import platform

    import mesa
    import numpy

    from . import __version__

    return {"dmpsim": __version__, "mesa": mesa.__version__, "numpy": numpy.__version__,
            "pandas": pd.__version__, "python": platform.python_version()}


def write_run(result: RunResult, out: Path, csv: bool = False) -> list[Path]:
    """Write one run's tables and its run.json (effective scenario, seed, steps, versions)."""
    written = []
    for name, table in result.tables().items():
        written.append(atomic_write_parquet(table, out / f"{name}.parquet"))
        if csv:
            written.append(atomic_write_csv(table, out / f"{name}.csv"))
    meta = {
        "scenario": result.scenario.as_toml_dict(),
        "scenario_source": result.scenario.source,
        "overrides": result.scenario.overrides,
        "seed": result.seed,
        "steps": result.steps,
        "versions": versions(),
        "summary": result.summary,
    }
    written.append(atomic_write_text(json.dumps(jsonable(meta), indent=2) + "\n", out / "run.json"))
    return written
