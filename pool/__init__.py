"""bitsota pool package."""
