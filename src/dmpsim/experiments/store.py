"""The sweep's store: a sweep folder (`dmpsim.io.sweep_folder`) as the coordinator writes it.

One coordinator at a time (`Store.locked`); the manifest; finished rows written as atomic part
files while the sweep runs; which runs are done (`Store.finished`); debris of a kill cleaned
away; and at the end the parts merged, chunk by chunk in bounded memory, into runs.parquet and
series.parquet, and removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..io.parquet import corrupt, dedupe, ordered_schema, read_range, read_schema, read_table
from ..io.sweep_folder import SweepFolder

if TYPE_CHECKING:
    import numpy as np

# What bounds the coordinator's memory: finished runs held before they go to a part file (and
# their per-step series rows), and rows per chunk when merging parts at the end. Arrow makes a
# few transient copies of a chunk (concatenate, sort, filter), so chunks stay small.
PART_SIZE = 200
PART_SERIES_ROWS = 20_000
MERGE_ROWS = 10_000


class Store(SweepFolder):
    """The output folder: manifest, design, part files while running, merged tables at the end.

    Part files come in pairs named by their run ids (``runs-<first>-<last>-<digest>.parquet`` and
    ``series-<same>.parquet``). The series part is written first, so a runs part on disk means
    its series is too; a series part without its runs part is debris from a kill and is removed.
    """

    def __init__(self, out: Path, with_series: bool = False) -> None:
        super().__init__(out)
        # With per-step series, a runs table counts only with its series beside it: a series
        # file moved aside (corrupt) makes its runs count as not done, so --resume re-runs them.
        self.with_series = with_series
        self._lock_file: Any = None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One coordinator per folder: two writing the same parts would duplicate runs."""
        from ..io.atomic import check_out_folder

        check_out_folder(self.out)
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the output folder: {exc.strerror or exc}",
                             source=str(self.out), key="--out") from None
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; the user must not run two at once
            yield
            return
        try:
            handle = open(self.out / ".lock", "a+")  # noqa: SIM115 - held for the whole sweep
        except OSError as exc:
            raise InputError(f"cannot write to the output folder: {exc.strerror or exc}",
                             source=str(self.out), key="--out") from None
        try:
            # A POSIX record lock, not flock: forked workers do not inherit it, so a killed
            # coordinator's folder is free again at once, whatever its orphans are doing.
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise InputError("another sweep is writing to this folder", source=str(self.out),
                             key="--out") from None
        try:
            yield
        finally:
            fcntl.lockf(handle, fcntl.LOCK_UN)
            handle.close()

    def check_tables(self) -> None:
        """Read the merged tables through once (bounded memory): InputError naming a file that
        is truncated or not a sweep's table."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        paths = [self.runs_path] + ([self.series_path] if self.with_series else [])
        for path in paths:
            if not path.exists():
                continue
            try:
                for _ in pq.ParquetFile(path).iter_batches(batch_size=MERGE_ROWS,
                                                           use_threads=False):
                    pass
            except (pa.ArrowException, OSError, ValueError) as exc:
                raise corrupt(path, exc) from None
        read_table(self.runs_path, columns=["run_id", "status"])

    def clean(self) -> None:
        """Remove debris of a killed write: temporary files and series parts without runs."""
        for folder in (self.out, self.parts):
            if folder.is_dir():
                for tmp in folder.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)
        if self.parts.is_dir():
            for series in self.parts.glob("series-*.parquet"):
                if not (self.parts / ("runs-" + series.name[len("series-"):])).exists():
                    series.unlink(missing_ok=True)

    def read_manifest(self) -> dict[str, Any] | None:
        if not self.manifest_path.exists():
            return None
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"unreadable manifest: {exc}", source=str(self.manifest_path)) from None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        from ..io.atomic import atomic_write_text
        from ..io.provenance import jsonable

        atomic_write_text(json.dumps(jsonable(manifest), indent=2) + "\n", self.manifest_path)

    def finished(self, n_runs: int, retry_errors: bool) -> tuple[np.ndarray, np.ndarray]:
        """Boolean masks over run ids: runs on disk that count as done, and those with errors."""
        import numpy as np
        import pyarrow.compute as pc

        done = np.zeros(n_runs, dtype=bool)
        failed = np.zeros(n_runs, dtype=bool)
        for path in self.sources():
            table = read_table(path, columns=["run_id", "status"])
            ids = table["run_id"].to_numpy()
            ok = pc.equal(table["status"], "ok").to_numpy(zero_copy_only=False)
            if self.with_series and not self.series_partner(path).exists():
                # Its series were moved aside (or lost): its ok runs must run again.
                ids, ok = ids[~ok], ok[~ok]
            inside = ids < n_runs
            done[ids[ok & inside]] = True
            failed[ids[~ok & inside]] = True
        failed &= ~done
        return (done if retry_errors else done | failed), failed

    def write_part(self, rows: list[dict[str, Any]], columns: list[str], token: str) -> None:
        """Write finished rows (and their series) as one atomic part file pair."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.parquet as pq

        from ..io.atomic import atomic_write

        ids = sorted(r["run_id"] for r in rows)
        digest = hashlib.sha1(f"{token}:{','.join(map(str, ids))}".encode()).hexdigest()[:10]
        stem = f"{ids[0]:09d}-{ids[-1]:09d}-{digest}"
        # Rows are not modified: if this write is interrupted, the retry must find them whole.
        series = [(r["run_id"], r["_series"]) for r in rows if "_series" in r]
        if series:
            tables = [pa.table({"run_id": np.full(len(s["step"]), run_id, dtype=np.int64), **s})
                      for run_id, s in series]
            table = pa.concat_tables(tables, promote_options="permissive")
            atomic_write(self.parts / f"series-{stem}.parquet", lambda tmp: pq.write_table(table, tmp))
        extra = [c for r in rows for c in r if c not in columns and c != "_series"]
        names = columns + list(dict.fromkeys(extra))
        runs = pa.table({c: pa.array([r.get(c) for r in rows]) for c in names})
        atomic_write(self.parts / f"runs-{stem}.parquet", lambda tmp: pq.write_table(runs, tmp))

    def consolidate(self, n_runs: int, columns: list[str], rows_per_run: int,
                    with_series: bool) -> dict[str, int]:
        """Merge every source into runs.parquet (and series.parquet), sorted by run id.

        Works through the run ids in chunks, reading from each part only the rows in the chunk,
        so memory is bounded by the chunk however large the sweep. Where a run appears twice (a
        retried error, or a kill between merging and removing parts) the "ok" row wins.
        """
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        spans = []
        for path in self.sources():
            ids = read_table(path, columns=["run_id"])["run_id"]
            if len(ids):
                spans.append((path, pc.min(ids).as_py(), pc.max(ids).as_py()))
        if not spans:
            raise InputError("no finished runs to merge", source=str(self.out))
        schema = ordered_schema([read_schema(p) for p, _, _ in spans], columns)
        series_spans = []
        for path, lo, hi in spans if with_series else ():
            partner = self.series_partner(path)
            if partner.exists():
                series_spans.append((partner, lo, hi))
        series_schema = (ordered_schema([read_schema(p) for p, _, _ in series_spans],
                                         ["run_id", "step"]) if series_spans else None)
        chunk = max(1, min(MERGE_ROWS, MERGE_ROWS // max(1, rows_per_run) if with_series
                           else MERGE_ROWS))
        counts = {"ok": 0, "error": 0}
        runs_tmp = self.out / f".runs.parquet.{uuid.uuid4().hex}.tmp"
        series_tmp = self.out / f".series.parquet.{uuid.uuid4().hex}.tmp"
        runs_writer = pq.ParquetWriter(runs_tmp, schema)
        series_writer = pq.ParquetWriter(series_tmp, series_schema) if series_schema else None
        try:
            for lo in range(0, n_runs, chunk):
                hi = lo + chunk
                pieces = [read_range(p, lo, hi, schema) for p, a, b in spans if a < hi and b >= lo]
                if not pieces:
                    continue
                table = dedupe(pa.concat_tables(pieces), ["run_id"], prefer_ok=True)
                runs_writer.write_table(table)
                ok = pc.equal(table["status"], "ok")
                n_ok = pc.sum(ok).as_py() or 0
                counts["ok"] += n_ok
                counts["error"] += len(table) - n_ok
                if series_writer is not None:
                    ok_ids = table.filter(ok)["run_id"]
                    parts = [read_range(p, lo, hi, series_schema)
                             for p, a, b in series_spans if a < hi and b >= lo]
                    if parts:
                        rows = pa.concat_tables(parts)
                        rows = rows.filter(pc.is_in(rows["run_id"], value_set=ok_ids))
                        series_writer.write_table(dedupe(rows, ["run_id", "step"]))
                # Hand Arrow's freed chunk back now, not at the allocator's leisure.
                pa.default_memory_pool().release_unused()
            runs_writer.close()
            if series_writer is not None:
                series_writer.close()
                os.replace(series_tmp, self.series_path)
            # runs.parquet last: its presence with status "complete" in the manifest is the
            # commit point of the merge.
            os.replace(runs_tmp, self.runs_path)
        except BaseException:
            for tmp in (runs_tmp, series_tmp):
                tmp.unlink(missing_ok=True)
            raise
        finally:
            runs_tmp.unlink(missing_ok=True)
            series_tmp.unlink(missing_ok=True)
        return counts

    def remove_parts(self) -> None:
        if self.parts.is_dir():
            for part in self.parts.glob("*.parquet"):
                part.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                self.parts.rmdir()



__all__ = ["MERGE_ROWS", "PART_SERIES_ROWS", "PART_SIZE", "Store"]
