"""bitsota sidecar package."""
