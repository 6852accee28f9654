"""bitsota core: programs, DSL, evaluators, tasks, scoring, verification, engines, signing."""

__version__ = "0.1.0"
