"""Watching a run's children from the poll (tui.md §6 step 1, §8.1): a miner that exited stops the run; a
submitter or an owned sidecar that died is started again once. Mixed into `MiningSession`."""

from __future__ import annotations

from core.errors import BitsotaError
from tui.services import processes


ATTACHED_SIDECAR_GONE_POLLS = 5


class ChildWatchMixin:
    def _miner_gone(self) -> bool:
        if self.miner_child is None or self.miner_child.alive():
            return False
        code = self.miner_child.exit_code()
        self.log(f"Miner process exited (code {code if code is not None else 'unknown'}).")
        for text in processes.tail(self.miner_child.log_path, 20):
            self.log(f"  {text}")
        self.stop_mining()
        return True

    def _check_submitter(self) -> None:
        """A submitter that died is started again, once per run (its status file resumes the run); one that
        finished cleanly (the run is over) is left alone."""
        child = self.submitter_child
        if (child is not None and child.alive()) or self._submitter_given_up:
            return
        if child is not None:
            self.submitter_child = None
            if child.exit_code() == 0:
                self._submitter_given_up = True
                self.log("Submitter finished: the run is over.")
                return
            self.log(f"ERROR: the submitter exited (code {child.exit_code()}); last lines:")
            for text in processes.tail(child.log_path, 10):
                self.log(f"  {text}")
        if self._submitter_restarts >= 1 or self.run_wallet is None:
            self._submitter_given_up = True
            self.log("ERROR: no submitter runs for this run: candidates are not submitted. "
                     "Stop mining and start again.")
            return
        self._submitter_restarts += 1
        self._spawn_submitter()
        self.save()

    def _check_sidecar_alive(self) -> None:
        """An owned sidecar that died is restarted once (its journal restores the run); a sidecar we only
        attached to that stays silent (its owner quit) ends the run instead of leaving it "Disconnected"."""
        child = self.sidecar_child
        if child is None:
            self._unanswered_polls += 1
            if self._unanswered_polls >= ATTACHED_SIDECAR_GONE_POLLS:
                self.log(f"ERROR: the sidecar at {self.config.sidecar_url} is gone (the bitsota-tui that started "
                         "it quit?); stopping mining")
                self.stop_mining()
            return
        if child.alive():
            return
        if self._sidecar_restarts >= 1:
            self.log("ERROR: the sidecar died again; stopping mining")
            self.stop_mining()
            return
        self._sidecar_restarts += 1
        self.log("[warning] the sidecar died; restarting it")
        try:
            self.sidecar_child = None
            self._ensure_sidecar()
        except BitsotaError as exc:
            self.log(f"ERROR: {exc}")
            self.stop_mining()

