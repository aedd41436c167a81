"""nd.save / nd.load in MXNet's NDArray list format (through mx_save/mx_load)."""
from __future__ import annotations

import os

from ..base import MXNetError, _raise, check_call, ffi, lib
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
    if names is not None:
        keep = [ffi.new("char[]", k.encode()) for k in names]
        cnames = ffi.new("const char *[]", keep or [ffi.NULL])
    else:
        cnames = ffi.NULL
    if any(a.stype != "default" for a in arrays):
        _save_sparse(fname, arrays, cnames)
        return
    hs = ffi.new("mx_tensor[]", [a.handle for a in arrays] or [ffi.NULL])
    check_call(lib.mx_save(os.fsencode(fname), hs, cnames, n))


# file order of a record's components (MXNet's: the data, then its aux arrays) from our arrays' parts
_STYPE_CODE = {"default": 0, "row_sparse": 1, "csr": 2}


def _file_components(a):
    if a.stype == "csr":
        data, indices, indptr = a._aux
        return [data, indptr, indices]
    if a.stype == "row_sparse":
        return list(a._aux)
    return [a]


def _save_sparse(fname, arrays, cnames):
    comps, shapes = [], []
    for a in arrays:
        comps += _file_components(a)
        shapes += list(a.shape)
    hs = ffi.new("mx_tensor[]", [c.handle for c in comps])
    check_call(lib.mx_save_sparse(os.fsencode(fname), len(arrays), ffi.new("int[]", [_STYPE_CODE[a.stype] for a in arrays]),
                                  ffi.new("int64_t[]", shapes or [0]), ffi.new("int[]", [len(a.shape) for a in arrays]),
                                  hs, cnames))


def _collect(res, n):
    try:
        arrays, names = [], []
        comps = ffi.new("mx_tensor[3]")
        nc = ffi.new("int *")
        st = ffi.new("int *")
        shape = ffi.new("int64_t[10]")
        ndim = ffi.new("int *")
        nm = ffi.new("const char **")
        for i in range(n):
            check_call(lib.mx_load_get_sparse(res, i, st, shape, ndim, comps, nc, nm))
            parts = [_new(comps[k]) for k in range(nc[0])]
            arrays.append(_from_file_components(st[0], tuple(shape[0:ndim[0]]), parts))
            raw = ffi.string(nm[0])
            try:
                names.append(raw.decode())
            except UnicodeDecodeError as e:  # a damaged file: say which array, not a codec error
                raise MXNetError("nd.load: the name of array %d is not valid UTF-8 (%r...): the file is damaged"
                                 % (i, raw[:16])) from e
    finally:
        lib.mx_load_release(res)
    if n and all(names):
        return dict(zip(names, arrays))
    return arrays


def _from_file_components(stype, shape, parts):
    if stype == 0:
        return parts[0]
    from .sparse import CSRNDArray, RowSparseNDArray
    if stype == 2:
        return CSRNDArray([parts[0], parts[2], parts[1]], shape)
    return RowSparseNDArray(parts, shape)


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
