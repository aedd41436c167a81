"""DLPack capsules for NDArray (export and import), per the DLPack Python
spec: a capsule named "dltensor_versioned" (DLPack >= 1.0) or "dltensor"
(legacy, for consumers that do not pass max_version >= (1, 0)); a consumer
renames it to "used_..." and takes over the deleter; a capsule that is never
consumed calls the deleter when it is destroyed."""
from __future__ import annotations

import ctypes

from ..base import _raise, check_call, ffi, lib

__all__ = ["to_capsule", "from_dlpack"]

# the mxdl_* DLPack struct types are declared in mxcore/_cdef.py, for both cffi modes

_api = ctypes.pythonapi
_Destructor = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_api.PyCapsule_New.restype = ctypes.py_object
_api.PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_char_p, _Destructor]
_api.PyCapsule_IsValid.restype = ctypes.c_int
_api.PyCapsule_IsValid.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_GetPointer.restype = ctypes.c_void_p
_api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_SetName.restype = ctypes.c_int
_api.PyCapsule_SetName.argtypes = [ctypes.py_object, ctypes.c_char_p]
# the raw-pointer variants are what a capsule destructor receives
_IsValidRaw = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p)(("PyCapsule_IsValid", _api))
_GetPointerRaw = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p)(("PyCapsule_GetPointer", _api))

# names must outlive the capsules: module-level bytes objects
_V_NAME = b"dltensor_versioned"
_L_NAME = b"dltensor"
_USED_V = b"used_dltensor_versioned"
_USED_L = b"used_dltensor"


def _destroy_versioned(cap):
    if _IsValidRaw(cap, _V_NAME):  # never consumed: we still own it
        p = _GetPointerRaw(cap, _V_NAME)
        m = ffi.cast("mxdl_managed_v *", p)
        if m.deleter != ffi.NULL:
            m.deleter(m)


def _destroy_legacy(cap):
    if _IsValidRaw(cap, _L_NAME):
        p = _GetPointerRaw(cap, _L_NAME)
        m = ffi.cast("mxdl_managed *", p)
        if m.deleter != ffi.NULL:
            m.deleter(m)


_destroy_v_c = _Destructor(_destroy_versioned)
_destroy_l_c = _Destructor(_destroy_legacy)

# legacy wrappers: the DLManagedTensor we hand out owns the versioned one
_legacy_live: dict = {}


@ffi.callback("void(mxdl_managed *)")
def _legacy_deleter(m):
    key = int(ffi.cast("uintptr_t", m))
    v = _legacy_live.pop(key, None)
    if v is not None:
        inner = v[1]
        inner.deleter(inner)


def to_capsule(x, max_version=None):
    out = ffi.new("void **")
    check_call(lib.mx_tensor_to_dlpack(x.handle, out))
    mv = ffi.cast("mxdl_managed_v *", out[0])
    if max_version is not None and tuple(max_version)[0] >= 1:
        return _api.PyCapsule_New(int(ffi.cast("uintptr_t", mv)), _V_NAME, _destroy_v_c)
    legacy = ffi.new("mxdl_managed *")
    legacy.dl_tensor = mv.dl_tensor
    legacy.manager_ctx = ffi.cast("void *", mv)
    legacy.deleter = _legacy_deleter
    _legacy_live[int(ffi.cast("uintptr_t", legacy))] = (legacy, mv)
    return _api.PyCapsule_New(int(ffi.cast("uintptr_t", legacy)), _L_NAME, _destroy_l_c)


def _consumer_stream(obj):
    """The stream a CUDA producer must order its work before: our device's
    stream (all mxcore work on a GPU runs on it), as the array API asks.
    None (the default) for other devices."""
    dev = getattr(obj, "__dlpack_device__", None)
    if dev is None:
        return None
    dev_type, dev_id = dev()
    if dev_type != 2:  # kDLCUDA
        return None
    out = ffi.new("void **")
    if lib.mx_device_native_stream({"type": 2, "id": dev_id}, out):
        _raise()  # no CUDA module: say why rather than import blindly
    return int(ffi.cast("uintptr_t", out[0])) or None  # 0 is not a valid DLPack stream


def from_dlpack(obj):
    """NDArray sharing memory with a DLPack producer (object with __dlpack__,
    or a capsule)."""
    from .ndarray import _new
    cap = obj
    if hasattr(obj, "__dlpack__"):
        kw = {}
        stream = _consumer_stream(obj)
        if stream is not None:
            kw["stream"] = stream
        try:
            cap = obj.__dlpack__(max_version=(1, 0), **kw)
        except TypeError:
            cap = obj.__dlpack__(**kw)
    if _api.PyCapsule_IsValid(cap, _V_NAME):
        name, used, versioned = _V_NAME, _USED_V, 1
    elif _api.PyCapsule_IsValid(cap, _L_NAME):
        name, used, versioned = _L_NAME, _USED_L, 0
    else:
        raise ValueError("from_dlpack: expected an unused DLPack capsule ('dltensor' or 'dltensor_versioned')")
    ptr = _api.PyCapsule_GetPointer(cap, name)
    out = ffi.new("mx_tensor *")
    if lib.mx_tensor_from_dlpack(ffi.cast("void *", ptr), versioned, out):
        _raise()
    _api.PyCapsule_SetName(cap, used)
    return _new(out[0])
