"""`bitsota-tui --web`: the same app in a browser through textual-serve.

The server listens on 127.0.0.1 only; a miner reaches it through an SSH tunnel, whose command is printed at
start. Each browser tab runs `bitsota-tui --web-tab` with the other flags given, which re-attaches to the run
recorded in the state file and leaves every process running when the tab closes. A websocket whose `Origin`
is not this server's own loopback address is refused, so another web page open in the same browser cannot
drive the TUI through the tunnel.
"""

from __future__ import annotations

import getpass
import os
import shlex
import socket
import sys
from collections.abc import Mapping, Sequence

from aiohttp import web
from textual_serve.server import Server

HOST = "127.0.0.1"


def tab_command(argv: Sequence[str]) -> str:
    """The shell command textual-serve runs for each browser tab: these flags less the --web ones."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--web-port":
            skip = True
        elif arg != "--web" and not arg.startswith("--web-port=") and arg != "--web-tab":
            kept.append(arg)
    return shlex.join([sys.executable, "-m", "tui", "--web-tab", *kept])


def tunnel_command(port: int, env: Mapping[str, str] | None = None) -> str:
    """The `ssh -L` a miner runs on their own computer; the host is the address they reached us on."""
    ssh = (os.environ if env is None else env).get("SSH_CONNECTION", "").split()
    host = ssh[2] if len(ssh) == 4 else socket.getfqdn()
    return f"ssh -N -L {port}:{HOST}:{port} {getpass.getuser()}@{host}"


def allowed_origins(port: int) -> set[str]:
    return {f"http://{HOST}:{port}", f"http://localhost:{port}"}


class LoopbackServer(Server):
    """textual-serve's server that refuses websockets opened by other sites' pages."""

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        origin = request.headers.get("Origin")
        if origin is not None and origin not in allowed_origins(self.port):
            raise web.HTTPForbidden(text=f"websocket from origin {origin} refused")
        return await super().handle_websocket(request)

    async def on_startup(self, app: web.Application) -> None:
        self.console.print(f"bitsota-tui is served on http://{HOST}:{self.port} (this machine only).\n"
                           f"From your computer run:  {tunnel_command(self.port)}\n"
                           f"then open http://localhost:{self.port} . Each browser tab attaches to what runs; "
                           "closing a tab stops nothing.\nCtrl+C stops the web server (mining goes on; "
                           "bitsota-tui --stop stops it).", highlight=False, markup=False)


def serve(port: int, argv: Sequence[str]) -> int:
    try:
        with socket.socket() as probe:  # a clear message instead of aiohttp's traceback
            probe.bind((HOST, port))
    except OSError as exc:
        print(f"bitsota-tui: error: --web-port {port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    LoopbackServer(tab_command(argv), host=HOST, port=port, title="bitsota-tui").serve()
    return 0
