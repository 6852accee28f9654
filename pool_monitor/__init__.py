"""The retro pool monitor (pool.md §7): snapshot client, plain-text frame, Textual widget and app."""
