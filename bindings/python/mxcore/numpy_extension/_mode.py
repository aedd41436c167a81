"""Numpy-mode switches (``npx.set_np`` and friends, also ``mx.util``): whether
arrays have numpy semantics (Gluon hands out ``mx.np.ndarray``) and whether
shapes may be 0-d / zero-size. The state is per thread, as MXNet's, and starts
off; ``set_np`` in the main thread also sets the default for new threads (so
DataLoader workers see it)."""
from __future__ import annotations

import functools
import threading

__all__ = ["set_np", "reset_np", "is_np_array", "is_np_shape", "set_np_shape", "np_shape", "np_array", "use_np",
           "use_np_array", "use_np_shape", "set_np_array"]

_default = {"array": False, "shape": False}


class _State(threading.local):
    def __init__(self):
        self.array = _default["array"]
        self.shape = _default["shape"]


_state = _State()


def is_np_array() -> bool:
    return _state.array


def is_np_shape() -> bool:
    return _state.shape


def set_np_shape(active: bool) -> bool:
    """Turn numpy shape semantics on/off; returns the previous state."""
    prev, _state.shape = _state.shape, bool(active)
    if threading.current_thread() is threading.main_thread():
        _default["shape"] = _state.shape
    return prev


def set_np_array(active: bool) -> bool:
    prev, _state.array = _state.array, bool(active)
    if threading.current_thread() is threading.main_thread():
        _default["array"] = _state.array
    return prev


def set_np(shape: bool = True, array: bool = True, dtype: bool = False) -> None:
    """Numpy mode: Gluon parameters, blocks, data loaders and losses work on
    ``mx.np.ndarray``. ``array=True`` needs ``shape=True`` (MXNet's rule)."""
    if array and not shape:
        raise ValueError("set_np: numpy array semantics need numpy shape semantics (shape=True)")
    if dtype:
        raise NotImplementedError("set_np: dtype=True (float64 defaults, MXNet 2.0) is not supported")
    set_np_shape(shape)
    set_np_array(array)


def reset_np() -> None:
    set_np(shape=False, array=False)


class _Scope:
    def __init__(self, what, active):
        self._what, self._active, self._prev = what, active, None

    def __enter__(self):
        self._prev = (_state.array, _state.shape)
        if self._what in ("array", "both"):
            _state.array = self._active
        if self._what in ("shape", "both", "array") and self._active:
            _state.shape = True
        if self._what == "shape" and not self._active:
            _state.shape = False
        return self

    def __exit__(self, *exc):
        _state.array, _state.shape = self._prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with _Scope(self._what, self._active):
                return fn(*args, **kwargs)
        return wrapped


def np_shape(active: bool = True):
    """Context manager / decorator: numpy shape semantics inside."""
    return _Scope("shape", active)


def np_array(active: bool = True):
    return _Scope("array", active)


def _use(what, obj):
    if isinstance(obj, type):
        # a class: its methods run in numpy mode (Blocks' forward, hybrid_forward, __call__)
        for name in ("__init__", "__call__", "forward", "hybrid_forward"):
            fn = obj.__dict__.get(name)
            if fn is not None:
                setattr(obj, name, _Scope(what, True)(fn))
        return obj
    return _Scope(what, True)(obj)


def use_np(obj):
    """Decorator: the function, or a class's forward/__call__, runs in numpy mode."""
    return _use("both", obj)


def use_np_array(obj):
    return _use("array", obj)


def use_np_shape(obj):
    return _use("shape", obj)
