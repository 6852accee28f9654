"""The TUI's display logic without any textual import (tui.md §13): log-line formatting, the batched
bounded line buffer of the log panes and stats extraction from the sidecar's `/state`.

`benchmarks.profiling.gui_like` drives these same functions to profile what the TUI does per event.
"""
