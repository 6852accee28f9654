"""Updating a Static only when what it shows changes: every update repaints the widget, and one whose size may
change also costs a layout pass over the whole screen (the panes update once a second, and under a log flood
each pass delays key presses)."""

from __future__ import annotations

from textual.widgets import Static


def show(widget: Static, content, fixed_size: bool = False) -> None:
    """`fixed_size`: the widget's size does not depend on its content (CSS fixes it), so no layout pass."""
    if widget.content != content:
        widget.update(content, layout=not fixed_size)
