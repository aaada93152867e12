"""Build of the optional compiled kernels; every other setting lives in pyproject.toml.

`optional=True`: where no C compiler (or no Python headers) is at hand, the build says so
and goes on, and ftaudit takes its numpy and Python routes, which give the same results
(auditor/native.py).
"""

import sys

from setuptools import Extension, setup

# -O3 vectorizes the permutation loop; MSVC takes its own flags.
FLAGS = [] if sys.platform == "win32" else ["-O3"]

setup(
    ext_modules=[
        Extension(
            "auditor._minhash_kernel",
            sources=["auditor/_minhash_kernel.c", "auditor/_plain_json.c"],
            extra_compile_args=FLAGS,
            optional=True,
        )
    ]
)
