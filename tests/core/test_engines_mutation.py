"""Random instructions, component mutation and the engines' program operators (algorithm.md §12.2-12.4)."""

from __future__ import annotations

import numpy as np
import pytest

from core.dsl import check_dsl, from_dsl, to_dsl
from core.engines.archive import archive_mutation, crossover, signature
from core.engines.baseline import regularized_mutation
from core.engines.mutation import (
    SLOT_KINDS,
    clone,
    has_kind_mismatch,
    mutate_component,
    random_instruction,
    random_register,
)
from core.program import N_OPS, NONE, PHASES, Instruction, Op, address_index, address_kind
from tests.core.engines_support import ScriptedRng, small_params


def assert_normal_form(program) -> None:
    for name in PHASES:
        assert len(program.phase(name)) <= program.capacity(name)
        for ins in program.phase(name):
            assert 0 <= ins.op < N_OPS
            for addr, kind in zip((ins.arg1, ins.arg2, ins.dest), SLOT_KINDS[ins.op]):
                if kind is None:
                    assert addr == NONE, f"unused slot holds {addr} in {ins}"
                else:
                    assert addr >= 0, f"used slot empty in {ins}"
                    assert address_index(addr) < max(1, program.bank_count(address_kind(addr)))
            assert float(np.float32(ins.c1)) == ins.c1 and float(np.float32(ins.c2)) == ins.c2


def test_random_instruction_covers_every_opcode_with_registers_of_the_right_kind():
    rng = np.random.Generator(np.random.PCG64(1))
    program = small_params().new_program()
    seen = set()
    for _ in range(3000):
        ins = random_instruction(rng, program)
        seen.add(ins.op)
        for addr, kind in zip((ins.arg1, ins.arg2, ins.dest), SLOT_KINDS[ins.op]):
            assert addr == NONE if kind is None else address_kind(addr) == kind and program.in_bounds(addr)
        assert -2.0 <= ins.c1 <= 2.0 and -2.0 <= ins.c2 <= 2.0
    assert seen == set(range(N_OPS))  # NOOP included


def test_random_register_of_an_empty_bank_is_index_zero():
    program = small_params(matrix_count=0).new_program()
    assert random_register(ScriptedRng(), program, "m") == 30  # no draw, m0


def test_address_mutation_resamples_one_used_slot():
    program = small_params().new_program()
    ins = Instruction.make(Op.ADD, 1, 2, 3, 0.5, 0.25)
    rng = ScriptedRng(1, 1, 0)  # address, slot arg2, register s0
    assert mutate_component(rng, program, ins) == ins._replace(arg2=0)
    assert rng.exhausted()


def test_address_mutation_of_an_unused_slot_changes_nothing():
    program = small_params().new_program()
    ins = Instruction.make(Op.ABS, 1, NONE, 2)
    rng = ScriptedRng(1, 1)  # address, slot arg2 (unused by ABS)
    assert mutate_component(rng, program, ins) == ins
    assert rng.exhausted()


def test_constant_mutation_resamples_c1_or_c2():
    program = small_params().new_program()
    ins = Instruction.make(Op.CONST, NONE, NONE, 3, 0.5, 0.25)
    rng = ScriptedRng(2, 1.5, 1)  # constant, value, c2
    assert mutate_component(rng, program, ins) == ins._replace(c2=1.5)
    rng = ScriptedRng(2, -1.75, 0)
    assert mutate_component(rng, program, ins) == ins._replace(c1=-1.75)


def test_opcode_mutation_keeps_shared_slots_even_when_their_kind_no_longer_matches():
    program = small_params().new_program()
    ins = Instruction.make(Op.ADD, 1, 2, 3)
    rng = ScriptedRng(0, int(Op.DOT), 2, 0.25, 0)  # opcode → DOT, then a constant mutation of c1
    mutated = mutate_component(rng, program, ins)
    assert mutated == Instruction.make(Op.DOT, 1, 2, 3, 0.25, 0.0)
    assert rng.exhausted()
    assert has_kind_mismatch(_program_with(program, mutated))


def test_opcode_mutation_fills_newly_used_slots_and_clears_unused_ones():
    program = small_params().new_program()
    const = Instruction.make(Op.CONST, NONE, NONE, 3, 0.5)
    # opcode → MATMUL (m, v -> v): arg1 gets m0, arg2 gets v1; then an address mutation of dest → v0
    rng = ScriptedRng(0, int(Op.MATMUL), 0, 1, 1, 2, 0)
    assert mutate_component(rng, program, const) == Instruction.make(Op.MATMUL, 30, 21, 20, 0.5)
    add = Instruction.make(Op.ADD, 1, 2, 3)
    rng = ScriptedRng(0, int(Op.NOOP), 1, 0)  # opcode → NOOP, then an address mutation of an unused slot
    assert mutate_component(rng, program, add) == Instruction.make(Op.NOOP)
    assert rng.exhausted()


def _program_with(program, *instructions):
    twin = clone(program)
    twin.predict = list(instructions)
    return twin


def test_clone_shares_nothing_mutable():
    program = small_params().new_program()
    program.predict.append(Instruction.make(Op.CONST, NONE, NONE, 0, 1.0))
    twin = clone(program)
    twin.predict.append(Instruction.make(Op.NOOP))
    twin.setup_max_ops = 9
    assert len(program.predict) == 1 and program.setup_max_ops == 3


@pytest.mark.parametrize("operator", [regularized_mutation, archive_mutation])
def test_mutation_operators_preserve_normal_form_and_capacity(operator):
    rng = np.random.Generator(np.random.PCG64(7))
    program = small_params(matrix_count=0).new_program()
    changed = 0
    for _ in range(3000):
        before = to_dsl(program)
        operator(rng, program)
        assert_normal_form(program)
        changed += to_dsl(program) != before
    assert changed > 1000


def test_regularized_edit_appends_to_an_empty_phase_and_deletes_otherwise():
    program = small_params().new_program()
    rng = ScriptedRng(0, 1, 0, 0.0, 0.0)  # edit, predict; empty → append NOOP (op, c1, c2 drawn)
    regularized_mutation(rng, program)
    assert program.predict == [Instruction.make(Op.NOOP, c1=0.0, c2=0.0)]
    rng = ScriptedRng(0, 1, 0.9, 0)  # edit, predict, coin ≥ 0.5 → delete index 0
    regularized_mutation(rng, program)
    assert program.predict == [] and rng.exhausted()


def test_regularized_randomize_refills_the_phase_with_one_to_capacity_instructions():
    program = small_params().new_program()
    program.learn.append(Instruction.make(Op.CONST, NONE, NONE, 2, 1.0))
    rng = ScriptedRng(1, 2, 2, *[0, 0.5, 0.5] * 2)  # randomize, learn, k = 2, two NOOPs
    regularized_mutation(rng, program)
    assert program.learn == [Instruction.make(Op.NOOP, c1=0.5, c2=0.5)] * 2 and rng.exhausted()


def test_regularized_tweak_of_an_empty_program_falls_back_to_edit():
    program = small_params().new_program()
    rng = ScriptedRng(2, 0, 0, 1.0, 1.0)  # tweak, all empty → edit setup, append NOOP
    regularized_mutation(rng, program)
    assert len(program.setup) == 1 and rng.exhausted()


def test_archive_mutation_overwrites_when_full_and_never_empties_a_phase():
    program = small_params().new_program()
    program.predict = [Instruction.make(Op.CONST, NONE, NONE, 0, float(i)) for i in range(3)]
    rng = ScriptedRng(1, 0.1, 2, 0, 0.0, 0.0)  # predict, add on a full phase → overwrite index 2 with NOOP
    archive_mutation(rng, program)
    assert len(program.predict) == 3 and program.predict[2].op == Op.NOOP
    program.learn = [Instruction.make(Op.CONST, NONE, NONE, 0, 1.0)]
    rng = ScriptedRng(2, 0.95)  # learn, remove, but only one instruction: kept
    archive_mutation(rng, program)
    assert len(program.learn) == 1 and rng.exhausted()


def _const_program(params, values):
    program = params.new_program()
    program.predict = [Instruction.make(Op.CONST, NONE, NONE, 0, float(v)) for v in values]
    return program


def test_crossover_splices_the_second_parents_tail_at_the_cut():
    params = small_params(predict_max_ops=6)
    first, second = _const_program(params, [1, 2, 3]), _const_program(params, [10, 20, 30, 40])
    child = crossover(ScriptedRng(2), first, second)  # only predict is non-empty in both: cut at 2
    assert [ins.c1 for ins in child.predict] == [1, 2, 30, 40]
    assert [ins.c1 for ins in first.predict] == [1, 2, 3]


def test_crossover_with_a_single_instruction_takes_one_phase_whole():
    params = small_params()
    first, second = _const_program(params, [1]), _const_program(params, [10, 20])
    assert [i.c1 for i in crossover(ScriptedRng(0.2), first, second).predict] == [10, 20]
    assert [i.c1 for i in crossover(ScriptedRng(0.7), first, second).predict] == [1]


def test_signature_counts_opcodes_per_phase_sorted_by_name():
    program = small_params().new_program()
    program.setup = [Instruction.make(Op.GAUSSIAN, dest=0), Instruction.make(Op.CONST, dest=1),
                     Instruction.make(Op.GAUSSIAN, dest=2)]
    program.predict = [Instruction.make(Op.DOT, 20, 21, 0)]
    assert signature(program) == "setup:CONST1,GAUSSIAN2|predict:DOT1|learn:"


def test_kind_mismatch_agrees_with_the_strict_checker():
    rng = np.random.Generator(np.random.PCG64(11))
    program = small_params().new_program()
    disagreements, mismatches = 0, 0
    for _ in range(600):
        regularized_mutation(rng, program)
        text = to_dsl(program)
        checker = any(issue.code == "kind_mismatch" for issue in check_dsl(text, 2))
        ours = has_kind_mismatch(from_dsl(text, 2))
        disagreements += checker != ours
        mismatches += ours
    assert disagreements == 0 and mismatches > 50
