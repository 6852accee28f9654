"""The real relay (`relay.app.create_app`) under uvicorn in a thread, on a free port, test mode, temp SQLite."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import uvicorn

from tests.helpers import free_port, wait_for


class RelayServer:
    """Start, stop and restart (same port, same database) a test-mode relay."""

    def __init__(self, db_path: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_path = db_path
        self.env = {"BITSOTA_TEST_MODE": "1", "DATABASE_URL": f"sqlite:///{db_path}", "RELAY_LOG_FILE": "",
                    "SOTA_ALIGNMENT_MOD": "1", **env}
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> RelayServer:
        from relay.app import create_app
        from relay.settings import load_settings

        config = uvicorn.Config(create_app(load_settings(self.env)), host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="relay", daemon=True)
        self._thread.start()
        wait_for(lambda: httpx.get(f"{self.url}/health", timeout=1).status_code == 200, timeout=30, what="relay /health")
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=15)
            assert not self._thread.is_alive(), "relay did not stop"
            self._server = None

    def sota_threshold(self) -> float:
        return httpx.get(f"{self.url}/sota_threshold", timeout=5).json()["sota_threshold"]

    def public_events(self) -> dict:
        return httpx.get(f"{self.url}/sota-events", timeout=5).json()
