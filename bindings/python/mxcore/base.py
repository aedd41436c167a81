"""Loading libmxcore through cffi and the error/dtype plumbing shared by
every module of the package.

Two cffi modes give the same `ffi`/`lib` pair, so nothing else in the package
knows which one is active (`CFFI_MODE`, also in mx.runtime.Features()):

* "api" (primary): the compiled extension mxcore._mxcore_cffi, generated from
  mxcore.h by tools/build_cffi_ext.py and built by `pip install .`. Calls are
  direct C calls; it links the wheel's mxcore/lib/libmxcore.so via rpath.
* "abi" (fallback): FFI.cdef of the shipped header + ffi.dlopen, used when the
  extension is absent (development from the source tree with
  PYTHONPATH=bindings/python), when $MXCORE_LIB names a library (the
  extension is bound to its own copy), or when MXCORE_CFFI_MODE=abi.
  MXCORE_CFFI_MODE=api makes a missing extension an ImportError instead.

ABI-mode library lookup: $MXCORE_LIB, mxcore/lib/libmxcore.so inside the
package, then <repo>/build*/libmxcore.so (newest first). The declarations come
from the shipped mxcore.h (mxcore/include/ in a wheel, include/mxcore/ in the
repository) in both modes, so the binding never drifts from the header."""
from __future__ import annotations

import glob
import os

import numpy as np

from ._cdef import binding_cdef

__all__ = ["CFFI_MODE", "MXNetError", "c_str", "check_call", "ffi", "lib", "py_str"]

# MXNet's type tuples, which user code imports from mxnet.base for isinstance checks
integer_types = (int, np.int32, np.int64)
numeric_types = (float, int, np.generic)
string_types = (str,)
mx_real_t = np.float32  # MXNet's default real type

_PKG = os.path.dirname(os.path.abspath(__file__))
_REPO = os.path.abspath(os.path.join(_PKG, "..", "..", ".."))
EXPECTED_ABI = 1


class MXNetError(RuntimeError):  # a RuntimeError, as in MXNet
    """Raised for every failing call into libmxcore; carries the core's message."""


class MXNetValueError(MXNetError, ValueError):
    """Bad values where MXNet raises ValueError (bind with a missing array, a forward
    input of the wrong shape): caught by either except clause."""


class MXNetTypeError(MXNetError, TypeError):
    """Bad arguments where MXNet raises TypeError (an unknown forward argument)."""


class NotImplementedForSymbol(MXNetError):
    """An NDArray-only operation (bool(), +=, asnumpy, ...) called on a Symbol."""

    def __init__(self, function, alias, *args):
        super().__init__()
        self.function = getattr(function, "__name__", str(function))
        self.alias = alias
        self.args = [str(type(a)) for a in args]

    def __str__(self):
        msg = "Function %s" % self.function
        if self.alias:
            msg += ' (namely operator "%s")' % self.alias
        if self.args:
            msg += " with arguments (%s)" % ", ".join(self.args)
        return msg + " is not implemented for Symbol and only available in NDArray."


def _find_header() -> str:
    for cand in (os.path.join(_PKG, "include", "mxcore.h"),
                 os.path.join(_PKG, "include", "mxcore", "mxcore.h"),
                 os.path.join(_REPO, "include", "mxcore", "mxcore.h")):
        if os.path.isfile(cand):
            return cand
    raise ImportError("mxcore: cannot find mxcore.h (expected in mxcore/include or <repo>/include/mxcore)")


def _cdef(path: str) -> str:
    return binding_cdef(path)


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


def _load_api():
    """(ffi, lib, path) from the compiled extension, or None with the reason in _API_UNAVAILABLE."""
    global _API_UNAVAILABLE
    want = os.environ.get("MXCORE_CFFI_MODE", "").strip().lower()
    if want not in ("", "api", "abi"):
        raise ImportError(f"mxcore: MXCORE_CFFI_MODE must be 'api' or 'abi', not {want!r}")
    if want == "abi":
        _API_UNAVAILABLE = "MXCORE_CFFI_MODE=abi"
        return None
    if os.environ.get("MXCORE_LIB") and want != "api":
        _API_UNAVAILABLE = "MXCORE_LIB is set (the extension is linked to the package's own library)"
        return None
    try:
        from . import _mxcore_cffi  # type: ignore[attr-defined]
    except ImportError as e:
        if want == "api":
            raise ImportError(f"mxcore: MXCORE_CFFI_MODE=api but the extension mxcore._mxcore_cffi "
                              f"did not load: {e}") from e
        _API_UNAVAILABLE = f"extension mxcore._mxcore_cffi not importable ({e})"
        return None
    return _mxcore_cffi.ffi, _mxcore_cffi.lib, os.path.join(_PKG, "lib", "libmxcore.so")


def _load_abi():
    from cffi import FFI

    f = FFI()
    f.cdef(_cdef(_find_header()))
    path = _find_lib()
    return f, f.dlopen(path), path


def _load():
    """Load the core. The OpenBLAS it links reads OPENBLAS_NUM_THREADS once, when
    it is loaded: mxcore parallelises GEMM on its own pool and calls OpenBLAS
    single-threaded, so OpenBLAS's own pthread workers would only spin. Ask for
    none while loading, then restore the variable for other libraries."""
    global CFFI_MODE
    saved = os.environ.get("OPENBLAS_NUM_THREADS")
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    try:
        loaded = _load_api()
        CFFI_MODE = "api" if loaded is not None else "abi"
        return loaded if loaded is not None else _load_abi()
    finally:
        if saved is None:
            del os.environ["OPENBLAS_NUM_THREADS"]
        else:
            os.environ["OPENBLAS_NUM_THREADS"] = saved


_API_UNAVAILABLE = None
CFFI_MODE = "abi"
ffi, lib, LIB_PATH = _load()

if lib.mx_abi_version() != EXPECTED_ABI:
    raise ImportError(f"mxcore: {LIB_PATH} has ABI version {lib.mx_abi_version()}, "
                      f"this package needs {EXPECTED_ABI}")

# MXNet programs gate features on mx.__version__: report the MXNet API this
# package implements; the library's own version is __mxcore_version__.
__mxcore_version__ = ffi.string(lib.mx_version_string()).decode()
__version__ = "1.9.1"


def _user_line() -> str:
    """' [at file:line]' for the innermost frame outside the mxcore package: the
    user's own line that led to the failing call ('' if there is none)."""
    import sys

    f = sys._getframe(2)
    while f is not None:
        path = f.f_code.co_filename
        if not os.path.abspath(path).startswith(_PKG + os.sep):
            return f" [at {path}:{f.f_lineno}]"
        f = f.f_back
    return ""


def _raise() -> None:
    raise MXNetError(ffi.string(lib.mx_last_error()).decode("utf-8", "replace") + _user_line())


def check_call(rc: int) -> None:
    """Raise MXNetError with the core's message when rc is non-zero."""
    if rc:
        _raise()


def _as_list(obj):
    """``obj`` itself if it is a list or tuple, else ``[obj]`` (MXNet's base helper)."""
    return obj if isinstance(obj, (list, tuple)) else [obj]


def py_str(s) -> str:
    """A C string as str; a str (what mxcore's callbacks already pass) is returned as is."""
    if isinstance(s, str):
        return s
    if isinstance(s, bytes):
        return s.decode("utf-8", "replace")
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
