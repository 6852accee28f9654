"""Built-in genesis programs: the pool's first population (pool.md §3.2) and the mock worker's templates.

Each is a small hand-written program over the input vector v0 and the label s1, predicting into s0; all
use registers of the kinds their opcodes name, so the engines score them.
"""

from __future__ import annotations

META = ("# meta: scalar_count=20 vector_count=10 matrix_count=5 vector_dim={dim} "
        "setup_max_ops=30 predict_max_ops=30 learn_max_ops=30")

_BODIES = (
    # The input mean as the score.
    ("", "s0 = mean(v0)", ""),
    # A fixed linear probe on the first feature.
    ("v1[0] = 1.0", "s0 = dot(v1, v0)", ""),
    # One learned weight on the input mean, trained by SGD with rate s2.
    ("s2 = 0.009999999776482582", "s5 = mean(v0)\ns0 = s5 * s3",
     "s4 = s1 - s0\ns6 = s4 * s5\ns7 = s2 * s6\ns3 = s3 + s7"),
    # The standardised input mean.
    ("", "s5 = mean(v0)\ns6 = std(v0)\ns0 = s5 / s6", ""),
)


def _program_text(dim: int, setup: str, predict: str, learn: str) -> str:
    parts = [META.format(dim=dim), "# setup", setup, "# predict", predict, "# learn", learn]
    return "\n".join(part for part in parts if part)


def genesis_dsls(input_dim: int = 16) -> list[str]:
    """The built-in programs as DSL text with `vector_dim` = `input_dim`, in a fixed order."""
    return [_program_text(input_dim, *body) for body in _BODIES]
