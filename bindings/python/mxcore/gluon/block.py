"""Block and HybridBlock: the Gluon layer base classes (MXNet 1.x semantics).

Naming follows MXNet 1.x: a top-level block gets a process-wide counter prefix
(``dense0_``), a child created inside ``parent.name_scope()`` gets the parent prefix
plus a per-parent counter (``hybridsequential0_dense0_``).

Hybridization (the CachedOp equivalent): on the first call of a hybridized block
with given input shapes/dtypes, ``hybrid_forward`` is traced with ``F = mx.sym``
(parameters become variables named by their full names) into one Symbol, which
the core turns into a graph; every later call is one ``mx_graph_run`` with the
inputs and the parameters' own arrays as arguments (aux states such as BatchNorm's
running statistics are updated in place). Autograd records the graph's ops when
recording is on, so gradients reach the Parameters. New input shapes or dtypes
trigger a new trace (shapes may be baked in by layer code that reads ``x.shape``).
"""
from __future__ import annotations

import os
import re
import threading
import warnings
from collections import OrderedDict

from .. import autograd as _autograd
from .. import ndarray as _nd
from ..base import _raise, ffi, lib
from ..ndarray.ndarray import NDArray as _NDArray
from ..ndarray.ndarray import _new
from ..numpy._core import as_nd_tree as _as_nd_tree
from ..numpy._core import as_np_tree as _as_np_tree
from ..numpy_extension._mode import _state as _np_state
from .parameter import GENERATION as _PARAM_GEN
from .parameter import DeferredInitializationError, Parameter, ParameterDict

_SYMBOL = []  # [mx.sym.Symbol], filled on first use (mx.sym loads after gluon)


def _symbol_cls():
    if not _SYMBOL:
        from ..symbol import Symbol
        _SYMBOL.append(Symbol)
    return _SYMBOL[0]

_COUNTER_LOCK = threading.Lock()


class _BlockScope:
    _current = threading.local()

    def __init__(self, block):
        self._block = block
        self._counter = {}
        self._old_scope = None

    @staticmethod
    def create(prefix, params, hint):
        current = getattr(_BlockScope._current, 'value', None)
        if current is None:
            if prefix is None:  # top-level blocks count in the current mx.name.NameManager, as in MXNet
                from ..symbol.symbol import current_name_manager
                with _COUNTER_LOCK:
                    prefix = current_name_manager().get(None, hint) + '_'
            if params is None:
                params = ParameterDict(prefix)
            else:
                params = ParameterDict(params.prefix, params)
            return prefix, params
        if prefix is None:
            count = current._counter.get(hint, 0)
            prefix = '%s%d_' % (hint, count)
            current._counter[hint] = count + 1
        if params is None:
            parent = current._block.params
            params = ParameterDict(parent.prefix + prefix, parent._shared)
        else:
            params = ParameterDict(params.prefix, params)
        return current._block.prefix + prefix, params

    def __enter__(self):
        if self._block._empty_prefix:
            return self
        self._old_scope = getattr(_BlockScope._current, 'value', None)
        _BlockScope._current.value = self
        return self

    def __exit__(self, ptype, value, trace):
        if self._block._empty_prefix:
            return
        _BlockScope._current.value = self._old_scope


class _HookHandle:
    def __init__(self, hooks, key):
        self._hooks = hooks
        self._key = key

    def detach(self):
        self._hooks.pop(self._key, None)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.detach()


def _indent(s, n):
    lines = s.split('\n')
    return '\n'.join([lines[0]] + [' ' * n + ln for ln in lines[1:]])


_RNN_LEGACY_KEY = re.compile(r'^(.*?)([lr])(\d+)_(i2h|h2h|h2r)_(weight|bias)$')


def _rnn_legacy_key(key, params):
    """A fused RNN layer's parameter name as mxcore wrote it before it used MXNet's
    (``0.l0_i2h_weight``; now ``0._unfused.0.i2h_weight``, bidirectional
    ``0._unfused.0.l_cell.i2h_weight``), mapped to the current name when that one
    exists; other names unchanged."""
    if key in params:
        return key
    m = _RNN_LEGACY_KEY.match(key)
    if m is None:
        return key
    head, d, layer, g, t = m.groups()
    for cand in ('%s_unfused.%s.%s_cell.%s_%s' % (head, layer, d, g, t), '%s_unfused.%s.%s_%s' % (head, layer, g, t)):
        if cand in params and (d == 'l' or '_cell.' in cand):
            return cand
    return key


class Block:
    """Base class of all layers and models."""

    def __init__(self, prefix=None, params=None):
        self._empty_prefix = prefix == ''
        self._prefix, self._params = _BlockScope.create(prefix, params, self._alias())
        self._name = self._prefix[:-1] if self._prefix.endswith('_') else self._prefix
        self._scope = _BlockScope(self)
        self._children = OrderedDict()
        self._reg_params = OrderedDict()
        self._forward_hooks = OrderedDict()
        self._forward_pre_hooks = OrderedDict()
        self._hook_id = 0

    def __repr__(self):
        s = '{name}(\n{modstr}\n)'
        modstr = '\n'.join('  ({key}): {block}'.format(key=key, block=_indent(repr(b), 2))
                           for key, b in self.__dict__.items() if isinstance(b, Block))
        return s.format(name=self.__class__.__name__, modstr=modstr)

    def __setattr__(self, name, value):
        if hasattr(self, name):
            existing = getattr(self, name)
            if isinstance(existing, (Parameter, Block)) and not isinstance(value, type(existing)):
                raise TypeError('Changing attribute type for {name} from {type1} to {type2} is '
                                'not allowed.'.format(name=name, type1=type(existing),
                                                      type2=type(value)))
        if isinstance(value, Block):
            self.register_child(value, name)
        elif isinstance(value, Parameter):
            if name in self.__dict__.get('_reg_params', {}) and False:
                pass
            self._reg_params[name] = value
        super().__setattr__(name, value)

    def _alias(self):
        return self.__class__.__name__.lower()

    @property
    def prefix(self):
        return self._prefix

    @property
    def name(self):
        return self._name

    def name_scope(self):
        return self._scope

    @property
    def params(self):
        return self._params

    def collect_params(self, select=None):
        self._warn_unregistered_blocks()
        ret = ParameterDict(self._params.prefix)
        if not select:
            ret.update(self.params)
        else:
            ret.update(self.params.select(select))
        for child in self._children.values():
            ret.update(child.collect_params(select=select))
        return ret

    def _warn_unregistered_blocks(self):
        """Warn, as MXNet does, about Blocks held in a plain list/tuple/dict attribute:
        they are not children, so their parameters are silently left out."""
        children = {id(c) for c in self._children.values()}

        def holds_stray(obj):
            if isinstance(obj, Block):
                return id(obj) not in children
            if isinstance(obj, dict):
                obj = obj.values()
            elif not isinstance(obj, (list, tuple)):
                return False
            return any(holds_stray(o) for o in obj)

        for name, value in self.__dict__.items():
            if name in ('_children', '_reg_params') or name.startswith('__'):
                continue
            if isinstance(value, (list, tuple, dict)) and holds_stray(value):
                warnings.warn('"%s.%s" is an unregistered container with Blocks. Note that Blocks inside '
                              'the list, tuple or dict will not be registered automatically. Make sure to '
                              'register them using register_child() or switching to '
                              'nn.Sequential/nn.HybridSequential instead.'
                              % (type(self).__name__, name), stacklevel=3)

    def _collect_params_with_prefix(self, prefix=''):
        if prefix:
            prefix += '.'
        ret = {prefix + key: val for key, val in self._reg_params.items()}
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

    def save_parameters(self, filename, deduplicate=False):
        from .. import ndarray as nd
        params = self._collect_params_with_prefix()
        if deduplicate:
            seen = {}
            arg_dict = {}
            for k, v in params.items():
                if id(v) not in seen:
                    seen[id(v)] = k
                    arg_dict[k] = v
        else:
            arg_dict = params
        arrays = {k: v._check_and_get(v._data, list)[0] for k, v in arg_dict.items()}
        # a row_sparse parameter (SparseEmbedding's weight) is written as row_sparse, all rows, as MXNet does
        arrays = {k: a.tostype('row_sparse') if arg_dict[k]._stype == 'row_sparse' else a for k, a in arrays.items()}
        nd.save(filename, arrays)

    def load_parameters(self, filename, ctx=None, allow_missing=False, ignore_extra=False,
                        cast_dtype=False, dtype_source='current'):
        from .. import ndarray as nd
        loaded = nd.load(filename)
        if isinstance(loaded, list):  # a block without parameters saves an empty list
            if loaded:
                raise ValueError('%s holds an unnamed list of arrays, not parameters' % filename)
            loaded = {}
        params = self._collect_params_with_prefix()
        if not loaded and not params:
            return
        if not any('.' in k for k in loaded):
            # Legacy file written by collect_params().save(): full prefixed names.
            del loaded
            self.collect_params().load(filename, ctx, allow_missing, ignore_extra,
                                       self.prefix, cast_dtype=cast_dtype,
                                       dtype_source=dtype_source)
            return
        loaded = {_rnn_legacy_key(k, params): v for k, v in loaded.items()}
        if not allow_missing:
            params_inv = {}
            for k, v in params.items():
                params_inv.setdefault(id(v), []).append(k)
            for name, param in params.items():
                if not any(n in loaded for n in params_inv[id(param)]):
                    raise AssertionError(
                        "Parameter '%s' is missing in file '%s', which contains parameters: "
                        '%s. Set allow_missing=True to ignore missing parameters.'
                        % (name, filename, ', '.join(sorted(loaded))[:400]))
        for name in loaded:
            if not ignore_extra and name not in params:
                raise ValueError(  # MXNet's type: code may catch ValueError here
                    "Parameter '%s' loaded from file '%s' is not present in this Block, "
                    'which contains parameters %s. Set ignore_extra=True to ignore.'
                    % (name, filename, ', '.join(sorted(params))[:400]))
            if name in params:
                params[name]._load_init(loaded[name], ctx, cast_dtype=cast_dtype,
                                        dtype_source=dtype_source, _owned=True)  # fresh from nd.load

    # MXNet 1.x legacy names
    def save_params(self, filename):
        self.collect_params().save(filename, strip_prefix=self.prefix)

    def load_params(self, filename, ctx=None, allow_missing=False, ignore_extra=False):
        self.load_parameters(filename, ctx, allow_missing, ignore_extra)

    def register_child(self, block, name=None):
        if name is None:
            name = str(len(self._children))
        self._children[name] = block

    def register_forward_pre_hook(self, hook):
        self._hook_id += 1
        self._forward_pre_hooks[self._hook_id] = hook
        return _HookHandle(self._forward_pre_hooks, self._hook_id)

    def register_forward_hook(self, hook):
        self._hook_id += 1
        self._forward_hooks[self._hook_id] = hook
        return _HookHandle(self._forward_hooks, self._hook_id)

    def apply(self, fn):
        for cld in self._children.values():
            cld.apply(fn)
        fn(self)
        return self

    def initialize(self, init=None, ctx=None, verbose=False, force_reinit=False):
        from .. import initializer
        if init is None:
            init = initializer.Uniform()
        self.collect_params().initialize(init, ctx, verbose, force_reinit)

    def hybridize(self, active=True, **kwargs):
        for cld in self._children.values():
            cld.hybridize(active, **kwargs)

    def cast(self, dtype):
        for child in self._children.values():
            child.cast(dtype)
        for p in self.params.values():
            p.cast(dtype)

    def zero_grad(self):
        self.collect_params().zero_grad()

    def reset_ctx(self, ctx):
        self.collect_params().reset_ctx(ctx)

    def __call__(self, *args, **kwargs):
        if _np_state.array:
            return _np_mode_call(self, Block._call_plain, args, kwargs)
        return self._call_plain(*args, **kwargs)

    def _call_plain(self, *args, **kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            hook(self, args)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            hook(self, args, out)
        return out

    def forward(self, *args):
        raise NotImplementedError

    def summary(self, *inputs):
        """Print, in MXNet's layout, the output shape and own parameter count of every
        block (children before their parent, as their forwards finish) after one
        forward of `inputs`, then the parameter totals. As in MXNet, no block may be
        hybridized (AssertionError)."""
        rows = [('Input', _shape_text(inputs[0] if len(inputs) == 1 else list(inputs)), 0)]
        seen, hooks = set(), []
        totals = {'all': 0, 'trainable': 0, 'shared': 0}

        def _hook(block, _inp, out):
            name = type(block).__name__
            n = 0
            for p in block._reg_params.values():
                size = int(_prod(p.shape)) if p.shape is not None else 0
                n += size
                totals['all'] += size
                if p.grad_req != 'null':
                    totals['trainable'] += size
                if id(p) in seen:
                    totals['shared'] += size
                seen.add(id(p))
            rows.append(('%s-%d' % (name, len(rows)), _shape_text(out), n))

        def _check(block):
            if getattr(block, '_active', False):
                raise AssertionError('"%s" must not be hybridized to print summary.' % block.name)

        def _register(block):  # containers have no row of their own (MXNet's rule)
            if type(block).__name__ not in ('Sequential', 'HybridSequential'):
                hooks.append(block.register_forward_hook(_hook))

        self.apply(_check)
        self.apply(_register)
        try:
            with _EagerScope():
                self(*inputs)
        finally:
            for h in hooks:
                h.detach()
        line = '-' * 80
        print(line)
        print('{:>20}  {:>42} {:>15}'.format('Layer (type)', 'Output Shape', 'Param #'))
        print('=' * 80)
        for name, shape, n in rows:
            print('{:>20}  {:>42} {:>15}'.format(name, shape, n))
        print('=' * 80)
        print('Parameters in forward computation graph, duplicate included')
        print('   Total params: %d' % totals['all'])
        print('   Trainable params: %d' % totals['trainable'])
        print('   Non-trainable params: %d' % (totals['all'] - totals['trainable']))
        print('Shared params in forward computation graph: %d' % totals['shared'])
        print('Unique parameters in model: %d' % (totals['all'] - totals['shared']))
        print(line)


def _shape_text(out):
    """An output as MXNet's summary shows it: its shape, or the shapes of a list."""
    if isinstance(out, (list, tuple)):
        return str([_shape_text(o) for o in out]) if len(out) != 1 else _shape_text(out[0])
    return str(tuple(out.shape)) if hasattr(out, 'shape') else str(out)


def _prod(shape):
    n = 1
    for s in shape:
        n *= int(s)
    return n


# ---- hybridize machinery ----------------------------------------------------------
_STATE = threading.local()


def _eager_only():
    return getattr(_STATE, 'eager', 0) > 0


class _EagerScope:
    """Run hybridized blocks eagerly (deferred parameter initialization pass)."""

    def __enter__(self):
        _STATE.eager = getattr(_STATE, 'eager', 0) + 1

    def __exit__(self, *exc):
        _STATE.eager -= 1


def _np_mode_call(block, call, args, kwargs):
    """A block called in numpy mode (npx.set_np()): mxcore's own layers get legacy
    NDArray handles on the same tensors (their code is written for mx.nd), user
    blocks get mx.np arrays; every block returns mx.np arrays."""
    conv = _as_nd_tree if type(block).__module__.startswith(_OWN_PREFIX) else _as_np_tree
    args = conv(args)
    if kwargs:
        kwargs = {k: conv(v) for k, v in kwargs.items()}
    return _as_np_tree(call(block, *args, **kwargs))


_OWN_PREFIX = __name__.split('.')[0] + '.'


def _flatten(obj, what):
    """Nested lists/tuples of arrays -> (flat list, format)."""
    if obj is None:
        return [], -1
    if isinstance(obj, (list, tuple)):
        flat, fmts = [], []
        for o in obj:
            f, fmt = _flatten(o, what)
            flat.extend(f)
            fmts.append(fmt)
        return flat, (type(obj) is tuple, tuple(fmts))
    return [obj], 0


_ONE_INPUT_FMT = (True, (0,))  # _flatten's format of a 1-tuple of arrays


def _as_lists(fmt):
    """A _flatten format whose tuples regroup as lists."""
    if fmt in (0, -1):
        return fmt
    return (False, tuple(_as_lists(f) for f in fmt[1]))


def _split_grouped(obj, symbol_cls):
    """A traced output with several outputs (F.topk(ret_typ='both'), F.split) as the
    list of its outputs, as MXNet returns it from a hybridized block (and as the eager
    call returns NDArrays)."""
    if isinstance(obj, (list, tuple)):
        return type(obj)(_split_grouped(o, symbol_cls) for o in obj)
    if isinstance(obj, symbol_cls) and len(obj._outs) > 1:
        return [obj[i] for i in range(len(obj._outs))]
    return obj


def _regroup(flat, fmt):
    """Inverse of _flatten: returns (object, remaining)."""
    if fmt == -1:
        return None, flat
    if fmt == 0:
        return flat[0], flat[1:]
    is_tuple, fmts = fmt
    out = []
    for f in fmts:
        o, flat = _regroup(flat, f)
        out.append(o)
    return (tuple(out) if is_tuple else out), flat


def _param_var(param):
    """The graph variable of a Parameter in the current trace (one per Parameter)."""
    from .. import symbol as sym
    table = getattr(_STATE, 'vars', None)
    if table is not None and id(param) in table:
        return table[id(param)][0]
    shape = param.shape
    # the initializer travels as the variable's __init__ attribute (MXNet's Parameter.var()),
    # so Module.init_params and exported graphs honour per-parameter initializers
    init = param.init if isinstance(param.init, str) or hasattr(param.init, 'dumps') else None
    v = sym.var(param.name, shape=shape if shape is not None else None, dtype=param.dtype,
                lr_mult=param.lr_mult, wd_mult=param.wd_mult, init=init)
    if table is not None:
        table[id(param)] = (v, param)
    return v


class _CachedGraph:
    """A traced block: the Symbol, its core graph and where each argument comes from."""

    def __init__(self, sym, out_fmt, input_names, params):
        self.sym = sym
        self.out_fmt = out_fmt
        self.graph = sym._graph()
        self.arg_names = self.graph.names(0)
        self.aux_names = self.graph.names(1)
        self.n_out = len(self.graph.names(2))
        self.arg_src = []
        for n in self.arg_names:
            if n in input_names:
                self.arg_src.append(input_names.index(n))
            elif n in params:
                self.arg_src.append(params[n])
            else:
                raise RuntimeError("hybridize: graph argument '%s' is neither an input (%s) nor a Parameter"
                                   % (n, input_names))
        missing = [n for n in self.aux_names if n not in params]
        if missing:
            raise RuntimeError("hybridize: auxiliary state(s) %s are not Parameters" % missing)
        self.aux_src = [params[n] for n in self.aux_names]
        self.in_slots = [(i, s) for i, s in enumerate(self.arg_src) if type(s) is int]
        self._tls = threading.local()

    def _bind(self, b, ctx, ctx_key):
        """Fill the per-thread handle arrays with the parameters' arrays on ``ctx``.
        The arrays are kept (``b.pins``) so their handles stay valid while bound."""
        args = [None if type(s) is int else s.data(ctx) for s in self.arg_src]
        aux = [p.data(ctx) for p in self.aux_src]
        for i, a in enumerate(args):
            if a is not None:
                b.args[i] = a.handle
        for i, a in enumerate(aux):
            b.aux[i] = a.handle
        b.pins = (args, aux)
        b.key = (_PARAM_GEN[0], ctx_key)

    def __call__(self, flat_in):
        # One mx_graph_run per call.  The parameter handles are bound once per thread and
        # rebound when any Parameter's arrays change (GENERATION) or the input context does.
        b = self._tls.__dict__.get('b')
        if b is None:
            b = self._tls.b = _GraphBufs(len(self.arg_src), len(self.aux_src), self.n_out)
        if flat_in:
            ctx = flat_in[0].context
            ctx_key = (ctx.device_typeid, ctx.device_id)
        else:
            ctx = ctx_key = None
        if b.key != (_PARAM_GEN[0], ctx_key):
            self._bind(b, ctx, ctx_key)
        a = b.args
        for i, s in self.in_slots:
            a[i] = flat_in[s].handle
        flag = b.flag
        lib.mx_autograd_is_training(flag)
        n = b.n
        if lib.mx_graph_run(self.graph.handle, a, len(self.arg_src), b.aux, len(self.aux_src),
                            flag[0], b.outs, b.max_out, n):
            _raise()
        outs = b.outs
        if self.out_fmt == 0 and n[0] == 1:
            return _new(outs[0])
        return _regroup([_new(outs[i]) for i in range(n[0])], self.out_fmt)[0]


class _GraphBufs:
    """Per-thread cffi arrays of one cached graph (arguments, aux states, outputs)."""

    __slots__ = ('args', 'aux', 'flag', 'key', 'max_out', 'n', 'outs', 'pins')

    def __init__(self, n_args, n_aux, n_out):
        self.args = ffi.new('mx_tensor[]', max(n_args, 1))
        self.aux = ffi.new('mx_tensor[]', max(n_aux, 1))
        self.max_out = max(n_out, 1)
        self.outs = ffi.new('mx_tensor[]', self.max_out)
        self.n = ffi.new('int *')
        self.flag = ffi.new('int *')
        self.pins = None
        self.key = None


def _named_layer_error(e, what, layer=None):
    """MXNetError for an error raised while hybridize ran a layer's code, naming the
    layer in ``what`` (a '%s' format): the given one, else the innermost Block whose forward/hybrid_forward frame
    the traceback passes through. An error that already names its layer is kept."""
    if getattr(e, '_mx_traced', False):
        return e
    if layer is None:
        tb = e.__traceback__
        while tb is not None:
            f = tb.tb_frame
            if f.f_code.co_name in ('hybrid_forward', 'forward') and isinstance(f.f_locals.get('self'), Block):
                layer = f.f_locals['self']
            tb = tb.tb_next
    from ..base import MXNetError
    name = "layer '%s' (%s)" % (layer.name, type(layer).__name__) if layer is not None else 'a layer'
    err = MXNetError("hybridize: %s failed: %s: %s" % (what % name, type(e).__name__, e))
    err._mx_traced = True
    return err


class HybridBlock(Block):
    """A Block whose computation is written once as ``hybrid_forward(F, x, ...)``."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._active = False
        self._flags = {}
        self._cached = {}
        self._last_cached = None

    def hybridize(self, active=True, static_alloc=False, static_shape=False, **kwargs):
        self._active = active
        self._flags = dict(kwargs, static_alloc=static_alloc, static_shape=static_shape)
        self._clear_cached_op()
        super().hybridize(active, static_alloc=static_alloc, static_shape=static_shape, **kwargs)

    def _clear_cached_op(self):
        self._cached = {}
        self._last_cached = None

    def register_child(self, block, name=None):
        super().register_child(block, name)
        self._clear_cached_op()  # a new or replaced child changes the graph

    def cast(self, dtype):
        self._clear_cached_op()
        super().cast(dtype)

    _is_symbol_block = False

    def __call__(self, *args, **kwargs):
        if _np_state.array:
            return _np_mode_call(self, HybridBlock._call_hybrid, args, kwargs)
        return self._call_hybrid(*args, **kwargs)

    def _call_hybrid(self, *args, **kwargs):
        # Hybridized blocks bypass subclass forward() overrides (HybridSequential, RNN
        # layers): the whole block becomes one graph; Symbols trace hybrid_forward.
        if args and not kwargs and not self._is_symbol_block:
            x = args[0]
            if type(x) is not _NDArray and isinstance(x, _symbol_cls()):
                for hook in list(self._forward_pre_hooks.values()):
                    hook(self, args)
                out = self._symbolic_forward(*args)
                for hook in list(self._forward_hooks.values()):
                    hook(self, args, out)
                return out
            if self._active and not _eager_only():
                if not (self._forward_pre_hooks or self._forward_hooks):
                    return self._call_cached(*args)
                for hook in list(self._forward_pre_hooks.values()):
                    hook(self, args)
                out = self._call_cached(*args)
                for hook in list(self._forward_hooks.values()):
                    hook(self, args, out)
                return out
            if type(x) is _NDArray and not (self._forward_pre_hooks or self._forward_hooks):
                return self.forward(*args)  # what Block.__call__ does when there are no hooks
        return super()._call_plain(*args, **kwargs)

    # ---- symbolic path (F = mx.sym) ----
    def _symbolic_forward(self, x, *args):
        from .. import symbol as sym
        nm = getattr(_STATE, 'names', None)
        if nm is not None:
            # keyed by prefix: blocks made with prefix='' share their parent's counters
            prefix = nm.get(self.prefix)
            if prefix is None:
                prefix = nm[self.prefix] = sym.Prefix(self.prefix)
        else:
            prefix = sym.Prefix(self.prefix)
        params = {k: _param_var(p) for k, p in self._reg_params.items()}
        with prefix:
            try:
                return self.hybrid_forward(sym, x, *args, **params)
            except Exception as e:  # name the layer once (innermost)
                if getattr(e, '_mx_traced', False):
                    raise
                raise _named_layer_error(e, 'tracing %s', self) from e

    def _trace(self, flat_in, in_fmt):
        sym, out_fmt, names, params = self._trace_symbol(flat_in, in_fmt)
        return _CachedGraph(sym, out_fmt, names, params)

    def _trace_symbol(self, flat_in, in_fmt):
        """hybrid_forward traced on Symbols: (grouped outputs, output format, input
        names, {parameter name: Parameter})."""
        from .. import symbol as sym
        from ..symbol.symbol import _TraceScope
        names = ['data'] if len(flat_in) == 1 else ['data%d' % i for i in range(len(flat_in))]
        in_syms = []
        for n, a in zip(names, flat_in):
            v = sym.var(n)
            v._outs[0][0].trace_shape = (tuple(a.shape), a.dtype)
            in_syms.append(v)
        args, _ = _regroup(in_syms, in_fmt)
        old = (getattr(_STATE, 'vars', None), getattr(_STATE, 'names', None))
        _STATE.vars, _STATE.names = {}, {}
        try:
            with _TraceScope():
                out = self._symbolic_forward(*args)
            table = _STATE.vars
        finally:
            _STATE.vars, _STATE.names = old
        flat_out, out_fmt = _flatten(_split_grouped(out, sym.Symbol), 'output')
        out_fmt = _as_lists(out_fmt)  # a hybridized block returns lists, as MXNet's CachedOp does
        if not flat_out or not all(isinstance(o, sym.Symbol) for o in flat_out):
            raise RuntimeError("hybridize: %s.hybrid_forward must return Symbols (or lists of them) when "
                               "traced, got %r" % (type(self).__name__, out))
        params = {p.name: p for _, p in table.values()}
        return sym.Group(flat_out), out_fmt, names, params

    def _call_cached(self, x, *args):
        if not args and type(x) is _NDArray:  # one array: the key _flatten would give
            flat_in, in_fmt = [x], _ONE_INPUT_FMT
            key = (in_fmt, ((x.shape, x.dtype),))
        else:
            flat_in, in_fmt = _flatten((x,) + args, 'input')
            key = (in_fmt, tuple((a.shape, a.dtype) for a in flat_in))
        entry = self._cached.get(key)
        if entry is None:
            if any(p._data is None for p in self.collect_params().values()):
                # shapes of deferred parameters come from one eager (inference-mode) pass
                try:
                    with _EagerScope(), _autograd.pause(train_mode=False):
                        self.forward(x, *args)
                except Exception as e:
                    raise _named_layer_error(e, '%s, run eagerly to infer parameter shapes,') from e
            entry = self._cached[key] = self._trace(flat_in, in_fmt)
        self._last_cached = entry
        return entry(flat_in)

    def infer_shape(self, *args):
        """Fix the shapes of deferred parameters (in this block and its children) from
        example inputs, as MXNet's HybridBlock.infer_shape: one inference-mode pass runs
        each layer's own shape rule (and finishes initialize() where it was called)."""
        with _EagerScope(), _autograd.pause(train_mode=False):
            self.forward(*args)

    def optimize_for(self, x, *args, backend=None, backend_opts=None, clear=True, partition_if_dynamic=True,
                     static_alloc=False, static_shape=False, **kwargs):
        """MXNet 1.9's graph partitioning for a backend, then hybridize and one forward.
        No partitioning backends (MKLDNN, TensorRT, ...) exist here: backend=None just
        hybridizes; a named backend is an error."""
        if backend is not None:
            from ..base import MXNetError
            raise MXNetError("optimize_for: backend '%s' is not registered (mxcore has no graph partitioning "
                             "backends); call optimize_for(x) without backend or hybridize()" % backend)
        self.hybridize(True, static_alloc=static_alloc, static_shape=static_shape)
        return self(x, *args)

    def _infer_param_shapes(self, *args):
        unknown = [p.name for p in self._reg_params.values() if p._deferred_init]
        raise DeferredInitializationError(
            '%s cannot infer the shapes of %s from its inputs; give the parameter shapes '
            'explicitly (in_units, in_channels, ...)' % (type(self).__name__, unknown))

    def infer_type(self, *args):
        pass

    def _param_arrays(self, ctx):
        try:
            return {k: v.data(ctx) for k, v in self._reg_params.items()}
        except DeferredInitializationError:
            return None

    def forward(self, x, *args):
        if type(x) is _NDArray:
            if self._active and not _eager_only():
                return self._call_cached(x, *args)
            reg = self._reg_params
            if not reg:
                return self.hybrid_forward(_nd, x, *args)
            # Common case: every parameter has one array, on x's context.  Anything else
            # (several contexts, not yet initialized, deferred) takes the general path.
            ctx = x.context
            tid, did = ctx.device_typeid, ctx.device_id
            params = {}
            for k, p in reg.items():
                d = p._data
                if d is None or len(d) != 1:
                    break
                c = p._ctx_list[0]
                if c.device_typeid != tid or c.device_id != did:
                    break
                params[k] = d[0]
            else:
                return self.hybrid_forward(_nd, x, *args, **params)
        elif isinstance(x, _symbol_cls()):
            return self._symbolic_forward(x, *args)
        return self._forward_general(x, *args)

    def _forward_general(self, x, *args):
        nd = _nd
        if self._active and not _eager_only():
            return self._call_cached(x, *args)
        ctx = getattr(x, 'context', None)
        if ctx is None:
            for a in args:
                ctx = getattr(a, 'context', None)
                if ctx is not None:
                    break
        for p in self._reg_params.values():
            if p._data is None and not p._deferred_init:
                # MXNet raises here; mxcore initializes with the default initializer so
                # programs that forget net.initialize() (like the seed example) still run.
                warnings.warn("Parameter '%s' was not initialized; initializing it with "
                              'its default initializer. Call '
                              'net.initialize() to choose one.' % p.name, stacklevel=3)
                p.initialize(ctx=ctx)
        params = self._param_arrays(ctx)
        if params is None:
            self._infer_param_shapes(x, *args)
            with _autograd.pause():  # initialization is not part of the recorded computation
                for p in self._reg_params.values():
                    p._finish_deferred_init()
            params = {k: v.data(ctx) for k, v in self._reg_params.items()}
        return self.hybrid_forward(nd, x, *args, **params)

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError

    def export(self, path, epoch=0, remove_amp_cast=True):
        """Write ``path-symbol.json`` and ``path-%04d.params`` (arg:/aux: keys), MXNet 1.x format."""
        from ..model import save_params_file
        entry = self._last_cached
        if entry is None:
            raise RuntimeError('Please first call block.hybridize() and then run forward with '
                               'this block at least once before calling export.')
        sym_file = '%s-symbol.json' % path
        entry.sym.save(sym_file, remove_amp_cast=remove_amp_cast)
        args = {name: src._check_and_get(src._data, list)[0]
                for name, src in zip(entry.arg_names, entry.arg_src) if type(src) is not int}
        aux = {name: p._check_and_get(p._data, list)[0] for name, p in zip(entry.aux_names, entry.aux_src)}
        params_file = '%s-%04d.params' % (path, epoch)
        save_params_file(params_file, args, aux)
        return sym_file, params_file


class SymbolBlock(HybridBlock):
    """A HybridBlock made from a Symbol (e.g. a model exported by MXNet)."""

    _is_symbol_block = True

    def __init__(self, outputs, inputs, params=None):
        from .. import symbol as sym
        from ..symbol.symbol import current_name_manager
        super().__init__(prefix='', params=None)
        self._name = current_name_manager().get(None, 'symbolblock')  # MXNet: symbolblock0
        if isinstance(inputs, sym.Symbol) and len(inputs) == 1:
            inputs = [inputs]
        if isinstance(outputs, (list, tuple)):
            outputs = outputs[0] if len(outputs) == 1 else sym.Group(list(outputs))
        self._input_names = [i.name for i in inputs]
        self._sym = outputs
        g = outputs._graph()
        arg_names, aux_names = g.names(0), g.names(1)
        shapes = {}
        try:
            shapes = outputs._known_spec({}, {})
        except Exception:  # noqa: BLE001  (hints only)
            pass
        for name in arg_names + aux_names:
            if name in self._input_names:
                continue
            # a full name from the given dict (get() would add the dict's prefix again)
            shared = params._params.get(name) if params is not None else None
            if shared is not None:
                p = shared
                self._params._params[name] = p
            else:
                shp = tuple(shapes[name]['shape']) if name in shapes else None
                p = self._params.get(name, allow_deferred_init=True, shape=shp,
                                     grad_req='null' if name in aux_names else 'write')
            self._reg_params[name] = p
        # keyed without the names' common prefix, as MXNet's: save_parameters writes
        # 'conv0_weight' for an imported 'model_conv0_weight' (and reads that back)
        n = len(os.path.commonprefix(list(self._reg_params)))
        self._reg_params = OrderedDict((k[n:], v) for k, v in self._reg_params.items())
        self._active = True

    def hybridize(self, active=True, **kwargs):
        HybridBlock.hybridize(self, True, **kwargs)

    @staticmethod
    def imports(symbol_file, input_names, param_file=None, ctx=None, allow_missing=False,
                ignore_extra=False):
        from .. import symbol as sym
        out = sym.load(symbol_file)
        if isinstance(input_names, str):
            input_names = [input_names]
        ret = SymbolBlock(out, [sym.var(n) for n in input_names])
        if param_file is not None:
            ret.collect_params().load(param_file, ctx=ctx, allow_missing=allow_missing,
                                      ignore_extra=ignore_extra, cast_dtype=True,
                                      dtype_source='saved')
        return ret

    def forward(self, x, *args):
        from .. import symbol as sym
        if isinstance(x, sym.Symbol):
            inputs = [x] + list(args)
            if getattr(_STATE, 'vars', None) is not None:
                # traced inside a parent block: its graph arguments are this block's Parameters
                for p in self._reg_params.values():
                    _param_var(p)
            return self._sym(**dict(zip(self._input_names, inputs)))
        return self._call_cached(x, *args)

    def _call_cached(self, x, *args):
        flat_in, _ = _flatten((x,) + args, 'input')
        key = tuple((a.shape, a.dtype) for a in flat_in)
        entry = self._cached.get(key)
        if entry is None:
            pending = [p for p in self._reg_params.values() if p._data is None]
            if pending:
                shapes = {n: a.shape for n, a in zip(self._input_names, flat_in)}
                dtypes = {n: a.dtype for n, a in zip(self._input_names, flat_in)}
                _, res = self._sym._infer(shapes, dtypes, True)
                known = dict(res['arguments'], **res['aux_states'])
                ctx = flat_in[0].context
                for p in pending:
                    if known.get(p.name) is None:
                        raise RuntimeError("SymbolBlock: cannot infer the shape of parameter '%s'"
                                           % p.name)
                    p.shape = tuple(known[p.name]['shape'])
                    if not p._deferred_init:
                        p.initialize(ctx=ctx)
                    p._finish_deferred_init()
            params = {p.name: p for p in self._reg_params.values()}
            out_fmt = (False, [0] * len(self._sym)) if len(self._sym) > 1 else 0
            entry = self._cached[key] = _CachedGraph(self._sym, out_fmt, self._input_names, params)
        self._last_cached = entry
        return entry(flat_in)

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError


__all__ = ['Block', 'HybridBlock', 'SymbolBlock']
_ = re
_ = warnings
