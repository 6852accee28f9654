"""`bitsota-tui --web` (issue 12 §4): textual-serve on 127.0.0.1 only, driven by a real headless Chromium; a
browser tab attaches to the recorded run, and closing it stops nothing. The browser's screenshot is saved in
the test's directory (`web-tab.png`)."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import httpx
import pytest

from sidecar.client import SidecarClient
from tests.helpers import free_port, wait_for
from tests.tui.procs import processes_mentioning
from tui.logic.state_file import TuiState, load_state, pid_alive, save_state
from tui.web import tab_command, tunnel_command

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_tab_command_keeps_the_flags_but_the_web_ones():
    command = tab_command(["--web", "--web-port", "9000", "--local", "--theme", "ansi-dark", "--web-port=1"])
    assert command.endswith("-m tui --web-tab --local --theme ansi-dark")


def test_tunnel_command_names_the_address_the_user_came_in_on():
    assert tunnel_command(8765, {"SSH_CONNECTION": "10.0.0.5 50000 192.168.1.20 22"}).endswith(
        "-L 8765:127.0.0.1:8765 " + os.environ.get("USER", "root") + "@192.168.1.20") or \
        "-L 8765:127.0.0.1:8765" in tunnel_command(8765, {})


class Cdp:
    """The few Chrome DevTools Protocol calls the test needs, over aiohttp's websocket client."""

    def __init__(self, ws) -> None:
        self.ws, self.next_id = ws, 0

    async def call(self, method: str, **params) -> dict:
        self.next_id += 1
        await self.ws.send_json({"id": self.next_id, "method": method, "params": params})
        while True:
            message = await self.ws.receive_json(timeout=30)
            if message.get("id") == self.next_id:
                return message.get("result", {})

    async def evaluate(self, expression: str):
        result = await self.call("Runtime.evaluate", returnByValue=True, expression=expression)
        return result.get("result", {}).get("value")


async def _until(probe, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await probe()
        if value:
            return value
        await asyncio.sleep(0.25)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _tui_log(home: Path) -> str:
    return "".join(path.read_text(errors="replace") for path in (home / ".bitsota" / "logs").glob("tui-*.log"))


async def _drive_browser(devtools_port: int, url: str, shot: Path, home: Path, run_id: str) -> None:
    async with httpx.AsyncClient() as client:
        targets = (await client.get(f"http://127.0.0.1:{devtools_port}/json/list")).json()
    page = next(t for t in targets if t.get("type") == "page")
    async with aiohttp.ClientSession() as http, http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
        cdp = Cdp(ws)
        await cdp.call("Page.enable")
        await cdp.call("Page.navigate", url=url)

        async def drawing() -> bool:  # textual-serve marks the page once the app's first frame arrived
            return await cdp.evaluate("document.body.classList.contains('-first-byte')")

        async def attached() -> bool:
            return f"Re-attached to run {run_id}" in _tui_log(home)

        await _until(drawing, 60, "the tab's first frame")
        await _until(attached, 60, "the tab's TUI re-attached to the run")
        await asyncio.sleep(2)  # the header and panes of the re-attached run are drawn
        png = await cdp.call("Page.captureScreenshot", format="png")
        shot.write_bytes(base64.b64decode(png["data"]))
        await cdp.call("Page.navigate", url="about:blank")  # closes the tab's websocket


def _tab_processes(home: Path) -> dict[int, str]:
    return {pid: cmd for pid, cmd in processes_mentioning(home).items() if "--web-tab" in cmd}


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install -y chromium)")
def test_browser_tab_attaches_to_the_run_and_closing_it_stops_nothing(home, sidecar_server, tmp_path):
    with SidecarClient(sidecar_server.url) as sidecar:
        run_id = sidecar.start_run(meta={"task_type": "scalar_linear", "workers": 1, "test_mode": True})
    # a stand-in miner; like the real one it takes SIGUSR1 (leave running) without ending
    miner = subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGUSR1, signal.SIG_IGN);"
                              " time.sleep(300)"], start_new_session=True)
    save_state(TuiState(sidecar_url=sidecar_server.url, miner_pid=miner.pid, miner_pgid=miner.pid, run_id=run_id,
                        started_at_s=time.time(), test_mode=True))
    port, devtools = free_port(), free_port()
    env = {**os.environ, "HOME": str(home)}
    server = subprocess.Popen([sys.executable, "-m", "tui", "--web", "--web-port", str(port), "--relay-url",
                               "http://127.0.0.1:9", "--pool-url", "http://127.0.0.1:9", "--sidecar-port",
                               sidecar_server.url.rsplit(":", 1)[1], "--theme", "textual-dark"],
                              cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)
    browser = None
    try:
        wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200, timeout=30,
                 what="the web server")
        refused = httpx.get(f"http://127.0.0.1:{port}/ws", headers={"Origin": "http://evil.example",
                                                                    "Connection": "Upgrade", "Upgrade": "websocket",
                                                                    "Sec-WebSocket-Version": "13",
                                                                    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
        assert refused.status_code == 403  # another site's page cannot drive the TUI through the tunnel
        browser = subprocess.Popen([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
                                    f"--remote-debugging-port={devtools}", f"--user-data-dir={tmp_path}/chromium",
                                    "--window-size=1280,800", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                                    "about:blank"],  # no internet: the page's web font fails at once
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for(lambda: httpx.get(f"http://127.0.0.1:{devtools}/json/version", timeout=1).status_code == 200,
                 timeout=30, what="Chromium's DevTools endpoint")
        shot = tmp_path / "web-tab.png"
        asyncio.run(_drive_browser(devtools, f"http://127.0.0.1:{port}/", shot, home, run_id))
        print(f"browser screenshot: {shot}")
        assert shot.stat().st_size > 20_000  # a drawn TUI, not the empty intro page
        wait_for(lambda: not _tab_processes(home), timeout=30, what="the tab's TUI to end with the tab")
        assert pid_alive(miner.pid)  # closing the tab stopped nothing
        saved = load_state()
        assert saved is not None and saved.run_id == run_id and saved.miner_pid == miner.pid
        with SidecarClient(sidecar_server.url) as sidecar:
            assert sidecar.state(run_id=run_id)["status"] != "stopped"
    finally:
        for process in (browser, server):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(15)
        os.killpg(miner.pid, signal.SIGKILL)
        miner.wait(10)
    output = server.stdout.read()
    assert f"ssh -N -L {port}:127.0.0.1:{port}" in output, output
