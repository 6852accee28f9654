"""Following a child's log file (the `--local` relay and validator): the complete lines written since the
last read, from the end of the file at the first read."""

from __future__ import annotations

from pathlib import Path

READ_LIMIT = 64 * 1024  # at most this much per read; a burst beyond it is skipped, the file keeps it


class FileTail:
    def __init__(self, path: Path | None, backlog: int = 4096) -> None:
        self.path = path
        self._offset: int | None = None
        self._backlog = backlog  # bytes of history shown at the first read
        self._partial = b""

    def read_lines(self) -> list[str]:
        if self.path is None:
            return []
        try:
            with open(self.path, "rb") as handle:
                size = handle.seek(0, 2)
                if self._offset is None or size < self._offset:  # first read, or the file was truncated
                    self._offset, self._partial = max(0, size - self._backlog), b""
                start = max(self._offset, size - READ_LIMIT)
                handle.seek(start)
                data = handle.read(size - start)
        except OSError:
            return []
        self._offset = size
        *lines, self._partial = (self._partial + data).split(b"\n")
        return [line.decode("utf-8", errors="replace").rstrip("\r") for line in lines if line.strip()]
