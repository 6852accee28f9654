"""core.cli and core.listen: what every entry point shares (a reader that goes away, one-line usage errors,
checked ports and URLs, the port bound before a service announces itself), with real subprocesses."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from core.cli import EXIT_BROKEN_PIPE, OneLineParser, http_url, port_number
from core.listen import BindError, bind_sockets
from tests.helpers import free_port, wait_for

REPO = Path(__file__).resolve().parents[2]
SGD_DSL = REPO / "tests" / "golden" / "dsl" / "00_sgd_linear_regressor.d4.out.dsl"
MINER = ("scripts.miner_local_og", "--task-type", "scalar_linear", "--engine", "baseline", "--validate-every", "0",
         "--log-every", "1", "--iterations", "0")


def into_closed_pipe(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `python -m argv` with standard output a pipe whose reader has already gone."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", *argv], cwd=REPO, stdout=write_end, stderr=subprocess.PIPE,
                              text=True, timeout=timeout)
    finally:
        os.close(write_end)


ENTRY_POINTS = {
    "validator.score": ("validator.score", str(SGD_DSL), "--task-type", "scalar_linear", "--input-dim", "4",
                        "--task-count", "2", "--json"),
    "miner, in-process worker": (*MINER, "--workers", "1"),
    "miner, two worker processes": (*MINER, "--workers", "2"),
    "core.dsl check": ("core.dsl", "check", str(SGD_DSL), "--input-dim", "4"),
    "core.datasets path": ("core.datasets", "path"),
    "core.config show": ("core.config", "show"),
    "pool_monitor --once": ("scripts.pool_monitor", "--once", "--pool-url", "http://127.0.0.1:1"),
}


@pytest.mark.parametrize("argv", ENTRY_POINTS.values(), ids=ENTRY_POINTS.keys())
def test_a_reader_that_went_away_ends_the_command_quietly(argv):
    done = into_closed_pipe(*argv)
    assert done.returncode == EXIT_BROKEN_PIPE == 128 + signal.SIGPIPE, done.stderr
    for noise in ("Traceback", "BrokenPipeError", "Exception ignored"):
        assert noise not in done.stderr


def processes_marked(mark: str) -> list[str]:
    """Live processes whose environment holds `mark` (Linux /proc)."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if mark.encode() in environ.read_bytes():
                found.append(environ.parent.name)
        except OSError:  # gone meanwhile, or not ours to read
            pass
    return found


def test_piping_the_miner_into_head_prints_one_line_and_stops_it_with_its_workers():
    token = uuid.uuid4().hex
    mark = f"BITSOTA_TEST_MARK={token}"
    miner = subprocess.Popen([sys.executable, "-m", *MINER, "--workers", "2"], cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={**os.environ, "BITSOTA_TEST_MARK": token})
    head = subprocess.run(["head", "-1"], stdin=miner.stdout, capture_output=True, text=True, timeout=60)
    miner.stdout.close()
    try:
        assert miner.wait(timeout=60) == EXIT_BROKEN_PIPE
    finally:
        miner.kill()
    assert head.stdout.startswith("[coord] start task=scalar_linear") and head.stdout.count("\n") == 1
    assert "Traceback" not in miner.stderr.read()
    miner.stderr.close()
    wait_for(lambda: not processes_marked(mark), timeout=10, what="the miner's worker processes to end")


def test_run_main_passes_the_status_through_and_leaves_other_errors_alone():
    code = ("import sys; from core.cli import run_main; "
            "sys.exit(run_main(lambda x: print(x) or 3, 'hello') + (run_main(lambda: None) is None))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (4, "hello\n")
    failing = subprocess.run([sys.executable, "-c", "from core.cli import run_main; run_main(lambda: 1 / 0)"],
                             cwd=REPO, capture_output=True, text=True, timeout=60)
    assert failing.returncode == 1 and "ZeroDivisionError" in failing.stderr


def test_usage_errors_are_one_line_with_status_2(capsys):
    parser = OneLineParser(prog="prog")
    parser.add_argument("--port", type=port_number)
    parser.add_argument("--url", type=http_url)
    for argv, message in ((["--port", "65536"], "port must be 0-65535, got 65536"),
                          (["--port", "x"], "invalid port_number value: 'x'"),
                          (["--url", "localhost:8002"], "not an http(s) URL: 'localhost:8002'"),
                          (["--url", "http://"], "not an http(s) URL: 'http://'"),
                          (["--bogus"], "unrecognized arguments: --bogus")):
        with pytest.raises(SystemExit) as stop:
            parser.parse_args(argv)
        assert stop.value.code == 2
        assert capsys.readouterr().err == f"prog: error: argument {argv[0]}: {message}\n".replace(
            "argument --bogus: ", "")
    args = parser.parse_args(["--port", "0", "--url", "https://relay.example:8002/"])
    assert (args.port, args.url) == (0, "https://relay.example:8002/")


def test_subcommand_parsers_are_one_line_too(capsys):
    parser = OneLineParser(prog="prog")
    parser.add_subparsers(dest="command", required=True).add_parser("check").add_argument("--n", type=int)
    with pytest.raises(SystemExit):
        parser.parse_args(["check", "--n", "x"])
    assert capsys.readouterr().err == "prog check: error: argument --n: invalid int value: 'x'\n"
    assert isinstance(parser, argparse.ArgumentParser)


# ---------------------------------------------------------------- core.listen


def test_a_busy_port_is_one_line_naming_the_service():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(BindError) as busy:
            bind_sockets("127.0.0.1", port, "relay")
    assert str(busy.value) == f"port {port} is in use (another relay? try GET http://127.0.0.1:{port}/health)"


def test_bound_sockets_accept_once_listening():
    port = free_port()
    sockets = bind_sockets("127.0.0.1", port, "pool")
    try:
        assert [sock.getsockname() for sock in sockets] == [("127.0.0.1", port)]
        sockets[0].listen()
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    finally:
        for sock in sockets:
            sock.close()


def test_a_name_binds_every_address_it_resolves_to():
    """As asyncio (and so uvicorn's own bind) does: `localhost` serves IPv4 and, where present, IPv6."""
    port = free_port()
    resolved = {info[4][0] for info in socket.getaddrinfo("localhost", port, type=socket.SOCK_STREAM)}
    sockets = bind_sockets("localhost", port, "sidecar")
    try:
        bound = {sock.getsockname()[0] for sock in sockets}
        assert "127.0.0.1" in bound and bound <= resolved
        assert all(sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) for sock in sockets
                   if sock.family == socket.AF_INET6)
    finally:
        for sock in sockets:
            sock.close()


def test_an_unknown_host_or_foreign_address_is_one_line():
    with pytest.raises(BindError, match=r"^sidecar: cannot resolve no-such-host\.invalid: "):
        bind_sockets("no-such-host.invalid", free_port(), "sidecar")
    with pytest.raises(BindError, match=r"^pool: cannot bind 192\.0\.2\.1:\d+: "):
        bind_sockets("192.0.2.1", free_port(), "pool")  # TEST-NET-1: never an address of this machine


def test_a_bitsota_error_at_the_edge_is_one_line_and_status_1(capsys):
    from core.cli import EXIT_FAILURE, run_main
    from core.errors import BitsotaError

    def main() -> int:
        raise BitsotaError("the relay refused: bad signature")

    assert run_main(main) == EXIT_FAILURE == 1
    assert capsys.readouterr().err == "error: the relay refused: bad signature\n"


def test_any_other_error_at_the_edge_keeps_its_traceback():
    from core.cli import run_main

    def main() -> int:
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        run_main(main)
