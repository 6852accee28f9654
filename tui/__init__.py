"""bitsota-tui: the Textual app miners run over SSH (tui.md). Importing this package imports nothing."""
