"""Writes the C source of mxcore._mxcore_cffi, the cffi API-mode (out-of-line)
extension of the Python package, from the public header.

    python3 tools/build_cffi_ext.py include/mxcore/mxcore.h OUT.c

The root CMakeLists.txt runs this under `pip install .` (scikit-build-core)
and compiles OUT.c with Python_add_library(... MODULE WITH_SOABI), linked
against libmxcore. Only cffi's code generator is used here (emit_c_code); no
compiler is called, so CMake keeps control of flags, rpath and install.

Why API mode: its calls are direct C calls compiled into the extension, while
ABI mode (ffi.dlopen) builds each call through libffi at run time, which costs
~0.45 us more for the 9-argument mx_op_invoke than for a 1-argument call."""
from __future__ import annotations

import importlib.util
import os
import sys

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
CDEF_PY = os.path.join(HERE, "..", "bindings", "python", "mxcore", "_cdef.py")


def _cdef_module():
    # by path: importing the mxcore package would try to load the library
    spec = importlib.util.spec_from_file_location("_mxcore_cdef", CDEF_PY)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def emit(header: str, out_c: str) -> None:
    cd = _cdef_module()
    ffibuilder = FFI()
    ffibuilder.cdef(cd.binding_cdef(header))
    # the header's declarations are checked by the compiler against the real
    # header; the binding's DLPack structs are defined in the source itself
    ffibuilder.set_source("mxcore._mxcore_cffi", '#include "mxcore/mxcore.h"\n' + cd.DLPACK_CDEF)
    tmp = out_c + ".tmp"
    ffibuilder.emit_c_code(tmp)
    os.replace(tmp, out_c)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: build_cffi_ext.py HEADER OUT.c")
    emit(sys.argv[1], sys.argv[2])
