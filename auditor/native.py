"""The optional compiled MinHash kernel (auditor/_minhash_kernel.c), called through ctypes.

setup.py builds it wherever a C compiler is at hand; where none is, or the build is stale
or cannot be loaded, `minhash_kernel()` is None and auditor.minhash signs with numpy, which
gives the same signatures, only slower. `FTAUDIT_NATIVE=0` turns the kernel off (to compare
the routes, or to rule it out). ctypes releases the GIL during the call, so batches signed
on a thread per core still run in parallel.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
from collections.abc import Callable
from functools import cache

import numpy as np
import numpy.typing as npt

#: The C file's KERNEL_VERSION this module calls; a build of another version is not used.
KERNEL_VERSION = 1
#: Set to "0" to sign with numpy even where the kernel is built.
NATIVE_ENV = "FTAUDIT_NATIVE"

U16 = npt.NDArray[np.uint16]
U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]

#: (out, shingles, counts, a, b): fills the rows of `out` whose document has shingles.
SignInto = Callable[[U16, U32, I64, U32, U32], None]

_POINTER = ctypes.c_void_p


@cache
def minhash_kernel() -> SignInto | None:
    """The compiled signing function, or None where it is off, not built, or stale."""
    if os.environ.get(NATIVE_ENV, "1") == "0":
        return None
    spec = importlib.util.find_spec("auditor._minhash_kernel")
    if spec is None or spec.origin is None:
        return None
    try:
        library = ctypes.CDLL(spec.origin)
        version = library.ftaudit_kernel_version
        sign = library.ftaudit_minhash_u16
    except (OSError, AttributeError):
        return None
    version.restype = ctypes.c_int32
    if version() != KERNEL_VERSION:
        return None
    sign.restype = None
    sign.argtypes = [_POINTER, _POINTER, ctypes.c_int64, _POINTER, _POINTER, ctypes.c_int32]
    sign.argtypes += [_POINTER, _POINTER]

    def sign_into(out: U16, shingles: U32, counts: I64, a: U32, b: U32) -> None:
        n_docs, num_perm = out.shape
        # The C loop walks raw memory: every array must be contiguous and of its dtype.
        if not (out.flags.c_contiguous and out.dtype == np.uint16 and out.flags.writeable):
            raise ValueError("out must be a writeable C-contiguous uint16 matrix")
        shingles = np.ascontiguousarray(shingles, dtype=np.uint32)
        counts = np.ascontiguousarray(counts, dtype=np.int64)
        a = np.ascontiguousarray(a, dtype=np.uint32)
        b = np.ascontiguousarray(b, dtype=np.uint32)
        if counts.shape != (n_docs,) or a.shape != (num_perm,) or b.shape != (num_perm,):
            raise ValueError("counts, a and b do not match out's shape")
        if int(counts.sum()) > shingles.size or (counts < 0).any():
            raise ValueError("counts ask for more shingles than given")
        scratch = np.empty(num_perm, dtype=np.uint32)
        sign(
            shingles.ctypes.data,
            counts.ctypes.data,
            n_docs,
            a.ctypes.data,
            b.ctypes.data,
            num_perm,
            scratch.ctypes.data,
            out.ctypes.data,
        )

    return sign_into
