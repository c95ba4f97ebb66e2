"""Reading Parquet tables: whole, by column or by a range of run ids, and one row per key.

Arrow is imported on first use, not here. A file that cannot be read is reported as one line
naming it, with what to do (`corrupt`), never as Arrow's traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError

if TYPE_CHECKING:
    import pyarrow as pa


def ordered_schema(schemas: list[pa.Schema], first: list[str]) -> pa.Schema:
    """One schema for tables from several files: the columns `first` in that order, then the
    others; a column that is null in every file gets a real type (float64)."""
    import pyarrow as pa

    unified = pa.unify_schemas(schemas, promote_options="permissive")
    names = [n for n in first if n in unified.names] + [n for n in unified.names if n not in first]
    # A column that was null in every part (e.g. an error-only sweep) still needs a real type.
    return pa.schema([pa.field(n, pa.float64()) if unified.field(n).type == pa.null()
                      else unified.field(n) for n in names])


def corrupt(path: Path, exc: BaseException) -> InputError:
    """The one-line error for a results file that cannot be read, with what to do about it."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return InputError(
        f"unreadable Parquet file ({type(exc).__name__}: {first}); it is truncated or not a "
        "sweep's table: move it out of the folder (e.g. rename it to .bad) and run the sweep "
        "again with --resume, which re-runs the runs it held", source=str(path))


def read_table(path: Path, **kwargs: Any) -> pa.Table:
    """A Parquet file as an Arrow table (`kwargs` as for `pq.read_table`); `corrupt` if it cannot
    be read or lacks a column asked for. A missing file stays FileNotFoundError."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    # Parts are small: reading them on Arrow's thread pool only adds per-thread memory.
    try:
        table = pq.read_table(path, use_threads=False, **kwargs)
    except (pa.ArrowException, OSError, ValueError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise corrupt(path, exc) from None
    columns = kwargs.get("columns") or []
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise corrupt(path, KeyError(f"no column {missing[0]!r}"))
    return table


def read_schema(path: Path) -> pa.Schema:
    """A Parquet file's schema; `corrupt` if it cannot be read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_schema(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise corrupt(path, exc) from None


def read_range(path: Path, lo: int, hi: int, schema: pa.Schema) -> pa.Table:
    """The rows of a file with ``lo <= run_id < hi``, cast to `schema` (a column the file lacks
    is all nulls)."""
    import pyarrow as pa

    table = read_table(path, filters=[("run_id", ">=", lo), ("run_id", "<", hi)])
    arrays = [table[f.name].cast(f.type) if f.name in table.column_names
              else pa.nulls(len(table), f.type) for f in schema]
    return pa.table(arrays, schema=schema)


def dedupe(table: pa.Table, keys: list[str], prefer_ok: bool = False) -> pa.Table:
    """Sort by `keys` and keep one row per key (the "ok" one, when asked)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    order = [(k, "ascending") for k in keys]
    if prefer_ok:
        table = table.append_column("_not_ok", pc.not_equal(table["status"], "ok").cast(pa.int8()))
        order.append(("_not_ok", "ascending"))
    table = table.sort_by(order)
    if prefer_ok:
        table = table.drop_columns(["_not_ok"])
    if len(table) < 2:
        return table
    same = np.ones(len(table) - 1, dtype=bool)
    for key in keys:
        column = table[key].to_numpy()
        same &= column[1:] == column[:-1]
    return table.filter(pa.array(np.concatenate([[True], ~same])))



__all__ = ["corrupt", "dedupe", "ordered_schema", "read_range", "read_schema", "read_table"]
