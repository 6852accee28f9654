"""bitsota miner package."""
