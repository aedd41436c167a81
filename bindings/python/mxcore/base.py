"""Loading libmxcore through cffi (ABI mode) and the error/dtype plumbing
shared by every module of the package.

Library lookup order: $MXCORE_LIB, mxcore/lib/libmxcore.so inside the
package, then <repo>/build*/libmxcore.so (newest first) for development.
The C declarations come from the shipped mxcore.h (mxcore/include/ in a
wheel, include/mxcore/ in the repository), so the binding never drifts from
the header."""
from __future__ import annotations

import glob
import os
import re

import numpy as np
from cffi import FFI

__all__ = ["MXNetError", "ffi", "lib", "check_call", "py_str", "c_str"]

_PKG = os.path.dirname(os.path.abspath(__file__))
_REPO = os.path.abspath(os.path.join(_PKG, "..", "..", ".."))
EXPECTED_ABI = 1


class MXNetError(Exception):
    """Raised for every failing call into libmxcore; carries the core's message."""


def _find_header() -> str:
    for cand in (os.path.join(_PKG, "include", "mxcore.h"),
                 os.path.join(_PKG, "include", "mxcore", "mxcore.h"),
                 os.path.join(_REPO, "include", "mxcore", "mxcore.h")):
        if os.path.isfile(cand):
            return cand
    raise ImportError("mxcore: cannot find mxcore.h (expected in mxcore/include or <repo>/include/mxcore)")


def _cdef(path: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", open(path).read(), flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    keep = [ln for ln in text.splitlines()
            if not ln.strip().startswith("#") and ln.strip() not in ('extern "C" {', "}")]
    return "\n".join(keep).replace("MX_API ", "")


def _find_lib() -> str:
    env = os.environ.get("MXCORE_LIB")
    if env:
        return env
    for name in ("libmxcore.so", "libmxcore.dylib", "mxcore.dll"):
        cand = os.path.join(_PKG, "lib", name)
        if os.path.isfile(cand):
            return cand
    cands = sorted(glob.glob(os.path.join(_REPO, "build*", "libmxcore.so")), key=os.path.getmtime, reverse=True)
    if cands:
        return cands[0]
    raise ImportError("mxcore: libmxcore not found. Install the package with `pip install .`, "
                      "build it with `cmake -B build && cmake --build build`, or set MXCORE_LIB")


ffi = FFI()
ffi.cdef(_cdef(_find_header()))
LIB_PATH = _find_lib()
lib = ffi.dlopen(LIB_PATH)

if lib.mx_abi_version() != EXPECTED_ABI:
    raise ImportError(f"mxcore: {LIB_PATH} has ABI version {lib.mx_abi_version()}, "
                      f"this package needs {EXPECTED_ABI}")

__version__ = ffi.string(lib.mx_version_string()).decode()


def _raise() -> None:
    raise MXNetError(ffi.string(lib.mx_last_error()).decode("utf-8", "replace"))


def check_call(rc: int) -> None:
    """Raise MXNetError with the core's message when rc is non-zero."""
    if rc:
        _raise()


def py_str(s) -> str:
    return ffi.string(s).decode("utf-8", "replace")


def c_str(s: str):
    return ffi.new("char[]", s.encode())


# ---- dtypes: numpy <-> MXNet type flags ----------------------------------
_NP2MX = {np.dtype("float32"): 0, np.dtype("float64"): 1, np.dtype("float16"): 2, np.dtype("uint8"): 3,
          np.dtype("int32"): 4, np.dtype("int8"): 5, np.dtype("int64"): 6, np.dtype("bool"): 7}
_MX2NP = {v: k for k, v in _NP2MX.items()}
try:  # bfloat16 has no numpy dtype; ml_dtypes provides one when installed
    import ml_dtypes  # type: ignore

    _MX2NP[12] = np.dtype(ml_dtypes.bfloat16)
    _NP2MX[np.dtype(ml_dtypes.bfloat16)] = 12
except ImportError:  # pragma: no cover
    pass


def np_dtype(dtype) -> np.dtype:
    if dtype is None:
        return np.dtype("float32")
    if isinstance(dtype, str) and dtype == "bfloat16" and 12 in _MX2NP:
        return _MX2NP[12]
    return np.dtype(dtype)


def mx_dtype(dtype) -> int:
    dt = np_dtype(dtype)
    try:
        return _NP2MX[dt]
    except KeyError:
        raise MXNetError(f"dtype {dt} is not supported by mxcore "
                         f"(supported: {', '.join(str(d) for d in _NP2MX)})") from None


def dtype_from_mx(code: int) -> np.dtype:
    try:
        return _MX2NP[code]
    except KeyError:
        raise MXNetError(f"mxcore dtype code {code} has no numpy equivalent (bfloat16 needs ml_dtypes)") from None


def dtype_name(dtype) -> str:
    if isinstance(dtype, str):
        return dtype
    return np_dtype(dtype).name


def attr_str(v) -> str:
    """A Python value in MXNet's string attribute form."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "True" if v else "False"
    if v is None:
        return "None"
    if isinstance(v, (tuple, list)):
        return "(" + ",".join(attr_str(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, np.dtype) or (isinstance(v, type) and issubclass(v, np.generic)):
        return np.dtype(v).name
    if isinstance(v, (np.integer,)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return str(v)
