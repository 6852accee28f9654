"""Small commands the UI gives the session (the App never assigns a session field). Mixed into
`MiningSession`."""

from __future__ import annotations

from tui.services import processes


class UiCommandsMixin:
    def set_coldkey(self, address: str, save: bool = True) -> None:
        self.coldkey = address
        if save:
            self.save_wallet_settings()

    def select_task_type(self, task_type: str) -> None:
        """The controls' task type, used for the SOTA shown while idle."""
        self.selected_task_type = task_type

    def start_local_services(self) -> None:
        """`--local` (tui.md §10): spawn the relay and the validator and point the session at that relay."""
        from tui.services.local_stack import LocalStackError, start_local_services

        try:
            services = start_local_services(self.config.env, self.config.local_relay_port)
        except (LocalStackError, OSError) as exc:
            self.log(f"ERROR: {exc}")
            return
        self.local_services = services
        self.config.relay_url = services.relay_url
        self.log(f"Local relay on {services.relay_url} (pid {services.relay.pid}); "
                 f"validator pid {services.validator.pid}")
        self.save()

    def reset_local_state(self) -> bool:
        """The palette's "Reset local test state": stop the local relay and validator, delete the relay
        database and the saved population of `--local`, start the services again. Refused while mining."""
        from tui.services.local_stack import reset_local_state

        if self.running or not self.config.local:
            self.log("[warning] Reset local test state: only in --local mode, with mining stopped")
            return False
        for child in ([self.local_services.relay, self.local_services.validator] if self.local_services else []):
            processes.stop(child)
        self.local_services = None
        removed = reset_local_state()
        self.log(f"Local test state reset (removed {', '.join(removed) or 'nothing'}); restarting the local relay")
        self.start_local_services()
        return True

    def use_local_relay(self) -> bool:
        """Point relay calls at the `--local` relay (started or re-attached); False when there is none."""
        if self.local_services is None:
            return False
        self.config.relay_url = self.local_services.relay_url
        return True

    def restart_sidecar(self) -> None:
        """Stop mining and the owned sidecar; the next start spawns a fresh one."""
        self.stop_mining()
        if self.sidecar_child is not None:
            processes.stop(self.sidecar_child)
            self.sidecar_child = None
        self.log("Sidecar stopped; the next start spawns a fresh one.")
