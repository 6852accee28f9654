"""The command palette's bitsota entries (tui.md §12.2), next to Textual's built-in ones."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

COMMANDS = (
    ("Start mining", "start_mining", "Run the start sequence"),
    ("Stop mining", "stop_mining", "Stop the miner"),
    ("Restart sidecar", "restart_sidecar", "Stop mining and start a fresh sidecar"),
    ("Reset local test state", "reset_local_state", "--local: empty the local relay database and saved population"),
    ("Switch task type", "next_task_type", "Cycle the task type"),
    ("Set workers", "next_workers", "Cycle the worker count"),
    ("Select wallet", "tab('wallet')", "Open the Wallet tab"),
    ("Create test hotkey", "new_hotkey", "A fresh unencrypted TEST hotkey"),
    ("Import hotkey", "import_hotkey", "Import a hotkey from its mnemonic"),
    ("Set coldkey address", "set_coldkey", "Where rewards go"),
    ("Copy hotkey address", "copy_address", "OSC 52 copy"),
    ("Copy candidate DSL", "copy_dsl", "The selected candidate's DSL"),
    ("Re-verify candidate", "reverify", "Re-score the selected candidate"),
    ("Export candidates", "export_candidates", "Write candidates as JSON lines"),
    ("Clear logs", "clear_logs", "Empty the logs pane"),
    ("Toggle log follow", "toggle_follow", "Pause or resume following the logs"),
    ("Log level filter", "log_level", "Cycle the levels the logs pane shows (e)"),
    ("Log source filter", "log_source", "Cycle the process whose lines the logs pane shows (o)"),
    ("Open pool monitor", "tab('pool')", "The Pool tab"),
    ("Show config paths", "show_paths", "Which config files are in use"),
    ("Open log file location", "show_log_dir", "Where the logs are written"),
    ("Check for updates", "check_updates", "Compare with the update manifest"),
    ("User guide", "user_guide", "The welcome guide"),
    ("Change theme", "change_theme", "Pick a theme"),
    ("Screenshot", "screenshot", "Save an SVG screenshot"),
)


class BitsotaCommands(Provider):
    """Each entry runs an App action by name."""

    async def discover(self) -> Hits:
        for name, action, help_text in COMMANDS:
            yield DiscoveryHit(name, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action, help_text in COMMANDS:
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self.app.run_action, action), help=help_text)
