"""A run's folder: its Parquet tables, CSV on request, and run.json, written atomically.

Each file is written through `dmpsim.io.atomic`; the folder itself is written the same way: into
a temporary folder beside it, renamed into place when complete.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..io.atomic import atomic_write_csv, atomic_write_parquet, atomic_write_text, check_out_folder
from ..io.provenance import jsonable, versions

if TYPE_CHECKING:
    from .run import RunResult


def write_run(result: RunResult, out: Path, csv: bool = False,
              extra: Callable[[Path], Any] | None = None) -> list[Path]:
    """Write one run's tables and its run.json (effective scenario, seed, steps, versions).

    Everything is written into a temporary folder beside `out` (and `extra(folder)`, e.g. a
    figure, into it too), which is then renamed to `out`: a failure part-way (a full disk)
    leaves `out` as it was and removes the temporary folder. An existing `out` is replaced;
    files in it that this run does not write (e.g. `figures/` from `dmpsim plot`) are kept.
    Raises InputError naming `out` when it cannot be written.
    """
    check_out_folder(out)
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir(parents=True)
        names = _write_run_files(result, tmp, csv)
        if extra is not None:
            extra(tmp)
        _replace_folder(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        kept = ("its previous contents are unchanged" if out.is_dir()
                else "nothing was written")
        raise InputError(f"cannot write results: {exc.strerror or exc}; {kept}",
                         source=str(out), key="--out") from None
    return [out / name for name in names]


def _replace_folder(new: Path, out: Path) -> None:
    """Rename the complete folder `new` to `out`, replacing what this run writes in `out`."""
    try:
        os.rename(new, out)      # `out` absent or empty: one atomic step
        return
    except OSError:
        if not out.is_dir():
            raise
    old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
    os.rename(out, old)
    try:
        os.rename(new, out)
    except OSError:
        os.rename(old, out)
        raise
    # Keep what the new run did not write (figures drawn later, the user's notes).
    for entry in old.iterdir():
        if not (out / entry.name).exists():
            with contextlib.suppress(OSError):
                os.rename(entry, out / entry.name)
    shutil.rmtree(old, ignore_errors=True)


def _write_run_files(result: RunResult, out: Path, csv: bool) -> list[str]:
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
    return [path.name for path in written]
