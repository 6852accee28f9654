"""bitsota pool_monitor package."""
