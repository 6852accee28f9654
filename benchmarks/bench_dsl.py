"""DSL speed: print, lenient parse and strict check of a 100-instruction program (algorithm.md §5).

    python -m benchmarks.bench_dsl [--instructions N] [--repeat R]

Prints one `name=value` per line; times are the best of R runs, in microseconds per program. The program is
a fixed pseudo-random normal-form program (seed 0) using every opcode, spread over the three phases.
"""

from __future__ import annotations

import argparse
import random
import timeit

from core.dsl import check_dsl, from_dsl, to_dsl
from core.program import OP_KINDS, PHASES, Instruction, Op, empty_program

INPUT_DIM = 16
_BANK_SIZES = {"s": (0, 20), "v": (20, 10), "m": (30, 5)}
_USES_CONSTANTS = (Op.CONST, Op.CONST_VEC, Op.GAUSSIAN, Op.UNIFORM)


def _random_address(rng: random.Random, kind: str | None) -> int:
    if kind is None:
        return -1
    base, size = _BANK_SIZES[kind]
    return base + rng.randrange(size)


def _random_instruction(rng: random.Random) -> Instruction:
    op = Op(rng.randrange(1, len(Op)))
    kind1, kind2, kind_dest = OP_KINDS[op]
    c1 = c2 = 0.0
    if op == Op.CONST_VEC:
        c1, c2 = float(rng.randrange(INPUT_DIM)), rng.gauss(0.0, 1.0)
    elif op in _USES_CONSTANTS:
        c1, c2 = rng.gauss(0.0, 1.0), (rng.gauss(0.0, 1.0) if op != Op.CONST else 0.0)
    return Instruction.make(op, _random_address(rng, kind1), _random_address(rng, kind2), _random_address(rng, kind_dest), c1, c2)


def benchmark_program(instructions: int):
    rng = random.Random(0)
    program = empty_program(INPUT_DIM, setup_max_ops=instructions, predict_max_ops=instructions, learn_max_ops=instructions)
    for k in range(instructions):
        program.phase(PHASES[k % 3]).append(_random_instruction(rng))
    return program


def _best_us(function, repeat: int, number: int) -> float:
    return min(timeit.repeat(function, number=number, repeat=repeat)) / number * 1e6


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_dsl", description=__doc__.splitlines()[0])
    parser.add_argument("--instructions", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    program = benchmark_program(args.instructions)
    text = to_dsl(program)
    assert from_dsl(text, INPUT_DIM) == program
    number = 200
    print_us = _best_us(lambda: to_dsl(program), args.repeat, number)
    parse_us = _best_us(lambda: from_dsl(text, INPUT_DIM), args.repeat, number)
    round_trip_us = _best_us(lambda: to_dsl(from_dsl(text, INPUT_DIM)), args.repeat, number)
    check_us = _best_us(lambda: check_dsl(text, INPUT_DIM), args.repeat, number)
    print(f"instructions={args.instructions}")
    print(f"print_us={print_us:.1f}")
    print(f"parse_us={parse_us:.1f}")
    print(f"parse_print_us={round_trip_us:.1f}")
    print(f"check_us={check_us:.1f}")


if __name__ == "__main__":
    main()
