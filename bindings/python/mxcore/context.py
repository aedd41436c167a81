"""Device contexts: mx.cpu(), mx.gpu(i), mx.cpu_pinned(), mx.opencl(i), and
`with mx.Context(...)` scoping of the default device."""
from __future__ import annotations

import threading
import warnings

from .base import MXNetError, check_call, ffi, lib

__all__ = ["Context", "cpu", "gpu", "cpu_pinned", "opencl", "current_context", "num_gpus", "num_opencl_devices"]


class _ContextMeta(type):
    """``Context.default_ctx``: MXNet 1.x's deprecated class-level access to the
    current default context (read and set)."""

    _DEPRECATED = ("Context.default_ctx has been deprecated. Please use Context.current_context() instead. "
                   "Please use test_utils.set_default_context to set a default context")

    @property
    def default_ctx(cls):
        warnings.warn(cls._DEPRECATED, DeprecationWarning, stacklevel=2)
        return current_context()

    @default_ctx.setter
    def default_ctx(cls, ctx):
        warnings.warn(cls._DEPRECATED, DeprecationWarning, stacklevel=2)
        cls._default.value = ctx


class Context(metaclass=_ContextMeta):
    """A device: type ('cpu', 'gpu', 'cpu_pinned', 'opencl') and id."""

    devtype2str = {1: "cpu", 2: "gpu", 3: "cpu_pinned", 10: "opencl"}
    devstr2type = {"cpu": 1, "gpu": 2, "cpu_pinned": 3, "opencl": 10}
    _default = threading.local()

    __slots__ = ("device_typeid", "device_id", "_old")

    def __init__(self, device_type, device_id: int = 0):
        if isinstance(device_type, Context):
            self.device_typeid, self.device_id = device_type.device_typeid, device_type.device_id
        else:
            if isinstance(device_type, str):
                if device_type not in self.devstr2type:
                    raise MXNetError(f"unknown device type '{device_type}' (expected one of {list(self.devstr2type)})")
                device_type = self.devstr2type[device_type]
            self.device_typeid = int(device_type)
            self.device_id = int(device_id)
        self._old = None

    @property
    def device_type(self) -> str:
        return self.devtype2str.get(self.device_typeid, str(self.device_typeid))

    def _cdev(self):
        return {"type": self.device_typeid, "id": self.device_id}

    def __hash__(self):
        return hash((self.device_typeid, self.device_id))

    def __eq__(self, other):
        return isinstance(other, Context) and self.device_typeid == other.device_typeid \
            and self.device_id == other.device_id

    def __ne__(self, other):
        return not self == other

    def __str__(self):
        return f"{self.device_type}({self.device_id})"

    __repr__ = __str__

    def __enter__(self):
        self._old = current_context()
        Context._default.value = self
        return self

    def __exit__(self, *exc):
        Context._default.value = self._old
        self._old = None

    def empty_cache(self) -> None:
        """Kept for compatibility; the core frees memory eagerly."""


def cpu(device_id: int = 0) -> Context:
    return Context(1, device_id)


def gpu(device_id: int = 0) -> Context:
    return Context(2, device_id)


def cpu_pinned(device_id: int = 0) -> Context:
    return Context(3, device_id)


def opencl(device_id: int = 0) -> Context:
    return Context(10, device_id)


def current_context() -> Context:
    ctx = getattr(Context._default, "value", None)
    if ctx is None:
        ctx = Context._default.value = Context(1, 0)
    return ctx


def _device_count(typ: int) -> int:
    n = ffi.new("int *")
    check_call(lib.mx_device_count(typ, n))
    return n[0]


def num_gpus() -> int:
    return _device_count(2)


def num_opencl_devices() -> int:
    return _device_count(10)


def gpu_memory_info(device_id: int = 0):
    raise MXNetError("gpu_memory_info: not available in this build")
