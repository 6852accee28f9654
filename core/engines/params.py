"""Engine parameters with the defaults, clipping and limits of algorithm.md §12.5."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from core.program import Program, empty_program

MAX_VECTOR_DIM = 1024
# Parameters that fix the memory shape of every program; a checkpoint must agree on them (§15).
SHAPE_FIELDS = (
    "input_dim", "scalar_count", "vector_count", "matrix_count", "vector_dim",
    "setup_max_ops", "predict_max_ops", "learn_max_ops",
)


@dataclass(frozen=True)
class EngineParams:
    """Configuration of one engine. Out-of-range tournament size and mutation probability are clipped;
    other out-of-range values raise ValueError naming the parameter."""

    input_dim: int = 16
    pop_size: int = 100
    tournament_size: int = 10
    mutation_prob: float = 0.9
    archive_size: int = 1000
    scalar_count: int = 20
    vector_count: int = 10
    matrix_count: int = 5
    vector_dim: int | None = None  # None: input_dim
    setup_max_ops: int = 64
    predict_max_ops: int = 64
    learn_max_ops: int = 64

    def __post_init__(self) -> None:
        _require_range("input_dim", self.input_dim, 1, MAX_VECTOR_DIM)
        _require_range("pop_size", self.pop_size, 1, None)
        _require_range("archive_size", self.archive_size, 1, None)
        _require_range("scalar_count", self.scalar_count, 2, 20)
        _require_range("vector_count", self.vector_count, 1, 10)
        _require_range("matrix_count", self.matrix_count, 0, 64)
        for phase in ("setup", "predict", "learn"):
            _require_range(f"{phase}_max_ops", getattr(self, f"{phase}_max_ops"), 0, None)
        vector_dim = self.input_dim if self.vector_dim is None else self.vector_dim
        _require_range("vector_dim", vector_dim, self.input_dim, MAX_VECTOR_DIM)
        object.__setattr__(self, "vector_dim", vector_dim)
        object.__setattr__(self, "tournament_size", min(max(int(self.tournament_size), 1), self.pop_size))
        object.__setattr__(self, "mutation_prob", min(max(float(self.mutation_prob), 0.0), 1.0))

    def new_program(self) -> Program:
        """An empty program of the configured shape (§12.1)."""
        return empty_program(
            self.input_dim,
            scalar_count=self.scalar_count,
            vector_count=self.vector_count,
            matrix_count=self.matrix_count,
            vector_dim=self.vector_dim,
            setup_max_ops=self.setup_max_ops,
            predict_max_ops=self.predict_max_ops,
            learn_max_ops=self.learn_max_ops,
        )

    def shape(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in SHAPE_FIELDS}

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> EngineParams:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def _require_range(name: str, value, low: int, high: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f">= {low}" if high is None else f"in {low}..{high}"
        raise ValueError(f"{name} must be {bounds}, got {value}")
