"""The one way bitsota replaces a file: write a temporary file beside it, fsync it, rename it over the old
one, fsync the directory. A reader sees the old file or the new one, never half of either, even after a
crash or a kill -9; a failed write leaves the old file and no temporary behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import IO, Any, Callable


def write_atomic(path: str | Path, write: Callable[[IO[Any]], object], *, text: bool = False,
                 file_mode: int | None = None) -> None:
    """Replace `path` with what `write(handle)` writes (bytes, or str when `text`); `file_mode` is its chmod."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w" if text else "wb", **({"encoding": "utf-8"} if text else {})) as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if file_mode is not None:
            os.chmod(temp_name, file_mode)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def write_json_atomic(path: str | Path, data: Any, *, file_mode: int | None = None, **dump_options: Any) -> None:
    """Replace `path` with `data` as JSON; `dump_options` go to `json.dump` (indent, sort_keys, allow_nan...)."""
    write_atomic(path, lambda handle: json.dump(data, handle, **dump_options), text=True, file_mode=file_mode)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable; some platforms cannot open a directory, and the rename is atomic anyway."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
