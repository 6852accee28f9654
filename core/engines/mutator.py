"""Every mutation operator of the `evolve` engine, in one place: AutoML-Zero's set.

- insert: a random instruction at a random position of a phase with room;
- remove: a random instruction of a non-empty phase;
- randomize_instruction: one instruction replaced by a fresh random one;
- randomize_phase: a whole phase redrawn (same length; 1..capacity when it was empty);
- alter_param: one parameter of one instruction: a register (redrawn within its kind, so the form stays
  well-typed) or a constant (scaled on a log scale, sometimes negated; a CONST_VEC index is redrawn).

Operators edit a copy; `mutate` returns the child and the operator's index (for adaptive operator choice).
Copy on write: the child shares its parent's phase lists, and an operator replaces the phase it edits by an
edited copy (never editing a list in place), so a program and its relatives may share lists; no code edits a
population program's phase in place.
An operator that cannot apply to a program (e.g. remove on an empty program) falls back to the next one.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from core.engines.generator import ProgramGenerator, below, constant
from core.engines.mutation import sharing_copy
from core.engines.typed_ops import CONSTANT_SLOTS
from core.program import NONE, PHASES, Instruction, Op, Program, address_kind, new_instruction

Operator = Callable[[random.Random, Program], bool]
OPERATOR_NAMES = ("insert", "remove", "randomize_instruction", "randomize_phase", "alter_param")
FLIP_PROBABILITY = 0.1
LOG_SCALE_SIGMA = 1.0
CONSTANT_LIMIT = 1e6  # altered constants stay far inside float32


class Mutator:
    """Applies one of `operators` (names from OPERATOR_NAMES) to a copy of a parent."""

    def __init__(self, generator: ProgramGenerator, operators: tuple[str, ...] = OPERATOR_NAMES) -> None:
        unknown = set(operators) - set(OPERATOR_NAMES)
        if unknown or not operators:
            raise ValueError(f"unknown mutation operators {sorted(unknown)}; choose from {', '.join(OPERATOR_NAMES)}")
        self.generator = generator
        self.names = tuple(operators)
        self._operators: list[Operator] = [getattr(self, name) for name in self.names]

    def mutate(self, rng: random.Random, parent: Program, choice: int | None = None) -> tuple[Program, int]:
        """A mutated copy of `parent` and the index of the operator that changed it (-1: none could)."""
        child = sharing_copy(parent)
        first = below(rng, len(self._operators)) if choice is None else choice
        for step in range(len(self._operators)):
            index = (first + step) % len(self._operators)
            if self._operators[index](rng, child):
                return child, index
        return child, -1

    # ------------------------------------------------------------------ operators

    def insert(self, rng: random.Random, program: Program) -> bool:
        phase = _pick_phase(rng, (len(program.setup) < program.setup_max_ops)
                            | (len(program.predict) < program.predict_max_ops) << 1
                            | (len(program.learn) < program.learn_max_ops) << 2)
        if phase is None:
            return False
        instructions = list(getattr(program, phase))
        instructions.insert(below(rng, len(instructions) + 1), self.generator.instruction(rng))
        setattr(program, phase, instructions)
        return True

    def remove(self, rng: random.Random, program: Program) -> bool:
        phase = _pick_phase(rng, _non_empty(program))
        if phase is None:
            return False
        instructions = list(getattr(program, phase))
        del instructions[below(rng, len(instructions))]
        setattr(program, phase, instructions)
        return True

    def randomize_instruction(self, rng: random.Random, program: Program) -> bool:
        phase = _pick_phase(rng, _non_empty(program))
        if phase is None:
            return False
        instructions = list(getattr(program, phase))
        instructions[below(rng, len(instructions))] = self.generator.instruction(rng)
        setattr(program, phase, instructions)
        return True

    def randomize_phase(self, rng: random.Random, program: Program) -> bool:
        phase = _pick_phase(rng, (program.setup_max_ops > 0) | (program.predict_max_ops > 0) << 1
                            | (program.learn_max_ops > 0) << 2)
        if phase is None:
            return False
        count = len(program.phase(phase)) or rng.randint(1, program.capacity(phase))
        self.generator.fill(rng, program, phase, count)
        return True

    def alter_param(self, rng: random.Random, program: Program) -> bool:
        phase = _pick_phase(rng, _non_empty(program))
        if phase is None:
            return False
        instructions = list(getattr(program, phase))
        index = below(rng, len(instructions))
        instructions[index] = self._altered(rng, instructions[index])
        setattr(program, phase, instructions)
        return True

    def _altered(self, rng: random.Random, ins: Instruction) -> Instruction:
        # parameters by field index: arg1, arg2, dest (1-3) where used, then the constants the op reads (4, 5)
        params = [field for field in (1, 2, 3) if ins[field] != NONE]
        params += (4, 5)[: CONSTANT_SLOTS.get(ins.op, 0)]
        field = params[below(rng, len(params))]
        if field >= 4:
            value = self._altered_constant(rng, ins.op, "c1" if field == 4 else "c2", ins[field])
            return Instruction.make(*(ins._replace(c1=value) if field == 4 else ins._replace(c2=value)))
        kind = address_kind(int(ins[field]))
        if kind is None:
            slot = ("arg1", "arg2", "dest")[field - 1]
            raise ValueError(f"instruction {ins} has a negative {slot} address other than NONE")
        fields = list(ins)
        fields[field] = self.generator.register(rng, kind)
        return new_instruction(fields)

    def _altered_constant(self, rng: random.Random, op: int, slot: str, value: float) -> float:
        if op == Op.CONST_VEC and slot == "c1":
            return float(below(rng, self.generator.vector_dim))
        if value == 0.0 or not math.isfinite(value):
            return constant(rng)
        if rng.random() < FLIP_PROBABILITY:
            return -value
        scaled = value * math.exp(rng.gauss(0.0, LOG_SCALE_SIGMA))
        return max(-CONSTANT_LIMIT, min(CONSTANT_LIMIT, scaled))


# The phases whose bit is set in a mask (bit 0: setup, 1: predict, 2: learn), in PHASES order.
_PHASES_OF_MASK = tuple(tuple(name for bit, name in enumerate(PHASES) if mask >> bit & 1) for mask in range(8))


def _pick_phase(rng: random.Random, eligible: int) -> str | None:
    """A uniform phase among those of the mask `eligible` (no draw when there is none)."""
    phases = _PHASES_OF_MASK[eligible]
    return phases[below(rng, len(phases))] if phases else None


def _non_empty(program: Program) -> int:
    return bool(program.setup) | bool(program.predict) << 1 | bool(program.learn) << 2
