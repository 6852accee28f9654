"""The TUI's panes and modals, one module per panel."""
