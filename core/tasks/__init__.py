"""Task registry, recipes and suites (algorithm.md §8, §10, §11)."""
