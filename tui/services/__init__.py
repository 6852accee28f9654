"""The TUI's headless services: child processes, the sidecar, the `--local` stack, the mining session."""
