"""Build hook for compiled parts; all metadata lives in pyproject.toml.

`core._fastexec` is the compiled evaluator (core/fast.py). It links numpy's static random library so that
its GAUSSIAN/UNIFORM draws are numpy's own streams, and it is built without fast-math or FMA contraction so
that every float32 operation rounds exactly as algorithm.md §4.5 requires.
"""

import os

import numpy as np
from setuptools import Extension, setup


def fastexec_extension() -> Extension:
    numpy_random_lib = os.path.join(os.path.dirname(np.__file__), "random", "lib")
    return Extension(
        "core._fastexec",
        sources=["core/_fastexec.c"],
        include_dirs=[np.get_include()],
        library_dirs=[numpy_random_lib],
        libraries=["npyrandom", "m"],
        extra_compile_args=["-O3", "-fno-fast-math", "-ffp-contract=off", "-fvect-cost-model=dynamic", "-fno-strict-aliasing"],
    )


setup(ext_modules=[fastexec_extension()])
