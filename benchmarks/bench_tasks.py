"""Task preparation and verification speed (algorithm.md §8-10, §17).

    python -m benchmarks.bench_tasks [--tasks N]

Builds a synthetic CIFAR-shaped data set (uint8 pixels, 20000×3072) in a temporary data dir, then times:
preparing a cifar10_binary task from scratch (binary64 projection), loading it from the disk cache, building
a scalar_linear task, and a full N-task cifar10_binary verification of the benchmark program at dim 16 with
warm data caches. Prints one `name=value` per line.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

PROGRAM = Path(__file__).resolve().parent / "programs" / "cifar-default.dsl"


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=128, help="verification suite size")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        os.environ["BITSOTA_DATA_DIR"] = root
        os.environ["VALIDATOR_TASK_COUNT"] = str(args.tasks)
        os.environ["BITSOTA_ALLOW_SYNTHETIC_DATA"] = "1"
        from core import datasets, verify
        from core.tasks import Cifar10Spec, ScalarLinearSpec, verification_suite
        from core.tasks.store import STORE

        y = (np.arange(20000) % 10).astype(np.int32)
        X = np.random.default_rng(0).integers(0, 256, size=(20000, 3072), dtype=np.uint8)
        datasets.save_dataset(Path(root), "cifar10", X, y, synthetic=True)
        Cifar10Spec.for_id(4499).load()  # loads the pool once
        specs = [entry.spec for entry in verification_suite("cifar10_binary", 16, args.tasks, 1337)]
        build = _timed(lambda: [spec.load() for spec in specs])
        STORE.clear_memory()
        disk = _timed(lambda: [spec.load() for spec in specs])
        scalar = _timed(lambda: [ScalarLinearSpec.for_id(t).build() for t in range(8)]) / 8
        dsl = PROGRAM.read_text() if PROGRAM.is_file() else "s0 = 1.0"
        submitted = {"algorithm_dsl": dsl, "input_dim": 16, "task_type": "cifar10_binary"}
        outcome = []
        verify_warm = _timed(lambda: outcome.append(verify.verify_solution_quality(submitted)))
    print(f"cifar_task_build_ms={1000 * build / len(specs):.1f}")
    print(f"cifar_task_disk_load_ms={1000 * disk / len(specs):.2f}")
    print(f"scalar_task_build_ms={1000 * scalar:.2f}")
    print(f"verify_cifar_{args.tasks}_warm_s={verify_warm:.3f}")
    print(f"verify_cifar_{args.tasks}_score={outcome[0][1]!r}")


if __name__ == "__main__":
    main()
