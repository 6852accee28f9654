"""Engine parameters with the defaults, clipping and limits of algorithm.md §12.5."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from core.engines.search_fitness import COMBINE_MODES
from core.engines.task_score import DEFAULT_CALIBRATION, TASK_SCORES
from core.engines.typed_ops import OP_SPACES
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
    # `evolve` only (the specified engines ignore them)
    op_space: str = "all"  # typed forms drawn from: all, or the AutoML-Zero demo's six ops
    batch_size: int = 32  # children evaluated per generation; clipped to pop_size // 4 (at least 1)
    search_fitness: str = "median"  # median (validator's, -inf included) or mean (failed task = 0)
    task_score: str = "calibrated"  # calibrated (credit up to a scale, regression suites) or validator
    calibration: float = DEFAULT_CALIBRATION  # weight of the calibrated score's scale penalty; 0 = scale-free
    random_init_fraction: float = 0.5  # share of random (vs empty) programs in the first population
    held_out_tasks: int = 32  # tasks of the same family a child also scores on when it reaches the population's best
    restart_after: int = 200_000  # evaluations without a 0.001 gain of the run's best before a fresh population; 0 = never
    adaptive: bool = False  # learn form and operator weights from which children beat their parents
    local_search_every: int = 50_000  # evaluations between steepest-ascent climbs from the population's best; 0 = never

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
        _require_range("batch_size", self.batch_size, 1, None)
        _require_range("held_out_tasks", self.held_out_tasks, 0, None)
        _require_range("restart_after", self.restart_after, 0, None)
        _require_range("local_search_every", self.local_search_every, 0, None)
        # a batch breeds from one population state: keep it a small share of the population
        object.__setattr__(self, "batch_size", min(self.batch_size, max(1, self.pop_size // 4)))
        _require_choice("op_space", self.op_space, OP_SPACES)
        _require_choice("search_fitness", self.search_fitness, COMBINE_MODES)
        _require_choice("task_score", self.task_score, TASK_SCORES)
        if isinstance(self.calibration, bool) or not isinstance(self.calibration, (int, float)) \
                or not 0.0 <= self.calibration <= 1.0:
            raise ValueError(f"calibration must be a number in 0..1, got {self.calibration!r}")
        if not 0.0 <= float(self.random_init_fraction) <= 1.0:
            raise ValueError(f"random_init_fraction must be in 0..1, got {self.random_init_fraction}")

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


def _require_choice(name: str, value, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
