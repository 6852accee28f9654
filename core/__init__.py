"""bitsota core: programs, DSL, evaluators, tasks, scoring, verification, engines, signing."""

__version__ = "0.1.0"  # the one version of bitsota (pyproject reads it; relay, pool, sidecar import it)
