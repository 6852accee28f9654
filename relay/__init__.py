"""bitsota relay package."""
