"""Attach to a running sidecar or spawn one we own (tui.md §8.1)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx

from core.errors import BitsotaError
from tui.logic.files import bitsota_home, logs_dir
from tui.services import processes
from tui.services.processes import Child

PROBE_TIMEOUT_S = 0.5
START_DEADLINE_S = 10.0


class SidecarStartError(BitsotaError):
    """The sidecar could not be attached to or started (the message says why)."""


def probe(url: str) -> str:
    """"sidecar" when a sidecar answers /health, "other" for another program, "none" when nobody answers."""
    try:
        response = httpx.get(f"{url}/health", timeout=PROBE_TIMEOUT_S)
    except httpx.HTTPError:
        return "none"
    try:
        return "sidecar" if response.json().get("status") == "ok" else "other"
    except (ValueError, AttributeError):
        return "other"


def ensure_sidecar(host: str, port: int, run_label: str, env: dict[str, str]) -> Child | None:
    """None when a sidecar already listens (attached, not owned); else the spawned, healthy child."""
    url = f"http://{host}:{port}"
    found = probe(url)
    if found == "sidecar":
        return None
    if found == "other":
        raise SidecarStartError(f"port {port} is used by another program; set BITSOTA_SIDECAR_PORT")
    argv = processes.python_module("sidecar", "--host", host, "--port", str(port), "--journal-dir",
                                   str(bitsota_home() / "sidecar-journal"), "--exit-with-parent", str(os.getpid()))
    child = processes.spawn("sidecar", argv, logs_dir() / f"sidecar-{run_label}.log", env)
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        if probe(url) == "sidecar":
            return child
        if not child.alive():
            break
        time.sleep(0.1)
    processes.stop(child, wait_s=1.0)
    tail = " | ".join(processes.tail(child.log_path, 5))
    raise SidecarStartError(f"Sidecar failed to start: {tail}")


def log_path(child: Child | None) -> Path | None:
    return child.log_path if child else None
