"""What a sweep folder looks like on disk, and how to read its runs back, finished or not.

A sweep folder holds ``manifest.json``, ``design.parquet`` and, once merged, ``runs.parquet``
(one row per run) and ``series.parquet`` (per-step series, if asked for); while the sweep runs,
finished runs are in ``parts/`` as pairs ``runs-<first>-<last>-<digest>.parquet`` and
``series-<same>.parquet``. `SweepFolder` names these files; `read_results` reads them. Writing
them is the sweep's store's job (`dmpsim.experiments.store`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from .parquet import corrupt, dedupe, read_table

if TYPE_CHECKING:
    import pandas as pd


class SweepFolder:
    """The files of a sweep folder: where each is, and which of them hold finished runs."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.parts = out / "parts"
        self.manifest_path = out / "manifest.json"
        self.runs_path = out / "runs.parquet"
        self.series_path = out / "series.parquet"
        self.design_path = out / "design.parquet"

    def sources(self) -> list[Path]:
        """Every file holding finished runs: the merged table (if any) and the parts."""
        found = sorted(self.parts.glob("runs-*.parquet")) if self.parts.is_dir() else []
        return ([self.runs_path] if self.runs_path.exists() else []) + found

    def series_partner(self, runs: Path) -> Path:
        """The series file that goes with a runs file (merged table or part)."""
        if runs == self.runs_path:
            return self.series_path
        return runs.parent / ("series-" + runs.name[len("runs-"):])

    def has_results(self) -> bool:
        return bool(self.sources())


def read_results(out: str | Path, series: bool = False) -> pd.DataFrame:
    """The runs (or series) on disk in a sweep folder, finished or not, one row per run."""
    import pyarrow as pa

    folder = SweepFolder(Path(out))
    if series:
        files = ([folder.series_path] if folder.series_path.exists() else []) + (
            sorted(folder.parts.glob("series-*.parquet")) if folder.parts.is_dir() else [])
        keys = ["run_id", "step"]
    else:
        files, keys = folder.sources(), ["run_id"]
    if not files:
        raise InputError("no results in this folder", source=str(out))
    tables = [read_table(f) for f in files]
    for path, table in zip(files, tables, strict=True):
        if "run_id" not in table.column_names or (not series and "status" not in
                                                  table.column_names):
            raise corrupt(path, KeyError("no run_id/status column"))
    table = pa.concat_tables(tables, promote_options="permissive")
    return dedupe(table, keys, prefer_ok=not series).to_pandas()


__all__ = ["SweepFolder", "read_results"]
