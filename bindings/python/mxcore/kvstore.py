"""``mx.kv``: MXNet's key-value store, single process.

mxcore runs one process, so the only stores are the local kinds ('local',
'device', 'local_update_cpu', 'local_allreduce_cpu', 'local_allreduce_device'
and 'nccl', all the same here): ``push`` sums the values pushed for a key
(one per device) and, with an optimizer set, applies it to the stored value
as a gradient; ``pull`` copies the stored value out. Distributed kinds
('dist_sync', ...) raise: there is no parameter server."""
from __future__ import annotations

import pickle

from .base import MXNetError
from .ndarray import NDArray

__all__ = ["KVStore", "create"]

_LOCAL = ("local", "device", "local_update_cpu", "local_allreduce_cpu", "local_allreduce_device", "nccl")


def _pairs(key, value, what):
    """Normalise (key, value) or (keys, values) into [(key, [arrays])]."""
    if isinstance(key, (list, tuple)):
        if not isinstance(value, (list, tuple)) or len(key) != len(value):
            raise MXNetError("KVStore.%s: %d keys need %d values (a list per key for several devices)"
                             % (what, len(key), len(key)))
        return [(k, v if isinstance(v, (list, tuple)) else [v]) for k, v in zip(key, value)]
    return [(key, list(value) if isinstance(value, (list, tuple)) else [value])]


class KVStore:
    """A single-process key-value store (see the module docstring)."""

    OPTIMIZER = "optimizer"   # the capability is_capable asks about

    def __init__(self, kind="local"):
        self._type = kind
        self._store = {}
        self._updater = None

    type = property(lambda self: self._type)
    rank = property(lambda self: 0)
    num_workers = property(lambda self: 1)

    def init(self, key, value):
        """Store an initial value (a copy) per key; a key may be initialised once."""
        for k, vals in _pairs(key, value, "init"):
            if k in self._store:
                raise MXNetError("KVStore.init: key %r is already initialised" % (k,))
            self._store[k] = vals[0].copy()

    def _stored(self, k, what):
        if k not in self._store:
            raise MXNetError("KVStore.%s: key %r was never initialised (call init first; keys: %s)"
                             % (what, k, sorted(self._store, key=str)))
        return self._store[k]

    def push(self, key, value, priority=0):
        """Sum the values pushed for each key; with an optimizer, update the stored value
        with the sum as its gradient, otherwise replace it by the sum."""
        for k, vals in _pairs(key, value, "push"):
            stored = self._stored(k, "push")
            total = vals[0].as_in_context(stored.context)
            for v in vals[1:]:
                total = total + v.as_in_context(stored.context)
            if self._updater is not None:
                self._updater(k, total, stored)
            else:
                total.copyto(stored)

    def pull(self, key, out=None, priority=0, ignore_sparse=True):
        """Copy the stored value of each key into out (an array, or a list per key)."""
        if out is None:
            raise MXNetError("KVStore.pull: pass out= (the arrays to fill)")
        for k, outs in _pairs(key, out, "pull"):
            stored = self._stored(k, "pull")
            for o in outs:
                if not isinstance(o, NDArray):
                    raise MXNetError("KVStore.pull: out must hold NDArrays, got %s" % type(o).__name__)
                stored.copyto(o)

    def broadcast(self, key, value, out, priority=0):
        """init each key with its value, then pull it into out."""
        self.init(key, value)
        self.pull(key, out, priority)

    def pushpull(self, key, value, out=None, priority=0):
        """push then pull (into value when out is None)."""
        self.push(key, value, priority)
        self.pull(key, value if out is None else out, priority)

    def row_sparse_pull(self, key, out=None, priority=0, row_ids=None):
        """Pull the rows ``row_ids`` of a row_sparse stored value into ``out`` (row_sparse
        arrays; one row_ids array, or one per out). As in MXNet, a dense stored value is
        refused (use pull)."""
        if out is None or row_ids is None:
            raise MXNetError("KVStore.row_sparse_pull: pass out= (row_sparse arrays) and row_ids=")
        from .ndarray import sparse
        for k, outs in _pairs(key, out, "row_sparse_pull"):
            stored = self._stored(k, "row_sparse_pull")
            if stored.stype != "row_sparse":
                raise MXNetError("KVStore.row_sparse_pull: key %r holds a dense array; row_sparse_pull needs "
                                 "a row_sparse value (as in MXNet); use pull for dense values" % (k,))
            ids = row_ids if isinstance(row_ids, (list, tuple)) else [row_ids] * len(outs)
            if len(ids) != len(outs):
                raise MXNetError("KVStore.row_sparse_pull: %d row_ids arrays for %d outputs of key %r"
                                 % (len(ids), len(outs), k))
            for o, rid in zip(outs, ids):
                sparse.retain(stored, rid).copyto(o)

    def _set_updater(self, updater):
        """Use ``updater(key, pushed, stored)`` on every push (MXNet's low-level hook)."""
        self._updater = updater

    def is_capable(self, capability):
        """Whether this store can apply an optimizer itself ('optimizer': yes)."""
        if capability.lower() != self.OPTIMIZER:
            raise ValueError("KVStore.is_capable: unknown capability %r (known: 'optimizer')" % (capability,))
        return True

    def set_optimizer(self, optimizer):
        """Apply `optimizer` to pushed values from now on (update on the store)."""
        from .optimizer import get_updater
        self._updater = get_updater(optimizer)

    def set_gradient_compression(self, compression_params):
        raise MXNetError("KVStore.set_gradient_compression: gradient compression is for distributed "
                         "stores; this single-process store does not compress")

    def save_optimizer_states(self, fname, dump_optimizer=False):
        if self._updater is None:
            raise MXNetError("KVStore.save_optimizer_states: no optimizer set (set_optimizer first)")
        if not hasattr(self._updater, "save_states_file"):
            raise MXNetError("KVStore.save_optimizer_states: the updater set with _set_updater keeps no states")
        self._updater.save_states_file(fname, dump_optimizer)

    def load_optimizer_states(self, fname):
        if self._updater is None:
            raise MXNetError("KVStore.load_optimizer_states: no optimizer set (set_optimizer first)")
        self._updater.load_states_file(fname)

    def barrier(self):
        pass  # one worker: nothing to wait for

    def __getstate__(self):
        raise pickle.PicklingError("KVStore objects cannot be pickled")


def create(name="local"):
    """A KVStore of kind `name` (the local kinds; see the module docstring)."""
    if isinstance(name, KVStore):
        return name
    if not isinstance(name, str) or name not in _LOCAL:
        raise MXNetError("mx.kv.create: kind %r is not available: mxcore runs in one process, so only the "
                         "local kinds %s exist (no parameter server for dist_*)" % (name, ", ".join(_LOCAL)))
    return KVStore(name)
