"""bitsota tui package."""
