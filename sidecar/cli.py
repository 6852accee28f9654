"""`python -m sidecar`: bind, serve with uvicorn, stop on signals or when the parent is gone (sidecar.md §1)."""

from __future__ import annotations

import ipaddress
import signal
import socket
import sys
from collections.abc import Sequence

import uvicorn

from core.listen import BindError, bind_sockets, service_url
from sidecar.app import create_app
from sidecar.config import parse_config
from sidecar.journal import RUNS_DIR
from sidecar.parentwatch import ParentWatch


class _Server(uvicorn.Server):
    """uvicorn's server that announces itself on stderr once it accepts connections."""

    def __init__(self, config: uvicorn.Config, ready_line: str):
        super().__init__(config)
        self.ready_line = ready_line

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        if not self.should_exit:
            _say(self.ready_line)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def is_loopback(host: str) -> bool:
    """True when every address `host` resolves to is a loopback address."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return False
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_config(argv)
    if not config.allow_remote and not is_loopback(config.host):
        _say(f"sidecar: refusing to bind non-loopback address {config.host} without --allow-remote "
             "(the API has no authentication)")
        return 2
    if config.journal_dir is not None:
        try:
            (config.journal_dir / RUNS_DIR).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            _say(f"sidecar: cannot use journal directory {config.journal_dir}: {exc.strerror or exc}")
            return 1
    try:
        sockets = bind_sockets(config.host, config.port, "sidecar")
    except BindError as exc:
        _say(str(exc))
        return 1
    port = sockets[0].getsockname()[1]
    journal = config.journal_dir if config.journal_dir is not None else "off"
    server = _Server(
        uvicorn.Config(create_app(config), log_level=config.log_level, access_log=False, lifespan="on"),
        ready_line=f"sidecar listening on {service_url(config.host, port)} journal={journal}",
    )
    if config.exit_with_parent is not None:
        _watch_parent(config.exit_with_parent, server)
    try:
        server.run(sockets=sockets)  # on SIGTERM uvicorn re-raises it after a clean shutdown: status -15
    except KeyboardInterrupt:  # SIGINT, re-raised the same way
        return 128 + signal.SIGINT
    return 0


def _watch_parent(pid: int, server: uvicorn.Server) -> None:

    def parent_gone() -> None:
        _say(f"sidecar: parent process {pid} is gone; exiting")
        server.should_exit = True

    watch = ParentWatch(pid, on_gone=parent_gone, on_detach=lambda: _say(f"sidecar: detached from parent {pid}"))
    signal.signal(signal.SIGUSR1, lambda signum, frame: watch.detach())
    watch.start()
