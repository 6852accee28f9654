"""Random instructions and the mutation operators both engines share (algorithm.md §12.2).

Programs hold immutable `Instruction` tuples, so copying a program only copies three lists; operators
mutate a fresh copy in place.
"""

from __future__ import annotations

import numpy as np

from core.program import N_OPS, NONE, OP_KINDS, PHASES, Instruction, Op, Program, address_kind, make_address

# Slot kinds (arg1, arg2, dest) indexed by opcode number, for speed.
SLOT_KINDS: tuple[tuple[str | None, str | None, str | None], ...] = tuple(OP_KINDS[Op(op)] for op in range(N_OPS))
CONSTANT_LOW, CONSTANT_HIGH = -2.0, 2.0


def clone(program: Program) -> Program:
    """A copy that shares the (immutable) instructions but not the phase lists."""
    twin = object.__new__(type(program))  # copy.copy's reduce protocol costs more than the rest of a mutation
    twin.__dict__ = fields = program.__dict__.copy()
    fields["setup"], fields["predict"], fields["learn"] = program.setup[:], program.predict[:], program.learn[:]
    return twin


def sharing_copy(program: Program) -> Program:
    """A copy that shares the phase lists too: for copy-on-write editing (replace a phase, never edit it)."""
    twin = object.__new__(type(program))
    twin.__dict__ = program.__dict__.copy()
    return twin


def uniform_phase(rng: np.random.Generator) -> str:
    return PHASES[int(rng.integers(3))]


def random_register(rng: np.random.Generator, program: Program, kind: str) -> int:
    """A uniform register of `kind`; index 0 when that bank is empty."""
    count = program.bank_count(kind)
    return make_address(kind, int(rng.integers(count)) if count > 0 else 0)


def random_constant(rng: np.random.Generator) -> float:
    return float(rng.uniform(CONSTANT_LOW, CONSTANT_HIGH))


def random_instruction(rng: np.random.Generator, program: Program) -> Instruction:
    """Uniform opcode (NOOP included), registers of the required kinds, unused slots −1, c1, c2 ~ U[−2, 2)."""
    op = int(rng.integers(N_OPS))
    arg1, arg2, dest = (random_register(rng, program, kind) if kind else NONE for kind in SLOT_KINDS[op])
    return Instruction.make(op, arg1, arg2, dest, random_constant(rng), random_constant(rng))


def mutate_component(rng: np.random.Generator, program: Program, ins: Instruction) -> Instruction:
    """One uniform choice among opcode (then recurse), one address slot, or one constant."""
    choice = int(rng.integers(3))
    if choice == 0:
        return mutate_component(rng, program, _with_new_opcode(rng, program, ins))
    if choice == 1:
        slot = int(rng.integers(3))
        kind = SLOT_KINDS[ins.op][slot] if 0 <= ins.op < N_OPS else None
        if kind is None:
            return ins
        slots = [ins.arg1, ins.arg2, ins.dest]
        slots[slot] = random_register(rng, program, kind)
        return ins._replace(arg1=slots[0], arg2=slots[1], dest=slots[2])
    value = float(np.float32(random_constant(rng)))
    return ins._replace(c1=value) if int(rng.integers(2)) == 0 else ins._replace(c2=value)


def _with_new_opcode(rng: np.random.Generator, program: Program, ins: Instruction) -> Instruction:
    """New uniform opcode; unused slots become −1, newly used empty slots get a register, others are kept."""
    op = int(rng.integers(N_OPS))
    slots = [ins.arg1, ins.arg2, ins.dest]
    for i, kind in enumerate(SLOT_KINDS[op]):
        if kind is None:
            slots[i] = NONE
        elif slots[i] == NONE:
            slots[i] = random_register(rng, program, kind)
    return Instruction(op, slots[0], slots[1], slots[2], ins.c1, ins.c2)


def has_kind_mismatch(program: Program) -> bool:
    """True when some used slot holds a register of another kind than §4.1 names (§5.3 `kind_mismatch`)."""
    for name in PHASES:
        for ins in program.phase(name):
            if not 0 <= ins.op < N_OPS:
                continue
            for addr, kind in zip((ins.arg1, ins.arg2, ins.dest), SLOT_KINDS[ins.op]):
                if kind is not None and addr >= 0 and address_kind(addr) != kind:
                    return True
    return False
