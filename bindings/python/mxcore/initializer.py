"""Weight initializers (``mx.init``), MXNet 1.x compatible.

Random initializers draw from the ``nd.random`` ops so that ``mx.random.seed`` makes
them deterministic.  An initializer is called as ``init(desc, arr)`` and fills ``arr``
in place; ``desc`` is an :class:`InitDesc` (a ``str`` subclass carrying the parameter
name and attributes).
"""
from __future__ import annotations

import json
import math
import re

import numpy as np

_REGISTRY: dict = {}


def register(klass):
    """Register an initializer class under its lower-cased name (decorator)."""
    _REGISTRY[klass.__name__.lower()] = klass
    return klass


def alias(*names):
    def deco(klass):
        for n in names:
            _REGISTRY[n.lower()] = klass
        return klass
    return deco


def create(init, **kwargs):
    """Turn ``init`` (an Initializer, a registered name or a dumps() string) into an Initializer."""
    if init is None:
        return Uniform()
    if isinstance(init, Initializer):
        return init
    if isinstance(init, type) and issubclass(init, Initializer):
        return init(**kwargs)
    if isinstance(init, str):
        s = init.strip()
        if s.startswith('['):
            name, kw = json.loads(s)
            return _REGISTRY[name.lower()](**kw)
        key = s.lower()
        if key not in _REGISTRY:
            raise ValueError('Unknown initializer %r; known: %s' % (init, sorted(_REGISTRY)))
        return _REGISTRY[key](**kwargs)
    raise TypeError('Cannot create an initializer from %r' % (init,))


class InitDesc(str):
    """Parameter name plus attributes (``__init__`` names an explicit initializer)."""

    def __new__(cls, name, attrs=None, global_init=None):
        ret = super().__new__(cls, name)
        ret.attrs = attrs or {}
        ret.global_init = global_init
        return ret


def _nd():
    from . import ndarray as nd
    return nd


def _fill(arr, value):
    """Write ``value`` (scalar, numpy array or NDArray) into ``arr`` in place."""
    nd = _nd()
    if isinstance(value, np.ndarray):
        value = nd.array(value.astype(np.dtype(arr.dtype) if not isinstance(arr.dtype, str)
                                      else arr.dtype), ctx=arr.context, dtype=arr.dtype)
    arr[:] = value


class Initializer:
    """Base class: dispatches on the parameter name like MXNet."""

    def __init__(self, **kwargs):
        self._kwargs = kwargs
        self._verbose = False
        self._print_func = None

    def set_verbosity(self, verbose=False, print_func=None):
        self._verbose = verbose
        self._print_func = print_func
        return self

    def dumps(self):
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __repr__(self):
        return '%s(%s)' % (self.__class__.__name__,
                           ', '.join('%s=%r' % kv for kv in self._kwargs.items()))

    def __call__(self, desc, arr):
        if not isinstance(desc, InitDesc):
            desc = InitDesc(str(desc))
        if desc.global_init is None:  # what an `__init__`-named initializer falls back to
            desc.global_init = self
        init = desc.attrs.get('__init__', '')
        if init:
            create(init)._init_weight(desc, arr)
            return
        name = str(desc)
        if name.endswith('upsampling'):
            self._init_bilinear(desc, arr)
        elif name.endswith('stn_loc') and False:
            pass
        elif name.endswith('bias'):
            self._init_bias(desc, arr)
        elif name.endswith('gamma'):
            self._init_gamma(desc, arr)
        elif name.endswith('beta'):
            self._init_beta(desc, arr)
        elif name.endswith('weight'):
            self._init_weight(desc, arr)
        elif name.endswith('running_mean') or name.endswith('moving_mean'):
            self._init_zero(desc, arr)
        elif name.endswith('running_var') or name.endswith('moving_var'):
            self._init_one(desc, arr)
        elif name.endswith('moving_inv_var') or name.endswith('moving_avg'):
            self._init_zero(desc, arr)
        elif name.endswith('min'):
            self._init_zero(desc, arr)
        elif name.endswith('max'):
            self._init_one(desc, arr)
        else:
            self._init_default(desc, arr)

    # --- default fillers --------------------------------------------------------------
    def _init_bilinear(self, _, arr):
        _fill(arr, _bilinear_kernel(arr.shape))

    def _init_zero(self, _, arr):
        _fill(arr, 0.0)

    def _init_one(self, _, arr):
        _fill(arr, 1.0)

    def _init_bias(self, _, arr):
        _fill(arr, 0.0)

    def _init_gamma(self, _, arr):
        _fill(arr, 1.0)

    def _init_beta(self, _, arr):
        _fill(arr, 0.0)

    def _init_weight(self, name, arr):
        raise NotImplementedError('%s must override _init_weight' % type(self).__name__)

    def _init_default(self, name, _):
        raise ValueError('Unknown initialization pattern for %s. Default initialization is now '
                         'limited to "weight", "bias", "gamma" (1.0), and "beta" (0.0). Please '
                         'use mx.sym.Variable(init=mx.init.*) to set initialization pattern'
                         % name)


def _bilinear_kernel(shape):
    weight = np.zeros(int(np.prod(shape)), dtype='float32')
    f = math.ceil(shape[3] / 2.0)
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    for i in range(weight.size):
        x = i % shape[3]
        y = (i // shape[3]) % shape[2]
        weight[i] = (1 - abs(x / f - c)) * (1 - abs(y / f - c))
    return weight.reshape(shape)


@register
@alias('zeros')
class Zero(Initializer):
    def __init__(self):
        super().__init__()

    def _init_weight(self, _, arr):
        _fill(arr, 0.0)


@register
@alias('ones')
class One(Initializer):
    def __init__(self):
        super().__init__()

    def _init_weight(self, _, arr):
        _fill(arr, 1.0)


@register
class Constant(Initializer):
    def __init__(self, value):
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, _, arr):
        v = self.value
        if isinstance(v, (list, tuple)):
            v = np.asarray(v, dtype='float32')
        if hasattr(v, 'asnumpy'):
            v = v.asnumpy()
        if isinstance(v, np.ndarray):
            v = np.broadcast_to(v, arr.shape).copy()
        _fill(arr, v)


@register
class Uniform(Initializer):
    """U(-scale, scale); MXNet's default scale is 0.07."""

    def __init__(self, scale=0.07):
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _, arr):
        nd = _nd()
        _fill(arr, nd.random.uniform(-self.scale, self.scale, shape=arr.shape,
                                     ctx=arr.context, dtype=arr.dtype))


@register
class Normal(Initializer):
    """N(0, sigma); MXNet's default sigma is 0.01."""

    def __init__(self, sigma=0.01):
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _, arr):
        nd = _nd()
        _fill(arr, nd.random.normal(0, self.sigma, shape=arr.shape,
                                    ctx=arr.context, dtype=arr.dtype))


def _fans(shape):
    hw_scale = 1.0
    if len(shape) < 2:
        raise ValueError('Xavier initializer cannot be applied to vector {0}. It requires at'
                         ' least 2D.'.format(shape))
    if len(shape) > 2:
        hw_scale = float(np.prod(shape[2:]))
    fan_in, fan_out = shape[1] * hw_scale, shape[0] * hw_scale
    return fan_in, fan_out


@register
class Xavier(Initializer):
    """Glorot init: rnd_type 'uniform'|'gaussian', factor_type 'avg'|'in'|'out'."""

    def __init__(self, rnd_type='uniform', factor_type='avg', magnitude=3):
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def _init_weight(self, name, arr):
        nd = _nd()
        fan_in, fan_out = _fans(arr.shape)
        factor = {'avg': (fan_in + fan_out) / 2.0, 'in': fan_in, 'out': fan_out}.get(
            self.factor_type)
        if factor is None:
            raise ValueError('Incorrect factor type %r' % self.factor_type)
        scale = math.sqrt(self.magnitude / factor)
        if self.rnd_type == 'uniform':
            v = nd.random.uniform(-scale, scale, shape=arr.shape, ctx=arr.context,
                                  dtype=arr.dtype)
        elif self.rnd_type == 'gaussian':
            v = nd.random.normal(0, scale, shape=arr.shape, ctx=arr.context, dtype=arr.dtype)
        else:
            raise ValueError('Unknown random type %r' % self.rnd_type)
        _fill(arr, v)


@register
class MSRAPrelu(Xavier):
    """He init for PReLU nets: gaussian, magnitude 2/(1+slope^2)."""

    def __init__(self, factor_type='avg', slope=0.25):
        magnitude = 2.0 / (1 + slope ** 2)
        super().__init__('gaussian', factor_type, magnitude)
        self._kwargs = {'factor_type': factor_type, 'slope': slope}


@register
class Orthogonal(Initializer):
    """Orthogonal matrix (Saxe et al.); rand_type 'uniform' or 'normal'."""

    def __init__(self, scale=1.414, rand_type='uniform'):
        super().__init__(scale=scale, rand_type=rand_type)
        self.scale = scale
        self.rand_type = rand_type

    def _init_weight(self, _, arr):
        nd = _nd()
        nout = arr.shape[0]
        nin = int(np.prod(arr.shape[1:]))
        if self.rand_type == 'uniform':
            tmp = nd.random.uniform(-1.0, 1.0, shape=(nout, nin)).asnumpy()
        else:
            tmp = nd.random.normal(0.0, 1.0, shape=(nout, nin)).asnumpy()
        u, _s, v = np.linalg.svd(tmp, full_matrices=False)
        q = u if u.shape == tmp.shape else v
        _fill(arr, (self.scale * q.reshape(arr.shape)).astype('float32'))


@register
class Bilinear(Initializer):
    """Bilinear upsampling kernel for Deconvolution weights."""

    def __init__(self):
        super().__init__()

    def _init_weight(self, _, arr):
        _fill(arr, _bilinear_kernel(arr.shape))


@register
class LSTMBias(Initializer):
    """Zero bias except the forget gate (second quarter), set to ``forget_bias``."""

    def __init__(self, forget_bias=1.0):
        super().__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, name, arr):
        v = np.zeros(arr.shape, dtype='float32')
        n = arr.shape[0] // 4
        v[n:2 * n] = self.forget_bias
        _fill(arr, v)


@register
class FusedRNN(Initializer):
    """Initializes the flat parameter vector of an RNN op (``mx.rnn.FusedRNNCell``):
    each per-gate matrix with `init` (default: the global initializer), biases to 0
    and, for LSTMs, the forget-gate bias to `forget_bias`."""

    def __init__(self, init, num_hidden, num_layers, mode, bidirectional=False, forget_bias=1.0):
        if isinstance(init, str):
            init = create(init)
        super().__init__(init=init.dumps() if init is not None else None, num_hidden=num_hidden,
                         num_layers=num_layers, mode=mode, bidirectional=bidirectional, forget_bias=forget_bias)
        self._init, self._mode, self._forget_bias = init, mode, forget_bias
        self._cell_args = (num_hidden, num_layers, mode, bidirectional)

    def _init_weight(self, desc, arr):
        from .rnn.fused_cell import FusedRNNCell
        cell = FusedRNNCell(*self._cell_args, forget_bias=self._forget_bias, prefix='')
        pieces = cell.unpack_weights({'parameters': arr})
        fallback = getattr(desc, 'global_init', None) or Uniform()
        for name, piece in pieces.items():
            if self._mode == 'lstm' and name.endswith('_f_bias'):
                piece[:] = self._forget_bias
            else:
                (self._init or fallback)(InitDesc(name, global_init=fallback), piece)
        arr[:] = cell.pack_weights(pieces)['parameters']


@register
class Mixed:
    """Pick the initializer of the first regex in ``patterns`` matching the name."""

    def __init__(self, patterns, initializers):
        if len(patterns) != len(initializers):
            raise ValueError('patterns and initializers must have the same length')
        self.map = list(zip([re.compile(p) for p in patterns], initializers))

    def __call__(self, name, arr):
        for prog, init in self.map:
            if prog.match(str(name)):
                init(name, arr)
                return
        raise ValueError('Parameter name %s did not match any pattern. Consider adding a '
                         '".*" pattern at the end with default Initializer.' % name)

    def dumps(self):
        raise NotImplementedError('Mixed cannot be serialized')


# MXNet exposes Load too; keep a light version taking a dict of arrays.
@register
class Load:
    def __init__(self, param, default_init=None, verbose=False):
        from . import ndarray as nd
        if isinstance(param, str):
            param = nd.load(param)
        self.param = {}
        for k, v in param.items():
            if k.startswith('arg:') or k.startswith('aux:'):
                k = k[4:]
            self.param[k] = v
        self.default_init = default_init

    def __call__(self, name, arr):
        if name in self.param:
            if tuple(self.param[name].shape) != tuple(arr.shape):
                raise ValueError('Parameter %s cannot be initialized from loading: shape '
                                 'mismatch %s vs %s' % (name, arr.shape, self.param[name].shape))
            arr[:] = self.param[name]
        else:
            if self.default_init is None:
                raise ValueError('Cannot initialize %s: not found in loaded param and no '
                                 'default Initializer is provided.' % name)
            self.default_init(name, arr)


__all__ = ['Initializer', 'InitDesc', 'Zero', 'One', 'Constant', 'Uniform', 'Normal', 'Xavier',
           'MSRAPrelu', 'Orthogonal', 'Bilinear', 'LSTMBias', 'FusedRNN', 'Mixed', 'Load', 'register',
           'create']
