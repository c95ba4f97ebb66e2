"""Reading a results folder back: one run, a folder of runs, replications or scenarios
(series.parquet), or a sweep (runs.parquet, finished or not), as the tables figures are drawn from.

Time-series tables ("series") are long: a `step` column (month, from 1), the columns of the model
table, and, when they hold several runs, a run identity column (`RUN_COLUMNS`: `run_id`, else
`replication`, else `seed`). A `scenario` column (`GROUP_COLUMN`), when present, says which
scenario each row belongs to. Knows nothing of the model or of figures.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from .sweep_folder import read_results

__all__ = ["GROUP_COLUMN", "RUN_COLUMNS", "ResultsData", "load_results", "run_column"]

#: The column that splits a series into scenarios drawn side by side.
GROUP_COLUMN = "scenario"
#: Columns that identify a run, in order of preference.
RUN_COLUMNS = ("run_id", "replication", "seed")


def run_column(frame: pd.DataFrame) -> str | None:
    """The column that tells a table's runs apart (`RUN_COLUMNS`), or None for a single run."""
    return next((c for c in RUN_COLUMNS if c in frame.columns), None)


@dataclass
class ResultsData:
    """What a results folder holds, in the forms the figure builders take.

    `layout` is "run" (one run folder), "runs" (a folder of run folders), "series" (a
    series.parquet across replications or scenarios) or "sweep" (a runs.parquet). `series` is
    the long per-step table with a `run_id` column (and `scenario` when it holds several
    scenarios); `episodes` the episodes table with a matching `run_id`, when the folder has it;
    `runs` and `parameters` a sweep's runs table and its varied parameters.
    """

    source: Path
    layout: str
    series: pd.DataFrame | None = None
    episodes: pd.DataFrame | None = None
    runs: pd.DataFrame | None = None
    parameters: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)


def _read_parquet(path: Path, source: str) -> pd.DataFrame:
    try:
        table = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types; all mean "unreadable"
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise InputError(f"cannot read {path.name}: {first}", source=source) from None
    if table.empty:
        raise InputError(f"{path.name} has no rows", source=source)
    return table


def _with_run_ids(series: pd.DataFrame, source: str) -> pd.DataFrame:
    """Give a series table a string `run_id` that is unique across scenarios."""
    if "step" not in series.columns:
        raise InputError("series.parquet has no 'step' column", source=source)
    series = series.copy()
    col = run_column(series)
    if col is None:
        keys = [GROUP_COLUMN, "step"] if GROUP_COLUMN in series.columns else ["step"]
        if series.duplicated(keys).any():
            raise InputError("series.parquet repeats steps but has no run_id or replication "
                             "column", source=source)
        ids = pd.Series("run", index=series.index)
    else:
        ids = series[col].astype(str)
    if GROUP_COLUMN in series.columns and col != "run_id":
        # Replication k of two scenarios is two runs, not one.
        ids = series[GROUP_COLUMN].astype(str) + "/" + ids
    series["run_id"] = ids
    return series


def _read_run_folder(folder: Path, source: str) -> tuple[pd.DataFrame, pd.DataFrame | None, str]:
    model = _read_parquet(folder / "model.parquet", source)
    model.insert(0, "run_id", folder.name)
    episodes = None
    if (folder / "episodes.parquet").is_file():
        try:
            episodes = pd.read_parquet(folder / "episodes.parquet")
        except Exception as exc:
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            raise InputError(f"cannot read {folder.name}/episodes.parquet: {first}",
                             source=source) from None
        episodes.insert(0, "run_id", folder.name)
    name = ""
    meta = folder / "run.json"
    if meta.is_file():
        try:
            name = str(json.loads(meta.read_text(encoding="utf-8"))["scenario"]["name"])
        except (OSError, ValueError, KeyError, TypeError):
            name = ""  # run.json is only used to tell scenarios apart; without it, one group
    return model, episodes, name


def _sweep_parameters(runs: pd.DataFrame, manifest: Mapping[str, Any]) -> list[str]:
    """The varied parameters: dotted column names (as the sweep layer writes them).

    A manifest list under "parameters" or "varied" is used when it names runs columns, so a
    manifest can fix the order; otherwise the runs table's column order is used.
    """
    for key in ("parameters", "varied"):
        listed = manifest.get(key)
        if isinstance(listed, Mapping):
            listed = list(listed)
        if isinstance(listed, list):
            names = [str(p) for p in listed if str(p) in runs.columns]
            if names:
                return names
    return [c for c in runs.columns if "." in str(c)]


def _read_manifest(folder: Path) -> dict[str, Any]:
    if (folder / "manifest.json").is_file():
        try:
            loaded = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            return loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            pass   # the runs table alone is enough to draw from
    return {}


def _read_partial_sweep(folder: Path, source: str) -> ResultsData:
    """A sweep that has not finished (interrupted, or still running): its part files, read as
    `dmpsim discover` reads them (`read_results`)."""
    runs = read_results(folder)
    if runs.empty:
        raise InputError("the sweep's part files hold no runs yet", source=source)
    series = None
    if any((folder / "parts").glob("series-*.parquet")):
        series = read_results(folder, series=True)
        series = _with_run_ids(series[series["run_id"].isin(runs["run_id"])], source)
    manifest = _read_manifest(folder)
    return ResultsData(folder, "sweep", series=series, runs=runs,
                       parameters=_sweep_parameters(runs, manifest), manifest=manifest)


def load_results(results_dir: str | Path) -> ResultsData:
    """Read a results folder and say what it holds.

    Recognised, in this order: a sweep folder (runs.parquet, optionally series.parquet and
    manifest.json); a single run folder (model.parquet, optionally episodes.parquet, as
    `dmpsim run` writes it); a folder with series.parquet (per-step rows of several runs, with
    run_id or replication, and scenario when comparing scenarios); a folder of run folders
    (their model.parquet files become one series; their run.json scenario names, when they
    differ, become the scenario groups).

    Raises:
        InputError: the folder does not exist, holds none of these, or a table is unreadable or
        empty. The message is one line naming the folder.
    """
    folder = Path(results_dir)
    source = str(results_dir)
    if folder.is_file() and folder.suffix == ".parquet":
        folder = folder.parent  # a table inside the folder names the folder
    if not folder.is_dir():
        raise InputError("is not a folder" if folder.exists() else "no such folder",
                         source=source)

    parts = folder / "parts"
    if not (folder / "runs.parquet").is_file() and parts.is_dir() \
            and any(parts.glob("runs-*.parquet")):
        return _read_partial_sweep(folder, source)

    if (folder / "runs.parquet").is_file():
        runs = _read_parquet(folder / "runs.parquet", source)
        manifest = _read_manifest(folder)
        series = None
        if (folder / "series.parquet").is_file():
            series = _with_run_ids(_read_parquet(folder / "series.parquet", source), source)
        return ResultsData(folder, "sweep", series=series, runs=runs,
                           parameters=_sweep_parameters(runs, manifest), manifest=manifest)

    if (folder / "model.parquet").is_file():
        model, episodes, _ = _read_run_folder(folder, source)
        return ResultsData(folder, "run", series=model, episodes=episodes)

    if (folder / "series.parquet").is_file():
        series = _with_run_ids(_read_parquet(folder / "series.parquet", source), source)
        return ResultsData(folder, "series", series=series)

    subfolders = sorted(p for p in folder.iterdir() if (p / "model.parquet").is_file())
    if subfolders:
        models, all_episodes, names = [], [], []
        for sub in subfolders:
            model, episodes, name = _read_run_folder(sub, source)
            models.append(model)
            names.append(name)
            if episodes is not None:
                all_episodes.append(episodes)
        if len(set(names)) > 1:
            for model, name in zip(models, names, strict=True):
                model.insert(1, GROUP_COLUMN, name or "(unnamed)")
            by_run = dict(zip([s.name for s in subfolders], names, strict=True))
            for eps in all_episodes:
                eps.insert(1, GROUP_COLUMN, eps["run_id"].map(by_run).fillna("(unnamed)"))
        series = pd.concat(models, ignore_index=True)
        # Runs without an episodes.parquet would be miscounted as runs without episodes.
        episodes = (pd.concat(all_episodes, ignore_index=True)
                    if len(all_episodes) == len(subfolders) else None)
        return ResultsData(folder, "runs", series=series, episodes=episodes)

    raise InputError("no model.parquet, series.parquet or runs.parquet found "
                     "(nor run folders holding model.parquet)", source=source)
