"""The one-step neighbourhood of a program, and a steepest-ascent climb through it (the `evolve` engine's
local search, `EngineParams.local_search_every`).

In the full op space one instruction of one form with the right registers is drawn about once in a million
random mutations, so a lineage whose best is one instruction away from a better program can wait minutes
for it. The neighbourhood lists every well-typed instruction of the op space once, for the memory shape
(constants from `CONSTANT_GRID`), and every program that inserts one of them, replaces one instruction by
one of them, or removes one instruction, in any phase; for the AutoML-Zero demo's shape that is about 25,000
programs, most of them functionally equal to one another (FEC hits). A bigger neighbourhood is sampled.
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


class Neighbourhood:
    """The programs one edit away from `program`, addressed by index so that a big one can be sampled."""

    def __init__(self, program: Program, instructions: Sequence[Instruction]) -> None:
        self.program = program
        self.instructions = instructions
        self._edits: list[tuple[str, int, str]] = []  # (phase, position, "insert" | "replace" | "remove")
        for phase in PHASES:
            length, room = len(program.phase(phase)), len(program.phase(phase)) < program.capacity(phase)
            for position in range(length + 1):
                if room:
                    self._edits.append((phase, position, "insert"))
                if position < length:
                    self._edits.append((phase, position, "replace"))
            self._edits += [(phase, position, "remove") for position in range(length)]
        self._starts = list(itertools.accumulate((1 if kind == "remove" else len(instructions) for _, _, kind in self._edits),
                                                 initial=0))

    def __len__(self) -> int:
        return self._starts[-1]

    def __getitem__(self, index: int) -> Program:
        edit = bisect.bisect_right(self._starts, index) - 1
        phase, position, kind = self._edits[edit]
        instructions = list(self.program.phase(phase))
        if kind == "remove":
            del instructions[position]
        elif kind == "insert":
            instructions.insert(position, self.instructions[index - self._starts[edit]])
        else:
            instructions[position] = self.instructions[index - self._starts[edit]]
        child = sharing_copy(self.program)
        setattr(child, phase, instructions)
        return child

    def sample(self, rng: random.Random, limit: int) -> Iterator[Program]:
        """Every neighbour, in order, or `limit` distinct ones drawn uniformly when there are more."""
        indices = range(len(self)) if len(self) <= limit else sorted(rng.sample(range(len(self)), limit))
        return (self[i] for i in indices)


def climb(program: Program, fitness: float, evaluator, instructions: Sequence[Instruction], rng: random.Random, *,
          limit: int = DEFAULT_LIMIT, steps: int = DEFAULT_STEPS) -> tuple[list[tuple[Program, float]], int]:
    """Steepest ascent from `program` (of search fitness `fitness`): at most `steps` times, score its
    neighbourhood with `evaluator.fitness_many` and move to the fittest neighbour while it is strictly fitter
    (the first in neighbourhood order on a tie). Returns the programs it moved to, with their fitness, and
    the number of programs scored."""
    path: list[tuple[Program, float]] = []
    scored = 0
    for _ in range(steps):
        best, best_fitness = None, fitness
        neighbours = Neighbourhood(program, instructions).sample(rng, limit)
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
