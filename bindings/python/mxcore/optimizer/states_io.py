"""Optimizer state files (Updater.get_states/set_states) in MXNet 1.x's pickle form.

MXNet pickles the updater's states dict (and, with dump_optimizer, the Optimizer)
with its NDArrays reduced to ``mxnet.ndarray.ndarray.NDArray`` carrying
``{'handle': <one array record as MXNDArraySaveRawBytes writes it>}``. Writing the
same names here lets MXNet 1.9.1 load our Trainer/Module/KVStore state files, and
reading maps every ``mxnet.*`` class to ``mxcore.*`` so MXNet's files load here
without MXNet installed. NDArrays never go through numpy pickles, so files do not
depend on the numpy major version either.
"""
from __future__ import annotations

import copyreg
import io
import pickle
import struct

import numpy as np

_V2_MAGIC = 0xF993FAC9
_LIST_MAGIC = 0x112
# MXNet's dtype flags (mshadow type_flag)
_FLAGS = {np.dtype(np.float32): 0, np.dtype(np.float64): 1, np.dtype(np.float16): 2,
          np.dtype(np.uint8): 3, np.dtype(np.int32): 4, np.dtype(np.int8): 5,
          np.dtype(np.int64): 6, np.dtype(np.bool_): 7}


# our modules whose classes MXNet keeps in another module
_MXNET_MODULE = {'mxcore.optimizer.composed': 'mxnet.optimizer.optimizer'}


class _Global:
    """A class name in MXNet's package, written as a pickle GLOBAL without importing it."""

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *args):     # pickle's save_reduce wants a callable
        raise TypeError(f"{self.module}.{self.name} only names a class in a pickle")


def _raw_record(a) -> bytes:
    """One dense CPU array record (V2), the bytes MXNDArraySaveRawBytes returns."""
    host = np.ascontiguousarray(a.asnumpy())
    if host.dtype not in _FLAGS:
        raise TypeError(f"get_states: optimizer state dtype {host.dtype} has no MXNet type flag")
    head = struct.pack('<Ii I', _V2_MAGIC, 0, host.ndim)
    head += struct.pack(f'<{host.ndim}q', *host.shape)
    head += struct.pack('<iii', 1, 0, _FLAGS[host.dtype])
    return head + host.tobytes()


class _StatePickler(pickle._Pickler):
    """Pickles NDArrays and mxcore objects under MXNet's module names."""

    def reducer_override(self, obj):
        from ..ndarray import NDArray
        if isinstance(obj, NDArray):
            return (_Global('mxnet.ndarray.ndarray', 'NDArray'), (None,),
                    {'handle': bytearray(_raw_record(obj))})
        cls = type(obj)
        if cls.__module__.startswith('mxcore.') and not isinstance(obj, type) \
                and hasattr(obj, '__dict__'):
            state = obj.__getstate__() if hasattr(cls, '__getstate__') else obj.__dict__
            state = dict(state)
            if 'lr_mult' in state:          # an Optimizer: MXNet reads this flag
                state.setdefault('allow_np_array', False)
            module = _MXNET_MODULE.get(cls.__module__, 'mxnet' + cls.__module__[len('mxcore'):])
            target = _Global(module, cls.__qualname__)
            return (copyreg._reconstructor, (target, object, None), state)
        return NotImplemented

    def save(self, obj, save_persistent_id=True):
        if isinstance(obj, _Global):
            self.write(pickle.GLOBAL + f'{obj.module}\n{obj.name}\n'.encode())
            return
        super().save(obj, save_persistent_id)


class _RawNDArray:
    """Stands in for ``mxnet.ndarray.ndarray.NDArray`` while unpickling."""

    def __init__(self, *_):
        self.raw = None

    def __setstate__(self, state):
        self.raw = state.get('handle')


class _StateUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module == 'mxnet.ndarray.ndarray' and name == 'NDArray':
            return _RawNDArray
        if module == 'mxnet' or module.startswith('mxnet.'):
            module = 'mxcore' + module[len('mxnet'):]
        if module.startswith('mxcore.optimizer'):
            # MXNet keeps every optimizer in optimizer.optimizer; some live elsewhere here
            from .. import optimizer as package
            if hasattr(package, name):
                return getattr(package, name)
        return super().find_class(module, name)


def _to_ndarray(raw):
    from ..ndarray.utils import load_frombuffer
    if raw.raw is None:
        return None
    buf = struct.pack('<QQQ', _LIST_MAGIC, 0, 1) + bytes(raw.raw) + struct.pack('<Q', 0)
    return load_frombuffer(buf)[0]


def _restore(s):
    """Replace the stand-ins (and older mxcore ('__nd__', numpy) pairs) by NDArrays."""
    from ..ndarray import array
    if isinstance(s, _RawNDArray):
        return _to_ndarray(s)
    if isinstance(s, tuple) and len(s) == 2 and isinstance(s[0], str) and s[0] == '__nd__':
        return array(s[1], dtype=s[1].dtype)
    if isinstance(s, (tuple, list)):
        return type(s)(_restore(x) for x in s)
    if isinstance(s, dict):
        return {k: _restore(v) for k, v in s.items()}
    return s


def dumps(obj) -> bytes:
    f = io.BytesIO()
    _StatePickler(f, protocol=2).dump(obj)
    return f.getvalue()


def loads(data: bytes):
    return _restore(_StateUnpickler(io.BytesIO(data)).load())
