"""How many CPU seconds a validator spends per unit of estimated work, per kind of instruction.

`core.verify` refuses a submission whose estimated work (core.evaluate.estimate_work) exceeds
VALIDATOR_MAX_WORK; this measures how that estimate maps to validator CPU time for programs of one instruction
kind repeated (each kind's own cost per unit), so the limit can be set to bound the worst case in seconds.

    python -m benchmarks.validator_work [--tasks 2] [--lines 2000] [--only shape,shape]

Prints `<shape>_cpu_s`, `<shape>_work` and `<shape>_ns_per_unit` (the marginal cost: `lines` against
`lines // 2`) for every shape, then `worst_ns_per_unit`, one `name=value` per line.
"""

from __future__ import annotations

import argparse
import os
import time

SHAPES: dict[str, tuple[int, str]] = {  # name: (input_dim, one predict line)
    "scalar_add": (1, "s2 = s3 + s4"),
    "scalar_tan": (1, "s2 = tan(s3)"),
    "scalar_gaussian": (1, "s2 = gaussian(0.0, 1.0)"),
    "vector16_exp": (16, "v2 = exp(v3)"),
    "vector16_dot": (16, "s2 = dot(v3, v4)"),
    "vector16_std": (16, "s2 = std(v3)"),
    "matrix16_matmul": (16, "v2 = matmul(m1, v3)"),
    "matrix16_outer": (16, "m2 = outer(v3, v4)"),
    "matrix64_tan": (64, "m1 = tan(m2)"),
    "matrix64_div": (64, "m1 = m2 / m3"),
    "matrix64_gaussian": (64, "m1 = gaussian(0.0, 1.0)"),
    "matrix64_heaviside": (64, "m1 = heaviside(m2)"),
    "vector1024_sin": (1024, "v2 = sin(v3)"),
    "matrix256_exp": (256, "m1 = exp(m2)"),
    "matrix256_add": (256, "m1 = m2 + m3"),
}


def program(line: str, lines: int) -> str:
    return "# setup\n# predict\n" + "\n".join([line] * lines) + "\ns0 = s2\n# learn\n"


def measure(name: str, lines: int) -> tuple[float, int, float]:
    """(CPU seconds, estimated work, ns per unit) of verifying one shape with `lines` predict lines, less
    the same for half as many lines, so parsing and suite set-up cancel out."""
    full, half = _verify_cost(name, lines), _verify_cost(name, lines // 2)
    seconds, work = full[0] - half[0], full[1] - half[1]
    return full[0], full[1], 1e9 * max(0.0, seconds) / max(1, work)


def _verify_cost(name: str, lines: int) -> tuple[float, int]:
    from core import verify

    input_dim, line = SHAPES[name]
    submitted = {"algorithm_dsl": program(line, lines), "task_type": "scalar_linear", "input_dim": input_dim}
    started = time.process_time()
    result = verify.verify_detailed(submitted)
    seconds = time.process_time() - started
    if result.reason:
        raise SystemExit(f"{name}: refused: {result.reason}")
    return seconds, estimated_work(submitted)


def estimated_work(submitted: dict) -> int:
    from core.dsl import from_dsl
    from core.evaluate import estimate_work
    from core.hyperparams import validator_hyperparams
    from core.tasks import verification_suite

    settings = validator_hyperparams()
    program_ = from_dsl(submitted["algorithm_dsl"], submitted["input_dim"])
    entries = verification_suite("scalar_linear", submitted["input_dim"], settings.task_count, settings.task_seed)
    return estimate_work(program_, [entry.spec.row_counts() for entry in entries], settings.epochs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=2, help="suite size (time scales linearly with it)")
    parser.add_argument("--lines", type=int, default=40, help="predict lines per program")
    parser.add_argument("--only", default="", help="comma-separated shape names")
    args = parser.parse_args(argv)
    os.environ["VALIDATOR_TASK_COUNT"] = str(args.tasks)
    os.environ["VALIDATOR_MAX_WORK"] = str(10**18)  # measure, do not refuse
    worst = 0.0
    for name in [n for n in SHAPES if not args.only or n in args.only.split(",")]:
        seconds, work, ns = measure(name, args.lines)
        worst = max(worst, ns)
        print(f"{name}_cpu_s={seconds:.3f}\n{name}_work={work}\n{name}_ns_per_unit={ns:.3f}", flush=True)
    print(f"worst_ns_per_unit={worst:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
