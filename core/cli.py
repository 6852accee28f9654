"""What every command-line entry point shares: a reader that goes away (`... | head -1`) ends the command
quietly, with the status a shell reports for a tool stopped by SIGPIPE, instead of a BrokenPipeError traceback;
a `BitsotaError` that reaches the edge is one line `error: ...` and status 1; a usage error is one line, not argparse's usage block; ports and URLs are checked as they are parsed; a file
argument may be `-` for standard input.

    if __name__ == "__main__":
        sys.exit(run_main(main))
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Callable, NoReturn
from urllib.parse import urlsplit

from core.errors import BitsotaError

EXIT_FAILURE = 1
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE


def run_main(main: Callable[..., int | None], *args) -> int | None:
    """`main(*args)`'s exit status; EXIT_FAILURE after one line for a BitsotaError, EXIT_BROKEN_PIPE once
    standard output's reader has gone."""
    try:
        status = main(*args)
        if sys.stdout is not None:  # None when the command was started with standard output closed
            sys.stdout.flush()  # a closed pipe shows up here, not in the interpreter's final flush
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    except BitsotaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    return status


def _discard_stdout() -> None:
    """Point standard output at /dev/null, so the flush at interpreter exit has nowhere to fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def port_number(text: str) -> int:
    """argparse type: a TCP port, 0-65535 (0 binds a free one)."""
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535, got {port}")
    return port


def http_url(text: str) -> str:
    """argparse type: an http:// or https:// URL with a host."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"not an http(s) URL: {text!r}")
    return text


def read_file_argument(path: str) -> str:
    """The text of a file argument, where `-` means standard input (raises OSError)."""
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as handle:
        return handle.read()


class OneLineParser(argparse.ArgumentParser):
    """argparse whose usage errors are one line on stderr (`prog: error: ...`) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")
