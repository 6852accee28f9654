"""The original local-testing guide, section by section, with real processes on loopback:
§1 test-mode relay, §2 GUI config, §2a sidecar and miner, §3 local validator, §4 the whole loop
(a candidate signed and submitted as the TUI does, re-scored, voted, finalized), then the same with two
validators and SOTA_CONSENSUS_VOTES=2.
"""

from __future__ import annotations

import json

import httpx

from core import signing
from sidecar.client import SidecarClient
from tests.e2e.services import VOTE_TIMEOUT_S
from tests.e2e.tui_like import TuiLikeSubmitter
from tui.logic import settings as gui_settings

# Guide §4 needs candidates: the TUI's miner validates every N generations (here often, and not for ever).
CANDIDATE_FLAGS = ("--validate-every", "10", "--iterations", "150", "--seed", "11")


def get(url: str, **kwargs) -> httpx.Response:
    return httpx.get(url, timeout=10, **kwargs)


def miner_keypair(workdir):
    """A btcli-layout hotkey, loaded the way the TUI loads the selected wallet."""
    wallets = workdir / "wallets"
    signing.create_test_hotkey("miner", "miner_hot", wallets)
    return signing.load_hotkey("miner", "miner_hot", wallets)


def test_section_1_relay_quick_checks_and_admin(stack, workdir):
    relay = stack.relay().start()
    assert (workdir / "bitsota_relay_test.db").is_file()  # --database-url sqlite:///./... is relative to cwd
    assert get(f"{relay.url}/health").json()["status"] == "healthy"
    threshold = get(f"{relay.url}/sota_threshold").json()
    assert (threshold["task_type"], threshold["sota_threshold"]) == ("global", 0.0)
    assert get(f"{relay.url}/sota-events", params={"page": 1, "page_size": 10}).json()["total"] == 0
    dashboard = get(f"{relay.url}/admin/dashboard", auth=("admin", "dev"))
    assert dashboard.status_code == 200 and "<title>Relay Admin Dashboard</title>" in dashboard.text
    status = get(f"{relay.url}/admin/status", headers={"X-Auth-Token": "dev"}).json()
    assert (status["status"], status["db_ok"], status["test_mode"]) == ("healthy", True, True)
    assert get(f"{relay.url}/admin/status").status_code == 401
    assert relay.stop() == 0
    assert "Relay listening on http://127.0.0.1:" in relay.log()


def test_section_2_gui_config_points_the_tui_at_the_local_relay(stack, workdir, monkeypatch):
    relay = stack.relay().start()
    config = {"relay_endpoint": relay.url, "update_manifest_url": f"{relay.url}/version.json", "test_mode": True,
              "test_invite_code": "TESTTEST1", "miner_validate_every_n_generations": 1000,
              "problem_config_path": "./problem_config.json"}
    (workdir / "gui_config.json").write_text(json.dumps(config))
    monkeypatch.chdir(workdir)
    monkeypatch.delenv("BITSOTA_GUI_CONFIG", raising=False)
    settings, path, warnings = gui_settings.load()
    assert (path, warnings) == (workdir / "gui_config.json", [])
    assert (settings.relay_endpoint, settings.test_mode, settings.problem_config_path) == (
        relay.url, True, "./problem_config.json")
    assert "version" in get(settings.update_manifest_url).json()
    from miner.relay_client import RelayClient

    with RelayClient(settings.relay_endpoint, miner_keypair(workdir), "miner") as client:
        assert client.link_invite(settings.test_invite_code)  # TESTTEST1 works in relay test mode


def test_section_2a_sidecar_and_the_guide_miner(stack):
    sidecar = stack.sidecar().start()
    health = get(f"{sidecar.url}/health").json()
    assert health["status"] == "ok"
    assert get(f"{sidecar.url}/state").json()["status"] == "idle"
    miner = stack.miner(sidecar.url, "local_debug").start()  # the guide's exact flags: mines until stopped

    def progress_lines() -> list[str]:
        items = get(f"{sidecar.url}/logs", params={"cursor": 0, "limit": 20}).json()["items"]
        return [item["message"] for item in items if " Iter " in item.get("message", "")]

    miner.wait_until(lambda: {line[:4] for line in progress_lines()} >= {"[w0]", "[w1]"}, "progress from both workers")
    assert miner.alive
    assert miner.stop(timeout=30) == 0
    state = get(f"{sidecar.url}/state").json()
    assert (state["run_id"], state["status"]) == ("local_debug", "stopped")
    assert get(f"{sidecar.url}/candidates", params={"cursor": 0, "limit": 20}).json()["items"] == []


def mine_and_submit(stack, workdir, relay, sidecar, run_id: str) -> TuiLikeSubmitter:
    """Guide §4: the miner reports candidates to the sidecar; the TUI-like client submits the first one."""
    submitter = TuiLikeSubmitter(relay.url, sidecar.url, run_id, miner_keypair(workdir), workdir)
    miner = stack.miner(sidecar.url, run_id, *CANDIDATE_FLAGS).start()
    assert miner.wait(timeout=90) == 0, miner.tail()
    submitter.poll()
    assert submitter.outcomes, "the miner produced no candidate"
    assert len(submitter.submitted()) == 1, submitter.outcomes  # then the 60 s cooldown parks the rest
    return submitter


def test_section_3_and_4_the_whole_loop_with_one_validator(stack, workdir, validator_suite):
    relay = stack.relay(votes=1).start()
    sidecar = stack.sidecar().start()
    validator = stack.validator(relay.url, "local_val").start()
    submitter = mine_and_submit(stack, workdir, relay, sidecar, "local_e2e")
    [candidate] = submitter.submitted()
    score = candidate["verified"] if "verified" in candidate else candidate["validator_score"]

    state = SidecarClient(sidecar.url).state("local_e2e")  # the TUI's Local SOTA comes from here
    assert (state["local_sota"], state["successful_submissions"]) == (score, 1)
    validator.wait_until(lambda: get(f"{relay.url}/sota_threshold").json()["sota_threshold"] > 0, "the SOTA to rise",
                         VOTE_TIMEOUT_S)
    assert get(f"{relay.url}/sota_threshold").json()["sota_threshold"] == score  # the validator's bit-identical score
    events = get(f"{relay.url}/sota-events", params={"page": 1, "page_size": 10}).json()
    assert events["total"] == 1
    assert (events["results"][0]["miner_hotkey"], events["results"][0]["score"]) == (submitter.relay.hotkey, score)
    assert validator.alive
    assert validator.stop() == 0
    assert "Local validator stopped (polls=" in validator.log()


def test_section_3_two_validators_with_consensus_of_two(stack, workdir, validator_suite):
    relay = stack.relay(votes=2).start()
    sidecar = stack.sidecar().start()
    validators = [stack.validator(relay.url, name).start() for name in ("local_val", "local_val2")]
    submitter = mine_and_submit(stack, workdir, relay, sidecar, "two_validators")
    [candidate] = submitter.submitted()
    validators[1].wait_until(lambda: get(f"{relay.url}/sota_threshold").json()["sota_threshold"] > 0,
                             "two votes to finalize", VOTE_TIMEOUT_S)
    score = get(f"{relay.url}/sota_threshold").json()["sota_threshold"]
    assert score == candidate.get("verified", candidate["validator_score"])
    assert get(f"{relay.url}/sota-events").json()["total"] == 1
    voted = [json.loads(line) for v in validators for line in (v.cwd / f"{v.name}_metrics.log").read_text().splitlines()]
    assert sum(1 for record in voted if record["event"] == "sota_update") == 1  # one validator saw it finalize
    assert [v.stop() for v in validators] == [0, 0]
