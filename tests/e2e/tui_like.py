"""What the headless submitter does with the sidecar's candidates (tui.md §7, CHANGES.md item 1), inline: follow
the candidate cursor, re-score every candidate with `python -m validator.score`, apply the submission rule of
`miner.submitter.rule`, sign and POST it with the relay client, report back to the sidecar.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from bittensor_wallet import Keypair

from miner.relay_client import RelayClient, RelayError
from miner.submitter.rule import Rescore, SubmissionBook, submission_body
from sidecar.client import SidecarClient, StreamCursor
from tests.e2e.services import ROOT, VALIDATOR_ENV, base_env


def rescore(candidate: dict, workdir: Path) -> Rescore:
    """`python -m validator.score FILE --task-type T --input-dim D --json`, as the TUI runs it."""
    dsl_file = workdir / f"candidate_{candidate['seq']}.dsl"
    dsl_file.write_text(candidate["algorithm_dsl"])
    argv = [sys.executable, "-m", "validator.score", str(dsl_file), "--task-type", candidate["task_type"],
            "--input-dim", str(candidate["input_dim"]), "--json"]
    result = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=base_env(**VALIDATOR_ENV), timeout=120)
    assert result.returncode in (0, 1), result.stderr
    score = json.loads(result.stdout.strip().splitlines()[-1])["score"]
    return Rescore(float("-inf") if score is None else score)


class TuiLikeSubmitter:
    def __init__(self, relay_url: str, sidecar_url: str, run_id: str, keypair: Keypair, workdir: Path) -> None:
        self.relay = RelayClient(relay_url, keypair, "miner")
        self.sidecar = SidecarClient(sidecar_url)
        self.run_id = run_id
        self.workdir = workdir
        self.book = SubmissionBook()  # the TUI's 60 s cooldown: one submission per test run
        self.cursor = StreamCursor()
        self.outcomes: list[tuple[dict, str]] = []  # (candidate, "submitted", "rejected", "pending" or "skipped: why")

    def close(self) -> None:
        self.relay.close()
        self.sidecar.close()

    def poll(self) -> list[tuple[dict, str]]:
        """Handle every new candidate once; the outcomes so far."""
        global_sota = self.relay.sota_threshold()
        local_sota = self.sidecar.state(self.run_id).get("local_sota")
        page = self.cursor.take(self.sidecar.candidates(self.cursor.position, run_id=self.run_id))
        for candidate in page:
            self.outcomes.append((candidate, self._handle(candidate, global_sota, local_sota)))
        return self.outcomes

    def submitted(self) -> list[dict]:
        return [candidate for candidate, outcome in self.outcomes if outcome == "submitted"]

    def _handle(self, candidate: dict, global_sota: float, local_sota: float | None) -> str:
        decision = self.book.decide(candidate, global_sota, local_sota, time.time())
        rescored = None
        if decision.action == "verify":
            rescored = rescore(candidate, self.workdir)
            decision = self.book.decide(candidate, global_sota, local_sota, time.time(), rescored)
        if decision.action == "pending":  # the cooldown after a successful submission
            self.book.park({**candidate, "rescored": rescored.score})
            return "pending"
        if decision.action != "submit":
            return f"skipped: {decision.reason}"
        score = candidate["verified"] = rescored.score  # what was submitted, for the tests to compare
        body = submission_body(candidate, self.run_id, score)
        try:
            candidate["result_id"] = self.relay.submit_solution(body["task_id"], body["algorithm_result"], score)["result_id"]
            status = "submitted"
            self.book.record_success(candidate, score, time.time())
        except RelayError as exc:
            status = "rejected"
            candidate["detail"] = exc.detail
        self.sidecar.submission_result(score, status, run_id=self.run_id)
        return status
