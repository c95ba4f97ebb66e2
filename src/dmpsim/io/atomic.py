"""Writing files atomically: beside the destination under a temporary name, then renamed into
place, so that a process killed mid-write leaves the old file or the new one, never a torn one.
Also the one check that an output folder can be a folder."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["atomic_write", "atomic_write_csv", "atomic_write_parquet", "atomic_write_text",
           "check_out_folder"]


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp)` on a temporary path beside `path`, then rename it to `path`."""
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
    return atomic_write(path, lambda tmp: df.to_parquet(tmp, index=False))


def atomic_write_csv(df: pd.DataFrame, path: Path) -> Path:
    return atomic_write(path, lambda tmp: df.to_csv(tmp, index=False))


def atomic_write_text(text: str, path: Path) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def check_out_folder(out: Path, key: str = "--out") -> None:
    """Raise InputError if `out` cannot be a results folder: a file, or under a file."""
    if out.exists() and not out.is_dir():
        raise InputError("is a file, not a folder; choose another", source=str(out), key=key)
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{parent} is a file, not a folder", source=str(out), key=key)
            break
