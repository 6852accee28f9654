"""Helpers for the end-to-end tests: miner submissions, validator wallets and validator subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from core import signing

# Plain SGD linear regression; on the validator's scalar_linear suite at d=4 (task_count 8) the reference
# scores it 0.9999286056897141 (golden scalar_linear_scores.jsonl, hand/sgd_lr0.01/d4).
SGD_DSL = "# setup\ns2 = 0.01\n# predict\ns0 = dot(v1, v0)\n# learn\ns3 = s1 - s0\ns4 = s2 * s3\nv2 = s4 * v0\nv1 = v1 + v2\n"
SGD_D4_SCORE = 0.9999286056897141
CONSTANT_DSL = "# predict\ns0 = 0.25\n"

VALIDATOR_ENV = {"VALIDATOR_TASK_COUNT": "8", "VALIDATOR_TASK_SEED": "", "BITSOTA_VALIDATOR_HYPERPARAMS_PATH": ""}


def algorithm(dsl: str, **extra) -> dict:
    return {"algorithm_dsl": dsl, "task_type": "scalar_linear", "input_dim": 4, **extra}


def submit(relay_url: str, miner, algorithm_result: dict, score: float) -> httpx.Response:
    body = {"task_id": "run:0:1", "algorithm_result": algorithm_result, "score": score}
    return httpx.post(f"{relay_url}/submit_solution", json=body, headers=signing.signed_headers(miner, "miner"), timeout=10)


def jsonl_records(path: Path, event: str | None = None) -> list[dict]:
    """The objects of a JSONL file (none while it does not exist), optionally only the records of one event."""
    if not path.exists():
        return []
    parsed = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [r for r in parsed if event is None or r["event"] == event]


class ValidatorProcess:
    """A validator subprocess writing its output to `log_path`; SIGTERM stops it cleanly."""

    log_path: Path
    metrics_path: Path
    process: subprocess.Popen | None = None

    def _spawn(self, args: list[str], env: dict, cwd: Path | None = None) -> None:
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(args, env=env, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT)

    def terminate(self) -> int:
        assert self.process is not None, "terminate() before the process was started"
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self._log.close()
        return code

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
            self._log.close()

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def records(self, event: str | None = None) -> list[dict]:
        return jsonl_records(self.metrics_path, event)


class Validator(ValidatorProcess):
    """A `python -m validator.local_validator` subprocess with its own hotkey, log and metrics file."""

    def __init__(self, tmp_path: Path, name: str, relay_url: str, *flags: str, env: dict | None = None) -> None:
        self.dir = tmp_path / name
        self.dir.mkdir()
        self.keypair = signing.create_test_hotkey(name, "hot", self.dir / "wallets", uri=f"//{name}")
        self.metrics_path = self.dir / "metrics.log"
        self.log_path = self.dir / "validator.log"
        self.args = [sys.executable, "-m", "validator.local_validator", "--relay-url", relay_url,
                     "--wallet-name", name, "--wallet-hotkey", "hot", "--wallet-path", str(self.dir / "wallets"),
                     "--metrics-log", str(self.metrics_path), "--poll-interval", "0.5", "--stats-interval", "0",
                     "--relay-client-log-level", "ERROR", *flags]
        self.env = {**os.environ, **VALIDATOR_ENV, **(env or {})}

    def run_once(self) -> subprocess.CompletedProcess:
        proc = subprocess.run([*self.args, "--once"], env=self.env, capture_output=True, text=True, timeout=120)
        self.log_path.write_text(proc.stderr)
        return proc

    def start(self) -> Validator:
        self._spawn(self.args, self.env)
        return self


FAKE_CHAIN_DIR = Path(__file__).parent / "fake_chain"
REPO_ROOT = Path(__file__).resolve().parents[2]


class ValidatorNode(ValidatorProcess):
    """A `python -m validator.node -c <yaml>` subprocess on the fake chain of tests/validator/fake_chain.

    The metagraph is `hotkeys` in uid order; the node's own hotkey (`//<name>`) must be among them to pass the
    rate-limit gate. `config` is written as the node's YAML config; set_weights calls land in `calls()`.
    """

    def __init__(self, tmp_path: Path, name: str, hotkeys: list[str], config: dict) -> None:
        import yaml

        self.dir = tmp_path / name
        self.dir.mkdir()
        self.keypair = signing.create_test_hotkey(name, "hot", self.dir / "wallets", uri=f"//{name}")
        self.config_path = self.dir / "validator_config.yaml"
        self.config_path.write_text(yaml.safe_dump(
            {"wallet_name": name, "wallet_hotkey": "hot", "path": str(self.dir / "wallets"), **config}))
        self.calls_path = self.dir / "set_weights.jsonl"
        self.log_path = self.dir / "node.log"
        self.metrics_path = self.dir / "validator_node_metrics.log"    # the node writes it in its working directory
        python_path = os.pathsep.join(filter(None, [str(FAKE_CHAIN_DIR), str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
        self.env = {**os.environ, **VALIDATOR_ENV, "PYTHONPATH": python_path,
                    "FAKE_BITTENSOR_HOTKEYS": ",".join(hotkeys), "FAKE_BITTENSOR_CALLS": str(self.calls_path)}

    def start(self) -> ValidatorNode:
        self._spawn([sys.executable, "-m", "validator.node", "-c", str(self.config_path)], self.env, cwd=self.dir)
        return self

    def calls(self) -> list[dict]:
        return jsonl_records(self.calls_path)
