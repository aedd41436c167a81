"""Gluon Parameter, Constant and ParameterDict (MXNet 1.x semantics).

A Parameter holds one NDArray per context plus its gradient.  Shapes may contain 0
(unknown); ``initialize`` then defers allocation until the owning layer learns the
input shape at its first forward and calls ``_finish_deferred_init``.
"""
from __future__ import annotations


import itertools
import re
from collections import OrderedDict

import numpy as np

from .. import initializer as _init_mod
from ..numpy._core import as_np as _as_np
from ..numpy_extension._mode import _state as _np_state



class _LazyGrads:
    """The gradient arrays of a parameter's copies, fetched from the core on
    first access (which is when the core allocates them, if no backward has)."""

    __slots__ = ("_data", "_items")

    def __init__(self, data):
        self._data = data
        self._items = None

    def _get(self):
        if self._items is None:
            self._items = [d.grad for d in self._data]
        return self._items

    def __len__(self):
        return len(self._data)

    def __getitem__(self, i):
        return self._get()[i]

    def __iter__(self):
        return iter(self._get())

class DeferredInitializationError(Exception):
    """Raised when a parameter's data is requested before its shape is known."""


def _ctx_mod():
    from .. import context
    return context


def _nd():
    from .. import ndarray as nd
    return nd


def _as_ctx_list(ctx):
    cm = _ctx_mod()
    if ctx is None:
        ctx = [cm.current_context()]
    elif not isinstance(ctx, (list, tuple)):
        ctx = [ctx]
    return list(ctx)


def _shape_known(shape):
    return shape is not None and all(int(s) > 0 for s in shape)


# Generation of every Parameter's arrays: bumped whenever any Parameter's data, grad,
# context list, grad_req or deferred-init state is assigned (initialize, reinit, cast,
# reset_ctx, grad_req changes, deferred init finishing).  Trainer and hybridized graphs
# keep the arrays and C handles they gathered while it is unchanged.  In-place writes
# (set_data, zero_grad, optimizer updates) keep the arrays and do not bump it.
GENERATION = [0]
_NEXT_GENERATION = itertools.count(1).__next__  # atomic under the GIL, unlike += 1


class _Tracked:
    """A write-tracking attribute: assignment bumps GENERATION.  It has no __get__, so
    reads come straight from the instance dict."""

    def __set_name__(self, owner, name):
        self._name = name

    def __set__(self, obj, value, _gen=GENERATION):
        obj.__dict__[self._name] = value
        _gen[0] = _NEXT_GENERATION()


class Parameter:
    """A trainable (or auxiliary) tensor of a Block."""

    _data = _Tracked()
    _grad = _Tracked()
    _ctx_list = _Tracked()
    _deferred_init = _Tracked()
    _grad_req = _Tracked()

    def __init__(self, name, grad_req='write', shape=None, dtype=np.float32, lr_mult=1.0,
                 wd_mult=1.0, init=None, allow_deferred_init=False, differentiable=True,
                 stype='default', grad_stype='default'):
        self._var = None
        self._data = None
        self._grad = None
        self._ctx_list = None
        self._deferred_init = ()
        self._differentiable = differentiable
        self._allow_deferred_init = allow_deferred_init
        self._grad_req = None
        if isinstance(shape, int):
            shape = (shape,)
        self._shape = tuple(shape) if shape is not None else None
        self.name = name
        self._dtype = dtype
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult
        self.grad_req = grad_req
        self.init = init
        for what, val in (('stype', stype), ('grad_stype', grad_stype)):
            if val not in ('default', 'row_sparse', 'csr'):
                raise AssertionError("%s for Parameter '%s' must be one of 'default', 'row_sparse', "
                                     "or 'csr', but got '%s'" % (what, name, val))
        self._stype = stype
        self._grad_stype = grad_stype
        self._structured_name = name

    def __repr__(self):
        return 'Parameter {name} (shape={shape}, dtype={dtype})'.format(
            name=self.name, shape=self.shape, dtype=self.dtype)

    # --- properties -------------------------------------------------------------------
    @property
    def grad_req(self):
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req):
        if req not in ('write', 'add', 'null'):
            raise ValueError("grad_req must be one of 'write', 'add', or 'null', but got %r"
                             % (req,))
        if not self._differentiable:
            req = 'null'
        if self._grad_req == req:
            return
        self._grad_req = req
        if req == 'null' and self._grad is not None:
            self._grad = None
            if self._data is not None:
                self._data = [d.detach() for d in self._data]
        elif self._data is not None:
            self._init_grad()

    @property
    def dtype(self):
        return self._dtype

    @dtype.setter
    def dtype(self, dtype):
        self.cast(dtype)

    @property
    def shape(self):
        return self._shape

    @shape.setter
    def shape(self, new_shape):
        if new_shape is None:
            self._shape = None
            return
        new_shape = tuple(int(s) for s in new_shape)
        if self._shape is None:
            self._shape = new_shape
            return
        if len(self._shape) != len(new_shape) or not all(
                i == j or i in (0, -1) for i, j in zip(self._shape, new_shape)):
            raise ValueError('Expected shape %s is incompatible with given shape %s for '
                             'Parameter %s' % (str(new_shape), str(self._shape), self.name))
        self._shape = new_shape

    @property
    def stype(self):
        return self._stype

    # --- initialization ----------------------------------------------------------------
    def initialize(self, init=None, ctx=None, default_init=None, force_reinit=False):
        if default_init is None:
            default_init = _init_mod.Uniform()
        if self._data is not None and not force_reinit:
            import warnings
            warnings.warn('Parameter %s is already initialized, ignoring. Set '
                          'force_reinit=True to re-initialize.' % self.name, stacklevel=2)
            return
        self._data = self._grad = None
        ctx = _as_ctx_list(ctx)
        if init is None:
            init = default_init if self.init is None else self.init
        if not _shape_known(self._shape):
            if self._allow_deferred_init:
                self._deferred_init = (init, ctx, default_init, None)
                return
            raise ValueError('Cannot initialize Parameter %s because it has invalid shape: %s.'
                             % (self.name, str(self._shape)))
        self._deferred_init = (init, ctx, default_init, None)
        self._finish_deferred_init()

    def _finish_deferred_init(self):
        if not self._deferred_init:
            return
        init, ctx, default_init, data = self._deferred_init
        self._deferred_init = ()
        if not _shape_known(self._shape):
            raise DeferredInitializationError(
                'Cannot initialize Parameter %s because it has invalid shape: %s. Please '
                'specify in_units, in_channels, etc for `Block`s.' % (self.name, self._shape))
        nd = _nd()
        if data is None:
            # initialisation is not part of the model's graph, even when the
            # first (deferred) forward runs inside autograd.record()
            from .. import autograd
            with autograd.pause():
                data = nd.zeros(self._shape, ctx=ctx[0], dtype=self._dtype)
                desc = _init_mod.InitDesc(self.name, {'__init__': init})
                _init_mod.create(default_init)(desc, data)
        self._init_impl(data, ctx)

    def _init_impl(self, data, ctx_list):
        self._ctx_list = list(ctx_list)
        self._data = [data.copyto(c) if i else (data if data.context == c else data.copyto(c))
                      for i, c in enumerate(self._ctx_list)]
        self._init_grad()

    def _init_grad(self):
        if self.grad_req == 'null':
            self._grad = None
            return
        for d in self._data:
            d.attach_grad(self.grad_req)
        # The core owns the gradient buffers and creates them on first use (a
        # backward, or reading .grad()), so inference never allocates them.
        self._grad = _LazyGrads(self._data)

    def _check_and_get(self, arr_list, ctx):
        if arr_list is not None:
            if ctx is list:
                return arr_list
            if len(arr_list) == 1:
                if ctx is None:
                    return arr_list[0]
                c = self._ctx_list[0]
                if c is ctx or (c.device_typeid == getattr(ctx, 'device_typeid', None)
                                and c.device_id == getattr(ctx, 'device_id', None)):
                    return arr_list[0]
            elif ctx is None:
                ctx = _ctx_mod().current_context()
            for i, c in enumerate(self._ctx_list):
                if c == ctx:
                    return arr_list[i]
            raise RuntimeError('Parameter %s was not initialized on context %s. It was only '
                               'initialized on %s.' % (self.name, str(ctx),
                                                       str(self._ctx_list)))
        if self._deferred_init:
            raise DeferredInitializationError(
                "Parameter '%s' has not been initialized yet because initialization was "
                'deferred. Actual initialization happens during the first forward pass. '
                'Please pass one batch of data through the network before accessing '
                'Parameters.' % self.name)
        raise RuntimeError("Parameter '%s' has not been initialized. Note that you should "
                           'initialize parameters and create Trainer with '
                           'Block.collect_params() instead of Block.params because the later '
                           'does not include Parameters of nested child Blocks' % self.name)

    # --- accessors ---------------------------------------------------------------------
    def data(self, ctx=None):
        d = self._check_and_get(self._data, ctx)
        return _as_np(d) if _np_state.array else d  # numpy mode: an mx.np.ndarray on the same tensor

    def list_data(self):
        return self._check_and_get(self._data, list)

    def grad(self, ctx=None):
        if self._data is not None and self._grad is None:
            raise RuntimeError("Cannot get gradient array for Parameter '%s' because "
                               "grad_req='null'" % self.name)
        g = self._check_and_get(self._grad, ctx)
        if self._grad_stype == 'row_sparse':
            return self._rsp_view(g)
        return _as_np(g) if _np_state.array else g

    def list_grad(self):
        if self._data is not None and self._grad is None:
            raise RuntimeError("Cannot get gradient array for Parameter '%s' because "
                               "grad_req='null'" % self.name)
        grads = self._check_and_get(self._grad, list)
        if self._grad_stype == 'row_sparse':
            return [self._rsp_view(g) for g in grads]
        return grads

    def _note_rows(self, indices):
        """An Embedding(sparse_grad=True) forward under autograd notes its indices (eagerly
        run forwards only): the row_sparse gradient holds these rows, as MXNet's holds the
        batch's indices, even where their gradient is zero (masked padding). With
        grad_req='write' a new autograd.record() session starts a new set; zero_grad
        clears it."""
        from .. import autograd
        session = autograd.RECORD_SESSION[0]
        if self.__dict__.get('_rows_session') != session and self.grad_req == 'write':
            self._rows_noted = {}
        self._rows_session = session
        # per context: each copy's gradient holds the rows of its own batches
        self.__dict__.setdefault('_rows_noted', {}).setdefault(str(indices.context), []).append(indices)

    def _rsp_view(self, dense):
        """The row_sparse view of a dense gradient buffer (one per buffer, so callers that
        keep the gradient objects, as Trainer does, see the same one every step)."""
        views = self.__dict__.setdefault('_rsp_views', {})
        hit = views.get(id(dense))
        if hit is None or hit[0] is not dense:
            from ..ndarray.sparse import RowSparseGradView
            ctx = str(dense.context)
            hit = views[id(dense)] = (dense, RowSparseGradView(
                dense, lambda: self.__dict__.get('_rows_noted', {}).get(ctx)))
        return hit[1]

    def list_ctx(self):
        if self._data is None:
            if self._deferred_init:
                return self._deferred_init[1]
            raise RuntimeError("Parameter '%s' has not been initialized" % self.name)
        return list(self._ctx_list)

    def set_data(self, data):
        nd = _nd()
        if not isinstance(data, nd.NDArray):
            data = nd.array(np.asarray(data), dtype=self._dtype)
        self.shape = data.shape
        if self._data is None:
            if self._deferred_init:
                init, ctx, default_init, _ = self._deferred_init
                self._deferred_init = (init, ctx, default_init, data)
                self._finish_deferred_init()
                return
            raise RuntimeError("Parameter '%s' has not been initialized" % self.name)
        for arr in self._data:
            arr[:] = data.as_in_context(arr.context).astype(arr.dtype, copy=False) \
                if data.dtype != arr.dtype else data.as_in_context(arr.context)

    def _load_init(self, data, ctx, cast_dtype=False, dtype_source='current', _owned=False):
        """(Re)initialize from loaded ``data``. As MXNet 1.9.1, a dtype different from the
        Parameter's raises unless ``cast_dtype``; then ``dtype_source`` 'current' casts the
        data and 'saved' casts the Parameter. ``_owned``: ``data`` was just read from a file
        and nothing else refers to it, so a first initialization keeps it instead of a copy
        (SymbolBlock.imports of ResNet-50, warm: 0.13 -> 0.09 s, and no second 100 MB)."""
        nd = _nd()
        if not isinstance(data, nd.NDArray):
            data = nd.array(np.asarray(data))
        if cast_dtype and dtype_source not in ('current', 'saved'):
            raise AssertionError("dtype_source must be 'current' or 'saved', got %r"
                                 % (dtype_source,))
        if self._shape is not None:
            if len(self._shape) != len(data.shape) or not all(
                    s in (0, -1) or s == d for s, d in zip(self._shape, data.shape)):
                raise AssertionError(
                    "Failed loading Parameter '%s' from saved params: shape incompatible "
                    'expected %s vs saved %s' % (self.name, str(self.shape), str(data.shape)))
        if np.dtype(self._dtype) != np.dtype(data.dtype):
            if not cast_dtype:
                raise AssertionError(
                    "Failed loading Parameter '%s' from saved params: dtype incompatible "
                    'expected %s vs saved %s. Set cast_dtype=True to cast the dtype of saved '
                    'params.' % (self.name, str(self.dtype), str(np.dtype(data.dtype).type)))
            if dtype_source == 'current':
                data = data.astype(self._dtype)
            else:
                self.cast(np.dtype(data.dtype).type)   # MXNet keeps the numpy type
        self._shape = tuple(data.shape)
        if self._data is None:
            if self._deferred_init:
                ctx = self._deferred_init[1] if ctx is None else ctx
            ctx = _as_ctx_list(ctx)
            self._deferred_init = ()
            self._init_impl(data if _owned else data.copy(), ctx)
        else:
            self.set_data(data)

    def zero_grad(self):
        if self._grad is None:
            return
        self.__dict__.pop('_rows_noted', None)
        for g in self._grad:
            g[:] = 0

    def reset_ctx(self, ctx):
        ctx = _as_ctx_list(ctx)
        if self._data is not None:
            data = self._data[0]
            self._init_impl(data.copyto(ctx[0]) if data.context != ctx[0] else data, ctx)
        elif self._deferred_init:
            init, _, default_init, data = self._deferred_init
            self._deferred_init = (init, ctx, default_init, data)
        else:
            raise ValueError('Cannot reset context for Parameter %s because it has not been '
                             'initialized.' % self.name)

    def cast(self, dtype):
        self._dtype = dtype
        if self._data is None:
            return
        self._data = [d.astype(dtype) for d in self._data]
        self._init_grad()

    def var(self):
        """The Symbol variable of this Parameter (created once, then cached): its name,
        shape, dtype, lr/wd multipliers, initializer and storage type as attributes."""
        if self._var is None:
            from .. import symbol
            self._var = symbol.var(self.name, shape=self.shape, dtype=self.dtype,
                                   lr_mult=self.lr_mult, wd_mult=self.wd_mult,
                                   init=self.init, stype=self._stype)
        return self._var

    def row_sparse_data(self, row_id):
        return self.data(row_id.context)

    def list_row_sparse_data(self, row_id):
        return self.list_data()


class Constant(Parameter):
    """A non-trainable parameter with a fixed value."""

    def __init__(self, name, value):
        nd = _nd()
        if not isinstance(value, nd.NDArray):
            value = nd.array(np.asarray(value, dtype='float32'))
        self.value = value

        class _CInit(_init_mod.Initializer):
            def _init_weight(_self, _, arr):
                arr[:] = value.as_in_context(arr.context)

        super().__init__(name, grad_req='null', shape=value.shape, dtype=value.dtype,
                         init=_CInit())

    def __repr__(self):
        return 'Constant {name} (shape={shape}, dtype={dtype})'.format(
            name=self.name, shape=self.shape, dtype=self.dtype)

    @property
    def grad_req(self):
        return 'null'

    @grad_req.setter
    def grad_req(self, req):
        if req != 'null':
            import warnings
            warnings.warn('Constant parameter "{}" does not support grad_req other than '
                          '"null", and new value "{}" is ignored.'.format(self.name, req))
        self._grad_req = 'null'


class ParameterDict:
    """An ordered name -> Parameter mapping with a shared prefix."""

    def __init__(self, prefix='', shared=None):
        self._prefix = prefix
        self._params = OrderedDict()
        self._shared = shared

    def __repr__(self):
        s = '{name}(\n{content}\n)'
        name = self._prefix + ' ' if self._prefix else ''
        return s.format(name=name, content='\n'.join(
            '  ' + repr(v) for v in self.values()))

    def __getitem__(self, key):
        return self._params[key]

    def __iter__(self):
        return iter(self._params)

    def __len__(self):
        return len(self._params)

    def __contains__(self, key):
        return key in self._params

    def items(self):
        return self._params.items()

    def keys(self):
        return self._params.keys()

    def values(self):
        return self._params.values()

    @property
    def prefix(self):
        return self._prefix

    def _get_impl(self, name):
        if name in self._params:
            return self._params[name]
        if self._shared is not None and name in self._shared._params:
            self._params[name] = self._shared._params[name]
            return self._shared._params[name]
        return None

    def get(self, name, **kwargs):
        """Get prefix+name, creating it with ``kwargs`` if absent."""
        name = self._prefix + name
        param = self._get_impl(name)
        if param is None:
            param = Parameter(name, **kwargs)
            self._params[name] = param
        else:
            for k, v in kwargs.items():
                if hasattr(param, k) and getattr(param, k) is not None:
                    existing = getattr(param, k)
                    if k == 'shape' and v is not None:
                        v = (v,) if isinstance(v, int) else tuple(v)
                        if len(v) == len(existing):
                            param.shape = tuple(
                                e if (s in (0, -1)) else s for s, e in zip(v, existing))
                            continue
                    if k == 'init' or existing == v or v is None:
                        continue
                    if k == 'dtype' and np.dtype(v) == np.dtype(existing):
                        continue
                    raise AssertionError(
                        "Cannot retrieve Parameter '%s' because desired attribute does not "
                        "match with stored for attribute '%s': desired '%s' vs stored '%s'."
                        % (name, k, str(v), str(existing)))
                else:
                    setattr(param, k, v)
        return param

    def get_constant(self, name, value=None):
        name = self._prefix + name
        param = self._get_impl(name)
        if param is None:
            if value is None:
                raise KeyError('No constant named %s. Please specify value if you want to '
                               'create a new constant.' % name)
            param = Constant(name, value)
            self._params[name] = param
        return param

    def update(self, other):
        for k, v in other.items():
            if k in self._params and self._params[k] is not v:
                raise ValueError("Cannot update self with other because they have different "
                                 "Parameters with the same name '%s'" % k)
        for k, v in other.items():
            self._params[k] = v

    def initialize(self, init=None, ctx=None, verbose=False, force_reinit=False):
        if init is None:
            init = _init_mod.Uniform()
        if verbose and hasattr(init, 'set_verbosity'):
            init.set_verbosity(verbose=verbose)
        for v in self.values():
            v.initialize(None, ctx, init, force_reinit=force_reinit)

    def zero_grad(self):
        for v in self.values():
            v.zero_grad()

    def reset_ctx(self, ctx):
        for v in self.values():
            v.reset_ctx(ctx)

    def list_ctx(self):
        s = []
        for v in self.values():
            for c in v.list_ctx():
                if c not in s:
                    s.append(c)
        return s

    def setattr(self, name, value):
        for v in self.values():
            setattr(v, name, value)

    def select(self, select):
        ret = ParameterDict(self._prefix)
        pattern = re.compile(select)
        for k, v in self.items():
            if pattern.match(k):
                ret._params[k] = v
        return ret

    def save(self, filename, strip_prefix=''):
        nd = _nd()
        arg_dict = {}
        for param in self.values():
            weight = param.data(param.list_ctx()[0]) if len(param.list_ctx()) > 1 \
                else param.data()
            if not param.name.startswith(strip_prefix):
                raise ValueError("Prefix '%s' is to be striped before saving, but Parameter's "
                                 "name '%s' does not start with '%s'."
                                 % (strip_prefix, param.name, strip_prefix))
            arg_dict[param.name[len(strip_prefix):]] = weight
        nd.save(filename, arg_dict)

    def load(self, filename, ctx=None, allow_missing=False, ignore_extra=False,
             restore_prefix='', cast_dtype=False, dtype_source='current'):
        nd = _nd()
        loaded = nd.load(filename) if isinstance(filename, str) else filename
        if isinstance(loaded, list):  # a file of no parameters saves as an empty list
            if loaded:
                raise ValueError("'%s' holds unnamed arrays, not parameters" % filename)
            loaded = {}
        arg_dict = {}
        for k, v in loaded.items():
            if k.startswith('arg:') or k.startswith('aux:'):
                k = k[4:]
            arg_dict[restore_prefix + k] = v
        if not allow_missing:
            for name in self.keys():
                if name not in arg_dict:
                    raise AssertionError("Parameter '%s' is missing in file '%s'"
                                         % (name[len(restore_prefix):], filename))
        for name in arg_dict:
            if name not in self._params:
                if not ignore_extra:
                    raise AssertionError("Parameter '%s' loaded from file '%s' is not present "
                                         'in ParameterDict' % (name[len(restore_prefix):],
                                                               filename))
                continue
            self[name]._load_init(arg_dict[name], ctx, cast_dtype=cast_dtype,
                                  dtype_source=dtype_source, _owned=isinstance(filename, str))


__all__ = ['Parameter', 'Constant', 'ParameterDict', 'DeferredInitializationError']
