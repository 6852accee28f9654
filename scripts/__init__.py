"""bitsota scripts package."""
