"""Block and HybridBlock: the Gluon layer base classes (MXNet 1.x semantics).

Naming follows MXNet 1.x: a top-level block gets a process-wide counter prefix
(``dense0_``), a child created inside ``parent.name_scope()`` gets the parent prefix
plus a per-parent counter (``hybridsequential0_dense0_``).  ``hybridize()`` is accepted;
for now a hybridized block runs the same eager code path, so its results are identical.
"""
from __future__ import annotations

import re
import threading
import warnings
from collections import OrderedDict

from .parameter import DeferredInitializationError, Parameter, ParameterDict

_GLOBAL_COUNTER: dict = {}
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
            if prefix is None:
                with _COUNTER_LOCK:
                    count = _GLOBAL_COUNTER.get(hint, 0)
                    _GLOBAL_COUNTER[hint] = count + 1
                prefix = '%s%d_' % (hint, count)
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
        ret = ParameterDict(self._params.prefix)
        if not select:
            ret.update(self.params)
        else:
            ret.update(self.params.select(select))
        for child in self._children.values():
            ret.update(child.collect_params(select=select))
        return ret

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
        nd.save(filename, {k: v._check_and_get(v._data, list)[0] for k, v in arg_dict.items()})

    def load_parameters(self, filename, ctx=None, allow_missing=False, ignore_extra=False,
                        cast_dtype=False, dtype_source='current'):
        from .. import ndarray as nd
        loaded = nd.load(filename)
        if isinstance(loaded, list):
            raise ValueError('%s holds an unnamed list of arrays, not parameters' % filename)
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
                raise AssertionError(
                    "Parameter '%s' loaded from file '%s' is not present in this Block, "
                    'which contains parameters %s. Set ignore_extra=True to ignore.'
                    % (name, filename, ', '.join(sorted(params))[:400]))
            if name in params:
                params[name]._load_init(loaded[name], ctx, cast_dtype=cast_dtype,
                                        dtype_source=dtype_source)

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
        for hook in list(self._forward_pre_hooks.values()):
            hook(self, args)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            hook(self, args, out)
        return out

    def forward(self, *args):
        raise NotImplementedError

    def summary(self, *inputs):
        """Print each leaf block's output shape and parameter count after one forward."""
        rows = []
        hooks = []

        def _hook(block, _inp, out):
            shape = getattr(out, 'shape', None)
            if isinstance(out, (list, tuple)):
                shape = [getattr(o, 'shape', None) for o in out]
            n = sum(int(_prod(p.shape)) for p in block._reg_params.values()
                    if p.shape is not None)
            rows.append((block.name, str(shape), n))

        def _reg(block):
            if not block._children:
                hooks.append(block.register_forward_hook(_hook))

        self.apply(_reg)
        try:
            self(*inputs)
        finally:
            for h in hooks:
                h.detach()
        total = sum(int(_prod(p.shape)) for p in self.collect_params().values())
        print('-' * 72)
        print('%-30s %-28s %10s' % ('Layer', 'Output Shape', 'Param #'))
        print('=' * 72)
        for r in rows:
            print('%-30s %-28s %10d' % r)
        print('=' * 72)
        print('Total params: %d' % total)
        print('-' * 72)


def _prod(shape):
    n = 1
    for s in shape:
        n *= int(s)
    return n


class HybridBlock(Block):
    """A Block whose computation is written once as ``hybrid_forward(F, x, ...)``."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._active = False
        self._flags = {}

    def hybridize(self, active=True, **kwargs):
        self._active = active
        self._flags = dict(kwargs)
        super().hybridize(active, **kwargs)

    def infer_shape(self, *args):
        """Layers with deferred parameter shapes override ``_infer_param_shapes``."""
        self._infer_param_shapes(*args)

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
        from .. import ndarray as nd
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
            self.infer_shape(x, *args)
            for p in self._reg_params.values():
                p._finish_deferred_init()
            params = {k: v.data(ctx) for k, v in self._reg_params.items()}
        return self.hybrid_forward(nd, x, *args, **params)

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError

    def export(self, path, epoch=0, remove_amp_cast=True):
        raise NotImplementedError(
            'HybridBlock.export needs graph tracing, which mxcore does not provide yet; '
            'use save_parameters() to store the weights')


class SymbolBlock(HybridBlock):
    def __init__(self, outputs, inputs, params=None):
        raise NotImplementedError('SymbolBlock is not supported by mxcore yet')

    @staticmethod
    def imports(symbol_file, input_names, param_file=None, ctx=None):
        raise NotImplementedError('SymbolBlock.imports is not supported by mxcore yet')


__all__ = ['Block', 'HybridBlock', 'SymbolBlock']
_ = re
