"""Theme choice (tui.md §12.3)."""

from __future__ import annotations

import os
from collections.abc import Mapping

RETRO_THEME = "bitsota-retro"


def pick_theme(setting: str | None, env: Mapping[str, str] | None = None) -> str:
    """`auto` picks `ansi-dark` over SSH unless the terminal announces true colour; else `textual-dark`."""
    env = os.environ if env is None else env
    if setting and setting != "auto":
        return setting
    over_ssh = bool(env.get("SSH_CONNECTION") or env.get("SSH_TTY"))
    truecolor = env.get("COLORTERM", "").lower() in ("truecolor", "24bit")
    return "ansi-dark" if over_ssh and not truecolor else "textual-dark"
