"""The one-step neighbourhood of a program, and a steepest-ascent climb through it (the `evolve` engine's
local search, `EngineParams.local_search_every`).

In the full op space one instruction of one form with the right registers is drawn about once in a million
random mutations, so a lineage whose best is one instruction away from a better program can wait minutes
for it. The neighbourhood lists every well-typed instruction of the op space once, for the memory shape
(constants from `CONSTANT_GRID`), and every program that inserts one of them, replaces one instruction by
one of them, or removes one instruction, in any phase; for the AutoML-Zero demo's shape that is about 25,000
programs, most of them functionally equal to one another (FEC hits). A bigger neighbourhood is sampled.

`ScaleEdits` adds the two-instruction edits that scale a register by a fresh constant (`sK = c` in setup and
`X = sK * X` in predict or learn): the DSL has no immediate operands, so a learning rate or an output scale is
two instructions, and a Hebbian rule that is right up to a scale waits on both at once.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator, Sequence

from core.engines.generator import ProgramGenerator
from core.engines.mutation import sharing_copy
from core.program import NONE, PHASES, Instruction, Op, Program, float32, new_instruction

CONSTANT_GRID = (-1.0, -0.1, -0.01, 0.01, 0.1, 1.0)
DEFAULT_LIMIT = 30_000  # neighbours scored per climbing step, at most
DEFAULT_STEPS = 5
BATCH = 2_000  # programs per evaluator call


def every_instruction(generator: ProgramGenerator) -> list[Instruction]:
    """Each form of the generator's op space with every register of each kind it reads and writes; CONST and
    CONST_VEC (at every element) take each constant of CONSTANT_GRID, GAUSSIAN and UNIFORM the standard
    parameters (0, 1)."""
    made = []
    for form in generator.forms:
        if form.op in (Op.GAUSSIAN, Op.UNIFORM):
            constants = [(0.0, 1.0)]
        elif form.op == Op.CONST:
            constants = [(float32(c), 0.0) for c in CONSTANT_GRID]
        elif form.op == Op.CONST_VEC:
            constants = [(float(i), float32(c)) for i in range(generator.vector_dim) for c in CONSTANT_GRID]
        else:
            constants = [(0.0, 0.0)]
        slots = [generator.registers(kind) if kind else [NONE] for kind in (form.arg1, form.arg2, form.dest)]
        for (arg1, arg2, dest), (c1, c2) in itertools.product(itertools.product(*slots), constants):
            made.append(new_instruction((form.op, arg1, arg2, dest, c1, c2)))
    return made


class Indexed:
    """Neighbours addressed by index (`__len__`, `__getitem__`), so that a big set can be sampled."""

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, index: int) -> Program:
        raise NotImplementedError

    def sample(self, rng: random.Random, limit: int) -> Iterator[Program]:
        """Every neighbour, in order, or `limit` distinct ones drawn uniformly when there are more."""
        indices = range(len(self)) if len(self) <= limit else sorted(rng.sample(range(len(self)), limit))
        return (self[i] for i in indices)


def gaps(program: Program, phase: str) -> list[tuple[int, str]]:
    """Where one instruction can go in a phase: (position, "insert" | "replace"), in order."""
    length = len(program.phase(phase))
    room = length < program.capacity(phase)
    return [(position, kind) for position in range(length + 1)
            for kind, possible in (("insert", room), ("replace", position < length)) if possible]


def edited(instructions: Sequence[Instruction], position: int, kind: str, instruction: Instruction | None) -> list[Instruction]:
    """`instructions` with one edit; `instruction` is None for a removal."""
    changed = list(instructions)
    if instruction is None:
        del changed[position]
    elif kind == "insert":
        changed.insert(position, instruction)
    else:
        changed[position] = instruction
    return changed


class Neighbourhood(Indexed):
    """The programs one edit away from `program`."""

    def __init__(self, program: Program, instructions: Sequence[Instruction]) -> None:
        self.program = program
        self.instructions = instructions
        self._edits: list[tuple[str, int, str]] = []  # (phase, position, "insert" | "replace" | "remove")
        for phase in PHASES:
            self._edits += [(phase, position, kind) for position, kind in gaps(program, phase)]
            self._edits += [(phase, position, "remove") for position in range(len(program.phase(phase)))]
        self._starts = list(itertools.accumulate((1 if kind == "remove" else len(instructions) for _, _, kind in self._edits),
                                                 initial=0))

    def __len__(self) -> int:
        return self._starts[-1]

    def __getitem__(self, index: int) -> Program:
        edit = bisect.bisect_right(self._starts, index) - 1
        phase, position, kind = self._edits[edit]
        instruction = None if kind == "remove" else self.instructions[index - self._starts[edit]]
        child = sharing_copy(self.program)
        setattr(child, phase, edited(self.program.phase(phase), position, kind, instruction))
        return child


class ScaleEdits(Indexed):
    """`sK = c` inserted into or replacing a setup instruction (K any scalar, c in CONSTANT_GRID) together with
    `X = sK * X` inserted into or replacing a predict or learn instruction (X any other register of a kind the
    op space multiplies by a scalar); none when the op space has no scalar CONST."""

    def __init__(self, program: Program, generator: ProgramGenerator) -> None:
        self.program = program
        forms = {(form.op, form.arg1, form.arg2, form.dest) for form in generator.forms}
        self.scalars = list(generator.registers("s")) if (Op.CONST, None, None, "s") in forms else []
        self.targets = [register for kind in ("s", "v") if (Op.MUL, "s", kind, kind) in forms
                        for register in generator.registers(kind)]
        self.setups = gaps(program, "setup")
        self.bodies = [(phase, position, kind) for phase in ("predict", "learn") for position, kind in gaps(program, phase)]
        self._per_constant = len(self.setups) * len(self.bodies) * max(len(self.targets) - 1, 0)

    def __len__(self) -> int:
        return len(self.scalars) * len(CONSTANT_GRID) * self._per_constant

    def __getitem__(self, index: int) -> Program:
        scalar, rest = divmod(index, len(CONSTANT_GRID) * self._per_constant)
        constant, rest = divmod(rest, self._per_constant)
        setup, rest = divmod(rest, len(self.bodies) * (len(self.targets) - 1))
        body, target = divmod(rest, len(self.targets) - 1)
        k = self.scalars[scalar]
        x = [register for register in self.targets if register != k][target]
        child = sharing_copy(self.program)
        position, kind = self.setups[setup]
        child.setup = edited(self.program.setup, position, kind,
                             new_instruction((Op.CONST, NONE, NONE, k, float32(CONSTANT_GRID[constant]), 0.0)))
        phase, position, kind = self.bodies[body]
        setattr(child, phase, edited(self.program.phase(phase), position, kind, new_instruction((Op.MUL, k, x, x, 0.0, 0.0))))
        return child


def climb(program: Program, fitness: float, evaluator, generator: ProgramGenerator, instructions: Sequence[Instruction],
          rng: random.Random, *, limit: int = DEFAULT_LIMIT, steps: int = DEFAULT_STEPS) -> tuple[list[tuple[Program, float]], int]:
    """Steepest ascent from `program` (of search fitness `fitness`): at most `steps` times, score its
    neighbourhood and scale edits (each sampled to `limit`) with `evaluator.fitness_many` and move to the
    fittest neighbour while it is strictly fitter (the first in order on a tie). Returns the programs it moved
    to, with their fitness, and the number of programs scored."""
    path: list[tuple[Program, float]] = []
    scored = 0
    for _ in range(steps):
        best, best_fitness = None, fitness
        neighbours = itertools.chain(Neighbourhood(program, instructions).sample(rng, limit),
                                     ScaleEdits(program, generator).sample(rng, limit))
        while batch := list(itertools.islice(neighbours, BATCH)):
            scored += len(batch)
            for child, value in zip(batch, evaluator.fitness_many(batch)):
                if value > best_fitness:
                    best, best_fitness = child, value
        if best is None:
            break
        program, fitness = best, best_fitness
        path.append((program, fitness))
    return path, scored
