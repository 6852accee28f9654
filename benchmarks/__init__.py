"""bitsota benchmarks package."""
