"""Types of the compiled evaluator (core/_fastexec.c); the C file documents what each function does."""

from collections.abc import Sequence

import numpy as np

from core.program import Instruction

def compile(setup: Sequence[Instruction], predict: Sequence[Instruction], learn: Sequence[Instruction],
            vector_dim: int) -> tuple[bytes, tuple[int, int, int]]: ...
def run(blob: bytes, data: np.ndarray, tasks: np.ndarray, seed_states: np.ndarray, epochs: int,
        preds: np.ndarray) -> None: ...
def fec_trace(preds: np.ndarray, labels: np.ndarray) -> bytes: ...
def draw(seed_state: np.ndarray, gaussian: bool, out: np.ndarray) -> None: ...
