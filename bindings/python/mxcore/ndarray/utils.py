"""nd.save / nd.load in MXNet's NDArray list format (through mx_save/mx_load)."""
from __future__ import annotations

import os

from ..base import _raise, check_call, ffi, lib
from .ndarray import NDArray, _new

__all__ = ["save", "load", "load_frombuffer"]


def save(fname, data) -> None:
    """Save an NDArray, a list of NDArrays or a dict str -> NDArray."""
    if isinstance(data, NDArray):
        data = [data]
    if isinstance(data, dict):
        names = list(data.keys())
        arrays = list(data.values())
        if not all(isinstance(k, str) for k in names):
            raise TypeError("save: dict keys must be str")
    elif isinstance(data, (list, tuple)):
        names = None
        arrays = list(data)
    else:
        raise TypeError("save: data must be an NDArray, a list of NDArrays or a dict of str -> NDArray")
    if not all(isinstance(a, NDArray) for a in arrays):
        raise TypeError("save: every value must be an NDArray")
    n = len(arrays)
    hs = ffi.new("mx_tensor[]", [a.handle for a in arrays] or [ffi.NULL])
    if names is not None:
        keep = [ffi.new("char[]", k.encode()) for k in names]
        cnames = ffi.new("const char *[]", keep or [ffi.NULL])
    else:
        cnames = ffi.NULL
    check_call(lib.mx_save(os.fsencode(fname), hs, cnames, n))


def _collect(res, n):
    try:
        arrays, names = [], []
        t = ffi.new("mx_tensor *")
        nm = ffi.new("const char **")
        for i in range(n):
            check_call(lib.mx_load_get(res, i, t, nm))
            arrays.append(_new(t[0]))
            names.append(ffi.string(nm[0]).decode())
    finally:
        lib.mx_load_release(res)
    if n and all(names):
        return dict(zip(names, arrays))
    return arrays


def load(fname):
    """Load a file written by nd.save (here or in MXNet): a list or a dict."""
    out = ffi.new("mx_load_result *")
    n = ffi.new("int *")
    if lib.mx_load(os.fsencode(fname), out, n):
        _raise()
    return _collect(out[0], n[0])


def load_frombuffer(buf):
    """Like load, from a bytes-like object."""
    out = ffi.new("mx_load_result *")
    n = ffi.new("int *")
    b = ffi.from_buffer(bytes(buf))
    if lib.mx_load_from_buffer(b, len(b), out, n):
        _raise()
    return _collect(out[0], n[0])
